# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bring notification handlers to their wanted state: find, compare, write only what differs, verify.

The safe-write rules (docs/dev/api-behaviour.md) live here, once, for every module:
- Before the first in-place update of a run, a throwaway handler learns whether the server stores updates
  faithfully (rule 13). Where it does not, a handler is replaced (create, verify, delete the old) or the task fails
  before writing.
- Every write is read back; a handler this run half-made is deleted again.
- After a create, the lowest id with that name wins (rule 11): a racing run deletes its own, higher id.
- A failure after a write says what was written, and reports changed.
Check mode writes nothing, not even the throwaway handler: it predicts from what it read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import calendar
import os
import re
import time

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import DmpilotError
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import (
    InvalidHandler,
    changed_fields,
    check_creatable,
    create_form,
    diff_view,
    differences,
    masked_handler,
    merged_handler,
    wanted_handler,
)
from ansible_collections.dmpilot.cloud.plugins.module_utils._module import error_details

# The throwaway handler of the update probe: a type that sends nothing and mails nobody, and a name that says what it is.
PROBE_PREFIX = "dmpilot.cloud update probe"
PROBE_TYPE = "internal_notification"
PROBE_STAMP = "%Y%m%dT%H%M%SZ"
PROBE_NAME = re.compile(r"^%s (\d{8}T\d{6}Z)\b" % re.escape(PROBE_PREFIX))
# A probe older than this was left behind by a killed run (a live probe lasts seconds); a later probe removes it.
PROBE_LEFTOVER_AGE = 600

MANGLED_UPDATES = ("this dmpilot server mangles updates: a test update of a throwaway handler was stored with type %r instead of "
                   "%r (the bug of the published server code, which empties the type and the settings of every updated handler)")


class HandlerStateFailure(Exception):
    """The task must fail with this message; nothing more needs saying."""


