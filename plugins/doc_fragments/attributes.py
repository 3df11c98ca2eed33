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
    description: Can run in check mode and return changed status prediction without modifying the target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that nothing else changed the handlers in between.
"""

    # For the modules that only read. Use it together with the DOCUMENTATION part.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This module only reads, so it runs the same in check mode.
  diff_mode:
    support: N/A
    details:
      - This module changes nothing.
  idempotent:
    support: full
"""

    # Every dmpilot.cloud module is in the action group of meta/runtime.yml.
    ACTION_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/dmpilot.cloud.dmpilot) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - dmpilot.cloud.dmpilot
"""
