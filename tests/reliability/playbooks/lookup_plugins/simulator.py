# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A test-only lookup: one call of the dmpilot simulator's control surface.

It runs in the controller's process, where a uri task starts a module process (about half a second); the fault
playbooks make many control calls, and this keeps the suite fast. It is not part of the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: simulator
short_description: Call the control surface of the dmpilot API simulator (tests only)
description:
  - Sends one request to C(/__sim__/CALL) of the simulator and returns its JSON answer.
  - A body makes it a POST, unless O(method) says otherwise.
options:
  _terms:
    description: The call, the path under C(/__sim__/), such as C(reset) or C(take-log).
    required: true
  body:
    description: The JSON body.
    type: raw
  method:
    description: The HTTP method. C(POST) with a body, else C(GET).
    type: str
  base_url:
    description: The simulator's base URL.
    type: str
    required: true
    vars:
      - name: sim_url
  ca_path:
    description: The certificate of a simulator that serves HTTPS.
    type: str
    vars:
      - name: sim_ca_file
"""

RETURN = r"""
_list:
  description: The JSON answer of each call.
  type: list
  elements: dict
"""

import json

from ansible.errors import AnsibleError
from ansible.module_utils.six.moves.urllib.error import HTTPError
from ansible.module_utils.urls import open_url
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        body = self.get_option("body")
        method = self.get_option("method") or ("POST" if body is not None else "GET")
        answers = []
        for call in terms:
            url = "%s/__sim__/%s" % (self.get_option("base_url").rstrip("/"), call)
            data = json.dumps(body) if body is not None else None
            try:
                response = open_url(url, data=data, method=method, headers={"Content-Type": "application/json"},
                                    ca_path=self.get_option("ca_path"), timeout=30)
                answers.append(json.loads(response.read()))
            except HTTPError as error:
                raise AnsibleError("%s %s answered %d: %s" % (method, url, error.code, error.read()[:500]))
        return answers