class HandlerState:
    """present() and absent() for handlers of one account, in check mode too, with a diff.

    One instance serves a whole run, so the update probe runs at most once however many handlers change.
    """

    def __init__(self, client, salt, check_mode=False, update_strategy="auto", clock=time.time):
        self.client = client
        self.salt = salt
        self.check_mode = check_mode
        self.update_strategy = update_strategy
        self.clock = clock
        self.faithful_updates = None  # None until the probe has run
        self.mangled = None  # what the probe saw, in words, where updates are mangled
        self.written = []  # what this run changed on the server, in order, for the message of a later failure
        self.warnings = []

    # Which handler.

    def find(self, handler_id=None, name=None, must_exist=False):
        """The current handler by id (one GET) or by exact name, or None."""
        if handler_id is not None:
            handler = self.client.get_handler(handler_id)
            if handler is None and must_exist:
                raise HandlerStateFailure("id: no notification handler %d exists for this API key. The module never creates a "
                                          "handler for an id; remove id to create one by name." % handler_id)
            return handler
        matches = self.client.find_by_name(name)
        if len(matches) > 1:
            raise HandlerStateFailure("name: %d notification handlers are named %r (ids %s). Set id to the one to manage, "
                                      "and remove or rename the others." % (len(matches), name, ", ".join(str(h["id"]) for h in matches)))
        return matches[0] if matches else None

    # The states.

    def present(self, wanted, current):
        if current is None:
            check_creatable(wanted)
            return self.create(wanted)
        form = changed_fields(wanted, current)
        if not form:
            return self.result(False, current, current)
        expected = merged_handler(wanted, current)
        check_can_disable(expected, current)
        if self.check_mode:
            return self.result(True, current, dict(expected, id=current["id"], pending_confirmation=current["pending_confirmation"]))
        if self.replaces(current):
            return self.replace(wanted, expected, current)
        self.update(current["id"], form)
        return self.result(True, current, self.verified(current["id"], self.client.get_handler(current["id"]), expected, "updated"))

    def absent(self, current):
        if current is not None and not self.check_mode:
            self.delete(current["id"], current["name"])
        return dict(changed=current is not None, notification_handler={},
                    diff=dict(before=diff_view(current, self.salt), after={}))

    # How a change is written.

    def replaces(self, current):
        """Whether a change to current replaces it (True) or updates it in place (False); fails where neither is safe."""
        if self.update_strategy == "recreate":
            return True
        if self.updates_are_faithful():
            return False
        if self.update_strategy == "update":
            raise HandlerStateFailure("update_strategy=update, but %s. Updating notification handler %d (%r) would break it, so nothing "
                                      "was sent to it. Set update_strategy: auto (or recreate) to replace it with a new handler instead."
                                      % (self.mangled, current["id"], current["name"]))
        return True

    def check_can_create_disabled(self, expected):
        """The API creates every handler enabled, so a disabled one takes an update, which must be safe to send."""
        if expected["enabled"] or self.update_strategy == "recreate" or self.updates_are_faithful():
            return
        raise HandlerStateFailure("enabled: %r cannot be made disabled on this server. The API ignores is_enabled on create, so a "
                                  "disabled handler is created and then updated, and %s. Nothing was changed. Leave enabled out "
                                  "(or true), or delete the handler with state: absent." % (expected["name"], self.mangled))

    def create(self, wanted):
        expected = merged_handler(wanted)
        if self.check_mode:
            return self.result(True, None, dict(expected, id=None, pending_confirmation=False))
        self.check_can_create_disabled(expected)
        new_id = self.create_as(expected)
        stored, winner = self.settled(new_id, expected, "created")
        if winner is not None:
            return self.yield_to(winner, wanted, new_id, None)
        return self.result(True, None, stored)

    def replace(self, wanted, expected, current):
        """Create the new handler first, and delete the old one only once the new one is verified."""
        self.check_can_create_disabled(expected)
        new_id = self.create_as(expected)
        stored, winner = self.settled(new_id, expected, "created to replace handler %d" % current["id"], predecessor=current["id"])
        if winner is not None:
            return self.yield_to(winner, wanted, new_id, current)
        try:
            self.delete(current["id"], current["name"], gone_ok=True)
        except DmpilotError as error:
            raise HandlerStateFailure("Notification handler %d was created to replace handler %d (%r), but deleting handler %d failed: %s "
                                      "Both exist now. Delete handler %d (id: %d, state: absent), then run the task again."
                                      % (new_id, current["id"], current["name"], current["id"], error, current["id"], current["id"]))
        if self.update_strategy != "recreate":
            self.warnings.append("Notification handler %r was replaced, because this server cannot update a handler in place without "
                                 "breaking it: its id changed from %d to %d. Anything that refers to it by id must use %d."
                                 % (stored["name"], current["id"], new_id, new_id))
        return self.result(True, current, stored)

    def yield_to(self, winner, wanted, own_id, predecessor):
        """Another run created the same handler at the same time, with a lower id: delete ours and converge theirs."""
        self.delete(own_id, winner["name"])
        self.warnings.append("Notification handler %r was created at the same time by this run (id %d) and by another one (id %d). "
                             "The lowest id wins: this run deleted handler %d and manages handler %d."
                             % (winner["name"], own_id, winner["id"], own_id, winner["id"]))
        if predecessor is not None:
            self.delete(predecessor["id"], predecessor["name"], gone_ok=True)
        result = self.present(wanted, winner)
        result.update(changed=True)
        result["diff"]["before"] = diff_view(predecessor, self.salt)
        return result

    def settled(self, new_id, expected, done, predecessor=None):
        """The created handler read back, and the handler of the same name with the lowest id, if that is not this one.

        One search by name serves both: it holds the new handler and any rival a racing run created.
        """
        named = self.client.find_by_name(expected["name"])
        stored = next((handler for handler in named if handler["id"] == new_id), None)
        if stored is None:
            stored = self.client.get_handler(new_id)
        stored = self.verified_or_removed(new_id, stored, expected, done)
        rivals = [handler for handler in named if handler["id"] < new_id and handler["id"] != predecessor]
        return stored, (min(rivals, key=lambda handler: handler["id"]) if rivals else None)

    def create_as(self, expected):
        """Create a handler. The API ignores is_enabled on create, so a disabled one is created, then disabled."""
        handler_id = self.client.create_handler(create_form(expected))
        self.written.append("created handler %d (%r)" % (handler_id, expected["name"]))
        if not expected["enabled"]:
            disable = {"is_enabled": False}
            if "email" in expected["settings"]:
                # Without its address, an email update restarts the confirmation and re-enables the handler (rule 8).
                disable["email"] = expected["settings"]["email"]
            self.update(handler_id, disable)
        return handler_id

    def update(self, handler_id, form):
        self.client.update_handler(handler_id, form)
        self.written.append("updated handler %d" % handler_id)

    def delete(self, handler_id, name, gone_ok=False):
        try:
            self.client.delete_handler(handler_id)
        except DmpilotError as error:
            if gone_ok and error.status == 404:
                return
            raise
        self.written.append("deleted handler %d (%r)" % (handler_id, name))

    # Reading back.

    def verified_or_removed(self, new_id, stored, expected, done):
        """A handler this run created is deleted again when it is not what was asked for: no half-made handler is left."""
        try:
            return self.verified(new_id, stored, expected, done)
        except HandlerStateFailure as failure:
            try:
                self.delete(new_id, expected["name"], gone_ok=True)
            except DmpilotError as error:
                raise HandlerStateFailure("%s Deleting it again failed too (%s): delete handler %d yourself." % (failure, error, new_id))
            raise HandlerStateFailure("%s It was deleted again." % failure)

    def verified(self, handler_id, stored, expected, done):
        """Fail, naming the fields, when the server stored something else than what was asked for."""
        if stored is None:
            raise HandlerStateFailure("Notification handler %d was %s, but reading it back answered 404: it was deleted meanwhile, "
                                      "by another run or by hand." % (handler_id, done))
        mismatched = differences(expected, stored)
        if mismatched == ["enabled"] and stored["pending_confirmation"] and not expected["enabled"]:
            raise HandlerStateFailure("Notification handler %d was %s, but the server kept it enabled: it is an email handler whose owner "
                                      "has not confirmed the address yet, and the server restarts the confirmation on every update of "
                                      "such a handler (rule 8). Ask the owner of the address to confirm it, then run the task again."
                                      % (handler_id, done))
        if mismatched:
            raise HandlerStateFailure("Notification handler %d was %s, but the server did not store what was asked for: %s."
                                      % (handler_id, done, ", ".join(mismatched)))
        return stored

    # The update probe.

    def updates_are_faithful(self):
        """Whether this server stores updates as sent; learnt once per run, on a throwaway handler, never on a real one."""
        if self.faithful_updates is None:
            self.faithful_updates, self.mangled = UpdateProbe(self.client, self.clock, self.warnings).run()
        return self.faithful_updates

    def result(self, changed, before, after):
        returned = masked_handler(after, self.salt)
        return dict(changed=changed, notification_handler=returned,
                    diff=dict(before=diff_view(before, self.salt), after=diff_view(after, self.salt)))

    def failure_details(self):
        """What a failure must add once this run has written: changed, and what was written."""
        if not self.written:
            return "", False
        return " Before this failure, the task %s." % ", then ".join(self.written), True


