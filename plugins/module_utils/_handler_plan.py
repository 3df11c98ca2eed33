# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The plan: what each wanted handler needs, decided from what was read, without a request. Pure.

A Change says create, update, delete, or nothing. Whatever can be refused without asking the server is refused here,
before any write; what depends on the server's way with updates (rule 13) is the writer's to decide. Check mode shows
each change's prediction, from here too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dmpilot.cloud.plugins.module_utils._failures import Failure, guide_link
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import (
    changed_fields,
    check_creatable,
    check_name_sendable,
    check_sendable,
    merged_handler,
    plain_form,
    resolve_masked_secrets,
    same_name,
    stored_form,
)

# What a refusal before any write says; converge() drops it where the run had written something before (the message
# then says what).
NOTHING_CHANGED = " Nothing was changed."


class HandlerStateFailure(Failure):
    """The task must fail with this message and reason; nothing more needs saying."""


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


def plan_change(wanted, current, salt, state="present"):
    """The change that brings current to wanted: the single module and each item of the list module plan alike."""
    if state == "absent":
        return Change("delete" if current is not None else None, wanted, current=current)
    if current is None:
        check_creatable(wanted)
        check_name_sendable(wanted["name"])
        resolve_masked_secrets(wanted, None, salt)
        check_sendable(wanted["settings"])
        return Change("create", wanted, merged_handler(wanted))
    wanted = resolve_masked_secrets(wanted, current, salt)
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


# Refusals before any write.

def check_has_type(wanted, current):
    """A handler that the update bug broke (rule 13: type null, settings emptied) cannot be changed without its type: any
    change of it replaces it or sends its type, and the server refuses a handler without one. Given as it is (no
    setting, no other change), it is left alone."""
    if current["type"] is None and "type" not in wanted and (wanted["settings"] or changed_fields(wanted, current)):
        raise HandlerStateFailure("type: notification handler %d (%r) has no type: an update of a server with the update bug emptied "
                                  "its type and settings. Give type and its settings to restore it.%s"
                                  % (current["id"], plain_form(current["name"]), NOTHING_CHANGED), "handler_broken")


def check_can_disable(expected, current):
    """The server keeps an email handler enabled while its owner has not confirmed the address (rule 8)."""
    if current["pending_confirmation"] and not expected["enabled"]:
        raise HandlerStateFailure("enabled: notification handler %d (%r) cannot be disabled yet: it is an email handler whose owner has "
                                  "not confirmed the address, and the server keeps such a handler enabled whatever is sent. Ask the owner "
                                  "of the address to confirm it (the link in the confirmation email), then run the task again. "
                                  "Nothing was changed." % (current["id"], current["name"]), "pending_confirmation")


def check_name_free(change, others):
    """A rename must not give a handler the name another handler has: names would no longer tell them apart."""
    if others:
        raise HandlerStateFailure("name: notification handler %d (%r) cannot be renamed to %r: handler %s already has that name, and "
                                  "names must tell handlers apart. Nothing was changed. Choose another name, or rename or delete "
                                  "handler %s first." % (change.current["id"], change.current["name"], change.expected["name"],
                                                         ", ".join(str(handler["id"]) for handler in others),
                                                         others[0]["id"]), "name_conflict")


def check_same_handler(handler_id, name, current):
    """state=absent with both id and name: both must name the one handler, or nothing is deleted."""
    if handler_id is not None and name is not None and current is not None and not same_name(name, current["name"]):
        raise HandlerStateFailure("name: handler %d is named %r, not %r, so it was not deleted: id and name name two different "
                                  "handlers. Give the id alone, or the name that handler has." % (handler_id, current["name"], name),
                                  "id_name_mismatch")


# Which handler a name or an id gives.

def no_such_id(handler_id):
    return HandlerStateFailure("id: no notification handler %d exists for this API key. The module never creates a handler for an id; "
                               "remove id to create one by name." % handler_id, "not_found")


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
               " and ".join("a task with id: %d and state: absent" % handler_id for handler_id in newer)), "name_shared")
    return matches[0] if matches else None


# Check mode: what cannot be known without writing.

# What check mode says where the real run depends on how the server applies updates: the same words in every task, so
# that ansible-playbook shows them once per run (it shows a warning once however many tasks give it).
CHECK_MODE_CANNOT_TELL = ("Check mode does not run the update test, so it cannot tell what the real run will do where this dmpilot "
                          "server ignores or breaks updates: replace a handler (a new id) instead of updating it, or refuse to "
                          "disable one. See " + guide_link("dry-runs") + ".")


def awaiting_confirmation_unknown(writes):
    """What check mode says where a new email handler is to be disabled: a server that confirms addresses (66biolinks)
    keeps it enabled until its owner confirms, so the real run creates it and then fails; only a write tells (None where
    no such handler is written)."""
    names = [plain_form(change.expected["name"]) for change in writes
             if change.creates and change.expected["type"] == "email" and not change.expected["enabled"]]
    if not names:
        return None
    return ("Check mode cannot tell what the real run will do for the disabled email handler(s) %s: a server that confirms "
            "email addresses keeps a new one enabled until its owner confirms it, and the real run then fails after creating "
            "it. See %s." % (", ".join(repr(name) for name in names), guide_link("email-handlers-and-confirmation")))


def depends_on_update_mode(change, update_strategy):
    """Whether the real run's outcome of a change depends on the server's way with updates, which check mode cannot know."""
    if change.action == "create":
        return not change.expected["enabled"]
    if change.action == "update":
        return update_strategy != "recreate" or not change.expected["enabled"]
    return False


def predicted_without_update_mode(writes, update_strategy):
    """Check mode where the server's way with updates is not known yet: each change as update_strategy alone decides it,
    and the warning that the real run may do otherwise (None where nothing depends on it)."""
    for change in writes:
        change.replaces = change.action == "update" and update_strategy == "recreate"
        change.mode_unknown = depends_on_update_mode(change, update_strategy)
    return CHECK_MODE_CANNOT_TELL if any(change.mode_unknown for change in writes) else None
