# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bring one notification handler to its wanted state: find it, compare, write only what differs, verify.

Every write is followed by a read of the stored handler. Success is reported only when what the server
stored is what was asked for, so a server that mangles updates (dmpilot-api.md part B rule 13) is caught.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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

RECREATE_HINT = ("This dmpilot server is known to mangle updates (type null, settings lost). "
                 "Set update_strategy: recreate to replace the handler with a new one instead of updating it.")


class HandlerStateFailure(Exception):
    """The task must fail with this message; nothing more needs saying."""


class HandlerState:
    """present() and absent() for one handler, in check mode too, with a diff."""

    def __init__(self, client, salt, check_mode=False, update_strategy="update"):
        self.client = client
        self.salt = salt
        self.check_mode = check_mode
        self.update_strategy = update_strategy

    # Which handler.

    def find(self, handler_id=None, name=None, must_exist=False):
        """The current handler by id (one GET) or by exact name (the list), or None."""
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
        if self.check_mode:
            return self.result(True, current, dict(expected, id=current["id"], pending_confirmation=current["pending_confirmation"]))
        if self.update_strategy == "recreate":
            return self.recreate(expected, current)
        self.client.update_handler(current["id"], form)
        stored = self.verified(current["id"], expected, "updated", RECREATE_HINT)
        return self.result(True, current, stored)

    def absent(self, current):
        if current is not None and not self.check_mode:
            self.client.delete_handler(current["id"])
        return dict(changed=current is not None, notification_handler={},
                    diff=dict(before=diff_view(current, self.salt), after={}))

    # Writes.

    def create(self, wanted):
        expected = merged_handler(wanted)
        if self.check_mode:
            return self.result(True, None, dict(expected, id=None, pending_confirmation=False))
        handler_id = self.create_as(expected)
        return self.result(True, None, self.verified_or_removed(handler_id, expected, "created"))

    def create_as(self, expected):
        """Create a handler. The API ignores is_enabled on create, so a disabled one is created, then disabled."""
        handler_id = self.client.create_handler(create_form(expected))
        if not expected["enabled"]:
            disable = {"is_enabled": False}
            if "email" in expected["settings"]:
                # Without its address, an email update restarts the confirmation and re-enables the handler (rule 8).
                disable["email"] = expected["settings"]["email"]
            self.client.update_handler(handler_id, disable)
        return handler_id

    def recreate(self, expected, current):
        """Create the new handler first and delete the old one only once the new one is verified."""
        new_id = self.create_as(expected)
        stored = self.verified_or_removed(new_id, expected, "created to replace handler %d" % current["id"])
        self.client.delete_handler(current["id"])
        return self.result(True, current, stored)

    def verified_or_removed(self, new_id, expected, done):
        """A handler this run created is deleted again when it is not what was asked for: no half-made handler is left."""
        try:
            return self.verified(new_id, expected, done, "It was deleted again, and nothing else was changed.")
        except HandlerStateFailure:
            try:
                self.client.delete_handler(new_id)
            except DmpilotError as error:
                if error.status != 404:
                    raise
            raise

    def verified(self, handler_id, expected, done, hint):
        """Read the handler back; fail, naming the fields, when the server stored something else."""
        stored = self.client.get_handler(handler_id)
        if stored is None:
            raise HandlerStateFailure("Notification handler %d was %s, but reading it back answered 404." % (handler_id, done))
        mismatched = differences(expected, stored)
        if mismatched:
            raise HandlerStateFailure(("Notification handler %d was %s, but the server did not store what was asked for: %s. %s" % (
                handler_id, done, ", ".join(mismatched), hint)).strip())
        return stored

    def result(self, changed, before, after):
        returned = masked_handler(after, self.salt)
        return dict(changed=changed, notification_handler=returned,
                    diff=dict(before=diff_view(before, self.salt), after=diff_view(after, self.salt)))


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
        module.fail_json(msg=str(error), **error_details(error))
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)