class UpdateProbe:
    """Create a throwaway handler, update it, read it back, delete it; remove the probes that killed runs left behind."""

    def __init__(self, client, clock, warnings):
        self.client = client
        self.clock = clock
        self.warnings = warnings

    def run(self):
        """(True, None) where updates are stored as sent, else (False, what went wrong in words)."""
        name = "%s %s %s" % (PROBE_PREFIX, time.strftime(PROBE_STAMP, time.gmtime(self.clock())),
                             binascii.hexlify(os.urandom(4)).decode("ascii"))
        try:
            probe_id = self.client.create_handler({"name": name, "type": PROBE_TYPE})
        except DmpilotError as error:
            raise HandlerStateFailure(
                "Could not learn whether this dmpilot server updates handlers safely: creating a throwaway %s handler to test it "
                "failed: %s Nothing was changed. If your plan's limit of handlers is reached, delete one handler; if the server "
                "is known to store updates correctly, set update_strategy: update; otherwise set update_strategy: recreate "
                "(it replaces a changed handler, which also needs room for one more)." % (PROBE_TYPE, error))
        probes = []
        try:
            updated_name = name + " (updated)"
            self.client.update_handler(probe_id, {"name": updated_name})
            # One search reads the probe back and finds the ones killed runs left.
            probes = self.client.find_by_name_prefix(PROBE_PREFIX)
            stored = next((handler for handler in probes if handler["id"] == probe_id), None) or self.client.get_handler(probe_id)
        except DmpilotError as error:
            self.remove([probe_id])
            raise HandlerStateFailure("Could not learn whether this dmpilot server updates handlers safely: testing it on a throwaway "
                                      "handler failed: %s Nothing else was changed." % error)
        self.remove([probe_id] + [handler["id"] for handler in probes if self.left_behind(handler, probe_id)])
        if stored is None:
            raise HandlerStateFailure("Could not learn whether this dmpilot server updates handlers safely: the throwaway handler %d "
                                      "was gone before it could be read back. Run the task again." % probe_id)
        if stored["type"] == PROBE_TYPE and stored["name"] == updated_name:
            return True, None
        return False, MANGLED_UPDATES % (stored["type"], PROBE_TYPE)

    def left_behind(self, handler, own_id):
        if handler["id"] == own_id:
            return False
        stamp = PROBE_NAME.match(handler["name"] or "")
        if stamp is None:
            return False
        try:
            created = calendar.timegm(time.strptime(stamp.group(1), PROBE_STAMP))
        except ValueError:
            return True
        return self.clock() - created > PROBE_LEFTOVER_AGE

    def remove(self, probe_ids):
        for probe_id in probe_ids:
            try:
                self.client.delete_handler(probe_id)
            except DmpilotError as error:
                if error.status != 404:
                    self.warnings.append("The throwaway handler %d of the update test could not be deleted (%s). The next test "
                                         "removes it; you may also delete it by hand." % (probe_id, error))


