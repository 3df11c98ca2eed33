# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding handlers by their exact name with the server's search (rule 14): the search is a hint, the match is ours.

The client (_client.py) sends the search and knows no names; the handler model (_handlers.py) says which stored name
is the one wanted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import DmpilotClient
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import MAX_NAME_LENGTH
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import same_name, server_cleaned, stored_form


class NameSearchClient(DmpilotClient):
    """The client the modules use: DmpilotClient, and handlers found by their exact name."""

    def find_by_name(self, name):
        """Every handler with exactly this name: names need not be unique, so callers decide about several.

        The server's search (rule 14) answers the names that contain the text, ignoring case; the exact match is ours.
        A search that finds no such name is confirmed with the whole list before the name is taken to be free, unless
        its answer already was the whole list (a server without search ignores the option).
        """
        text = search_text(name)
        if text is None:
            return [handler for handler in self.list_handlers() if same_name(name, handler["name"])]
        found = self.list_handlers(search=text)
        matches = [handler for handler in found if same_name(name, handler["name"])]
        # An answer that holds a name the search cannot have matched is the whole list: a server without search (rule 14).
        if matches or any(not like_match(text, handler["name"]) for handler in found):
            return matches
        return [handler for handler in self.list_handlers() if same_name(name, handler["name"])]

    def find_by_name_prefix(self, prefix):
        """Every handler whose name starts with prefix, with one search (or the whole list)."""
        return [handler for handler in self.list_handlers(search=prefix) if (handler["name"] or "").startswith(prefix)]


def search_text(name):
    """The search text that finds a name (rule 14): the name with its quotes as the server cleans them (it cleans the
    search text like any input), and `\\`, `%` and `_` escaped with a backslash, which MySQL's LIKE reads as an escape and
    as wildcards. None where the cleaning would change the name otherwise (a tag, a '<', blanks at the ends): such a
    name is looked for in the whole list."""
    if server_cleaned(name, MAX_NAME_LENGTH) != stored_form(name) or not name:
        return None
    return "".join("\\" + char if char in "\\%_" else char for char in stored_form(name))


def like_match(text, name):
    """Whether the server's search for text would answer name: MySQL's LIKE '%text%', case-insensitive, where `%` and
    `_` are wildcards and a backslash makes the next character literal (rule 14)."""
    pattern, escaped = [], False
    for char in text:
        if escaped or char not in "\\%_":
            pattern.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            pattern.append(".*" if char == "%" else ".")
    return not escaped and re.search("".join(pattern), name or "", re.IGNORECASE | re.DOTALL) is not None
