# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the notification_handlers role needs: which items of a list would change anything, and what to purge.

It compares with the module's own comparison (handlers.py), against the masked handlers that
dmpilot_notification_handler_info returns. A wanted secret is masked with the same keyed fingerprint, so
secrets are compared without ever being revealed. Whenever the answer is not certain (bad input, an
ambiguous name, a handler to create) the item is kept, and the module decides and explains.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dmpilot.cloud.plugins.module_utils.handler_types import FIELDS, OPTION_ALIASES
from ansible_collections.dmpilot.cloud.plugins.module_utils.handlers import (
    InvalidHandler,
    changed_fields,
    masked_settings,
    wanted_handler,
)

ITEM_OPTIONS = frozenset(["name", "id", "type", "enabled", "state", "update_strategy"]) | frozenset(FIELDS)


def item_options(item):
    """An item's options under their canonical names (aliases resolved)."""
    return dict((OPTION_ALIASES.get(key, key), value) for key, value in item.items())


def current_matches(options, name, current_handlers):
    if options.get("id") is not None:
        return [handler for handler in current_handlers if handler["id"] == int(options["id"])]
    return [handler for handler in current_handlers if handler["name"] == name]


def needs_module_run(item, current_handlers, salt):
    """Whether running the module with this item could change something, or has something to report."""
    options = item_options(item)
    if set(options) - ITEM_OPTIONS:
        return True
    try:
        wanted = wanted_handler(options.get("name"), options.get("type"), options.get("enabled"),
                                dict((name, options[name]) for name in FIELDS if name in options))
    except (InvalidHandler, TypeError, ValueError):
        return True
    matches = current_matches(options, wanted.get("name"), current_handlers)
    if options.get("state", "present") == "absent":
        return bool(matches)
    if len(matches) != 1:
        return True
    masked_wanted = dict(wanted, settings=masked_settings(wanted["settings"], salt))
    try:
        return bool(changed_fields(masked_wanted, matches[0]))
    except InvalidHandler:
        return True


def items_to_converge(items, current_handlers, salt):
    """The items for which the module must run (for a converged list, none), with aliases resolved."""
    return [item_options(item) for item in items if needs_module_run(item, current_handlers, salt)]


def handlers_to_purge(items, current_handlers):
    """The current handlers that no present item names (by name or id), as {id, name}."""
    kept_names = set()
    kept_ids = set()
    for item in items:
        options = item_options(item)
        if options.get("state", "present") == "absent":
            continue
        if options.get("id") is not None:
            kept_ids.add(int(options["id"]))
        if options.get("name") is not None:
            kept_names.add(str(options["name"]).strip())
    return [dict(id=handler["id"], name=handler["name"]) for handler in current_handlers
            if handler["id"] not in kept_ids and handler["name"] not in kept_names]