def check_can_disable(expected, current):
    """The server keeps an email handler enabled while its owner has not confirmed the address (rule 8)."""
    if current["pending_confirmation"] and not expected["enabled"]:
        raise HandlerStateFailure("enabled: notification handler %d (%r) cannot be disabled yet: it is an email handler whose owner has "
                                  "not confirmed the address, and the server keeps such a handler enabled whatever is sent. Ask the owner "
                                  "of the address to confirm it (the link in the confirmation email), then run the task again. "
                                  "Nothing was changed." % (current["id"], current["name"]))


def run(module):
    """Run the handler module: validate, find, converge, and exit or fail with a clear message."""
    params = module.params
    state = HandlerState(module.client, module.salt, module.check_mode, params["update_strategy"])
    try:
        # Validation comes first, so bad input fails before any request.
        wanted = wanted_handler(params["name"], params["type"], params["enabled"], module.settings_params())
        current = state.find(params["id"], wanted.get("name"), must_exist=params["state"] == "present")
        if params["state"] == "absent":
            result = state.absent(current)
        else:
            result = state.present(wanted, current)
    except (InvalidHandler, HandlerStateFailure, DmpilotError) as error:
        for warning in state.warnings:
            module.warn(warning)
        written, changed = state.failure_details()
        module.fail_json(msg=str(error) + written, changed=changed, **error_details(error))
    for warning in state.warnings:
        module.warn(warning)
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)
