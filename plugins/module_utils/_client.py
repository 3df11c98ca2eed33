# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The dmpilot API client: the only code of the collection that speaks HTTP.

Every failure becomes a DmpilotError with the HTTP status, the server's own words and a hint. Neither
the message nor anything else this client raises carries the API key. It knows no names: which stored name is the
one wanted is the handler model's (_handlers.py), and finding a handler by its name is _name_search.py's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import random
import time
import traceback

from ansible.module_utils.six.moves.urllib.parse import urlsplit, urlunsplit

from ansible_collections.dmpilot.cloud.plugins.module_utils._failures import Failure, is_connection_refused, is_name_unresolved, short_reason
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import address_confirmed, encode_form, normalize_handler

try:
    import requests
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

DEFAULT_API_URL = "https://dmpilot.ru/api"
USER_AGENT = "dmpilot.cloud-ansible-collection"
PAGE_SIZE = 1000  # the largest page the API serves, so up to 1,000 handlers cost one request
MAX_PAGES = 10000  # a guard against a server whose pagination never ends
LIST_ATTEMPTS = 3  # reads of a list that keeps changing under us, before giving up
LIST_WHAT = "list the notification handlers"
BACKOFF_FIRST_WAIT = 0.5
BACKOFF_MAX_WAIT = 30
EPOCH_2001 = 978307200

HINTS = {
    401: "Check api_key (or DMPILOT_API_KEY): the server answers 401 to a wrong key, or a key of a disabled account.",
    404: "No such notification handler for this API key: it was deleted, or it belongs to another account.",
    429: "The API allows a limited number of requests a minute. Raise rate_limit_timeout to wait longer, or run fewer tasks at once.",
    500: "The dmpilot server failed. Try again later.",
}
HTML_HINT = ("The server answered an HTML page, not the API. Check api_url: it should be the API root, such as "
             "https://dmpilot.ru/api. If it is right, the API may be switched off on the site.")
REDIRECT_HINT = ("Requests are never redirected, so that the API key goes to api_url and nowhere else: set api_url to the "
                 "address the server points to, if it is the dmpilot API.")
JSON_HINT = "The server's answer is not the JSON the API documents. Check api_url, or try again later."
# What else than a wrong key makes the server answer 401 to a write.
REQUEST_REFUSED = "a missing name or type, a type your plan does not allow, or your plan's limit of handlers"
# A write refused with 401 after the same key was accepted: the server refused the request itself, not the key.
WRITE_REFUSED_HINT = "The server accepted api_key for this task's reads, so it refused the request itself: %s." % REQUEST_REFUSED
# The reason of an HTTP error status, where the raise gives none (see REASONS in _failures.py).
STATUS_REASONS = {401: "auth_failed", 404: "not_found", 429: "rate_limited"}
CREATE_MAY_HAVE_HAPPENED = (" The create may have reached the server, so it was not retried: run the task again, "
                            "it finds a handler that was created by its name.")


class DmpilotError(Failure):
    """Any failure of an API call: status (None when no answer came), the server's title, a hint; its reason, where the
    raise gives none, is its HTTP status's."""

    def __init__(self, message, status=None, title=None, hint=None, retryable=False, reason=None):
        self.message = message
        self.status = status
        self.title = title
        self.hint = hint
        # True only for a failure that happened before the server could have acted on the request.
        self.retryable = retryable
        super(DmpilotError, self).__init__(str(self), reason or status_reason(status))

    def __str__(self):
        text = self.message
        if self.title:
            text += ": %s" % self.title
        if self.hint:
            text = "%s. %s" % (text.rstrip("."), self.hint)
        return text


class Call:
    """One API request and how safe it is to send it again."""

    def __init__(self, method, path, query=None, form=None, retry_safe=True, body_expected=True, what=""):
        self.method = method
        self.path = path
        self.query = query
        self.form = form
        # A create is the one call that must never be sent twice once it may have reached the server.
        self.retry_safe = retry_safe
        self.body_expected = body_expected
        self.what = what


