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
import hashlib
import json
import os
import re
import stat
import tempfile
import time

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import DmpilotError
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import (
    InvalidHandler,
    changed_fields,
    check_creatable,
    check_name_sendable,
    check_sendable,
    create_form,
    diff_view,
    differences,
    masked_handler,
    merged_handler,
    plain_form,
    resolve_masked_secrets,
    same_name,
    stored_form,
    wanted_handler,
)
from ansible_collections.dmpilot.cloud.plugins.module_utils._module import error_details

# The throwaway handler of the update probe: a type that sends nothing and mails nobody, and a name that says what it is.
# A handler is a probe of this collection only where both its type and its whole name are what UpdateProbe writes: the
# prefix, a valid UTC stamp, a random token, and " (updated)" once the test update is stored. Any other handler is the
# user's, whatever its name.
PROBE_PREFIX = "dmpilot.cloud update probe"
PROBE_TYPE = "internal_notification"
PROBE_STAMP = "%Y%m%dT%H%M%SZ"
PROBE_UPDATED = " (updated)"
PROBE_NAME = re.compile(r"^%s (\d{8}T\d{6}Z) [0-9a-f]{8}(?:%s)?$" % (re.escape(PROBE_PREFIX), re.escape(PROBE_UPDATED)))
# A probe older than this was left behind by a killed run (a live probe lasts seconds); a later probe removes it.
PROBE_LEFTOVER_AGE = 600
# How long the probe's outcome is shared with the other tasks of a run (ProbeCache).
PROBE_CACHE_SECONDS = 300
# A name found twice may be two racing runs' creates, a moment before the loser deletes its own: read again so often, so
# many seconds apart, before failing on a duplicate.
RACE_REREADS = 2
RACE_WAIT = 2.0
# Where the rate limit was met (jobs share the key, as in an AWX cluster), a racing run settles slower: read again so
# often, each wait twice the one before (2, 4, 8, 16, 32 seconds).
RACE_REREADS_UNDER_LOAD = 5
# How long, in seconds, the rest of a task waits out the rate limit once it has created a replacement (see apply()).
REPLACEMENT_PATIENCE = 600

# What the probe can find (rule 13): the server stores updates as sent, stores nothing, or empties the type and settings.
FAITHFUL, IGNORED, MANGLED = "faithful", "ignored", "mangled"
# What each kind of server does to an update, in words that fit "this dmpilot server ...".
SERVER_DOES = {
    IGNORED: "ignores updates: it answered a test update of a throwaway handler with success but stored nothing (the bug of "
             "the published 66pusher server code)",
    MANGLED: "breaks the handlers it updates: a test update of a throwaway handler emptied its type and settings (the bug of "
             "the published 66biolinks server code)",
}
# Why a replacement was needed, for the warning that names the new id.
REPLACED_BECAUSE = {
    IGNORED: "this server ignores updates (it stores none of them)",
    MANGLED: "this server cannot update a handler in place without emptying its type and settings",
}
CANNOT_DISABLE = ("this dmpilot server cannot disable a handler through its API: it %s, and the API creates every handler enabled. "
                  "Disable the handler in dmpilot's web interface, or leave enabled unset (or true).")


def probe_stamp(handler):
    """The creation time of a probe of this collection, as seconds since the epoch; None for any other handler."""
    match = PROBE_NAME.match(handler.get("name") or "")
    if handler.get("type") != PROBE_TYPE or match is None:
        return None
    try:
        return calendar.timegm(time.strptime(match.group(1), PROBE_STAMP))
    except ValueError:
        return None


def is_probe(handler):
    return probe_stamp(handler) is not None


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
        self.already_gone = False  # a delete that answered 404: someone else deleted the handler first
        self.mode_unknown = False  # check mode: whether it is replaced depends on the server's way with updates, not known yet

    @property
    def creates(self):
        return self.action == "create" or (self.action == "update" and self.replaces)

    def predicted(self):
        # Whether the server puts an email address on confirmation (rules 7, 8) cannot be known without writing: None.
        if self.action == "create":
            pending = None if self.expected["type"] == "email" else False
            return dict(self.expected, name=stored_form(self.expected["name"]), id=None, pending_confirmation=pending)
        if self.action == "update":
            # recreate always gives the handler a new id; auto keeps it unless the server mangles updates, unknown here.
            handler_id = None if self.replaces else self.current["id"]
            if self.expected["type"] == "email":
                restarts = self.replaces or "email" in self.form
                pending = None if restarts and not self.current["pending_confirmation"] else self.current["pending_confirmation"]
            else:
                # Updated in place, a handler keeps a stored 2 unless is_enabled is sent (rules 6, 8); a replacement starts
                # at 1. Which of the two happens may not be known yet.
                pending = self.current["pending_confirmation"] and not self.replaces and "is_enabled" not in self.form
                pending = None if pending and self.mode_unknown else pending
            name = stored_form(self.expected["name"]) if "name" in self.form else self.expected["name"]
            return dict(self.expected, name=name, id=handler_id, pending_confirmation=pending)
        return None


