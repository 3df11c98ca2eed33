# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: handlers_to_converge
short_description: Pick the notification handlers that need the module to run
version_added: 0.1.0
author:
  - dmpilot.cloud developers (@dmpilot)
description:
  - Compares a list of wanted notification handlers with the current ones, as
    M(dmpilot.cloud.dmpilot_notification_handler_info) returns them, and keeps only the items for which
    M(dmpilot.cloud.dmpilot_notification_handler) would change something or has something to report.
  - It uses the module's own comparison. Secrets are compared by their keyed fingerprints, so the current secrets
    never need to be revealed.
  - An item is kept whenever the answer is not certain, for example bad input, a name that several handlers share,
    or a handler that does not exist yet. The module then decides, and explains.
  - The C(dmpilot.cloud.notification_handlers) role uses it, so that a converged list costs one API request.
positional: current, api_key
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
  api_key:
    description: The API key the current handlers were read with. It keys the secrets' fingerprints.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read the current handlers
  dmpilot.cloud.dmpilot_notification_handler_info:
    api_key: "{{ vault_dmpilot_api_key }}"
  register: current

- name: Keep the wanted handlers that differ; no_log, since they carry secrets
  ansible.builtin.set_fact:
    changes: "{{ wanted | dmpilot.cloud.handlers_to_converge(current.notification_handlers, vault_dmpilot_api_key) }}"
  no_log: true

- name: Run the module for those only, looping over indexes so that no secret is printed as a loop item
  dmpilot.cloud.dmpilot_notification_handler:
    api_key: "{{ vault_dmpilot_api_key }}"
    name: "{{ changes[item].name }}"
    type: "{{ changes[item].type | default(omit) }}"
    email: "{{ changes[item].email | default(omit) }}"
  loop: "{{ range(changes | length) | list }}"
  loop_control:
    label: "{{ changes[item].name }}"
"""

RETURN = r"""
_value:
  description: The items of the input that need the module to run, in their order, with option aliases resolved.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dmpilot.cloud.plugins.module_utils._convergence import items_to_converge


def handlers_to_converge(wanted, current, api_key):
    if not isinstance(wanted, list) or not all(isinstance(item, dict) for item in wanted):
        raise AnsibleFilterError("handlers_to_converge: the input must be a list of dictionaries of module options")
    if not isinstance(current, list):
        raise AnsibleFilterError("handlers_to_converge: current must be the notification_handlers list of the info module")
    return items_to_converge(wanted, current, api_key)


class FilterModule(object):
    def filters(self):
        return {"handlers_to_converge": handlers_to_converge}
