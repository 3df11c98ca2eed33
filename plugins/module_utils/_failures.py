# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Why a task failed, as a word a playbook can test (failed_when: result.reason == 'cannot_disable').

REASONS is the one table of these words: the exceptions carry one of them, decided where they are raised, the modules
return it as `reason`, and tools/render_docs.py writes the guide's table from it. Also here: what an exception of the
transport says (for the client's reasons), and the links of messages to the guide.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import socket

# Each reason, with what it means and what to do, in one short line: the guide's table of failures.
REASONS = collections.OrderedDict([
    # The task's options.
    ("invalid_option", "An option is missing or has a value that cannot work; the message names it. Nothing was sent."),
    ("missing_requirement", "The Python library requests is not installed where the module runs."),
    ("masked_value_unknown", "A masked secret (C(********#...)) matches no stored secret: it was exported with another API "
                             "key, or the handler is new. Export again, or give the secret in clear."),
    ("not_found", "No handler has the id given."),
    ("name_shared", "Several handlers have the name: set the id of the one to manage, or rename or delete the others."),
    ("name_conflict", "The task would leave two handlers with one name: give each its own name."),
    ("id_name_mismatch", "With O(state=absent), the id and the name given belong to two different handlers. Nothing was deleted."),
    ("would_delete_all", "O(purge=true) with no present item would delete every handler; set O(delete_all_handlers=true) if meant."),
    # What the server allows.
    ("cannot_disable", "This server cannot disable a handler through its API: disable it in dmpilot's web interface."),
    ("pending_confirmation", "An email handler awaits the confirmation of its address, and cannot be disabled until then."),
    ("confirmed_email", "A change would replace an email handler whose address is confirmed, restarting the confirmation."),
    ("server_breaks_updates", "O(update_strategy=update), but this server ignores or breaks updates: set V(auto) or V(recreate)."),
    ("handler_broken", "The handler lost its type and settings to the server's update bug: give its type and settings."),
    ("update_test_failed", "The update test could not run, often at the plan's limit of handlers."),
    # What the server did.
    ("not_stored_as_sent", "The server stored something else than what was sent; the message names the fields."),
    ("deleted_meanwhile", "A handler this run wrote was deleted by someone else before it was read back."),
    ("replaced_but_kept", "A replaced handler's old one could not be deleted, so its name is there twice: delete the old one."),
    ("list_changing", "Handlers were created or deleted while the list was read, again and again: run the task again."),
    # The API's answers.
    ("auth_failed", "HTTP 401: the API key is wrong, or, on a write, the plan refused the request."),
    ("rate_limited", "HTTP 429 after waiting O(rate_limit_timeout) seconds."),
    ("server_refused", "Another HTTP 4xx answer; the message gives the server's words."),
    ("server_error", "HTTP 5xx, after the retries that are safe."),
    ("not_the_api", "An HTML page, a redirect, or an answer the API does not document: check O(api_url)."),
    # The connection.
    ("host_not_found", "The host of O(api_url) could not be resolved (DNS)."),
    ("connection_failed", "The connection was refused or lost."),
    ("timeout", "No answer within O(timeout) seconds."),
    ("tls_failed", "The TLS connection failed, often an untrusted certificate."),
])


class Failure(Exception):
    """A failure of a task, with its message and its reason, one of REASONS. A class gives its usual reason, and a raise
    may give another."""

    reason = None

    def __init__(self, message, reason=None):
        super(Failure, self).__init__(message)
        if reason is not None:
            self.reason = reason


# The words of an exception of the transport (requests wraps urllib3's errors, which wrap the socket's or the TLS
# layer's), for the client's failures.

def is_connection_refused(exc):
    """requests wraps urllib3's errors in several layers; the words survive all of them."""
    return isinstance(exc, ConnectionRefusedError) or "refused" in str(exc).lower()


def is_name_unresolved(exc):
    """Whether the host's name could not be resolved: a socket.gaierror in the layers (urllib3 2 wraps it in a
    NameResolutionError, urllib3 1 gives its words alone)."""
    return any(isinstance(layer, socket.gaierror) or type(layer).__name__ == "NameResolutionError" or "Failed to resolve" in str(layer)
               for layer in error_layers(exc))


def error_layers(exc):
    """The error and the ones it wraps, outermost first: requests wraps urllib3's errors, which wrap the socket's or the
    TLS layer's, in .reason or in their args."""
    layers = [exc]
    for _layer in range(8):
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((arg for arg in reversed(exc.args) if isinstance(arg, BaseException)), None)
        if inner is None:
            break
        exc = inner
        layers.append(exc)
    return layers


def short_reason(exc):
    """The words of the innermost error."""
    innermost = error_layers(exc)[-1]
    return str(innermost) or innermost.__class__.__name__


# The guide, where each story is told once; a message links to its section (GitHub's anchor of the section's title).
GUIDE_URL = "https://github.com/dmpilot/dmpilot.cloud/blob/main/docs/docsite/rst/notification_handlers_guide.rst"


def guide_link(anchor):
    return "%s#%s" % (GUIDE_URL, anchor)
