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
    resolve_masked_secrets,
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


class PendingConfirmation(HandlerStateFailure):
    """The server keeps an email handler enabled until its owner confirms the address (rule 8)."""


class Change:
    """What one wanted handler needs: action is create, update, delete, or None when it is as wanted.

    Once applied, stored is the handler as the server keeps it (None once deleted), or, in check mode, the prediction.
    """

    def __init__(self, action, wanted, expected=None, current=None, form=None, stored=None):
        self.action = action
        self.wanted = wanted
        self.expected = expected
        self.current = current
        self.form = form
        self.stored = stored
        self.replaces = False  # set by apply() for an update the server cannot take in place
        self.new_id = None

    @property
    def creates(self):
        return self.action == "create" or (self.action == "update" and self.replaces)

    def predicted(self):
        if self.action == "create":
            return dict(self.expected, id=None, pending_confirmation=False)
        if self.action == "update":
            # recreate always gives the handler a new id; auto keeps it unless the server mangles updates, unknown here.
            handler_id = None if self.replaces else self.current["id"]
            return dict(self.expected, id=handler_id, pending_confirmation=self.current["pending_confirmation"])
        return None


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
                raise no_such_id(handler_id)
            return handler
        return the_one_named(name, self.client.find_by_name(name))

    # What to write.

    def plan(self, wanted, current, state="present"):
        """The change that brings current to wanted: the single module and each item of the list module plan alike."""
        if state == "absent":
            return Change("delete" if current is not None else None, wanted, current=current)
        if current is None:
            check_creatable(wanted)
            resolve_masked_secrets(wanted, None, self.salt)
            return Change("create", wanted, merged_handler(wanted))
        wanted = resolve_masked_secrets(wanted, current, self.salt)
        form = changed_fields(wanted, current)
        if not form:
            return Change(None, wanted, current=current, stored=current)
        expected = merged_handler(wanted, current)
        check_can_disable(expected, current)
        return Change("update", wanted, expected, current, form)

    # The single module's states.

    def present(self, wanted, current):
        change = self.plan(wanted, current)
        self.apply([change])
        return self.result(change)

    def absent(self, current):
        change = Change("delete" if current is not None else None, {}, current=current)
        self.apply([change])
        return self.result(change)

    def result(self, change):
        """The single module's result for one change."""
        return dict(changed=bool(change.action), notification_handler=masked_handler(change.stored, self.salt),
                    diff=dict(before=diff_view(change.current, self.salt), after=diff_view(change.stored, self.salt)))

    # Writing.

    def apply(self, changes, list_pages=None):
        """Write the changes, verify them with as few reads as possible, and set each change's stored handler.

        Everything that can refuse is decided before the first write. Creates come first (new handlers and the
        replacements of handlers that cannot be updated in place), then updates, then one read-back; deletes come
        last, so a failure before them deletes nothing. list_pages is the cost of reading the whole list, when known.
        In check mode nothing is written: each change's stored handler is the prediction.
        """
        writes = [change for change in changes if change.action]
        if self.check_mode:
            for change in writes:
                change.replaces = change.action == "update" and self.update_strategy == "recreate"
                change.stored = change.predicted()
            return changes
        for change in writes:
            if change.action == "update":
                change.replaces = self.replaces(change.current)
        for change in writes:
            if change.creates:
                self.check_can_create_disabled(change.expected, change.current)
        for change in writes:
            if change.creates:
                change.new_id = self.create_as(change.expected)
            elif change.action == "update":
                self.update(change.current["id"], change.form)
        self.read_back([change for change in writes if change.action != "delete"], list_pages)
        for change in writes:
            if change.action == "update" and change.replaces:
                self.remove_replaced(change)
        for change in writes:
            if change.action == "delete":
                self.delete(change.current["id"], change.current["name"], gone_ok=True)
        return changes

    def read_back(self, changes, list_pages):
        """Read every written handler back: one whole list, or per handler where that costs fewer requests.

        A created handler is read with the others of its name, to see whether a racing run created it too.
        """
        if not changes:
            return
        if list_pages is not None and list_pages <= len(changes):
            everything = self.client.list_handlers()
            read = dict((handler["id"], handler) for handler in everything).get

            def named(name):
                return [handler for handler in everything if handler["name"] == name]
        else:
            named = self.client.find_by_name
            read = self.client.get_handler
        for change in changes:
            if change.creates:
                self.settle(change, named(change.expected["name"]), read)
            else:
                change.stored = self.verified(change.current["id"], read(change.current["id"]), change.expected, "updated")

    def settle(self, change, same_name, read):
        """Verify a created handler; where a racing run created one of the same name with a lower id, that one wins."""
        new_id = change.new_id
        stored = next((handler for handler in same_name if handler["id"] == new_id), None) or read(new_id)
        done = "created" if change.action == "create" else "created to replace handler %d" % change.current["id"]
        change.stored = self.verified_or_removed(new_id, stored, change.expected, done, keep_pending=change.action == "create")
        # A racing run created its handler after this run read the list: after the handler being replaced, if any, which
        # existed then (ids only grow, rule 11). An older handler that merely has the same name is no rival.
        oldest = change.current["id"] if change.current else 0
        rivals = [handler for handler in same_name if oldest < handler["id"] < new_id]
        if not rivals:
            return
        winner = min(rivals, key=lambda handler: handler["id"])
        self.delete(new_id, winner["name"])
        self.warnings.append("Notification handler %r was created at the same time by this run (id %d) and by another one (id %d). "
                             "The lowest id wins: this run deleted handler %d and manages handler %d."
                             % (winner["name"], new_id, winner["id"], new_id, winner["id"]))
        converge = self.plan(change.wanted, winner)
        self.apply([converge])
        change.stored = converge.stored
        if change.current is not None:
            self.delete(change.current["id"], change.current["name"], gone_ok=True)
            change.replaces = False  # its predecessor is gone already

    def remove_replaced(self, change):
        """Delete the handler a verified new one replaces."""
        current, new_id = change.current, change.stored["id"]
        try:
            self.delete(current["id"], current["name"], gone_ok=True)
        except DmpilotError as error:
            raise HandlerStateFailure("Notification handler %d was created to replace handler %d (%r), but deleting handler %d failed: %s "
                                      "Both exist now. Delete handler %d (id: %d, state: absent), then run the task again."
                                      % (new_id, current["id"], current["name"], current["id"], error, current["id"], current["id"]))
        if self.update_strategy != "recreate":
            self.warnings.append("Notification handler %r was replaced, because this server cannot update a handler in place without "
                                 "breaking it: its id changed from %d to %d. Anything that refers to it by id must use %d."
                                 % (change.stored["name"], current["id"], new_id, new_id))

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

    def check_can_create_disabled(self, expected, replaced=None):
        """The API creates every handler enabled, so a disabled one takes an update, which must be safe to send.

        So even update_strategy=recreate, which never updates a handler in place, probes here.
        """
        if expected["enabled"] or self.updates_are_faithful():
            return
        if replaced is not None and not replaced["enabled"]:
            raise HandlerStateFailure("Notification handler %d (%r) is disabled, and changing it means replacing it, since %s. A "
                                      "replacement is created enabled (the API ignores is_enabled on create) and could not be disabled "
                                      "on this server. Nothing was changed. Set enabled: true to replace it with an enabled handler, "
                                      "or leave the handler as it is." % (replaced["id"], replaced["name"], self.mangled))
        raise HandlerStateFailure("enabled: %r cannot be made disabled on this server. The API ignores is_enabled on create, so a "
                                  "disabled handler is created and then updated, and %s. Nothing was changed. Leave enabled out "
                                  "(or set it to true)." % (expected["name"], self.mangled))

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
        """Delete a handler; answer False where gone_ok and it was gone already."""
        try:
            self.client.delete_handler(handler_id)
        except DmpilotError as error:
            if gone_ok and error.status == 404:
                return False
            raise
        self.written.append("deleted handler %d (%r)" % (handler_id, name))
        return True

    # Reading back.

    def verified_or_removed(self, new_id, stored, expected, done, keep_pending=False):
        """A handler this run created is deleted again when it is not what was asked for: no half-made handler is left.

        With keep_pending, a new email handler that the server keeps enabled until its owner confirms the address is
        kept: deleting it would leave the owner nothing to confirm, and every later run in the same place.
        """
        try:
            return self.verified(new_id, stored, expected, done)
        except PendingConfirmation as failure:
            if keep_pending:
                raise HandlerStateFailure("%s It was kept, enabled and waiting for that confirmation: once the owner confirms, the next "
                                          "run disables it." % failure)
            return self.removed(new_id, expected, failure)
        except HandlerStateFailure as failure:
            return self.removed(new_id, expected, failure)

    def removed(self, new_id, expected, failure):
        try:
            deleted = self.delete(new_id, expected["name"], gone_ok=True)
        except DmpilotError as error:
            raise HandlerStateFailure("%s Deleting it again failed too (%s): delete handler %d yourself." % (failure, error, new_id))
        raise HandlerStateFailure("%s It was deleted again." % failure if deleted else str(failure))

    def verified(self, handler_id, stored, expected, done):
        """Fail, naming the fields, when the server stored something else than what was asked for."""
        if stored is None:
            raise HandlerStateFailure("Notification handler %d was %s, but reading it back answered 404: it was deleted meanwhile, "
                                      "by another run or by hand." % (handler_id, done))
        mismatched = differences(expected, stored)
        if mismatched == ["enabled"] and stored["pending_confirmation"] and not expected["enabled"]:
            raise PendingConfirmation("Notification handler %d was %s, but the server kept it enabled: it is an email handler whose owner "
                                      "has not confirmed the address yet, and the server keeps such a handler enabled whatever is sent "
                                      "(rule 8). Ask the owner of the address to confirm it (the link in the confirmation email)."
                                      % (handler_id, done))
        if mismatched:
            raise HandlerStateFailure("Notification handler %d was %s, but the server did not store what was asked for: %s."
                                      % (handler_id, done, ", ".join(mismatched)))
        return stored

    # The update probe.

    def updates_are_faithful(self):
        """Whether this server stores updates as sent; learnt once per run, on a throwaway handler, never on a real one."""
        if self.faithful_updates is None:
            self.faithful_updates, self.mangled = UpdateProbe(self.client, self.clock, self.warnings, self.written).run()
        return self.faithful_updates

    def failure_details(self):
        """What a failure must add once this run has written: changed, and what was written."""
        if not self.written:
            return "", False
        return " Before this failure, the task %s." % ", then ".join(self.written), True


