# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which handlers are whose: what one run knows of identity, never guesses.

The handlers it read before writing, the names whose every handler it read (or the whole account), the handlers it
created, and the handlers that the task names. Only a handler this run created, or one that appeared after its read
with the name it just created (a racing run's), may be deleted by the safety machinery; every other handler is the
user's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import stored_form


class KnownHandlers:
    """The handlers of one account that this run knows, as facts; reading by name records what was read."""

    def __init__(self, client):
        self.client = client
        self.seen = set()  # the handlers read before this run wrote: they existed before it
        self.names_read = set()  # the names (stored form) whose every handler was read before this run wrote
        self.everything_read = False  # the whole account was read before this run wrote
        self.created_ids = set()
        self.claimed = set()  # the handlers that the task names (by id or by name): the user's, whatever they look like
        self.wrote = False  # whether this run has written to a handler of the account (the probe's own aside)

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

    def claim(self, handler):
        if handler is not None:
            self.claimed.add(handler["id"])

    def knows_every_handler_named(self, name):
        return self.everything_read or stored_form(name) in self.names_read

    def rivals(self, namesakes, new_id):
        """The handlers that a racing run created with the name this run just created: a lower id, and one that did not
        exist when this run read the account. Any handler this run saw, or created, is not one."""
        return [handler for handler in namesakes
                if handler["id"] < new_id and handler["id"] not in self.seen and handler["id"] not in self.created_ids]
