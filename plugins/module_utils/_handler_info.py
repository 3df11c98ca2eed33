# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read notification handlers for the info module: by id, by name or all, filtered, secrets masked, and their export."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import DmpilotError
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import declaration, masked_handler, same_name
from ansible_collections.dmpilot.cloud.plugins.module_utils._module import error_details


def matches(handler, params):
    """Whether a handler passes the filters; a name is compared as the modules compare it (a quote is its entity)."""
    if params["name"] is not None and not same_name(params["name"], handler["name"]):
        return False
    return all(params[key] is None or handler[key] == params[key] for key in ("type", "enabled"))


def read(client, params):
    """(The handlers asked for, the account's handlers that may share a name with one of them.)

    The export gives an id to each handler whose name another handler of the account has, filtered out or not, so that it
    is accepted when given back: a name read finds its namesakes, and a type or enabled filter is applied here, on the whole
    list, not by the server.
    """
    if params["id"] is not None:
        handler = client.get_handler(params["id"])
        if handler is None:
            return [], []
        return [handler], client.find_by_name(handler["name"])
    if params["name"] is not None:
        found = client.find_by_name(params["name"])
        return found, found
    everything = client.list_handlers()
    return everything, everything


def run(module):
    """Run the info module: read, filter, mask, export."""
    params = module.params
    try:
        handlers, account = read(module.client, params)
    except DmpilotError as error:
        module.fail_json(msg=str(error), **error_details(error))
    handlers = [handler for handler in handlers if matches(handler, params)]
    # Names in their plain form (a quote, not its entity), secrets shown in clear only where asked.
    handlers = [masked_handler(handler, module.salt, params["reveal_secrets"]) for handler in handlers]
    module.exit_json(changed=False, notification_handlers=handlers, declaration=declaration(handlers, account))
