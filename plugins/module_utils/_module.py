# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the dmpilot.cloud modules share on the Ansible side: the connection options and a ready client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    DmpilotClient,
    DmpilotError,
)
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import FIELDS


def connection_argument_spec():
    return dict(
        api_url=dict(type="str", default=DEFAULT_API_URL, fallback=(env_fallback, ["DMPILOT_API_URL"])),
        api_key=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["DMPILOT_API_KEY"])),
        validate_certs=dict(type="bool", default=True),
        timeout=dict(type="int", default=30),
        retries=dict(type="int", default=3),
        rate_limit_timeout=dict(type="int", default=120),
    )


def settings_argument_spec():
    """One option per settings field of the table; the secret ones are no_log."""
    return dict((field.name, dict(type="str", no_log=field.secret, aliases=list(field.aliases)))
                for field in FIELDS.values())


class DmpilotModule(AnsibleModule):
    """An AnsibleModule with the connection options, checked before any request, and a client."""

    def __init__(self, argument_spec, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec)
        super(DmpilotModule, self).__init__(argument_spec=spec, **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        self.check_connection_options()
        # The API key salts the secrets' fingerprints: stable for one account, unguessable without its key.
        self.salt = self.params["api_key"]
        self.client = DmpilotClient(
            api_url=self.params["api_url"],
            api_key=self.params["api_key"],
            validate_certs=self.params["validate_certs"],
            timeout=self.params["timeout"],
            retries=self.params["retries"],
            rate_limit_timeout=self.params["rate_limit_timeout"],
        )

    def check_connection_options(self):
        if not re.match(r"^https?://[^/\s]+", self.params["api_url"] or ""):
            self.fail_json(msg="api_url must be an http:// or https:// URL such as %s, not %r." % (DEFAULT_API_URL, self.params["api_url"]))
        if not (self.params["api_key"] or "").strip():
            self.fail_json(msg="api_key is empty. Set api_key, or the DMPILOT_API_KEY environment variable, to the key of your dmpilot account.")
        for option in ("timeout", "retries", "rate_limit_timeout"):
            minimum = 1 if option == "timeout" else 0
            if self.params[option] < minimum:
                self.fail_json(msg="%s must be %d or more, not %d." % (option, minimum, self.params[option]))

    def settings_params(self):
        return dict((name, self.params[name]) for name in FIELDS)


def error_details(error):
    """The parts of an API failure a playbook may want to act on, beside the message."""
    if isinstance(error, DmpilotError):
        return dict(status=error.status, server_message=error.title, hint=error.hint)
    return {}
