#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dmpilot_notification_handler
short_description: Create, update and delete dmpilot notification handlers
version_added: 0.1.0
description:
  - Manages one notification handler of the dmpilot service, the channel an alert goes to. The types are
    email, webhook, Slack, Discord, Telegram, Microsoft Teams, Google Chat, X and internal notifications.
  - The handler is found by O(id), or else by its exact O(name).
  - Options left out are not managed. An update sends only the fields that differ.
  - After every write the module reads the handler back, and fails when the server did not store what was asked for.
author:
  - dmpilot.cloud developers (@dmpilot)
extends_documentation_fragment:
  - dmpilot.cloud.connection
  - dmpilot.cloud.connection.action_group
  - dmpilot.cloud.handler_settings
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details:
      - Check mode sends no write request. It reports the same changed status and diff as a real run would.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - The diff shows the name, type, enabled status and each setting. Secret settings show as a mask and a fingerprint.
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
    details:
      - Values are compared as the server stores them. Surrounding blanks are trimmed like the server does.
      - With O(update_strategy=recreate), a change replaces the handler, so its O(id) changes.
options:
  name:
    description:
      - The name of the handler. Names are compared exactly, after trimming surrounding blanks.
      - Without O(id), the handler is found by this name. If several handlers share it, the task fails and lists their ids.
      - With O(id), this is the wanted name, so a handler can be renamed.
      - At most 128 characters, without C(<).
    type: str
  id:
    description:
      - The id of the handler to manage, read with one request.
      - The module never creates a handler for an O(id). If it does not exist, the task fails (O(state=present)) or
        reports no change (O(state=absent)).
    type: int
  type:
    description:
      - The type of the handler. Required to create one.
      - Changing the type of an existing handler needs all the settings of the new type.
    type: str
    choices: [email, webhook, slack, discord, telegram, microsoft_teams, google_chat, x, internal_notification]
  enabled:
    description:
      - Whether the handler sends alerts. Left out, a new handler is enabled and an existing one keeps its status.
      - An email handler waiting for its owner to confirm the address counts as enabled.
    type: bool
    aliases: [is_enabled]
  state:
    description:
      - V(present) creates or updates the handler, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  update_strategy:
    description:
      - How to apply a change to an existing handler.
      - V(update) updates it in place, as the API documents.
      - V(recreate) creates a new handler with the wanted values, checks it, then deletes the old one. The handler gets
        a new O(id). Use it with a server that mangles updates (the task then fails with O(update_strategy=update)).
    type: str
    choices: [update, recreate]
    default: update
seealso:
  - module: dmpilot.cloud.dmpilot_notification_handler_info
  - ref: ansible_collections.dmpilot.cloud.docsite.notification_handlers_guide
    description: The collection's guide to managing notification handlers.
"""

EXAMPLES = r"""
- name: Send alerts to the on-call Slack channel
  dmpilot.cloud.dmpilot_notification_handler:
    api_key: "{{ vault_dmpilot_api_key }}"
    name: On-call Slack
    type: slack
    slack: "{{ vault_slack_webhook_url }}"

- name: Set the connection once for a play, then manage several handlers
  module_defaults:
    group/dmpilot.cloud.dmpilot:
      api_url: https://dmpilot.ru/api
      api_key: "{{ vault_dmpilot_api_key }}"
  block:
    - name: Email the ops team
      dmpilot.cloud.dmpilot_notification_handler:
        name: Ops email
        type: email
        email: ops@example.com

    - name: Post to a Telegram group, disabled for now
      dmpilot.cloud.dmpilot_notification_handler:
        name: Ops Telegram
        type: telegram
        telegram_bot_token: "{{ vault_telegram_token }}"
        telegram_chat_id: "-1001234567890"
        enabled: false

- name: Rename a handler by its id
  dmpilot.cloud.dmpilot_notification_handler:
    api_key: "{{ vault_dmpilot_api_key }}"
    id: 42
    name: Ops email (old)

- name: Work around a server that mangles updates
  dmpilot.cloud.dmpilot_notification_handler:
    api_key: "{{ vault_dmpilot_api_key }}"
    name: Ops webhook
    type: webhook
    webhook: "{{ vault_webhook_url }}"
    update_strategy: recreate

- name: Delete a handler
  dmpilot.cloud.dmpilot_notification_handler:
    api_key: "{{ vault_dmpilot_api_key }}"
    name: Ops Telegram
    state: absent
"""

RETURN = r"""
notification_handler:
  description:
    - The handler after the task. Secret settings are masked as C(********#) followed by a fingerprint.
    - Empty after O(state=absent).
    - In check mode, a handler that would be created has RV(notification_handler.id=null).
  returned: success
  type: dict
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
      sample: On-call Slack
    type:
      description: The type of the handler.
      type: str
      returned: success
      sample: slack
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
      description: The settings of the handler, by API field name. Secret values are masked.
      type: dict
      returned: success
      sample: {"slack": "********#3f2a9c01b7de"}
"""

from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_state import run
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import TYPE_NAMES
from ansible_collections.dmpilot.cloud.plugins.module_utils._module import DmpilotModule, settings_argument_spec


def main():
    argument_spec = dict(
        name=dict(type="str"),
        id=dict(type="int"),
        type=dict(type="str", choices=list(TYPE_NAMES)),
        enabled=dict(type="bool", aliases=["is_enabled"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        update_strategy=dict(type="str", choices=["update", "recreate"], default="update"),
    )
    argument_spec.update(settings_argument_spec())
    module = DmpilotModule(argument_spec, required_one_of=[("name", "id")], supports_check_mode=True)
    run(module)


if __name__ == "__main__":
    main()