class UpdateProbe:
    """Create a throwaway handler, update it, read it back, delete it; remove the probes that killed runs left behind."""

    def __init__(self, client, clock, warnings, written):
        self.client = client
        self.clock = clock
        self.warnings = warnings
        self.written = written  # the run's record of what it changed: a probe it could not delete is one

    def run(self):
        """(True, None) where updates are stored as sent, else (False, what went wrong in words)."""
        name = "%s %s %s" % (PROBE_PREFIX, time.strftime(PROBE_STAMP, time.gmtime(self.clock())),
                             binascii.hexlify(os.urandom(4)).decode("ascii"))
        try:
            probe_id = self.client.create_handler({"name": name, "type": PROBE_TYPE})
        except DmpilotError as error:
            # The error's own hint speaks of a bad API key, which a key that listed the handlers is not.
            raise HandlerStateFailure(
                "Could not learn whether this dmpilot server updates handlers safely: creating a throwaway %s handler to test it "
                "failed: %s. Nothing was changed. If your plan's limit of handlers is reached, delete one handler. Or set "
                "update_strategy: recreate, which needs no test: it replaces a changed handler with a new one (which also needs "
                "room for one more handler)." % (PROBE_TYPE, ": ".join(part for part in (error.message, error.title) if part)))
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
                    self.written.append("left the throwaway handler %d of the update test" % probe_id)
                    self.warnings.append("The throwaway handler %d of the update test could not be deleted (%s). The next test "
                                         "removes it; you may also delete it by hand." % (probe_id, error))


