# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the dmpilot.cloud modules share on the Ansible side: the connection options and a ready client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    DmpilotError,
    redacted_url,
)
from ansible_collections.dmpilot.cloud.plugins.module_utils._failures import Failure
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import FIELDS, TYPE_NAMES
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import MASKED_VALUE, unknown_type
from ansible_collections.dmpilot.cloud.plugins.module_utils._name_search import NameSearchClient

UPDATE_STRATEGIES = ["auto", "update", "recreate"]
# The numbers of the connection options that make sense (and that the socket layer can take: a timeout of 10**11 seconds
# overflows it): seconds, attempts, seconds.
NUMBER_RANGES = {"timeout": (1, 3600), "retries": (0, 100), "rate_limit_timeout": (0, 86400)}
# A host name as DNS takes it: labels of 1 to 63 characters, 253 in all.
HOST_LABEL = re.compile(r"^(?!-)[^.]{1,63}(?<!-)$")
# What a header value can carry unchanged: visible ASCII, no blank inside.
API_KEY_CHARACTERS = re.compile(r"^[\x21-\x7e]+$")
# What the modules and the lookup say where no key was given.
NO_API_KEY = "api_key is missing or empty. Set api_key, or the DMPILOT_API_KEY environment variable, to the key of your dmpilot account."
# The user:password@ part of a URL, with or without a scheme.
URL_USERINFO = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?([^/?#]*)@")


def connection_argument_spec():
    return dict(
        api_url=dict(type="str", default=DEFAULT_API_URL, fallback=(env_fallback, ["DMPILOT_API_URL"])),
        api_key=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["DMPILOT_API_KEY"])),
        validate_certs=dict(type="bool", default=True),
        timeout=dict(type="int", default=30),
        retries=dict(type="int", default=3),
        rate_limit_timeout=dict(type="int", default=300),
    )


def settings_argument_spec():
    """One option per settings field of the table; the secret ones are no_log."""
    return dict((field.name, dict(type="str", no_log=field.secret, aliases=list(field.aliases)))
                for field in FIELDS.values())


def handler_argument_spec():
    """The options of one handler: the single module's own options, and each item of the list module."""
    spec = dict(
        name=dict(type="str"),
        id=dict(type="int"),
        type=dict(type="str", choices=list(TYPE_NAMES)),
        enabled=dict(type="bool", aliases=["is_enabled"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        update_strategy=dict(type="str", choices=list(UPDATE_STRATEGIES), default="auto"),
    )
    spec.update(settings_argument_spec())
    return spec


def handler_info_argument_spec():
    """The options of the info module: its filters, and whether secrets are shown."""
    return dict(
        id=dict(type="int"),
        name=dict(type="str"),
        type=dict(type="str", choices=list(TYPE_NAMES)),
        enabled=dict(type="bool"),
        reveal_secrets=dict(type="bool", default=False),
    )


def handler_list_argument_spec():
    """The options of the list module: each item takes the single module's options but update_strategy, set once for all."""
    item = handler_argument_spec()
    update_strategy = item.pop("update_strategy")
    return dict(
        # An item without name or id is refused by the module itself, which names it by its index (handlers[3]).
        handlers=dict(type="list", elements="dict", default=[], options=item),
        purge=dict(type="bool", default=False),
        delete_all_handlers=dict(type="bool", default=False),
        update_strategy=update_strategy,
    )


class DmpilotModule(AnsibleModule):
    """An AnsibleModule with the connection options, checked before any request, and a client."""

    def __init__(self, argument_spec, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec)
        super(DmpilotModule, self).__init__(argument_spec=spec, **kwargs)
        # A secret given masked (as the modules return it) stands for the stored value and is meant to be shown: Ansible
        # would otherwise hide every mask, in the results and the diff, as if it were the secret.
        self.no_log_values = set(value for value in self.no_log_values if not MASKED_VALUE.match(value))
        self.hide_connection_secrets()
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR, reason="missing_requirement")
        self.check_connection_options()
        # The API key salts the secrets' fingerprints: stable for one account, unguessable without its key.
        self.salt = self.params["api_key"]
        self.client = NameSearchClient(
            api_url=self.params["api_url"],
            api_key=self.params["api_key"],
            validate_certs=self.params["validate_certs"],
            timeout=self.params["timeout"],
            retries=self.params["retries"],
            rate_limit_timeout=self.params["rate_limit_timeout"],
        )

    def _log_invocation(self):
        """Refuse a NUL character, naming the option, before Ansible logs the invocation: syslog cannot take one."""
        for option, value in nul_options(self.params):
            self.fail_json(msg="%s must not contain a NUL character (\\x00): no server field can store one. Remove it." % option,
                           reason="invalid_option")
        super(DmpilotModule, self)._log_invocation()

    def hide_connection_secrets(self):
        """Ansible masks a no_log value only as it was given, so the trimmed key and a password in api_url are added."""
        # Surrounding blanks are trimmed like every other value: `echo key | ansible-vault encrypt_string` ends in a newline.
        self.params["api_key"] = (self.params["api_key"] or "").strip()
        if self.params["api_key"]:
            self.no_log_values.add(self.params["api_key"])
        userinfo = URL_USERINFO.match(self.params["api_url"] or "")
        password = userinfo.group(1).partition(":")[2] if userinfo else ""
        if password:
            self.no_log_values.add(password)
        # A token in a query string is a credential too; api_url must not have one, but the refusal must not show it.
        query = (self.params["api_url"] or "").partition("?")[2].partition("#")[0]
        if query:
            self.no_log_values.add(query)

    def check_connection_options(self):
        """Fail, naming the option and showing nothing secret, on connection options that cannot work."""
        message = connection_problem(self.params)
        if message:
            self.fail_json(msg=message, reason="invalid_option")

    def fail_json(self, msg, **kwargs):
        """Fail with a reason. Our code gives one; a failure without is ansible-core's own check of the options (a value not
        among the choices, a missing option, a wrong type), before our code runs: invalid_option, with our words where
        they say more (the item of a list, the closest type, DMPILOT_API_KEY)."""
        if "reason" not in kwargs:
            msg = options_problem(getattr(self, "params", None) or {}) or msg
            kwargs["reason"] = "invalid_option"
        super(DmpilotModule, self).fail_json(msg=msg, **kwargs)

    def settings_params(self):
        return dict((name, self.params[name]) for name in FIELDS)


def nul_options(value, option=""):
    """The options (handlers[N].name for the items of a list) whose value holds a NUL character."""
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in nul_options(item, "%s.%s" % (option, key) if option else key)]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in nul_options(item, "%s[%d]" % (option, index))]
    return [(option, value)] if isinstance(value, str) and "\x00" in value else []


