# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Converge a list of notification handlers in one process: one list read, each item planned with the single
module's comparison (_handler_plan.py), every write applied and verified by the writer (_handler_writer.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import list_cost
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_plan import (
    Change,
    HandlerStateFailure,
    check_same_handler,
    no_such_id,
    the_one_named,
)
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_state import converge
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import FIELDS
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_diff import handler_diff
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import (
    InvalidHandler,
    masked_handler,
    plain_form,
    same_name,
    stored_form,
    wanted_handler,
)
from ansible_collections.dmpilot.cloud.plugins.module_utils._update_probe import is_probe


class Item:
    """One item of the handlers option: where it stands in the list, its options, and the handler it wants."""

    def __init__(self, index, options):
        self.index = index
        self.options = options
        self.label = "handlers[%d]" % index
        if options["name"] is None and options["id"] is None:
            raise InvalidHandler("%s: give name or id, so that the item names a handler." % self.label)
        try:
            self.wanted = wanted_handler(options["name"], options["type"], options["enabled"],
                                         dict((name, options[name]) for name in FIELDS))
        except InvalidHandler as error:
            raise InvalidHandler(self.say(str(error)), error.reason)
        self.present = options["state"] == "present"

    def say(self, message):
        """A message about this item, which names it the way the playbook does."""
        name = self.options.get("name") or ("id %s" % self.options["id"])
        return "%s (%s): %s" % (self.label, name, message)


def checked_items(params):
    """The items, each validated, and none naming the same handler as another: all before any request."""
    items = [Item(index, options) for index, options in enumerate(params["handlers"] or [])]
    seen = {}
    for item in items:
        key = ("id", item.options["id"]) if item.options["id"] is not None else ("name", stored_form(item.wanted["name"]))
        if key in seen:
            raise InvalidHandler("%s and %s both name the handler with %s %r. Give each handler once." % (
                seen[key].label, item.label, key[0], key[1]))
        seen[key] = item
    # Two present items that end with one name: refused at once, unless both name their handler by id (an export of an
    # account whose handlers already share a name); renames into a name are checked once the handlers are read.
    named = {}
    for item in items:
        if item.present and "name" in item.wanted:
            other = named.setdefault(stored_form(item.wanted["name"]), item)
            if other is not item and None in (other.options["id"], item.options["id"]):
                raise InvalidHandler("%s and %s would both end with the name %r, and names must tell handlers apart. Nothing "
                                     "was sent. Give each handler its own name." % (other.label, item.label, item.wanted["name"]),
                                     "name_conflict")
    if params["purge"] and not any(item.present for item in items) and not params["delete_all_handlers"]:
        raise InvalidHandler("purge: with purge true and no present handler in handlers (the role's dmpilot_notification_handlers), "
                             "every handler of the account would be "
                             "deleted. If that is what you want, also set delete_all_handlers: true (in the role: "
                             "dmpilot_notification_handlers_delete_all); otherwise check the list (an empty or misspelt variable "
                             "gives no handlers).", "would_delete_all")
    return items


def planned_changes(state, items, current, purge):
    """The change of each item against the current handlers, then the purge: (label, change) pairs."""
    by_id = dict((handler["id"], handler) for handler in current)
    claimed = {}
    changes = []
    for item in items:
        try:
            handler = matched_handler(item, current, by_id)
            if handler is not None and handler["id"] in claimed:
                raise HandlerStateFailure("%s and %s both manage notification handler %d. Give each handler once." % (
                    claimed[handler["id"]], item.label, handler["id"]), "invalid_option")
            if handler is not None:
                claimed[handler["id"]] = item.label
            if not item.present:
                check_same_handler(item.options["id"], item.wanted.get("name"), handler)
            changes.append((item.label, state.plan(item.wanted, handler, item.options["state"])))
        except (InvalidHandler, HandlerStateFailure) as error:
            raise HandlerStateFailure(item.say(str(error)), error.reason)
    if purge:
        kept = set(claimed)
        changes.extend(("purge", Change("delete", {}, current=handler)) for handler in current
                       if handler["id"] not in kept and not is_probe(handler))
    check_final_names(changes, current, [(item.label, item.wanted["name"]) for item in items if not item.present and "name" in item.wanted])
    return changes


