#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dmpilot_notification_handlers
short_description: Converge a list of dmpilot notification handlers
version_added: 0.2.0
description:
  - Brings a list of notification handlers of the dmpilot service to their wanted state in one task and one process.
    Each item of O(handlers) takes the options of M(dmpilot.cloud.dmpilot_notification_handler), and is compared with the
    same code.
  - The task reads every handler once, with one request per 1,000 handlers. A list of more than 1,000 handlers is read
    twice, and a handler counts where either read saw it, since another client that creates one handler and deletes another
    meanwhile shifts the pages without changing their total. A list that is already converged costs that read and
    nothing more.
  - It writes only what differs. An update sends only the fields that differ, and options left out of an item are not
    managed. Every check that can refuse a write (bad items, ambiguous names, missing ids, the update probe of
    O(update_strategy)) runs before the first write. Creates and updates come first, deletes last.
  - One read verifies every write. It is the whole list again, or a read of each written handler where that costs fewer
    requests. When the server did not store what was asked for, the task fails and names the fields, and a handler
    that it created is deleted again, so that no half-made handler is left.
  - The safe-write rules of M(dmpilot.cloud.dmpilot_notification_handler) hold for every item. A change goes in place
    only on a server that the update probe found to store updates faithfully. Otherwise the handler is replaced, and the
    task warns, naming the old and the new id (see O(update_strategy)). When two runs create a handler with the same name
    at the same time, the lowest id wins and the other run deletes its own; a handler that existed before the task wrote,
    or that an item names by O(handlers[].id), is never taken for a racing run's. The list is read in id order, a handler
    seen twice counts once, and a list that changed while it was read is read again.
  - No handler may end the task with a name that another handler has. Two items that end with the same name, unless both
    name their handler by O(handlers[].id), are refused before any request. A rename or a create that would give a
    handler the name of another is refused before any write, naming both.
  - Names are compared exactly, a quote and its entity (C(&#39;), C(&#34;)) being the same character; a name that the
    server would store as another name (with a C(<), or blanks at its ends) is refused before it is sent. A setting that
    the server would store changed, such as an address with a quote, is refused before any request.
  - Where a replaced handler cannot be deleted, the task still makes the other deletes, then fails, naming every
    handler that is now there twice.
  - With O(purge=true), the task also deletes every handler that no item names. That includes the handlers that other
    tasks, roles or people manage in the same account.
  - When the task fails after it has written, its message says what it had already created, updated or deleted, and it
    reports C(changed=true).
  - The server keeps an email handler enabled until the owner of the address confirms it
    (RV(notification_handlers[].pending_confirmation=true)), so such a handler cannot be disabled. An item with
    O(handlers[].enabled=false) for it makes the task fail before it writes anything.
author:
  - dmpilot.cloud developers (@dmpilot)
extends_documentation_fragment:
  - dmpilot.cloud.connection
  - dmpilot.cloud.connection.module
  - dmpilot.cloud.handler_list
  - dmpilot.cloud.update_strategy
  - dmpilot.cloud.attributes
  - dmpilot.cloud.attributes.action_group
attributes:
  check_mode:
    support: full
    details:
      - Check mode sends only the list read, one request per 1,000 handlers (twice that where there is more than one page). A
        handler that would be created has RV(notification_handlers[].id=null).
      - Check mode never tests how the server applies updates (see O(update_strategy)). Where the outcome of a change
        depends on that, and no earlier task of the playbook run has tested the same account, it cannot know what the
        real run will do (update the handler in place, replace it with a new id, or, for a disabled handler, fail). It
        then warns, naming the handlers, and shows an update in place with the current id (V(auto), V(update)) or a
        replacement with a null new id (V(recreate)). Where an earlier task has tested the account, check mode predicts
        from that, and fails where the real run would.
      - Whether a server puts a new email address on confirmation is not known without writing, so check mode predicts
        RV(notification_handlers[].pending_confirmation=null) for a new email handler, or one whose address changes.
  diff_mode:
    support: full
    details:
      - The diff shows each handler that changes, before and after. Its keys are the name and the id of each handler, such
        as V(Ops email (id 42\)), or the name and V((new\)) for a handler that check mode would create. Each value shows the
        name, type, enabled status and settings. Secret settings show as a mask and a fingerprint.
  idempotent:
    support: full
    details:
      - Values are compared as the server stores them. Surrounding blanks are trimmed like the server does.
      - A secret given in its masked form keeps the stored value, so a list exported by
        M(dmpilot.cloud.dmpilot_notification_handler_info) changes nothing when it is given back.
      - With O(update_strategy=recreate), and with O(update_strategy=auto) on a server that mangles updates, a change replaces
        the handler, so its id changes. An item that names the handler by O(handlers[].id) must then be given the new one.
options: {}
notes:
  - The whole list is converged by one module process on the host that runs it. In plays over many hosts, run the task
    once, with C(delegate_to=localhost) and C(run_once=true). Under the C(free) strategy, which ignores C(run_once), add
    C(throttle=1) as the role P(dmpilot.cloud.notification_handlers#role) does. The hosts then run the task one after
    another, and only the first one changes anything.
seealso:
  - module: dmpilot.cloud.dmpilot_notification_handler
    description: Manages one handler.
  - module: dmpilot.cloud.dmpilot_notification_handler_info
    description: Lists handlers, and exports them in the form of O(handlers) as RV(dmpilot.cloud.dmpilot_notification_handler_info#module:declaration).
  - name: The dmpilot.cloud guide to managing notification handlers
    description: Connection, the list module and the role, adopting an account, safe writes, troubleshooting.
    link: https://github.com/dmpilot/dmpilot.cloud/blob/main/docs/docsite/rst/notification_handlers_guide.rst
"""

EXAMPLES = r"""
- name: Converge the alert channels, with the connection set once for the play
  module_defaults:
    group/dmpilot.cloud.dmpilot:
      api_key: "{{ vault_dmpilot_api_key }}"
  block:
    - name: Create or update these handlers, and leave every other handler alone
      dmpilot.cloud.dmpilot_notification_handlers:
        handlers:
          - name: Ops email
            type: email
            email: ops@example.com
          - name: On-call Slack
            type: slack
            slack: "{{ vault_slack_webhook_url }}"
          - name: Ops Telegram
            type: telegram
            telegram_bot_token: "{{ vault_telegram_token }}"
            telegram_chat_id: "-1001234567890"
          - name: Old webhook
            state: absent
      register: dmpilot

    - name: Show what changed
      ansible.builtin.debug:
        msg: "created {{ dmpilot.created }}, updated {{ dmpilot.updated }}, replaced {{ dmpilot.replaced }}, deleted {{ dmpilot.deleted }}"

# Adopting an existing account: export its handlers once, keep them in a vars file, and manage that file from then on.
# Secrets are exported masked (********#fingerprint), and a masked secret keeps the stored value, so the file holds no
# secret and the first run changes nothing. Replace a masked value with the (vaulted) secret itself to change it.
- name: Export the handlers of the account
  dmpilot.cloud.dmpilot_notification_handler_info:
    api_key: "{{ vault_dmpilot_api_key }}"
  register: dmpilot_export

- name: Make the directory of the vars file
  ansible.builtin.file:
    path: "{{ playbook_dir }}/vars"
    state: directory
    mode: "0755"
  delegate_to: localhost

- name: Write them to a vars file
  ansible.builtin.copy:
    content: "{{ {'notification_handlers': dmpilot_export.declaration} | to_nice_yaml(indent=2, sort_keys=false) }}"
    dest: "{{ playbook_dir }}/vars/notification_handlers.yml"
    mode: "0644"
  delegate_to: localhost

# From then on, the vars file declares the account: load it (or name it in a later play's vars_files), then manage it.
- name: Load the exported handlers
  ansible.builtin.include_vars:
    file: "{{ playbook_dir }}/vars/notification_handlers.yml"

- name: Manage the exported handlers
  dmpilot.cloud.dmpilot_notification_handlers:
    api_key: "{{ vault_dmpilot_api_key }}"
    handlers: "{{ notification_handlers }}"

# Preview: only the list is read, and the diff shows each handler that would change, secrets masked.
# The same from the command line: ansible-playbook site.yml --check --diff
- name: Show what purging would do
  dmpilot.cloud.dmpilot_notification_handlers:
    api_key: "{{ vault_dmpilot_api_key }}"
    purge: true
    handlers: "{{ notification_handlers }}"
  check_mode: true
  diff: true
  register: preview

- name: List the handlers that the purge would delete
  ansible.builtin.debug:
    msg: "{{ preview.deleted | map(attribute='name') | list }}"

# purge deletes every handler of the account that the list does not name, including the handlers that other tasks
# and roles manage: use it only where this list is the whole account.
- name: Make the account hold exactly these handlers
  dmpilot.cloud.dmpilot_notification_handlers:
    api_key: "{{ vault_dmpilot_api_key }}"
    purge: true
    handlers: "{{ notification_handlers }}"

- name: Delete every handler of the account
  dmpilot.cloud.dmpilot_notification_handlers:
    api_key: "{{ vault_dmpilot_api_key }}"
    handlers: []
    purge: true
    delete_all_handlers: true  # without it, purge with no present item fails before any request
"""

RETURN = r"""
notification_handlers:
  description:
    - Every handler of the account after the task, in id order. Secret settings are masked as C(********#) followed by a
      fingerprint.
    - In check mode, the handlers as the task predicts them. A handler that would be created has
      RV(notification_handlers[].id=null), and comes last.
  returned: success
  type: list
  elements: dict
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
      description: The type of the handler, one of the choices of O(handlers[].type).
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
created:
  description:
    - The handlers that the task created, in the order of O(handlers). In check mode, those it would create, with
      RV(created[].id=null).
  returned: success
  type: list
  elements: dict
  sample: [{"id": 51, "name": "On-call Slack"}]
  contains:
    id:
      description: The id of the new handler.
      type: int
      returned: success
    name:
      description: The name of the handler.
      type: str
      returned: success
updated:
  description:
    - The handlers that the task updated in place, which keep their id.
    - In check mode, every existing handler that would change, including those that the real run may replace (see
      O(update_strategy)).
  returned: success
  type: list
  elements: dict
  sample: [{"id": 42, "name": "Ops email"}]
  contains:
    id:
      description: The id of the handler.
      type: int
      returned: success
    name:
      description: The name of the handler after the task.
      type: str
      returned: success
replaced:
  description:
    - The handlers that the task replaced with a new one, because of O(update_strategy). Anything that refers to such a
      handler by its id must use the new one. The task also warns about each of them, unless O(update_strategy=recreate).
    - In check mode, which does not probe the server, only the handlers that O(update_strategy=recreate) replaces, with
      a null RV(replaced[].id); with O(update_strategy=auto) a handler that the real run may replace shows as updated.
  returned: success
  type: list
  elements: dict
  sample: [{"old_id": 40, "id": 52, "name": "Ops webhook"}]
  contains:
    old_id:
      description: The id of the handler that was deleted.
      type: int
      returned: success
    id:
      description: The id of the handler that replaces it.
      type: int
      returned: success
    name:
      description: The name of the handler.
      type: str
      returned: success
already_gone:
  description:
    - The handlers that the task was to delete, but that were gone when it sent the delete (someone else deleted them
      meanwhile). They are not in RV(deleted), which lists only what this task deleted.
  returned: success
  type: list
  elements: dict
  sample: []
  contains:
    id:
      description: The id of the handler.
      type: int
      returned: success
    name:
      description: The name of the handler.
      type: str
      returned: success
deleted:
  description:
    - The handlers that the task deleted, by an item with O(handlers[].state=absent) or by O(purge=true). In check mode,
      those it would delete.
  returned: success
  type: list
  elements: dict
  sample: [{"id": 17, "name": "Old webhook"}]
  contains:
    id:
      description: The id of the deleted handler.
      type: int
      returned: success
    name:
      description: The name of the deleted handler.
      type: str
      returned: success
"""

from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_list import run
from ansible_collections.dmpilot.cloud.plugins.module_utils._module import DmpilotModule, handler_list_argument_spec


def main():
    run(DmpilotModule(handler_list_argument_spec(), supports_check_mode=True))


if __name__ == "__main__":
    main()
