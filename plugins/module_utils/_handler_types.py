# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one table of notification handler types and their fields.

Validation, comparison, masking, the modules' argument spec and the generated option docs all read
HANDLER_TYPES. Adding a type means adding one row here, then running ``make docs`` to regenerate
plugins/doc_fragments/handler_settings.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections

# kind selects the value check in handlers.py: email, url, telegram_token, telegram_chat_id or text.
Field = collections.namedtuple("Field", ["name", "kind", "secret", "aliases", "description"])

HANDLER_TYPES = collections.OrderedDict([
    ("email", (
        Field("email", "email", False, (), "The email address that receives the alerts."),
    )),
    ("webhook", (
        Field("webhook", "url", True, ("webhook_url",), "The URL that receives the alerts as HTTP requests. It often carries a credential."),
    )),
    ("slack", (
        Field("slack", "url", True, ("slack_webhook_url",), "The Slack webhook URL."),
    )),
    ("discord", (
        Field("discord", "url", True, ("discord_webhook_url",), "The Discord webhook URL."),
    )),
    ("telegram", (
        Field("telegram", "telegram_token", True, ("telegram_bot_token",), "The Telegram bot API token, as C(123456789:ABC-DEF...)."),
        Field("telegram_chat_id", "telegram_chat_id", False, (), "The Telegram chat id, a number (negative for groups) or C(@channelname)."),
    )),
    ("microsoft_teams", (
        Field("microsoft_teams", "url", True, ("microsoft_teams_webhook_url",), "The Microsoft Teams webhook URL."),
    )),
    ("google_chat", (
        Field("google_chat", "url", True, ("google_chat_webhook_url",), "The Google Chat webhook URL."),
    )),
    ("x", (
        Field("x_consumer_key", "text", True, (), "The X (Twitter) API consumer key."),
        Field("x_consumer_secret", "text", True, (), "The X (Twitter) API consumer secret."),
        Field("x_access_token", "text", True, (), "The X (Twitter) API access token."),
        Field("x_access_token_secret", "text", True, (), "The X (Twitter) API access token secret."),
    )),
    ("internal_notification", ()),
])

TYPE_NAMES = tuple(HANDLER_TYPES)

# Every settings field of every type, by name, in table order.
FIELDS = collections.OrderedDict((field.name, field) for fields in HANDLER_TYPES.values() for field in fields)

# Which type a settings field belongs to.
FIELD_TYPE = dict((field.name, type_name) for type_name, fields in HANDLER_TYPES.items() for field in fields)

SECRET_FIELDS = frozenset(name for name, field in FIELDS.items() if field.secret)

# The module's option aliases, each to its option name.
OPTION_ALIASES = dict([("is_enabled", "enabled")] + [(alias, field.name) for field in FIELDS.values() for alias in field.aliases])

# What the server does to every value it stores (dmpilot-api.md part B rule 10).
MAX_VALUE_LENGTH = 512
MAX_NAME_LENGTH = 128


def field_names(type_name):
    """The settings fields of a type, in table order."""
    return tuple(field.name for field in HANDLER_TYPES.get(type_name, ()))