def check_final_names(changes, current, absent_names=()):
    """No change may give a handler a name that another handler ends with, or that an item wants gone: refused before any
    write, naming both."""
    final = dict((handler["id"], (None, handler["name"])) for handler in current)  # id -> (label, name after the task)
    renamed = []
    for number, (label, change) in enumerate(changes):
        key = change.current["id"] if change.current is not None else ("new", number)
        if change.action == "delete":
            final.pop(key, None)
        elif change.action is not None:
            final[key] = (label, change.expected["name"])
            if change.current is None or not same_name(change.expected["name"], change.current["name"]):
                renamed.append((key, label, change.expected["name"]))
    for key, label, name in renamed:
        gone = [absent_label for absent_label, absent_name in absent_names if same_name(absent_name, name) or same_name(name, absent_name)]
        if gone:
            raise HandlerStateFailure("%s: %r is the name that %s wants no handler to have. Nothing was changed. Give one of the two "
                                      "items another name." % (label, name, gone[0]), "name_conflict")
        others = [(other_key, other_label) for other_key, (other_label, other_name) in final.items()
                  if other_key != key and (same_name(name, other_name) or same_name(other_name, name))]
        if others:
            other_key, other_label = others[0]
            holder = other_label or "handler %d, which this task does not manage" % other_key
            raise HandlerStateFailure("%s: %r would also be the name of %s, and names must tell handlers apart. Nothing was changed. "
                                      "Choose another name%s." % (label, name, holder, "" if other_label else ", or add that handler to the list"),
                                      "name_conflict")


def matched_handler(item, current, by_id):
    """The current handler an item manages: by id, or by exact name; None for one to create."""
    if item.options["id"] is not None:
        handler = by_id.get(item.options["id"])
        if handler is None and item.present:
            raise no_such_id(item.options["id"])
        return handler
    return the_one_named(item.wanted["name"], [handler for handler in current if same_name(item.wanted["name"], handler["name"])])


def outcome(changes, current, salt):
    """The result: the handlers after the run, what was created, updated, replaced and deleted, and a diff per handler."""
    after = dict((handler["id"], handler) for handler in current)
    created, updated, replaced, deleted, already_gone, new, diffs = [], [], [], [], [], [], []
    for _label, change in changes:
        if not change.action:
            continue
        old = change.current
        stored = change.stored
        # Each diff is named by the handler as it was, so that check mode, which knows no new id, and the real run show
        # the same list.
        diffs.append(handler_diff(old, stored, salt))
        if old is not None:
            after.pop(old["id"], None)
        if stored is not None:
            if stored["id"] is None:
                new.append(stored)
            else:
                after[stored["id"]] = stored
        if change.action == "delete":
            (already_gone if change.already_gone else deleted).append(dict(id=old["id"], name=plain_form(old["name"])))
        elif old is None or (stored is not None and stored["id"] == old["id"]):
            (created if old is None else updated).append(dict(id=stored["id"], name=plain_form(stored["name"])))
        else:
            replaced.append(dict(old_id=old["id"], id=stored["id"], name=plain_form(stored["name"])))
    handlers = [after[handler_id] for handler_id in sorted(after)] + new
    return dict(
        changed=bool(created or updated or replaced or deleted),
        notification_handlers=[masked_handler(handler, salt) for handler in handlers],
        created=created, updated=updated, replaced=replaced, deleted=deleted, already_gone=already_gone,
        diff=diffs,
    )


def run(module):
    """Run the list module: validate every item, read the list once, converge."""
    params = module.params

    def every_handler(state):
        items = checked_items(params)
        current = state.read_until_settled(module.client.list_handlers, lambda found: [
            [handler for handler in found if same_name(item.wanted["name"], handler["name"])]
            for item in items if item.options["id"] is None])
        state.known.saw(current, everything=True)
        changes = planned_changes(state, items, current, params["purge"])
        state.apply([change for _label, change in changes], list_pages=list_cost(len(current)))
        return outcome(changes, current, module.salt)

    converge(module, every_handler)
