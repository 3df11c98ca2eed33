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
      - The API documents in-place updates, but the published server code does not store them as sent. 66pusher 18
        ignores every update, and stores nothing. 66biolinks 67 empties the type and the settings of every handler it
        updates. A patched server stores them as sent. So V(auto) and V(update) test the server before the first
        in-place update of a task, without touching a real handler. The module creates a throwaway handler of its own,
        updates it, reads it back and deletes it, which costs four requests (the read-back is the whole list on a server
        without the list's search). The throwaway handler is of type
        V(internal_notification), which sends nothing, and its name is C(dmpilot.cloud update probe), a UTC time and a
        random token.
      - The outcome is shared with the later tasks of the same playbook run that use the same O(api_url) and O(api_key), for
        five minutes. It is kept in a file of the controller's temporary directory that holds no secret, so a run tests
        an account once. Where the run cannot be told (the modules run on a remote host, or not on Linux), each task
        tests for itself.
      - V(auto) and V(update) test the server only in a task that updates an existing handler. Every strategy tests it in a
        task that creates or replaces a disabled handler, because the API creates every handler enabled and disabling it
        takes an update. A task that changes nothing, only creates enabled handlers, or deletes handlers never tests, and
        check mode never tests.
      - A throwaway handler older than ten minutes, left by a run that was stopped, is deleted by a later test, which says
        so in a warning. Only a handler of type V(internal_notification) whose whole name has the form above counts as
        one. Any other handler is never touched, whatever its name.
      - If the server refuses the throwaway handler, for example because the account reached the handler limit of its
        plan, the task fails before changing anything. At that limit no strategy can change a handler, since each needs
        room for one more (the throwaway handler, or the replacement).
      - V(auto) updates the handler in place where the server stores updates as sent, and the handler keeps its id. Where
        it does not, V(auto) replaces the handler like V(recreate), and warns, naming the old and the new id and what the
        server does, because anything that refers to the handler by its id must learn the new one.
      - V(update) always updates in place. On a server that ignores or breaks updates, the task fails before writing to the
        handler, and says why.
      - V(recreate) always replaces a changed handler. It creates a new handler with the wanted values, checks it, then
        deletes the old one. The handler gets a new id.
      - On a server that ignores or breaks updates, a handler cannot be disabled through the API. With C(enabled=false),
        the task fails before writing to any handler and says so. Disable the handler in dmpilot's web interface, or leave
        C(enabled) unset.
      - A server that confirms email addresses puts the replacement of an email handler on confirmation again, and no
        alert reaches it until the owner of the address confirms it. So where V(auto) would replace an email handler
        whose address is confirmed, and the address stays the same, the task removes the replacement again, keeps the old
        handler, and fails, saying so. V(recreate) replaces it all the same, and warns that the address must be confirmed
        again.
    type: str
    choices: [auto, update, recreate]
    default: auto
"""
