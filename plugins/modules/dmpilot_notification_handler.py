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
  - Manages one notification handler of the dmpilot service, the channel an alert goes to. O(type) lists the types.
  - The handler is found by O(id), or else by its exact O(name).
  - Options left out are not managed. An update sends only the fields that differ.
  - After every write the module reads the handler back, and fails when the server did not store what was asked for.
  - Two runs that create the same handler at the same time may both create it. So after a create, the module looks for
    another handler with the same name and a lower id that did not exist when it read the account. If there is one, it
    deletes the handler it created and converges that one instead, which it returns. The lowest id wins, and the racing
    runs end with one handler. A handler that existed before the task wrote is never taken for a racing run's, nor is a
    handler chosen by O(id). Where a name is found twice, the task reads again twice, two seconds apart, before it fails
    on the duplicate, since a racing run may be about to delete its own.
  - A name is the user's exact words. The server stores C(') and C(") as the entities C(&#39;) and C(&#34;), and a quote
    and its entity are the same character to the module, so C(Équipe d'astreinte) is created once, found by every later
    run, and shown with its quote. A name that the server would store as another name (with a C(<), or blanks at its ends) is refused before
    it is sent. A setting that the server would store changed, such as C(o'brien@example.com), is refused before any
    request, since the channel would not work.
  - The server keeps an email handler enabled until the owner of the address confirms it
    (RV(notification_handler.pending_confirmation=true)), so such a handler cannot be disabled. With O(enabled=false),
    the task fails, and explains that the owner must confirm the address first.
author:
  - dmpilot.cloud developers (@dmpilot)
extends_documentation_fragment:
  - dmpilot.cloud.connection
  - dmpilot.cloud.connection.module
  - dmpilot.cloud.handler_type
  - dmpilot.cloud.handler_settings
  - dmpilot.cloud.update_strategy
  - dmpilot.cloud.attributes
  - dmpilot.cloud.attributes.action_group
attributes:
  check_mode:
    support: full
    details:
      - Check mode sends no write request, so it never tests how the server applies updates (see O(update_strategy)). Where
        the outcome depends on that, and no earlier task of the playbook run has tested the same account, it cannot know
        what the real run will do (update the handler in place, replace it with a new id, or, for a disabled handler, fail).
        It then warns, naming the handler, and predicts an update in place (V(auto), V(update)) or a replacement
        (V(recreate)). Where an earlier task has tested the account, check mode predicts from that, and fails where the
        real run would.
      - Whether a server puts a new email address on confirmation is not known without writing, so check mode predicts
        RV(notification_handler.pending_confirmation=null) for a new email handler, or one whose address changes.
  diff_mode:
    support: full
    details:
      - The diff shows the name, type, enabled status and each setting. Secret settings show as a mask and a fingerprint.
  idempotent:
    support: full
    details:
      - Values are compared as the server stores them. Surrounding blanks are trimmed like the server does.
      - With O(update_strategy=recreate), and with O(update_strategy=auto) on a server that mangles updates, a change replaces
        the handler, so its O(id) changes. A task that finds the handler by O(id) must then be given the new one.
options:
  name:
    description:
      - The name of the handler, compared exactly (a quote and its entity C(&#39;) or C(&#34;) are the same character).
        A name with C(<), a NUL or blanks at its ends is refused where it would be sent, since the server would store another name.
      - Without O(id), the handler is found by this name. If several handlers share it, the task fails and lists their ids.
      - With O(id), this is the wanted name, so a handler can be renamed. A new name that another handler has is refused.
      - At most 128 characters as the server stores it.
      - With O(state=absent) and O(id), the handler with that id is deleted only if it has this name.
    type: str
  id:
    description:
      - The id of the handler to manage, read with one request.
      - The module never creates a handler for an O(id). If it does not exist, the task fails (O(state=present)) or
        reports no change (O(state=absent)).
    type: int
  enabled:
    description:
      - Whether the handler sends alerts. Left out, a new handler is enabled and an existing one keeps its status.
      - An email handler waiting for its owner to confirm the address counts as enabled, and cannot be disabled.
    type: bool
    aliases: [is_enabled]
  state:
    description:
      - V(present) creates or updates the handler, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: dmpilot.cloud.dmpilot_notification_handlers
    description: Converges a list of handlers in one task, with one request per 1,000 handlers when nothing changes.
  - module: dmpilot.cloud.dmpilot_notification_handler_info
  - name: The dmpilot.cloud guide to managing notification handlers
    description: Connection, the list module and the role, adopting an account, safe writes, troubleshooting.
    link: https://github.com/dmpilot/dmpilot.cloud/blob/main/docs/docsite/rst/notification_handlers_guide.rst
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

    - name: Post to a Telegram group
      dmpilot.cloud.dmpilot_notification_handler:
        name: Ops Telegram
        type: telegram
        telegram_bot_token: "{{ vault_telegram_token }}"
        telegram_chat_id: "-1001234567890"

- name: Rename a handler by its id
  dmpilot.cloud.dmpilot_notification_handler:
    api_key: "{{ vault_dmpilot_api_key }}"
    id: 42
    name: Ops email (old)

- name: Update in place on a server known to store updates faithfully (a patched server); never replace the handler
  dmpilot.cloud.dmpilot_notification_handler:
    api_key: "{{ vault_dmpilot_api_key }}"
    name: Ops webhook
    type: webhook
    webhook: "{{ vault_webhook_url }}"
    update_strategy: update

- name: Always replace the handler on a change, without probing the server
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
    # BEGIN the fields of a handler, generated by tools/render_docs.py: edit them there, then run make docs.
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
      description: The type of the handler, one of the choices of O(type).
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
    # END the fields of a handler, generated by tools/render_docs.py.
"""

from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_state import run
from ansible_collections.dmpilot.cloud.plugins.module_utils._module import DmpilotModule, handler_argument_spec


def main():
    module = DmpilotModule(handler_argument_spec(), required_one_of=[("name", "id")], supports_check_mode=True)
    run(module)


if __name__ == "__main__":
    main()
