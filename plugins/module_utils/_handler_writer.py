# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The writer: write only what differs, verify, settle races, and keep the record of what was written.

The safe-write rules (docs/dev/api-behaviour.md) live here, once, for every module:
- Before the first in-place update of a run, a throwaway handler learns whether the server stores updates
  faithfully (rule 13, _update_probe.py). Where it does not, a handler is replaced (create, verify, delete the old) or
  the task fails before writing.
- Every write is read back; a handler this run half-made is deleted again.
- After a create, the lowest id with that name wins (rule 11): a racing run deletes its own, higher id.
- A failure after a write says what was written, and reports changed.
Check mode writes nothing, not even the throwaway handler: it predicts from what it read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import DmpilotError
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_plan import (
    HandlerStateFailure,
    awaiting_confirmation_unknown,
    plan_change,
    predicted_without_update_mode,
)
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import create_form, differences, plain_form, same_name
from ansible_collections.dmpilot.cloud.plugins.module_utils._update_probe import (
    CANNOT_DISABLE,
    REPLACED_BECAUSE,
    SERVER_DOES,
    SERVER_DOES_BRIEFLY,
    ServerUpdates,
)

# How long, in seconds, the rest of a task waits out the rate limit once it has created a replacement (see apply()).
REPLACEMENT_PATIENCE = 600


class PendingConfirmation(HandlerStateFailure):
    """The server keeps an email handler enabled until its owner confirms the address (rule 8)."""

    reason = "pending_confirmation"


