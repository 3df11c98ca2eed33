# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # What each attribute means. ansible-core merges each attribute of a module with the same attribute of its
    # fragments key by key, the module's keys winning, so a module states only its own support and details.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode, and predicts the changes without making them.
  diff_mode:
    description: Returns what has changed, or would change in check mode.
  idempotent:
    description: Run twice with the same arguments, the second run changes nothing.
"""

    # For the modules that only read. Use it together with the DOCUMENTATION part.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: N/A
  idempotent:
    support: full
"""

    # Every dmpilot.cloud module is in the action group of meta/runtime.yml.
    ACTION_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/dmpilot.cloud.dmpilot) in C(module_defaults).
    support: full
    membership:
      - dmpilot.cloud.dmpilot
"""
