# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options every dmpilot.cloud module and the lookup share. Modules take them once for a play from
    # module_defaults and the group/dmpilot.cloud.dmpilot action group; the lookup from its arguments or the environment.
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - The root of the dmpilot API, with or without a trailing slash.
      - Requests are never redirected, so that the API key goes nowhere else. A server that answers with a redirect (for
        example from C(http://) to C(https://)) makes the task fail, naming where it points. Set O(api_url) to that.
      - If not set, the value of the E(DMPILOT_API_URL) environment variable is used.
    type: str
    default: https://dmpilot.ru/api
  api_key:
    description:
      - The API key of the dmpilot account, sent as a Bearer token.
      - If not set, the value of the E(DMPILOT_API_KEY) environment variable is used.
      - It is never shown in any output.
    type: str
    required: true
  validate_certs:
    description:
      - Whether to check the TLS certificate of O(api_url).
      - Set to V(false) only for a test server with a self-signed certificate.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each answer of the API, from 1 to 3600.
    type: int
    default: 30
  retries:
    description:
      - How many times to send a request again after a connection failure or a 5xx answer, from 0 to 100.
      - Reads, updates and deletes are retried. A create is retried only when it cannot have reached the server,
        so that a retry never creates a second handler.
    type: int
    default: 3
  rate_limit_timeout:
    description:
      - The most seconds that each request may spend waiting out the API's rate limit (HTTP 429), its waits added up. A task
        of several requests may wait that long for each of them.
      - The wait follows the C(X-RateLimit-Reset) header, or C(Retry-After), or an exponential backoff, plus up to a tenth
        more at random, so that jobs sharing a key do not all wake at the same reset.
      - When the limit is still reached after this time, the task fails. Once a task has created the replacement of a
        handler, it waits up to 600 seconds to finish it (the old handler deleted), whatever this is. From 0 to 86400.
    type: int
    default: 300
requirements:
  - requests
"""

    # For the modules: where they run. Use it together with the DOCUMENTATION part.
    MODULE = r"""
options: {}
notes:
  - The API calls run where the module runs, usually on the controller. In plays that target many hosts, use
    C(delegate_to=localhost) and C(run_once=true), so that each handler is managed once.
"""

    # For the plugins, which read their options through Ansible's configuration, where a module reads the same
    # environment variables through its argument spec's fallback. Use it together with the DOCUMENTATION part.
    PLUGIN = r"""
options:
  api_url:
    env:
      - name: DMPILOT_API_URL
  api_key:
    env:
      - name: DMPILOT_API_KEY
"""
