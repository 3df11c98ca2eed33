# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Find notification handlers by name or id for the lookup plugin: each term one handler, as the info module returns it.

Pure logic over the client: the lookup plugin gives it a client and the terms, and turns a LookupProblem or a
DmpilotError into its error. Names compare as the modules compare them (same_name), and nothing is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections.abc import Mapping

from ansible_collections.dmpilot.cloud.plugins.module_utils._failures import Failure
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import MAX_NAME_LENGTH
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import masked_handler, plain_form, quoted_form, same_name, server_cleaned

DIGITS = re.compile(r"^[0-9]+$")


class LookupProblem(Failure, ValueError):
    """Terms that name no handler, or several, or that are neither a name nor an id: the message names each, and the reason
    is the first one's."""

    reason = "invalid_option"


def checked_terms(terms):
    """The terms, a list among them read as its items (query(..., names)): each a name (a string) or an id (a number)."""
    flat = []
    for term in terms:
        flat.extend(term if isinstance(term, (list, tuple)) else [term])
    if not flat:
        raise LookupProblem("No term was given: give the name or the id of at least one notification handler.")
    for number, term in enumerate(flat, 1):
        if isinstance(term, bool) or not isinstance(term, (str, int)):
            raise LookupProblem("Term %d is %s, which is neither a handler's name (a string) nor its id (a number)." % (number, kind_of(term)))
        if isinstance(term, str) and not term:
            raise LookupProblem("Term %d is an empty name: give the name or the id of a notification handler." % number)
    return flat


def kind_of(term):
    """What a term is, in YAML's words rather than Python's (a template's dict is a _AnsibleLazyTemplateDict)."""
    if term is None:
        return "null"
    for kind, name in ((bool, "a boolean"), (float, "a float"), (Mapping, "a dict")):
        if isinstance(term, kind):
            return name
    return "a %s" % type(term).__name__


def is_id(term):
    return not isinstance(term, str)


def read(client, terms):
    """The handlers among which the terms are found, with the fewest requests: one name is one search (the whole list
    where the server has no search, or where the search cannot find the name), one id one read, and several terms the
    whole list once, one request per 1,000 handlers, rather than a search or a read each."""
    wanted = set(terms)
    if len(wanted) > 1:
        return client.list_handlers()
    term = wanted.pop()
    if not is_id(term):
        return client.find_by_name(term)
    handler = client.get_handler(term)
    return [handler] if handler is not None else []


def problem_of(term, matches):
    """What is wrong with a term that does not name exactly one handler, and what to do."""
    if matches:
        return ("%d notification handlers are named %r, ids %s: names need not be unique. Give the id of the one you mean, "
                "or rename or delete the others." % (len(matches), term, ", ".join(str(handler["id"]) for handler in matches)))
    if is_id(term):
        return "No notification handler has id %d for this API key." % term
    problem = "No notification handler is named %r." % term
    cleaned = server_cleaned(term, MAX_NAME_LENGTH)
    if cleaned != quoted_form(term):
        # Rule 10: a server that cleans names stores this one as another name, so no handler of it can have it there.
        problem += (" A server that cleans names (it removes a NUL, what looks like an HTML tag and the blanks at both ends) "
                    "would have stored it as %r, which is another name." % plain_form(cleaned))
    if DIGITS.match(term):
        problem += " To look a handler up by its id, give the id as a number (%s), not as a string." % term
    return problem


def find_handlers(client, terms, salt):
    """For each term in order, the handler it names (by exact name, or by id), as the info module returns it: its
    secrets masked with the fingerprints keyed with salt (the API key). A LookupProblem names every term that does not
    name exactly one handler."""
    terms = checked_terms(terms)
    found = read(client, terms)
    handlers, problems, reasons = [], [], []
    for term in terms:
        matches = [handler for handler in found if (handler["id"] == term if is_id(term) else same_name(term, handler["name"]))]
        if len(matches) == 1:
            handlers.append(masked_handler(matches[0], salt))
        elif problem_of(term, matches) not in problems:
            problems.append(problem_of(term, matches))
            reasons.append("name_shared" if matches else "not_found")
    if problems:
        raise LookupProblem(" ".join(problems), reasons[0])
    return handlers
