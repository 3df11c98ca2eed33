# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What diff mode shows of a handler's change: the handler as it was and as it is, secrets masked, and the headers that
name it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import masked_settings, plain_form


def diff_view(handler, salt):
    """The part of a handler that diff mode shows: name (plain), type, enabled and each setting, secrets masked."""
    if not handler:
        return {}
    return {
        "name": plain_form(handler["name"]),
        "type": handler["type"],
        "enabled": handler["enabled"],
        "settings": masked_settings(handler["settings"], salt),
    }


def diff_headers(old, new):
    """A diff's before_header and after_header: the handler as it was, name and id, or its name and (new) for a create; a
    delete says so. Never a new id, which check mode does not know."""
    if old is None and new is None:
        return {}
    header = "%s (id %d)" % (plain_form(old["name"]), old["id"]) if old is not None else "%s (new)" % plain_form(new["name"])
    return dict(before_header=header, after_header=header if new is not None else header[:-1] + ", deleted)")


def handler_diff(old, new, salt, absent=None):
    """One handler's change as ansible-core prints a diff, secrets masked. The side where the handler does not exist is
    absent: None for each diff of the list module, printed as nothing (a create shows only added lines, a delete only
    removed ones, an update its changed fields marked among the others); the single module's one diff gives {}."""
    diff = dict(before=diff_view(old, salt) or absent, after=diff_view(new, salt) or absent)
    diff.update(diff_headers(old, new))
    return diff
