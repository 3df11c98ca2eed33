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
  - Converges a list of dmpilot notification handlers (alert channels).
  - Reads them with one request per 1,000, and writes only what differs.
  - Reads back every write, and refuses what it can before the first write, see the guide's
    R(What is checked, ansible_collections.dmpilot.cloud.docsite.checks).
  - No two handlers may end with the same name, see the guide's
    R(Names, ansible_collections.dmpilot.cloud.docsite.names).
  - With O(purge=true), also deletes every handler that no item names.
  - A failure after a write says what was written.
author:
  - dmpilot.cloud developers (@dmpilot)
extends_documentation_fragment:
  - dmpilot.cloud.connection
  - dmpilot.cloud.handler_list
  - dmpilot.cloud.update_strategy
  - dmpilot.cloud.attributes
  - dmpilot.cloud.attributes.action_group
attributes:
  check_mode:
    support: full
    details: Only reads, and warns where the update test decides, see
      R(Dry runs, ansible_collections.dmpilot.cloud.docsite.check_mode).
  diff_mode:
    support: full
  idempotent:
    support: full
options: {}
seealso:
  - name: The dmpilot.cloud guide
    description: How the modules work on each server version.
    link: https://github.com/dmpilot/dmpilot.cloud/blob/main/docs/docsite/rst/notification_handlers_guide.rst
"""

EXAMPLES = r"""
- name: Converge these handlers, and leave every other handler alone
  dmpilot.cloud.dmpilot_notification_handlers:
    api_key: "{{ vault_dmpilot_api_key }}"
    handlers:
      - name: Ops email
        type: email
        email: ops@example.com
      - name: On-call Slack
        type: slack
        slack: "{{ vault_slack_webhook_url }}"
      - name: Old webhook
        state: absent

- name: Preview a purge, which would delete every handler but Ops email
  dmpilot.cloud.dmpilot_notification_handlers:
    api_key: "{{ vault_dmpilot_api_key }}"
    handlers:
      - name: Ops email
    purge: true
  check_mode: true
  diff: true
"""

RETURN = r"""
notification_handlers:
  description:
    - Every handler after the task, in id order, as
      RV(dmpilot.cloud.dmpilot_notification_handler#module:notification_handler).
  returned: success
  type: list
  elements: dict
created:
  description: The handlers created, with V(id) and V(name). In check mode, with a null id.
  returned: success
  type: list
  sample: [{"id": 51, "name": "On-call Slack"}]
updated:
  description: The handlers updated in place, with V(id) and V(name). In check mode, also those that a real run may
    replace.
  returned: success
  type: list
  sample: [{"id": 42, "name": "Ops email"}]
replaced:
  description: The handlers replaced by a new one, with V(old_id), V(id) and V(name). In check mode, only under
    V(recreate).
  returned: success
  type: list
  sample: [{"old_id": 40, "id": 52, "name": "Ops webhook"}]
deleted:
  description: The handlers deleted, with V(id) and V(name). In check mode, those that would be.
  returned: success
  type: list
  sample: [{"id": 17, "name": "Old webhook"}]
already_gone:
  description: The handlers to delete that someone else deleted first, with V(id) and V(name).
  returned: success
  type: list
"""

from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_list import run
from ansible_collections.dmpilot.cloud.plugins.module_utils._module import DmpilotModule, handler_list_argument_spec


def main():
    module = DmpilotModule(handler_list_argument_spec(), supports_check_mode=True)
    run(module)


if __name__ == "__main__":
    main()
