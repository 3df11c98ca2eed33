#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dmpilot_notification_handler_info
short_description: List dmpilot notification handlers
version_added: 0.1.0
description:
  - Lists the notification handlers of a dmpilot account, optionally filtered.
  - Reads every handler with as few requests as the API allows, one per 1,000 handlers, or one request with O(id).
  - Secret settings are masked unless O(reveal_secrets=true).
author:
  - dmpilot.cloud developers (@dmpilot)
extends_documentation_fragment:
  - dmpilot.cloud.connection
  - dmpilot.cloud.connection.action_group
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details:
      - This module only reads, so it runs the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: N/A
    details:
      - This module changes nothing.
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
options:
  id:
    description:
      - Only the handler with this id, read with one request. The result is empty when there is none.
    type: int
  name:
    description:
      - Only the handlers with exactly this name. Names need not be unique, so there may be several.
    type: str
  type:
    description:
      - Only the handlers of this type.
    type: str
    choices: [email, webhook, slack, discord, telegram, microsoft_teams, google_chat, x, internal_notification]
  enabled:
    description:
      - Only the enabled handlers (V(true)) or only the disabled ones (V(false)).
      - Handlers waiting for their email address to be confirmed count as enabled.
    type: bool
  reveal_secrets:
    description:
      - Return secret settings (tokens, webhook URLs, X keys) in clear.
      - Use it with C(no_log=true) on the task, and keep the result out of logs.
      - By default each secret is shown as C(********#) and a fingerprint that changes when the value changes.
    type: bool
    default: false
seealso:
  - module: dmpilot.cloud.dmpilot_notification_handler
"""

EXAMPLES = r"""
- name: List every notification handler
  dmpilot.cloud.dmpilot_notification_handler_info:
    api_key: "{{ vault_dmpilot_api_key }}"
  register: dmpilot

- name: Show their names
  ansible.builtin.debug:
    msg: "{{ dmpilot.notification_handlers | map(attribute='name') | list }}"

- name: Find the disabled Slack handlers
  dmpilot.cloud.dmpilot_notification_handler_info:
    api_key: "{{ vault_dmpilot_api_key }}"
    type: slack
    enabled: false
  register: disabled_slack

- name: Read one handler by id
  dmpilot.cloud.dmpilot_notification_handler_info:
    api_key: "{{ vault_dmpilot_api_key }}"
    id: 42
  register: handler_42
"""

RETURN = r"""
notification_handlers:
  description:
    - The handlers that match the filters, in id order.
    - Secret settings are masked as C(********#) followed by a fingerprint, unless O(reveal_secrets=true).
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The id of the handler.
      type: int
      returned: success
      sample: 42
    name:
      description: The name of the handler.
      type: str
      returned: success
      sample: Ops email
    type:
      description: The type of the handler.
      type: str
      returned: success
      sample: email
    enabled:
      description: Whether the handler sends alerts. True while an email address waits for confirmation.
      type: bool
      returned: success
      sample: true
    pending_confirmation:
      description: Whether the handler waits for the owner of its email address to confirm it.
      type: bool
      returned: success
      sample: false
    settings:
      description: The settings of the handler, by API field name. Secret values are masked unless O(reveal_secrets=true).
      type: dict
      returned: success
      sample: {"email": "ops@example.com"}
"""

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import DmpilotError
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import TYPE_NAMES
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import masked_handler
from ansible_collections.dmpilot.cloud.plugins.module_utils._module import DmpilotModule, error_details


def matches(handler, params):
    return all(params[key] is None or handler[key] == params[key] for key in ("name", "type", "enabled"))


def main():
    module = DmpilotModule(
        dict(
            id=dict(type="int"),
            name=dict(type="str"),
            type=dict(type="str", choices=list(TYPE_NAMES)),
            enabled=dict(type="bool"),
            reveal_secrets=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        if params["id"] is not None:
            handlers = [handler for handler in [module.client.get_handler(params["id"])] if handler]
        else:
            handlers = module.client.list_handlers()
    except DmpilotError as error:
        module.fail_json(msg=str(error), **error_details(error))
    handlers = [handler for handler in handlers if matches(handler, params)]
    if not params["reveal_secrets"]:
        handlers = [masked_handler(handler, module.salt) for handler in handlers]
    module.exit_json(changed=False, notification_handlers=handlers)


if __name__ == "__main__":
    main()
