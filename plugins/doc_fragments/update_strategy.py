# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The update_strategy option of the modules that write: dmpilot_notification_handler and dmpilot_notification_handlers.
    # Its choices and default are UPDATE_STRATEGIES and handler_argument_spec() in plugins/module_utils/_module.py.
    DOCUMENTATION = r"""
options:
  update_strategy:
    description:
      - How to apply a change to an existing handler, see
        R(Updates and the update test, ansible_collections.dmpilot.cloud.docsite.update_test).
    type: str
    choices:
      auto: Update in place where the server stores updates as sent, else replace.
      update: Always update in place, or fail where the server cannot.
      recreate: Always replace the handler, which gets a new id.
    default: auto
"""