def no_such_id(handler_id):
    return HandlerStateFailure("id: no notification handler %d exists for this API key. The module never creates a handler for an id; "
                               "remove id to create one by name." % handler_id)


def the_one_named(name, matches):
    """The handler of this exact name among matches, or None; names need not be unique, and several is a failure."""
    if len(matches) > 1:
        raise HandlerStateFailure("name: %d notification handlers are named %r (ids %s). Set id to the one to manage, and remove or "
                                  "rename the others." % (len(matches), name, ", ".join(str(handler["id"]) for handler in matches)))
    return matches[0] if matches else None


def check_can_disable(expected, current):
    """The server keeps an email handler enabled while its owner has not confirmed the address (rule 8)."""
    if current["pending_confirmation"] and not expected["enabled"]:
        raise HandlerStateFailure("enabled: notification handler %d (%r) cannot be disabled yet: it is an email handler whose owner has "
                                  "not confirmed the address, and the server keeps such a handler enabled whatever is sent. Ask the owner "
                                  "of the address to confirm it (the link in the confirmation email), then run the task again. "
                                  "Nothing was changed." % (current["id"], current["name"]))


def converge(module, work):
    """End a module's task with work(state): its result, or a failure that says what this run had written already."""
    state = HandlerState(module.client, module.salt, module.check_mode, module.params["update_strategy"])
    try:
        result = work(state)
    except (InvalidHandler, HandlerStateFailure, DmpilotError) as error:
        for warning in state.warnings:
            module.warn(warning)
        written, changed = state.failure_details()
        module.fail_json(msg=str(error) + written, changed=changed, **error_details(error))
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
        return state.absent(current) if params["state"] == "absent" else state.present(wanted, current)

    converge(module, one_handler)