class DmpilotClient:
    """One requests.Session, so that pages and writes reuse the connection."""

    def __init__(self, api_url, api_key, validate_certs=True, timeout=30, retries=3, rate_limit_timeout=300, sleep=time.sleep,
                 clock=None):
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        # What messages show of api_url: a password in it must never be printed.
        self.shown_url = redacted_url(self.api_url)
        self.timeout = timeout
        self.retries = retries
        self.rate_limit_timeout = rate_limit_timeout
        self.sleep = sleep
        self.clock = clock or time.monotonic
        self.key_accepted = False  # whether the server answered a request with success: a later 401 refuses the request, not the key
        self.rate_limited = 0  # the 429s this client met: other jobs share the key, and their writes settle slower
        self.confirmed_addresses = set()  # ids of email handlers the server shows as confirmed: a replacement waits again
        # Passed with every request: requests lets REQUESTS_CA_BUNDLE override a Session's verify=False (psf/requests#3829).
        self.validate_certs = validate_certs
        self.session = requests.Session()
        self.session.headers.update({
            "Authorization": "Bearer %s" % api_key,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        })

    # The API's calls.

    def list_handlers(self, handler_type=None, search=None):
        """Every handler (of a type, or whose name contains search), in id order, each once.

        Pages are by offset, so a handler created or deleted while they are read shifts the later pages (rule 14):
        one could be skipped. When the total changes between pages, the whole list is read again. And since one client
        creating a handler while another deletes one shifts the pages with the same total, a list of several pages is
        read twice, and a handler is in it where either read saw it: one more request per 1,000 handlers.
        """
        query = {"results_per_page": PAGE_SIZE, "order_by": "notification_handler_id", "order_type": "ASC"}
        if handler_type is not None:
            query["type"] = handler_type
        if search is not None:
            query.update(search=search, search_by="name")
        for _attempt in range(LIST_ATTEMPTS):
            handlers, pages = self.read_pages(query)
            if handlers is not None and pages > 1:
                again, _pages = self.read_pages(query)
                handlers = None if again is None else dict(list(handlers.items()) + list(again.items()))
            if handlers is not None:
                return [handlers[handler_id] for handler_id in sorted(handlers)]
        raise DmpilotError("Could not list the notification handlers: the list changed while it was read, %d times in a row. "
                           "Handlers are being created or deleted right now: run the task again once that is done." % LIST_ATTEMPTS,
                           reason="list_changing")

    def read_pages(self, query):
        """(The handlers of every page by id, or None when the list's total changed between two pages; the pages read)."""
        handlers = {}
        first_total = None
        for page in range(1, MAX_PAGES + 1):
            answer = self.request(Call("GET", "/notification-handlers/", query=dict(query, page=page), what=LIST_WHAT))
            data = answer.get("data")
            if not isinstance(data, list):
                raise not_the_api("Could not list the notification handlers: the answer has no list of handlers")
            total = total_results(answer)
            if page == 1:
                first_total = total
            elif total != first_total:
                return None, page
            for item in data:
                handler = self.handler_of(item, LIST_WHAT)
                # A handler seen twice (the pages shifted under us) counts once.
                handlers.setdefault(handler["id"], handler)
            if not data or not self.has_next_page(answer, page):
                return handlers, page
        raise not_the_api("Could not list the notification handlers: the server kept answering more than %d pages" % MAX_PAGES, hint=None)

    def handler_of(self, raw, what):
        """The normalised handler of an answer, or a DmpilotError when the answer does not hold one."""
        try:
            handler = normalize_handler(raw)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise not_the_api("Could not %s: the answer holds something that is not a notification handler" % what)
        if address_confirmed(raw):
            self.confirmed_addresses.add(handler["id"])
        return handler

    @staticmethod
    def has_next_page(answer, page):
        # Pages are asked for by number on our own api_url: a links.next pointing elsewhere must not receive the API key.
        meta = meta_of(answer)
        links = answer.get("links") if isinstance(answer.get("links"), dict) else {}
        try:
            return page < int(meta["total_pages"])
        except (KeyError, TypeError, ValueError):
            return bool(links.get("next"))

    def get_handler(self, handler_id):
        """The handler with this id, or None when the server answers 404."""
        try:
            answer = self.request(Call("GET", "/notification-handlers/%d" % handler_id, what="read notification handler %d" % handler_id))
        except DmpilotError as error:
            if error.status == 404:
                return None
            raise
        what = "read notification handler %d" % handler_id
        return self.handler_of(self.data_of(answer, what), what)

    def create_handler(self, form):
        """Create a handler and return its id. Never retried once the request may have reached the server."""
        what = "create notification handler %r" % form.get("name")
        answer = self.request(Call("POST", "/notification-handlers", form=encode_form(form), retry_safe=False, what=what))
        data = self.data_of(answer, what)
        try:
            return int(data["id"])
        except (KeyError, TypeError, ValueError):
            raise not_the_api("Could not %s: the answer carries no handler id" % what)

    def update_handler(self, handler_id, form):
        """Update only the fields given. Sending the same fields twice leaves the same handler, so it may be retried."""
        self.request(Call("POST", "/notification-handlers/%d" % handler_id, form=encode_form(form),
                          what="update notification handler %d" % handler_id))

    def delete_handler(self, handler_id):
        """Delete a handler. A 404 on a retry means an earlier attempt already deleted it."""
        self.request(Call("DELETE", "/notification-handlers/%d" % handler_id, body_expected=False,
                          what="delete notification handler %d" % handler_id))

    @staticmethod
    def data_of(answer, what):
        data = answer.get("data")
        if not isinstance(data, dict):
            raise not_the_api("Could not %s: the answer has no data" % what)
        return data

    # Sending, waiting and retrying.

    def request(self, call):
        """Send a call and return its decoded JSON answer ({} for an expected empty one)."""
        rate_limit_waited = 0.0
        rate_limited = 0
        failures = 0
        first_limited = None
        while True:
            try:
                response = self.send(call)
            except DmpilotError as error:
                failures += 1
                if not (error.retryable and failures <= self.retries):
                    raise
                self.sleep(backoff(failures))
                continue
            if response.status_code == 429:
                rate_limited += 1
                self.rate_limited += 1
                first_limited = self.clock() if first_limited is None else first_limited
                wait = rate_limit_wait(response, rate_limited)
                # The waits are bounded by what they add up to, and by the wall clock since the first 429.
                elapsed = self.clock() - first_limited
                if rate_limit_waited + wait > self.rate_limit_timeout or elapsed > self.rate_limit_timeout:
                    raise DmpilotError(
                        "Could not %s: the API rate limit was still reached after waiting %.0f seconds of rate_limit_timeout=%s"
                        % (call.what, max(rate_limit_waited, elapsed), self.rate_limit_timeout),
                        status=429, title=error_title(response), hint=HINTS[429])
                # A 429 is refused before any work, so even a create may be sent again. The budget counts the wait the
                # server asked for; the sleep is spread a little beyond it.
                rate_limit_waited += wait
                self.sleep(spread(wait))
                continue
            if response.status_code >= 500 and call.retry_safe and failures < self.retries:
                failures += 1
                self.sleep(backoff(failures))
                continue
            if response.status_code == 404 and call.method == "DELETE" and failures:
                return {}
            return self.decode(call, response)

    def send(self, call):
        url = self.api_url + call.path
        shown = self.shown_url + call.path
        try:
            # Never redirected: a redirect to another host would carry the request, and one on the same host turns a POST into a GET.
            return self.session.request(call.method, url, params=call.query, data=call.form, timeout=self.timeout, verify=self.validate_certs,
                                        allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            raise transport_error(call, shown, "the TLS connection failed (%s)" % short_reason(exc), False,
                                  "The server's certificate is not trusted. Fix the certificate, or set validate_certs: false "
                                  "for a test server with a self-signed certificate.", "tls_failed")
        except requests.exceptions.ConnectTimeout:
            # Nothing was sent yet, so every call may be retried.
            raise transport_error(call, shown, "connecting timed out after %s seconds" % self.timeout, True,
                                  "Check api_url and that this host can reach it.", "timeout")
        except requests.exceptions.ReadTimeout:
            raise transport_error(call, shown, "no answer within timeout=%s seconds" % self.timeout, call.retry_safe,
                                  "The server is slow or overloaded: raise timeout, or try again later.", "timeout")
        except requests.exceptions.ConnectionError as exc:
            if is_name_unresolved(exc):
                # Nothing was sent: any call may be tried again, in case the resolver failed for a moment.
                raise transport_error(call, shown, "the host %s could not be resolved" % urlsplit(url).hostname, True,
                                      "Check the host name in api_url, and this host's DNS.", "host_not_found")
            refused = is_connection_refused(exc)
            reason = "the connection was refused" if refused else "the connection was lost (%s)" % short_reason(exc)
            raise transport_error(call, shown, reason, refused or call.retry_safe,
                                  "Check api_url and that the dmpilot API is reachable from this host.", "connection_failed")
        except requests.exceptions.RequestException as exc:
            raise transport_error(call, shown, "the request failed (%s)" % short_reason(exc), False, "Check api_url.", "connection_failed")
        except (UnicodeError, ValueError, OverflowError) as exc:
            # What requests and the socket layer raise for a URL or a timeout they cannot take: said, never a traceback.
            raise transport_error(call, shown, "the request could not be sent (%s)" % short_reason(exc), True,
                                  "Check api_url and timeout.", "connection_failed")

    def decode(self, call, response):
        """The JSON answer of a response, or a DmpilotError that says what went wrong and what to do."""
        if 300 <= response.status_code < 400:
            location = response.headers.get("Location") or "nowhere"
            raise not_the_api("Could not %s: %s answered HTTP %d, a redirect to %s" % (
                call.what, self.shown_url, response.status_code, redacted_url(location)), response.status_code, REDIRECT_HINT)
        text = response.text
        looks_like_html = "html" in response.headers.get("Content-Type", "").lower() or text.lstrip()[:1] == "<"
        if looks_like_html:
            raise not_the_api("Could not %s: HTTP %d with an HTML page from %s" % (call.what, response.status_code, self.shown_url),
                              response.status_code, HTML_HINT)
        if response.status_code >= 400:
            refused_write = response.status_code == 401 and call.method != "GET" and self.key_accepted
            raise DmpilotError("Could not %s: HTTP %d" % (call.what, response.status_code), status=response.status_code,
                               title=error_title(response), hint=WRITE_REFUSED_HINT if refused_write else status_hint(call, response.status_code),
                               reason="server_refused" if refused_write else None)
        self.key_accepted = True
        if not text.strip():
            if call.body_expected:
                raise not_the_api("Could not %s: HTTP %d with an empty body" % (call.what, response.status_code), response.status_code)
            return {}
        try:
            answer = response.json()
        except ValueError:
            raise not_the_api("Could not %s: HTTP %d with a body that is not valid JSON" % (call.what, response.status_code), response.status_code)
        if not isinstance(answer, dict):
            raise not_the_api("Could not %s: the answer is not a JSON object" % call.what, response.status_code)
        return answer


def not_the_api(message, status=None, hint=JSON_HINT):
    """An answer that is not the API's: an HTML page, a redirect, or something the API does not document."""
    return DmpilotError(message, status=status, hint=hint, reason="not_the_api")


def transport_error(call, url, what_happened, retryable, hint, reason):
    """A failure with no HTTP answer. The URL is named; it never holds the API key, which travels in a header."""
    if not call.retry_safe and not retryable:
        hint += CREATE_MAY_HAVE_HAPPENED
    return DmpilotError("Could not %s at %s: %s" % (call.what, url, what_happened), hint=hint, retryable=retryable, reason=reason)


def status_hint(call, status):
    if status >= 500:
        return HINTS[500] + (CREATE_MAY_HAVE_HAPPENED if not call.retry_safe else "")
    if status == 401 and call.method != "GET":
        return HINTS[401] + " It also answers 401 to a write it refuses itself: %s." % REQUEST_REFUSED
    return HINTS.get(status, "The server refused the request.")


def status_reason(status):
    """The reason of an HTTP error status, or None for a status that is no error."""
    if status is not None and status >= 400:
        return STATUS_REASONS.get(status, "server_error" if status >= 500 else "server_refused")
    return None


def error_title(response):
    """The server's errors[].title, in whatever language the site speaks, or None."""
    try:
        errors = response.json().get("errors")
        return "; ".join(str(error["title"]) for error in errors if error.get("title")) or None
    except (ValueError, AttributeError, TypeError, KeyError):
        return None


def rate_limit_wait(response, attempt):
    """Seconds to wait after a 429: X-RateLimit-Reset, else Retry-After, but never less than the backoff.

    A reset of 0, a negative one or a moment already past would otherwise be retried at once, in a loop that floods
    the server; the doubling backoff keeps a wrong header down to a few requests.
    """
    for header in ("X-RateLimit-Reset", "Retry-After"):
        try:
            seconds = float(response.headers[header])
        except (KeyError, ValueError):
            continue
        if seconds > EPOCH_2001:
            # Some servers send the moment of the reset rather than the seconds until it.
            seconds -= time.time()
        if not math.isnan(seconds):
            return max(seconds, backoff(attempt))
    return backoff(attempt)


def spread(seconds):
    """A wait, plus up to a tenth more at random: jobs that share a key (an AWX cluster) do not all wake at one reset."""
    return seconds * (1 + random.random() / 10)


def backoff(attempt):
    return min(BACKOFF_FIRST_WAIT * 2 ** (attempt - 1), BACKOFF_MAX_WAIT)


def list_cost(handlers):
    """The requests that reading a whole list of this many handlers costs: a page per 1,000, twice beyond one page."""
    pages = max(1, -(-handlers // PAGE_SIZE))
    return pages if pages == 1 else 2 * pages


def meta_of(answer):
    """A list answer's meta, or {} when it has none."""
    return answer.get("meta") if isinstance(answer.get("meta"), dict) else {}


def total_results(answer):
    """The list's count of (filtered) rows: meta.total_results (rule 4), or the documented meta.total; None if neither."""
    meta = meta_of(answer)
    for key in ("total_results", "total"):
        try:
            return int(meta[key])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def redacted_url(url):
    """A URL fit to show: without the user and password it may carry, nor its query."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