def connection_problem(params):
    """What is wrong with the connection options (the modules' and the lookup's), in words that show neither a password
    nor the key; None when nothing is."""
    api_url = params["api_url"] or ""
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.netloc.rpartition("@")[2] or re.search(r"\s", api_url):
        shown = repr(redacted_url(api_url) if "://" in api_url else api_url) if "@" not in parts.path else "the value given"
        return "api_url must be an http:// or https:// URL such as %s, not %s." % (DEFAULT_API_URL, shown)
    host = parts.hostname or ""
    if not valid_host(host):
        return "api_url must name a valid host, such as dmpilot.ru; %r is not one (a host name has labels of 1 to 63 characters)." % (
            host if len(host) <= 80 else host[:77] + "...")
    if URL_USERINFO.match(api_url):
        return ("api_url must not carry a user name or password (%s): the API authenticates with api_key only, "
                "and a password in the URL would make requests send it instead of the key. Remove it from api_url."
                % redacted_url(api_url))
    if parts.query or parts.fragment:
        return "api_url must be the root of the API, such as %s, without a query string or fragment." % DEFAULT_API_URL
    api_key = params["api_key"]
    if not api_key:
        return NO_API_KEY
    if not API_KEY_CHARACTERS.match(api_key):
        return ("api_key holds a character that cannot be sent in an HTTP header (a space, a line break, a control character "
                "or a non-ASCII letter). An API key is printable ASCII: check how it was stored or pasted.")
    for option, (minimum, maximum) in NUMBER_RANGES.items():
        if params[option] is None or not minimum <= params[option] <= maximum:
            return "%s must be between %d and %d, not %s." % (option, minimum, maximum, params[option])
    return None


def valid_host(host):
    """Whether requests can connect to this host name (or address): DNS's limits, and IDNA for a non-ASCII name."""
    if host.startswith("[") or re.match(r"^[0-9.]+$", host) or ":" in host:
        return True  # an IP address
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return len(host) <= 253 and all(HOST_LABEL.match(label) for label in host.rstrip(".").split("."))


def options_problem(params):
    """What ansible-core's check of the options would say less well, or None: a missing api_key (without
    DMPILOT_API_KEY), and a type that is no type, named with its item in a list, with the closest type."""
    if params.get("api_key") is None:
        return NO_API_KEY
    items = params.get("handlers") if isinstance(params.get("handlers"), list) else []
    typed = [("type", params)] + [("handlers[%d].type" % index, item) for index, item in enumerate(items) if isinstance(item, dict)]
    for option, options in typed:
        value = options.get("type")
        if value is not None and value not in TYPE_NAMES:
            named = " of %r" % options["name"] if isinstance(options.get("name"), str) and option != "type" else ""
            return unknown_type(option + named, value)
    return None


def error_details(error):
    """What a failure returns beside its message: its reason, and for an API failure the HTTP status and the server's
    words (the hint is in the message)."""
    details = dict(reason=error.reason) if isinstance(error, Failure) else {}
    if isinstance(error, DmpilotError):
        details.update(status=error.status, server_message=error.title)
    return details