class HandlerState:
    """present() and absent() for handlers of one account, in check mode too, with a diff.

    One instance serves a whole run, so the update probe runs at most once however many handlers change.
    """

    def __init__(self, client, salt, check_mode=False, update_strategy="auto", clock=time.time, probe_cache=None, sleep=time.sleep):
        self.client = client
        self.salt = salt
        self.check_mode = check_mode
        self.update_strategy = update_strategy
        self.clock = clock
        self.update_mode = None  # FAITHFUL, IGNORED or MANGLED once the probe has run (or its outcome was shared)
        self.probe_cache = probe_cache  # shares the probe's outcome with the other tasks of the run, or None
        self.sleep = sleep
        self.written = []  # what this run changed on the server, in order, for the message of a later failure
        self.warnings = []
        # What this run knows of identity, never guesses: the handlers it read before writing, the names whose every
        # handler it read (or the whole account), and the handlers it created.
        self.seen = set()
        self.wrote = False  # whether this run has written to a handler of the account (the probe's own aside)
        self.names_read = set()
        self.everything_read = False
        self.created_ids = set()
        self.claimed = set()  # the handlers that the task names (by id or by name): the user's, whatever they look like
        self.already_gone = []  # handlers this run was to delete, which someone else deleted first (a 404)

    # Which handler.

    def find(self, handler_id=None, name=None, must_exist=False):
        """The current handler by id (one GET) or by exact name, or None."""
        if handler_id is not None:
            handler = self.client.get_handler(handler_id)
            if handler is None and must_exist:
                raise no_such_id(handler_id)
            self.saw([handler] if handler else [])
            return handler
        return the_one_named(name, self.read_until_settled(lambda: self.named(name), lambda found: [found]))

    def named(self, name):
        """Every handler with this name (as given or as the server cleans it), all of them seen."""
        found = self.client.find_by_name(name)
        self.saw(found, name=name)
        return found

    def saw(self, handlers, name=None, everything=False):
        """Handlers read before any write: they existed before this run wrote, so none of them is ever a racing run's."""
        if not self.wrote:
            self.seen.update(handler["id"] for handler in handlers)
            if name is not None:
                self.names_read.add(stored_form(name))
            self.everything_read = self.everything_read or everything

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
        """The change that brings current to wanted: the single module and each item of the list module plan alike."""
        if current is not None:
            self.claimed.add(current["id"])
        if state == "absent":
            return Change("delete" if current is not None else None, wanted, current=current)
        if current is None:
            check_creatable(wanted)
            check_name_sendable(wanted["name"])
            resolve_masked_secrets(wanted, None, self.salt)
            check_sendable(wanted["settings"])
            return Change("create", wanted, merged_handler(wanted))
        wanted = resolve_masked_secrets(wanted, current, self.salt)
        check_has_type(wanted, current)
        form = changed_fields(wanted, current)
        if not form:
            return Change(None, wanted, current=current, stored=current)
        if "name" in form:
            check_name_sendable(form["name"])
        check_sendable(form, current)
        expected = merged_handler(wanted, current)
        check_can_disable(expected, current)
        return Change("update", wanted, expected, current, form)

    # The single module's states.

    def present(self, wanted, current):
        change = self.plan(wanted, current)
        if change.action == "update" and "name" in change.form:
            check_name_free(change, [handler for handler in self.named(change.expected["name"]) if handler["id"] != current["id"]])
        self.apply([change])
        return self.result(change)

    def absent(self, current):
        change = Change("delete" if current is not None else None, {}, current=current)
        self.apply([change])
        return self.result(change)

    def result(self, change):
        """The single module's result for one change."""
        return dict(changed=bool(change.action) and not change.already_gone, notification_handler=masked_handler(change.stored, self.salt),
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
            return self.predict(changes, writes)
        self.decide(writes)
        for change in writes:
            if change.creates:
                change.new_id = self.create_as(change.expected, replacing=change.current)
                if change.current is not None:
                    # A replacement once created is finished (the old handler deleted) or undone: the rest of the task waits
                    # out the rate limit up to REPLACEMENT_PATIENCE, however short rate_limit_timeout, rather than leave a
                    # name held twice.
                    self.client.rate_limit_timeout = max(self.client.rate_limit_timeout, REPLACEMENT_PATIENCE)
            elif change.action == "update":
                self.update(change.current["id"], change.form)
        self.read_back([change for change in writes if change.action != "delete"], list_pages)
        # A failed delete of one replaced handler stops nothing else: the other deletes go on, then the task fails naming
        # every handler that is now there twice.
        failures, refusals = [], []
        for change in writes:
            if change.action == "update" and change.replaces:
                try:
                    self.remove_replaced(change)
                except DmpilotError as error:
                    failures.append((change, error))
                except HandlerStateFailure as refusal:
                    refusals.append(str(refusal))
        for change in writes:
            if change.action == "delete":
                change.already_gone = not self.delete(change.current["id"], change.current["name"], gone_ok=True)
        if failures or refusals:
            raise HandlerStateFailure(" ".join(refusals + ([replaced_but_kept(failures)] if failures else [])))
        return changes

    def decide(self, writes):
        """Which changes replace their handler, and every refusal that depends on the server: before the first write."""
        for change in writes:
            if change.action == "update":
                change.replaces = self.replaces(change)
        for change in writes:
            if change.creates:
                self.check_can_create_disabled(change.expected, change.current)
        if not self.check_mode and not self.everything_read:
            # The handlers that share a new handler's name before this run writes are the user's, never a racing run's:
            # know them (a handler chosen by id was read alone).
            for change in writes:
                if change.creates and stored_form(change.expected["name"]) not in self.names_read:
                    self.named(change.expected["name"])

    def predict(self, changes, writes):
        """Check mode: each change's stored handler is the prediction. Check mode never probes, so where the server's way
        with updates is not known yet (from a probe of an earlier task of this run), it says what it cannot know."""
        if self.update_mode is None and self.probe_cache is not None:
            self.update_mode = self.probe_cache.get()
        if self.update_mode is not None:
            self.decide(writes)  # the same refusals as the real run
        else:
            for change in writes:
                change.replaces = change.action == "update" and self.update_strategy == "recreate"
                change.mode_unknown = depends_on_update_mode(change, self.update_strategy)
            unknown = ["%r (%s)" % (change.expected["name"], "new" if change.current is None else "id %d" % change.current["id"])
                       for change in writes if change.mode_unknown]
            if unknown:
                self.warnings.append(
                    "Check mode does not test how this dmpilot server applies updates (a real run tests it first, on a throwaway "
                    "handler), so for %s it cannot tell what the real run will do: update in place and keep the id, replace the "
                    "handler with a new one (a new id), or, for a disabled handler, fail before writing, on a server that ignores "
                    "or breaks updates. The prediction shown is %s." % (", ".join(unknown), PREDICTION[self.update_strategy]))
        for change in writes:
            change.stored = change.predicted()
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
                return [handler for handler in everything if same_name(name, handler["name"])]
        else:
            named = self.client.find_by_name
            read = self.client.get_handler
        for change in changes:
            if change.creates:
                self.settle(change, named(change.expected["name"]), read)
            else:
                change.stored = self.verified(change.current["id"], read(change.current["id"]), change.expected, "updated")

    def settle(self, change, namesakes, read):
        """Verify a created handler; where a racing run created one of the same name with a lower id, that one wins."""
        new_id = change.new_id
        stored = next((handler for handler in namesakes if handler["id"] == new_id), None) or read(new_id)
        done = "created" if change.action == "create" else "created to replace handler %d" % change.current["id"]
        change.stored = self.verified_or_removed(new_id, stored, change.expected, done, keep_pending=change.action == "create")
        # A rival is a handler that did not exist when this run read the account, and carries the name this run just
        # created: a racing run's. The lowest id wins (ids only grow, rule 11). Any handler this run saw is the user's.
        rivals = [handler for handler in namesakes
                  if handler["id"] < new_id and handler["id"] not in self.seen and handler["id"] not in self.created_ids]
        if not rivals:
            return
        winner = min(rivals, key=lambda handler: handler["id"])
        self.delete(new_id, winner["name"])
        self.warnings.append("Notification handler %r was created at the same time by this run (id %d) and by another one (id %d). "
                             "The lowest id wins: this run deleted handler %d and manages handler %d."
                             % (winner["name"], new_id, winner["id"], new_id, winner["id"]))
        # From here the winner is the handler this run manages, never a rival again: converging it under recreate creates
        # a replacement, whose read-back would otherwise take the winner for a racing run's handler, and so on forever.
        self.seen.add(winner["id"])
        converge = self.plan(change.wanted, winner)
        self.apply([converge])
        change.stored = converge.stored
        if change.current is not None:
            self.delete(change.current["id"], change.current["name"], gone_ok=True)
            change.replaces = False  # its predecessor is gone already

    def remove_replaced(self, change):
        """Delete the handler a verified new one replaces (a DmpilotError where that fails: apply() goes on, then fails)."""
        current, new_id = change.current, change.stored["id"]
        if waits_for_confirmation_again(change):
            if self.update_strategy != "recreate":
                self.removed(new_id, change.expected, HandlerStateFailure(
                    "Notification handler %d (%r) is an email handler whose owner confirmed its address. This dmpilot server %s, "
                    "so changing it means replacing it, and the replacement, handler %d, waits for the owner to confirm the "
                    "address again: no alert would reach it until then. So handler %d was kept as it is. Set update_strategy: "
                    "recreate to replace it all the same (the owner then confirms the address again), or change it in dmpilot's "
                    "web interface." % (current["id"], current["name"], SERVER_DOES[self.update_mode], new_id, current["id"])))
            self.warnings.append("Notification handler %r was replaced by handler %d, which waits for the owner of %s to confirm the "
                                 "address again: no alert reaches it until then." % (change.stored["name"], new_id,
                                                                                     change.stored["settings"].get("email")))
        self.delete(current["id"], current["name"], gone_ok=True)
        if self.update_strategy != "recreate":
            self.warnings.append("Notification handler %r was replaced, because %s: its id changed from %d to %d. Anything that "
                                 "refers to it by id must use %d."
                                 % (change.stored["name"], REPLACED_BECAUSE[self.update_mode], current["id"], new_id, new_id))

    def replaces(self, change):
        """Whether a change replaces its handler (True) or updates it in place (False); fails where neither is safe."""
        current = change.current
        if self.update_strategy == "recreate":
            return True
        if self.updates_are_faithful():
            return False
        if not change.expected["enabled"] and current["enabled"]:
            raise HandlerStateFailure("enabled: notification handler %d (%r) cannot be disabled: %s Nothing was changed."
                                      % (current["id"], current["name"], CANNOT_DISABLE % SERVER_DOES[self.update_mode]))
        if self.update_strategy == "update":
            raise HandlerStateFailure("update_strategy=update, but this dmpilot server %s. So nothing was sent to notification handler "
                                      "%d (%r). Set update_strategy: auto (or recreate) to replace it with a new handler instead."
                                      % (SERVER_DOES[self.update_mode], current["id"], current["name"]))
        if current["id"] in self.client.confirmed_addresses and change.expected["type"] == "email" \
                and change.expected["settings"].get("email") == current["settings"].get("email"):
            # Known before writing (the server shows the address confirmed): a replacement would mail its owner for nothing.
            raise HandlerStateFailure(
                "Notification handler %d (%r) is an email handler whose owner confirmed its address. This dmpilot server %s, so "
                "changing it means replacing it, and the server would put the replacement's address on confirmation again "
                "(a confirmation mail, and no alert until the owner confirms). Nothing was changed. Set update_strategy: recreate "
                "to replace it all the same, or change it in dmpilot's web interface."
                % (current["id"], current["name"], SERVER_DOES[self.update_mode]))
        return True

    def check_can_create_disabled(self, expected, replaced=None):
        """The API creates every handler enabled, so a disabled one takes an update, which must be stored as sent.

        So even update_strategy=recreate, which never updates a handler in place, probes here.
        """
        if expected["enabled"] or self.updates_are_faithful():
            return
        if replaced is not None and not replaced["enabled"]:
            raise HandlerStateFailure("Notification handler %d (%r) is disabled, and changing it means replacing it, since this dmpilot "
                                      "server %s. A replacement is created enabled (the API ignores is_enabled on create), and this "
                                      "server cannot disable it. Nothing was changed. Set enabled: true to replace it with an enabled "
                                      "handler, or change it in dmpilot's web interface."
                                      % (replaced["id"], replaced["name"], SERVER_DOES[self.update_mode]))
        raise HandlerStateFailure("enabled: %r cannot be created disabled: %s Nothing was changed."
                                  % (expected["name"], CANNOT_DISABLE % SERVER_DOES[self.update_mode]))

    def create_as(self, expected, replacing=None):
        """Create a handler. The API ignores is_enabled on create, so a disabled one is created, then disabled."""
        done = "created handler %r" % plain_form(expected["name"])
        if replacing is not None:
            # Unanswered, it may land: then the name is there twice, and the message must say which handler is the old one.
            done += (" to replace handler %d: if two handlers have that name now, handler %d is the old one; run the task again, "
                     "or remove the newer one with its id and state: absent" % (replacing["id"], replacing["id"]))
        handler_id = self.unanswered_may_have(done, self.client.create_handler, create_form(expected))
        self.created_ids.add(handler_id)
        replaced = "" if replacing is None else " to replace handler %d, which is the old one" % replacing["id"]
        self.written.append("created handler %d (%r)%s" % (handler_id, plain_form(expected["name"]), replaced))
        if not expected["enabled"]:
            disable = {"is_enabled": False}
            if "email" in expected["settings"]:
                # Without its address, an email update restarts the confirmation and re-enables the handler (rule 8).
                disable["email"] = expected["settings"]["email"]
            self.update(handler_id, disable)
        return handler_id

    def update(self, handler_id, form):
        self.unanswered_may_have("updated handler %d" % handler_id, self.client.update_handler, handler_id, form)
        self.written.append("updated handler %d" % handler_id)

    def delete(self, handler_id, name, gone_ok=False):
        """Delete a handler; answer False where gone_ok and it was gone already."""
        try:
            self.unanswered_may_have("deleted handler %d (%r)" % (handler_id, name), self.client.delete_handler, handler_id)
        except DmpilotError as error:
            if gone_ok and error.status == 404:
                self.already_gone.append(dict(id=handler_id, name=name))
                return False
            raise
        self.written.append("deleted handler %d (%r)" % (handler_id, name))
        return True

    def unanswered_may_have(self, done, write, *arguments):
        """Send a write. Where no answer came (a timeout, a lost connection) or the server failed, it may have been applied
        all the same: the run's record says so, so that the failure reports changed and what may have been written."""
        self.wrote = True
        try:
            return write(*arguments)
        except DmpilotError as error:
            if error.status is None or error.status >= 500:
                self.written.append("may have %s (the request got no answer, or the server failed on it)" % done)
            raise

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
        if self.update_mode is None:
            self.update_mode = self.probe_cache.get() if self.probe_cache is not None else None
        if self.update_mode is None:
            self.update_mode = UpdateProbe(self.client, self.clock, self.warnings, self.written, self.update_strategy,
                                           keep=self.claimed).run()
            if self.probe_cache is not None:
                self.probe_cache.put(self.update_mode)
        return self.update_mode == FAITHFUL

    def failure_details(self):
        """What a failure must add once this run has written: changed, and what was written."""
        if not self.written:
            return "", False
        return " Before this failure, the task %s." % ", then ".join(self.written), True


class UpdateProbe:
    """Create a throwaway handler, update it, read it back, delete it; remove the probes that killed runs left behind."""

    def __init__(self, client, clock, warnings, written, update_strategy="auto", keep=()):
        self.keep = keep  # the handlers that the task itself names: never removed as a leftover, whatever they look like
        self.client = client
        self.clock = clock
        self.warnings = warnings
        self.written = written  # the run's record of what it changed: a probe it could not delete is one
        self.update_strategy = update_strategy

    def run(self):
        """FAITHFUL where updates are stored as sent, IGNORED where nothing is stored, MANGLED where the handler is emptied."""
        name = "%s %s %s" % (PROBE_PREFIX, time.strftime(PROBE_STAMP, time.gmtime(self.clock())),
                             binascii.hexlify(os.urandom(4)).decode("ascii"))
        probe_id = self.create(name)
        probes = []
        try:
            updated_name = name + PROBE_UPDATED
            self.client.update_handler(probe_id, {"name": updated_name})
            # One search reads the probe back and finds the ones killed runs left.
            probes = self.client.find_by_name_prefix(PROBE_PREFIX)
            stored = next((handler for handler in probes if handler["id"] == probe_id), None) or self.client.get_handler(probe_id)
        except DmpilotError as error:
            self.remove([probe_id])
            raise HandlerStateFailure("Could not learn how this dmpilot server applies updates: testing it on a throwaway handler "
                                      "failed: %s Nothing else was changed." % error)
        self.remove([probe_id])
        self.remove_left_behind(probes, probe_id)
        if stored is None:
            raise HandlerStateFailure("Could not learn how this dmpilot server applies updates: the throwaway handler %d was gone "
                                      "before it could be read back. Run the task again." % probe_id)
        if stored["type"] != PROBE_TYPE:
            return MANGLED
        if stored["name"] == updated_name:
            return FAITHFUL
        if stored["name"] == name:
            return IGNORED
        # Neither as sent nor as it was: treat it as a server that breaks updates, the safe side.
        return MANGLED

    def create(self, name):
        """The probe's id. A create that may have reached the server is looked up by its unique name and removed."""
        try:
            return self.client.create_handler({"name": name, "type": PROBE_TYPE})
        except DmpilotError as error:
            reason = ": ".join(part for part in (error.message, error.title) if part).rstrip(".")  # a title may end with one
            # A create that got no answer, or failed on the server's side, may have happened: looked up, and removed.
            unanswered = error.status is None or error.status >= 500
            if unanswered:
                self.remove_unanswered(name)
            raise HandlerStateFailure("Could not learn how this dmpilot server applies updates: creating a throwaway %s handler to "
                                      "test it failed: %s.%s %s" % (PROBE_TYPE, reason, "" if unanswered else NOTHING_CHANGED,
                                                                    self.advice(error)))

    def advice(self, error):
        """What to do after a refused probe, fitting the update_strategy that was set."""
        if error.status is None or error.status >= 500:
            return "Run the task again once the server answers."
        room = ("If your plan's limit of handlers is reached, delete one handler: every update_strategy needs room for one more "
                "handler to change one (this test, or a replacement).")
        if self.update_strategy == "recreate":
            return room + " update_strategy=recreate tests the server only to create or replace a disabled handler: leave enabled " \
                          "unset (or true) to do without the test."
        return room + " Or set update_strategy: recreate, which needs no test for an enabled handler: it replaces a changed " \
                      "handler with a new one."

    def remove_unanswered(self, name):
        """After a create that timed out or failed on the server's side: delete the probe if it was created after all, and
        record what may have been written (found or not, the create may have landed: the task reports a change)."""
        try:
            created = self.client.find_by_name(name)
        except DmpilotError as error:
            self.written.append("may have created the throwaway handler %r of the update test" % name)
            self.warnings.append("The throwaway handler %r of the update test may have been created, and could not be looked up "
                                 "(%s). The next test removes it; you may also delete it by hand." % (name, error))
            return
        if not created:
            # A write without an answer may still land (the server goes on after the client gave up): not a proof of absence.
            self.written.append("may have created the throwaway handler %r of the update test (its create got no answer, and it "
                                "was not found; if it appears, the next update test removes it)" % name)
            return
        # Found and deleted, it leaves the account as it was; one that cannot be deleted is recorded by remove().
        if self.remove([handler["id"] for handler in created]):
            self.written.append("created and deleted again the throwaway handler %s of the update test (its create got no answer)"
                                % ", ".join(str(handler["id"]) for handler in created))

    def remove_left_behind(self, probes, own_id):
        """Probes of this collection older than PROBE_LEFTOVER_AGE, which killed runs left: removed, and reported."""
        left_behind = [handler for handler in probes if handler["id"] != own_id and handler["id"] not in self.keep and is_probe(handler)
                       and self.clock() - probe_stamp(handler) > PROBE_LEFTOVER_AGE]
        for handler in left_behind:
            if self.remove([handler["id"]], own=False):
                self.written.append("deleted the throwaway handler %d (%r), left by an earlier update test"
                                    % (handler["id"], handler["name"]))
                self.warnings.append("Deleted notification handler %d (%r): a throwaway handler of an earlier update test of this "
                                     "collection, left behind by a run that was stopped." % (handler["id"], handler["name"]))

    def remove(self, probe_ids, own=True):
        """Delete probes; answer whether all of them were deleted by this call.

        One of this run's own that stays is recorded as a change; a leftover of an earlier run that stays changes nothing,
        but one whose delete got no answer, and which cannot be read afterwards, may be gone: that is recorded too.
        """
        removed = True
        for probe_id in probe_ids:
            try:
                self.client.delete_handler(probe_id)
            except DmpilotError as error:
                removed = False
                if error.status == 404:
                    continue  # gone already: someone else deleted it
                there = self.still_there(probe_id) if error.status is None or error.status >= 500 else True
                if there is False:
                    removed = True  # the delete got no answer, but it was done
                    continue
                if own:
                    self.written.append("left the throwaway handler %d of the update test" % probe_id)
                elif there is None:
                    self.written.append("may have deleted the throwaway handler %d, left by an earlier update test" % probe_id)
                self.warnings.append("The throwaway handler %d of the update test %s (%s). If it is still there, the next test "
                                     "removes it; you may also delete it by hand."
                                     % (probe_id, "could not be deleted" if there else "may not have been deleted", error))
        return removed

    def still_there(self, probe_id):
        """Whether a probe whose delete got no answer is still on the server: True, False, or None where that cannot be read."""
        try:
            return self.client.get_handler(probe_id) is not None
        except DmpilotError:
            return None


def waits_for_confirmation_again(change):
    """A replacement of a confirmed email handler, with the same address, that the server put on confirmation (rule 8)."""
    old, new = change.current, change.stored
    return (new["pending_confirmation"] and not old["pending_confirmation"] and old["type"] == "email"
            and old["settings"].get("email") == new["settings"].get("email"))


def replaced_but_kept(failures):
    """The message of replacements whose old handler could not be deleted: every handler now there twice."""
    twice = "; ".join("%r (ids %d and %d): deleting handler %d failed: %s" % (change.current["name"], change.current["id"],
                                                                              change.stored["id"], change.current["id"],
                                                                              str(error).rstrip("."))
                      for change, error in failures)
    ids = ", ".join(str(change.current["id"]) for change, _error in failures)
    return ("Some handlers were replaced, but their old handler could not be deleted, so each is there twice now: %s. Delete the "
            "old one%s (%s), with state: absent and its id, then run the task again."
            % (twice, "s" if len(failures) > 1 else "", ids))


def duplicated(handlers):
    return len(handlers) > 1


def check_name_free(change, others):
    """A rename must not give a handler the name another handler has: names would no longer tell them apart."""
    if others:
        raise HandlerStateFailure("name: notification handler %d (%r) cannot be renamed to %r: handler %s already has that name, and "
                                  "names must tell handlers apart. Nothing was changed. Choose another name, or rename or delete "
                                  "handler %s first." % (change.current["id"], change.current["name"], change.expected["name"],
                                                         ", ".join(str(handler["id"]) for handler in others),
                                                         others[0]["id"]))


# What a refusal before any write says; converge() drops it where the run had written something before (the message
# then says what).
NOTHING_CHANGED = " Nothing was changed."


# What check mode shows for a change that depends on how the server applies updates, by update_strategy.
PREDICTION = {
    "auto": "an update in place",
    "update": "an update in place",
    "recreate": "a replacement",
}


def depends_on_update_mode(change, update_strategy):
    """Whether the real run's outcome of a change depends on the server's way with updates, which check mode cannot know."""
    if change.action == "create":
        return not change.expected["enabled"]
    if change.action == "update":
        return update_strategy != "recreate" or not change.expected["enabled"]
    return False


def no_such_id(handler_id):
    return HandlerStateFailure("id: no notification handler %d exists for this API key. The module never creates a handler for an id; "
                               "remove id to create one by name." % handler_id)


def the_one_named(name, matches):
    """The handler of this exact name among matches, or None; names need not be unique, and several is a failure that says
    which is the oldest and how to remove the others."""
    if len(matches) > 1:
        ids = sorted(handler["id"] for handler in matches)
        newer = ids[1:]
        raise HandlerStateFailure(
            "name: %d notification handlers are named %r: ids %s. Handler %d is the oldest; %s newer, maybe made by a run whose "
            "write got no answer (a create or a replacement) or by a run at the same moment. To keep handler %d, remove %s with "
            "%s; or set id to the handler to manage, and rename the others."
            % (len(matches), plain_form(name), ", ".join(str(handler_id) for handler_id in ids), ids[0],
               "handler %d is" % newer[0] if len(newer) == 1 else "handlers %s are" % ", ".join(str(handler_id) for handler_id in newer),
               ids[0], "it" if len(newer) == 1 else "each",
               " and ".join("a task with id: %d and state: absent" % handler_id for handler_id in newer)))
    return matches[0] if matches else None


def check_same_handler(handler_id, name, current):
    """state=absent with both id and name: both must name the one handler, or nothing is deleted."""
    if handler_id is not None and name is not None and current is not None and not same_name(name, current["name"]):
        raise HandlerStateFailure("name: handler %d is named %r, not %r, so it was not deleted: id and name name two different "
                                  "handlers. Give the id alone, or the name that handler has." % (handler_id, current["name"], name))


def check_has_type(wanted, current):
    """A handler that the update bug broke (rule 13: type null, settings emptied) cannot be changed without its type: any
    change of it replaces it or sends its type, and the server refuses a handler without one. Given as it is (no
    setting, no other change), it is left alone."""
    if current["type"] is None and "type" not in wanted and (wanted["settings"] or changed_fields(wanted, current)):
        raise HandlerStateFailure("type: notification handler %d (%r) has no type: an update of a server with the update bug emptied "
                                  "its type and settings. Give type and its settings to restore it.%s"
                                  % (current["id"], plain_form(current["name"]), NOTHING_CHANGED))


def check_can_disable(expected, current):
    """The server keeps an email handler enabled while its owner has not confirmed the address (rule 8)."""
    if current["pending_confirmation"] and not expected["enabled"]:
        raise HandlerStateFailure("enabled: notification handler %d (%r) cannot be disabled yet: it is an email handler whose owner has "
                                  "not confirmed the address, and the server keeps such a handler enabled whatever is sent. Ask the owner "
                                  "of the address to confirm it (the link in the confirmation email), then run the task again. "
                                  "Nothing was changed." % (current["id"], current["name"]))


class ProbeCache:
    """The probe's outcome, shared by the tasks of one playbook run that talk to the same api_url with the same api_key.

    A file on the host that runs the modules (the controller, as a rule), private to its user, named by a digest of the
    URL, the key and the run: the ansible-playbook (or ansible) process that the module runs under, with its start time.
    It holds only the outcome and when it was learnt, and expires after PROBE_CACHE_SECONDS however long the run. So five
    tasks of a run that each change a handler probe once, not five times; the next run tests the server again. Where the
    run cannot be told (a module run on a remote host), or the file cannot be read or written, there is no cache: each
    task probes, as before.
    """

    def __init__(self, api_url, api_key, clock=time.time, directory=None, run=None):
        run = run if run is not None else playbook_run()
        self.path = None
        if run is not None:
            digest = hashlib.sha256(("%s\0%s\0%s" % (api_url, api_key, run)).encode("utf-8")).hexdigest()
            self.directory = directory or os.path.join(tempfile.gettempdir(), "dmpilot-cloud-%d" % os.getuid())
            self.path = os.path.join(self.directory, "update-probe-%s.json" % digest)
        self.clock = clock

    def get(self):
        if self.path is None:
            return None
        try:
            if not (private(self.directory, directory=True) and private(self.path)):
                return None
            with open(self.path) as cached:
                outcome = json.load(cached)
            fresh = 0 <= self.clock() - float(outcome["learnt"]) < PROBE_CACHE_SECONDS
            return outcome["mode"] if fresh and outcome["mode"] in (FAITHFUL, IGNORED, MANGLED) else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, mode):
        if self.path is None:
            return
        try:
            if not os.path.lexists(self.directory):
                os.mkdir(self.directory, 0o700)
            if not private(self.directory, directory=True):
                return  # a symlink, someone else's directory, or one others can write: not to be trusted
            partial = "%s.%d" % (self.path, os.getpid())
            with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as cached:
                json.dump({"mode": mode, "learnt": self.clock()}, cached)
            os.rename(partial, self.path)
        except OSError:
            return
        # Then the outcomes of earlier runs, expired; another run may be removing the same files at the same moment.
        for name in os.listdir(self.directory):
            path = os.path.join(self.directory, name)
            try:
                if name.startswith("update-probe-") and self.clock() - os.stat(path).st_mtime > PROBE_CACHE_SECONDS:
                    os.remove(path)
            except OSError:
                continue


