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
      - The root of the dmpilot API, C(https://<host>/api) for a self-hosted server. If not set, E(DMPILOT_API_URL) is
        used.
    type: str
    default: https://dmpilot.ru/api
  api_key:
    description:
      - The API key of the dmpilot account, never shown in any output. If not set, E(DMPILOT_API_KEY) is used.
    type: str
    required: true
  validate_certs:
    description:
      - Whether to check the TLS certificate of O(api_url).
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each answer, from 1 to 3600.
    type: int
    default: 30
  retries:
    description:
      - How many times to retry a request after a lost connection or a 5xx answer, from 0 to 100, see
        R(Connecting, ansible_collections.dmpilot.cloud.docsite.connecting).
    type: int
    default: 3
  rate_limit_timeout:
    description:
      - Seconds that each request may wait out the rate limit (HTTP 429), from 0 to 86400.
    type: int
    default: 300
requirements:
  - requests
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
