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

from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import FIELDS, OPTION_ALIASES
from ansible_collections.dmpilot.cloud.plugins.module_utils._module import handler_argument_spec
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import (
    InvalidHandler,
    changed_fields,
    masked_settings,
    wanted_handler,
)

ITEM_OPTIONS = frozenset(handler_argument_spec())


def item_options(item):
    """An item's options under their canonical names (aliases resolved)."""
    return dict((OPTION_ALIASES.get(key, key), value) for key, value in item.items())


def current_matches(options, name, current_handlers):
    if options.get("id") is not None:
        return [handler for handler in current_handlers if handler["id"] == int(options["id"])]
    return [handler for handler in current_handlers if handler["name"] == name]


def module_run(item, current_handlers, salt):
    """The module options to run for this item, or None when the module would change and report nothing.

    An item matched to one current handler by name gets that handler's id, so that the module reads it with one
    request instead of listing every handler again.
    """
    options = item_options(item)
    if set(options) - ITEM_OPTIONS:
        return options
    try:
        wanted = wanted_handler(options.get("name"), options.get("type"), options.get("enabled"),
                                dict((name, options[name]) for name in FIELDS if name in options))
    except (InvalidHandler, TypeError, ValueError):
        return options
    matches = current_matches(options, wanted.get("name"), current_handlers)
    if len(matches) != 1:
        # Nothing to delete; or a create, or a name several handlers share, which the module reports.
        return None if options.get("state", "present") == "absent" and not matches else options
    located = dict(options, id=matches[0]["id"])
    if options.get("state", "present") == "absent":
        return located
    masked_wanted = dict(wanted, settings=masked_settings(wanted["settings"], salt))
    try:
        return located if changed_fields(masked_wanted, matches[0]) else None
    except InvalidHandler:
        return options


def items_to_converge(items, current_handlers, salt):
    """The module options of the items that need the module to run (for a converged list, none), aliases resolved."""
    runs = (module_run(item, current_handlers, salt) for item in items)
    return [options for options in runs if options is not None]


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
