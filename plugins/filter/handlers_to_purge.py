# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: handlers_to_purge
short_description: Pick the notification handlers that a list of wanted handlers does not name
version_added: 0.1.0
author:
  - dmpilot.cloud developers (@dmpilot)
description:
  - Returns the current handlers whose name (or id) no present item of the wanted list names, as dictionaries
    with their C(id) and C(name). Items with C(state=absent) do not keep a handler.
positional: current
options:
  _input:
    description: The wanted handlers, each a dictionary of the options of M(dmpilot.cloud.dmpilot_notification_handler).
    type: list
    elements: dict
    required: true
  current:
    description: The RV(dmpilot.cloud.dmpilot_notification_handler_info#module:notification_handlers) of the same account.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Delete every handler that the list does not name
  dmpilot.cloud.dmpilot_notification_handler:
    api_key: "{{ vault_dmpilot_api_key }}"
    id: "{{ item.id }}"
    state: absent
  loop: "{{ wanted | dmpilot.cloud.handlers_to_purge(current.notification_handlers) }}"
  loop_control:
    label: "{{ item.name }}"
"""

RETURN = r"""
_value:
  description: The handlers to delete, in id order.
  type: list
  elements: dict
  contains:
    id:
      description: The id of the handler.
      type: int
    name:
      description: The name of the handler.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dmpilot.cloud.plugins.module_utils._convergence import handlers_to_purge as purge_list


def handlers_to_purge(wanted, current):
    if not isinstance(wanted, list) or not isinstance(current, list):
        raise AnsibleFilterError("handlers_to_purge: the input and current must be lists")
    return purge_list(wanted, current)


class FilterModule(object):
    def filters(self):
        return {"handlers_to_purge": handlers_to_purge}
