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
  - Brings a list of notification handlers of the dmpilot service to their wanted state in one task.
  - Reads every handler with one request per 1,000, compares each item of O(handlers) the way
    M(dmpilot.cloud.dmpilot_notification_handler) does, writes only what differs, then verifies every write with one read.
author:
  - dmpilot.cloud developers (@dmpilot)
extends_documentation_fragment:
  - dmpilot.cloud.connection
  - dmpilot.cloud.attributes
  - dmpilot.cloud.attributes.action_group
  - dmpilot.cloud.handler_list
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options: {}
"""

EXAMPLES = r"""
- name: Converge the alert channels
  dmpilot.cloud.dmpilot_notification_handlers:
    api_key: "{{ vault_dmpilot_api_key }}"
    handlers:
      - name: Ops email
        type: email
        email: ops@example.com
"""

RETURN = r"""
notification_handlers:
  description: The handlers after the task.
  returned: success
  type: list
  elements: dict
"""

from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_list import run
from ansible_collections.dmpilot.cloud.plugins.module_utils._module import DmpilotModule, handler_list_argument_spec


def main():
    run(DmpilotModule(handler_list_argument_spec(), supports_check_mode=True))


if __name__ == "__main__":
    main()
