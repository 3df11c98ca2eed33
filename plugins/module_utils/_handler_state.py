# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The runner of a task: find the handlers, plan their changes, have them written, and end the task in Ansible's terms.

HandlerState serves one task: it finds the current handlers (by id, or by exact name, waiting out a racing run's
duplicate), plans with _handler_plan.py and writes with _handler_writer.py. converge() ends the task with its result, or
with a failure that says what this run had written already. run() is the single module's task.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.dmpilot.cloud.plugins.module_utils._failures import Failure
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_identity import KnownHandlers
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_plan import (
    NOTHING_CHANGED,
    check_name_free,
    check_same_handler,
    no_such_id,
    plan_change,
    the_one_named,
)
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_writer import HandlerWriter
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_diff import handler_diff
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import masked_handler, wanted_handler
from ansible_collections.dmpilot.cloud.plugins.module_utils._module import error_details
from ansible_collections.dmpilot.cloud.plugins.module_utils._update_probe import ProbeCache

# A name found twice may be two racing runs' creates, a moment before the loser deletes its own: read again so often, so
# many seconds apart, before failing on a duplicate.
RACE_REREADS = 2
RACE_WAIT = 2.0
# Where the rate limit was met (jobs share the key, as in an AWX cluster), a racing run settles slower: read again so
# often, each wait twice the one before (2, 4, 8, 16, 32 seconds).
RACE_REREADS_UNDER_LOAD = 5


class HandlerState:
    """present() and absent() for handlers of one account, in check mode too, with a diff.

    One instance serves a whole run, so the update probe runs at most once however many handlers change.
    """

    def __init__(self, client, salt, check_mode=False, update_strategy="auto", clock=time.time, probe_cache=None, sleep=time.sleep):
        self.client = client
        self.salt = salt
        self.sleep = sleep
        self.known = KnownHandlers(client)
        self.writer = HandlerWriter(client, salt, self.known, check_mode, update_strategy, clock, probe_cache)

    @property
    def warnings(self):
        return self.writer.warnings

    @property
    def written(self):
        return self.writer.written

    @property
    def update_mode(self):
        return self.writer.updates.mode

    def updates_are_faithful(self):
        return self.writer.updates_are_faithful()

    def failure_details(self):
        return self.writer.failure_details()

    # Which handler.

    def find(self, handler_id=None, name=None, must_exist=False):
        """The current handler by id (one GET) or by exact name, or None."""
        if handler_id is not None:
            handler = self.client.get_handler(handler_id)
            if handler is None and must_exist:
                raise no_such_id(handler_id)
            self.known.saw([handler] if handler else [])
            return handler
        return the_one_named(name, self.read_until_settled(lambda: self.known.named(name), lambda found: [found]))

    def read_until_settled(self, read, groups):
        """read(), read again while it shows several handlers of one name that a racing run may be about to settle.

        Two runs that create the same handler at once both exist for a moment, until the one with the higher id deletes
        its own (rule 11). So a name found twice is read again, RACE_REREADS times, RACE_WAIT seconds apart, before the
        caller fails on it as a real duplicate. groups(found) gives the lists that must each hold one handler per name.
        """
        found = read()
        attempt = 0
        while any(duplicated(group) for group in groups(found)):
            under_load = self.client.rate_limited > 0
            if attempt >= (RACE_REREADS_UNDER_LOAD if under_load else RACE_REREADS):
                break
            self.sleep(RACE_WAIT * (2 ** attempt if under_load else 1))
            attempt += 1
            found = read()
        return found

    # What to write.

    def plan(self, wanted, current, state="present"):
        return self.writer.plan(wanted, current, state)

    def apply(self, changes, list_pages=None):
        return self.writer.apply(changes, list_pages)

    # The single module's states.

    def present(self, wanted, current):
        change = self.plan(wanted, current)
        if change.action == "update" and "name" in change.form:
            check_name_free(change, [handler for handler in self.known.named(change.expected["name"]) if handler["id"] != current["id"]])
        self.apply([change])
        return self.result(change)

    def absent(self, current):
        change = plan_change({}, current, self.salt, state="absent")
        self.apply([change])
        return self.result(change)

    def result(self, change):
        """The single module's result for one change: one diff, named as the list module names each of its diffs."""
        return dict(changed=bool(change.action) and not change.already_gone, notification_handler=masked_handler(change.stored, self.salt),
                    diff=handler_diff(change.current, change.stored, self.salt, absent={}))


def duplicated(handlers):
    return len(handlers) > 1


def converge(module, work):
    """End a module's task with work(state): its result, or a failure that says what this run had written already."""
    state = HandlerState(module.client, module.salt, module.check_mode, module.params["update_strategy"],
                         probe_cache=ProbeCache(module.client.api_url, module.params["api_key"]))
    try:
        result = work(state)
    except Failure as error:
        for warning in state.warnings:
            module.warn(warning)
        written, changed = state.failure_details()
        # A refusal says that nothing was changed; where this run had written already (a leftover probe it deleted, an
        # earlier item), the message says what instead.
        message = str(error).replace(NOTHING_CHANGED, "") if changed else str(error)
        module.fail_json(msg=message + written, changed=changed, **error_details(error))
    for warning in state.warnings:
        module.warn(warning)
    result["changed"] = result["changed"] or bool(state.written)
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


def run(module):
    """Run the handler module: validate, find, converge."""
    params = module.params

    def one_handler(state):
        # Validation comes first, so bad input fails before any request.
        wanted = wanted_handler(params["name"], params["type"], params["enabled"], module.settings_params())
        current = state.find(params["id"], wanted.get("name"), must_exist=params["state"] == "present")
        if params["state"] == "absent":
            check_same_handler(params["id"], wanted.get("name"), current)
            return state.absent(current)
        return state.present(wanted, current)

    converge(module, one_handler)