def private(path, directory=False):
    """Whether a path is this user's own directory (or regular file), not a symlink, and not open to others (lstat)."""
    info = os.lstat(path)
    right_kind = stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)
    return right_kind and info.st_uid == os.getuid() and not info.st_mode & 0o077


def playbook_run():
    """The ansible-playbook (or ansible) process that runs this task, as "pid start-time"; None where it cannot be told.

    Ansible runs each task in a worker, a fork of the ansible-playbook process: the module's nearest ancestor whose parent
    is the same program with the same command line is that worker, and its parent is the run. Nothing is guessed from
    names: a launcher above the run (make, sudo, a script, AWX) is never taken for it, so two runs started one after the
    other never share an outcome. Linux only (/proc); elsewhere, or on a remote host, each task tests for itself.
    """
    process = process_entry(os.getppid())
    for _depth in range(16):
        if process is None or process[0] <= 1:
            return None
        parent = process_entry(process[0])
        if parent is not None and parent[2] == process[2] and process[2]:
            return "%d %s" % (process[0], parent[1])
        process = parent  # read once: the next step up starts from it
    return None


def process_entry(pid):
    """(parent pid, start time, command line) of a process, from /proc; None where it cannot be read."""
    try:
        with open("/proc/%d/stat" % pid) as stat_file:
            fields = stat_file.read().rpartition(")")[2].split()
        with open("/proc/%d/cmdline" % pid, "rb") as cmdline_file:
            return int(fields[1]), fields[19], cmdline_file.read()
    except (OSError, IOError, IndexError, ValueError):
        return None


def converge(module, work):
    """End a module's task with work(state): its result, or a failure that says what this run had written already."""
    state = HandlerState(module.client, module.salt, module.check_mode, module.params["update_strategy"],
                         probe_cache=ProbeCache(module.client.api_url, module.params["api_key"]))
    try:
        result = work(state)
    except (InvalidHandler, HandlerStateFailure, DmpilotError) as error:
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