class HandlerWriter:
    """Writes the planned changes of one run, or in check mode predicts them, and keeps the record of what it wrote."""

    def __init__(self, client, salt, known, check_mode=False, update_strategy="auto", clock=time.time, probe_cache=None):
        self.client = client
        self.salt = salt
        self.known = known  # which handlers are whose (KnownHandlers)
        self.check_mode = check_mode
        self.update_strategy = update_strategy
        self.written = []  # what this run changed on the server, in order, for the message of a later failure
        self.warnings = []
        self.updates = ServerUpdates(client, update_strategy, self.warnings, self.written, clock, probe_cache)

    def plan(self, wanted, current, state="present"):
        """The change that brings current to wanted; the handler it manages is the task's own from here."""
        self.known.claim(current)
        return plan_change(wanted, current, self.salt, state)

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
                change.new_id = self.create(change.expected, replacing=change.current)
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
                    self.delete_replaced(change)
                except DmpilotError as error:
                    failures.append((change, error))
                except HandlerStateFailure as refusal:
                    refusals.append(refusal)
        for change in writes:
            if change.action == "delete":
                change.already_gone = not self.delete(change.current["id"], change.current["name"], gone_ok=True)
        if failures or refusals:
            raise HandlerStateFailure(" ".join([str(refusal) for refusal in refusals] + ([replaced_but_kept(failures)] if failures else [])),
                                      "replaced_but_kept" if failures else refusals[0].reason)
        return changes

    def decide(self, writes):
        """Which changes replace their handler, and every refusal that depends on the server: before the first write."""
        for change in writes:
            if change.action == "update":
                change.replaces = self.replaces(change)
        for change in writes:
            if change.creates:
                self.check_can_create_disabled(change.expected, change.current)
        if not self.check_mode:
            # The handlers that share a new handler's name before this run writes are the user's, never a racing run's:
            # know them (a handler chosen by id was read alone).
            for change in writes:
                if change.creates and not self.known.knows_every_handler_named(change.expected["name"]):
                    self.known.named(change.expected["name"])

    def predict(self, changes, writes):
        """Check mode: each change's stored handler is the prediction. Check mode never probes, so where the server's way
        with updates is not known yet (from a probe of an earlier task of this run), it says what it cannot know."""
        if self.updates.known() is not None:
            self.decide(writes)  # the same refusals as the real run
        else:
            warning = predicted_without_update_mode(writes, self.update_strategy)
            if warning:
                self.warnings.append(warning)
        for change in writes:
            change.stored = change.predicted()
        warning = awaiting_confirmation_unknown(writes)
        if warning:
            self.warnings.append(warning)
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
        change.stored = self.verified_or_deleted(new_id, stored, change.expected, done, keep_pending=change.action == "create")
        # A rival is a handler that did not exist when this run read the account, and carries the name this run just
        # created: a racing run's. The lowest id wins (ids only grow, rule 11). Any handler this run saw is the user's.
        rivals = self.known.rivals(namesakes, new_id)
        if not rivals:
            return
        winner = min(rivals, key=lambda handler: handler["id"])
        self.delete(new_id, winner["name"])
        self.warnings.append("Notification handler %r was created at the same time by this run (id %d) and by another one (id %d). "
                             "The lowest id wins: this run deleted handler %d and manages handler %d."
                             % (winner["name"], new_id, winner["id"], new_id, winner["id"]))
        # From here the winner is the handler this run manages, never a rival again: converging it under recreate creates
        # a replacement, whose read-back would otherwise take the winner for a racing run's handler, and so on forever.
        self.known.seen.add(winner["id"])
        converge = self.plan(change.wanted, winner)
        self.apply([converge])
        change.stored = converge.stored
        if change.current is not None:
            self.delete(change.current["id"], change.current["name"], gone_ok=True)
            change.replaces = False  # its predecessor is gone already

    def delete_replaced(self, change):
        """Delete the handler a verified new one replaces (a DmpilotError where that fails: apply() goes on, then fails)."""
        current, new_id = change.current, change.stored["id"]
        if waits_for_confirmation_again(change):
            if self.update_strategy != "recreate":
                self.delete_again(new_id, change.expected, HandlerStateFailure(
                    "Notification handler %d (%r) is an email handler whose owner confirmed its address. This dmpilot server %s, "
                    "so changing it means replacing it, and the replacement, handler %d, waits for the owner to confirm the "
                    "address again: no alert would reach it until then. So handler %d was kept as it is. Set update_strategy: "
                    "recreate to replace it all the same (the owner then confirms the address again), or change it in dmpilot's "
                    "web interface." % (current["id"], current["name"], SERVER_DOES[self.updates.mode], new_id, current["id"]),
                    "confirmed_email"))
            self.warnings.append("Notification handler %r was replaced by handler %d, which waits for the owner of %s to confirm the "
                                 "address again: no alert reaches it until then." % (change.stored["name"], new_id,
                                                                                     change.stored["settings"].get("email")))
        self.delete(current["id"], current["name"], gone_ok=True)
        if self.update_strategy != "recreate":
            self.warnings.append("Notification handler %r was replaced, because %s: its id changed from %d to %d. Anything that "
                                 "refers to it by id must use %d."
                                 % (change.stored["name"], REPLACED_BECAUSE[self.updates.mode], current["id"], new_id, new_id))

    def replaces(self, change):
        """Whether a change replaces its handler (True) or updates it in place (False); fails where neither is safe."""
        current = change.current
        if self.update_strategy == "recreate":
            return True
        if self.updates_are_faithful():
            return False
        if not change.expected["enabled"] and current["enabled"]:
            raise HandlerStateFailure("enabled: notification handler %d (%r) cannot be disabled: %s Nothing was changed."
                                      % (current["id"], current["name"], CANNOT_DISABLE % SERVER_DOES_BRIEFLY[self.updates.mode]),
                                      "cannot_disable")
        if self.update_strategy == "update":
            raise HandlerStateFailure("update_strategy=update, but this dmpilot server %s. So nothing was sent to notification handler "
                                      "%d (%r). Set update_strategy: auto (or recreate) to replace it with a new handler instead."
                                      % (SERVER_DOES[self.updates.mode], current["id"], current["name"]), "server_breaks_updates")
        if current["id"] in self.client.confirmed_addresses and change.expected["type"] == "email" \
                and change.expected["settings"].get("email") == current["settings"].get("email"):
            # Known before writing (the server shows the address confirmed): a replacement would mail its owner for nothing.
            raise HandlerStateFailure(
                "Notification handler %d (%r) is an email handler whose owner confirmed its address. This dmpilot server %s, so "
                "changing it means replacing it, and the server would put the replacement's address on confirmation again "
                "(a confirmation mail, and no alert until the owner confirms). Nothing was changed. Set update_strategy: recreate "
                "to replace it all the same, or change it in dmpilot's web interface."
                % (current["id"], current["name"], SERVER_DOES[self.updates.mode]), "confirmed_email")
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
                                      % (replaced["id"], replaced["name"], SERVER_DOES[self.updates.mode]), "cannot_disable")
        raise HandlerStateFailure("enabled: %r cannot be created disabled: %s Nothing was changed."
                                  % (expected["name"], CANNOT_DISABLE % SERVER_DOES_BRIEFLY[self.updates.mode]), "cannot_disable")

    def create(self, expected, replacing=None):
        """Create a handler. The API ignores is_enabled on create, so a disabled one is created, then disabled."""
        done = "created handler %r" % plain_form(expected["name"])
        if replacing is not None:
            # Unanswered, it may land: then the name is there twice, and the message must say which handler is the old one.
            done += (" to replace handler %d: if two handlers have that name now, handler %d is the old one; run the task again, "
                     "or remove the newer one with its id and state: absent" % (replacing["id"], replacing["id"]))
        handler_id = self.unanswered_may_have(done, self.client.create_handler, create_form(expected))
        self.known.created_ids.add(handler_id)
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
                return False
            raise
        self.written.append("deleted handler %d (%r)" % (handler_id, name))
        return True

    def unanswered_may_have(self, done, write, *arguments):
        """Send a write. Where no answer came (a timeout, a lost connection) or the server failed, it may have been applied
        all the same: the run's record says so, so that the failure reports changed and what may have been written."""
        self.known.wrote = True
        try:
            return write(*arguments)
        except DmpilotError as error:
            if error.status is None or error.status >= 500:
                self.written.append("may have %s (the request got no answer, or the server failed on it)" % done)
            raise

    # Reading back.

    def verified_or_deleted(self, new_id, stored, expected, done, keep_pending=False):
        """A handler this run created is deleted again when it is not what was asked for: no half-made handler is left.

        With keep_pending, a new email handler that the server keeps enabled until its owner confirms the address is
        kept: deleting it would leave the owner nothing to confirm, and every later run in the same place.
        """
        try:
            return self.verified(new_id, stored, expected, done)
        except PendingConfirmation as failure:
            if keep_pending:
                raise HandlerStateFailure("%s It was kept, enabled and waiting for that confirmation: once the owner confirms, the next "
                                          "run disables it." % failure, failure.reason)
            return self.delete_again(new_id, expected, failure)
        except HandlerStateFailure as failure:
            return self.delete_again(new_id, expected, failure)

    def delete_again(self, new_id, expected, failure):
        """Delete a handler this run created, then fail with failure, saying whether it is gone."""
        try:
            deleted = self.delete(new_id, expected["name"], gone_ok=True)
        except DmpilotError as error:
            raise HandlerStateFailure("%s Deleting it again failed too (%s): delete handler %d yourself." % (failure, error, new_id),
                                      failure.reason)
        raise HandlerStateFailure("%s It was deleted again." % failure if deleted else str(failure), failure.reason)

    def verified(self, handler_id, stored, expected, done):
        """Fail, naming the fields, when the server stored something else than what was asked for."""
        if stored is None:
            raise HandlerStateFailure("Notification handler %d was %s, but reading it back answered 404: it was deleted meanwhile, "
                                      "by another run or by hand." % (handler_id, done), "deleted_meanwhile")
        mismatched = differences(expected, stored)
        if mismatched == ["enabled"] and stored["pending_confirmation"] and not expected["enabled"]:
            raise PendingConfirmation("Notification handler %d was %s, but the server kept it enabled: it is an email handler whose owner "
                                      "has not confirmed the address yet, and the server keeps such a handler enabled whatever is sent. "
                                      "Ask the owner of the address to confirm it (the link in the confirmation email)."
                                      % (handler_id, done))
        if mismatched:
            raise HandlerStateFailure("Notification handler %d was %s, but the server did not store what was asked for: %s."
                                      % (handler_id, done, ", ".join(mismatched)), "not_stored_as_sent")
        return stored

    def updates_are_faithful(self):
        """Whether this server stores updates as sent: the update test runs at most once per run (ServerUpdates)."""
        return self.updates.faithful(keep=self.known.claimed)

    def failure_details(self):
        """What a failure must add once this run has written: changed, and what was written."""
        if not self.written:
            return "", False
        return " Before this failure, the task %s." % ", then ".join(self.written), True


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
