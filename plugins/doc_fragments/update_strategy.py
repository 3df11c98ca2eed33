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
      - How to apply a change to an existing handler.
      - The API documents in-place updates, but the published server code stores type C(null) and empty settings on
        every update. V(auto) and V(update) find out which kind of server they talk to before the first in-place update
        of a task, without touching a real handler. The module creates a throwaway handler of its own, updates it, reads it
        back and deletes it. That probe costs four requests, once per task however many handlers change. The throwaway
        handler is of type V(internal_notification), which sends nothing, and its name starts with
        C(dmpilot.cloud update probe).
      - Only a task that updates an existing handler, or creates a disabled one, probes. A task that changes nothing, or
        only creates enabled handlers or deletes handlers, never probes, and check mode never probes.
      - A probe handler left by a run that was killed is removed by a later probe. If the server refuses to create the
        probe handler, for example because the account reached the handler limit of its plan, the task fails before
        changing anything, and says which O(update_strategy) to set.
      - V(auto) updates the handler in place where the server stores updates faithfully, and the handler keeps its id.
        Where it does not, V(auto) replaces the handler like V(recreate), and warns, naming the old and the new id,
        because anything that refers to the handler by its id must learn the new one.
      - V(update) always updates in place. On a server found to mangle updates, the task fails before writing to the
        handler, and says why.
      - V(recreate) always replaces a changed handler. It creates a new handler with the wanted values, checks it, then
        deletes the old one. The handler gets a new id. It probes only for a disabled handler (see below).
      - The API creates every handler enabled, so a disabled handler is created, then disabled with an update; with any
        O(update_strategy), that takes a probe first. On a server that mangles updates, a disabled handler can therefore
        be neither created nor replaced, and the task fails before writing.
    type: str
    choices: [auto, update, recreate]
    default: auto
"""
