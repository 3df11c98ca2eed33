# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a notification handler is, independent of HTTP.

Normalising what the server sends, checking what the user wants, comparing the two, and masking
secrets. Pure functions over plain dicts, shared by the modules, the client and the role's filter.

A normalised handler is ``{"id": int, "name": str, "type": str, "enabled": bool,
"pending_confirmation": bool, "settings": {field: value}}``; its settings hold only the fields the
table knows for its type.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import difflib
import hashlib
import hmac
import json
import re

from ansible_collections.dmpilot.cloud.plugins.module_utils._failures import Failure
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import (
    FIELD_TYPE,
    FIELDS,
    HANDLER_TYPES,
    MAX_NAME_LENGTH,
    MAX_VALUE_LENGTH,
    SECRET_FIELDS,
    field_names,
)

MASK = "********"
FINGERPRINT_LENGTH = 12
# A secret as this collection shows it: the mask and the keyed fingerprint of the value.
MASKED_VALUE = re.compile(r"^[*]{8}#[0-9a-f]{%d}$" % FINGERPRINT_LENGTH)

# The server's is_enabled: 0 disabled, 1 enabled, 2 enabled but waiting for the email owner's confirmation.
DISABLED, ENABLED, PENDING_CONFIRMATION = 0, 1, 2

VALUE_CHECKS = {
    "email": (re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>.]+$"), "an email address such as ops@example.com"),
    "url": (re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE), "an http:// or https:// URL"),
    "telegram_token": (re.compile(r"^[0-9]+:[A-Za-z0-9_-]+$"), "a bot token such as 123456789:ABC-DEF1234ghIkl"),
    "telegram_chat_id": (re.compile(r"^(-?[0-9]+|@[A-Za-z][A-Za-z0-9_]{4,})$"), "a number such as -1001234567890, or @channelname"),
    "text": (re.compile(r"\S"), "a non-empty value"),
}


# Rule 10, the server's cleaning of every field, in its order: NUL characters go, and so does everything from a '<' to
# the next '>' or, where none follows, to the end; quotes become HTML entities; blanks are trimmed as PHP's trim() does.
TAG_OR_REST = re.compile(r"<[^>]*>?")
QUOTE_ENTITIES = (("'", "&#39;"), ('"', "&#34;"))
PHP_BLANKS = " \t\n\r\x00\x0b"


class InvalidHandler(Failure, ValueError):
    """A wanted handler that the server would reject or store differently. Raised before any request."""

    reason = "invalid_option"


def enabled_level(value):
    """Read is_enabled as the server sends it (bool in version 57, 0/1/2 in version 67, maybe as a string)."""
    if isinstance(value, bool):
        return ENABLED if value else DISABLED
    try:
        return int(value)
    except (TypeError, ValueError):
        return DISABLED


def decode_settings(settings):
    """Settings arrive as a dict, as a JSON-encoded string (version 57 write answers), or as [] (PHP's empty array)."""
    if isinstance(settings, str):
        try:
            settings = json.loads(settings) if settings.strip() else {}
        except ValueError:
            return {}
    return settings if isinstance(settings, dict) else {}


def normalize_handler(raw):
    """The normalised form of a handler as any server version returns it."""
    level = enabled_level(raw.get("is_enabled"))
    handler_type = raw.get("type")
    settings = decode_settings(raw.get("settings"))
    return {
        "id": int(raw["id"]),
        "name": raw.get("name"),
        "type": handler_type,
        "enabled": level in (ENABLED, PENDING_CONFIRMATION),
        "pending_confirmation": level == PENDING_CONFIRMATION,
        # Keys the table does not know (the email activation_code, the update bug's {"": ""}) are dropped.
        "settings": dict((name, settings[name]) for name in field_names(handler_type) if name in settings),
    }


def address_confirmed(raw):
    """Whether a server that confirms addresses shows this email handler as confirmed (rule 17: email_is_confirmed)."""
    return raw.get("type") == "email" and decode_settings(raw.get("settings")).get("email_is_confirmed") is True


def server_cleaned(value, max_length=MAX_VALUE_LENGTH):
    """The value as the server stores it, after the cleaning of rule 10, in its order; uncut, so that a cut can be seen."""
    value = TAG_OR_REST.sub("", value.replace("\x00", ""))
    for quote, entity in QUOTE_ENTITIES:
        value = value.replace(quote, entity)
    return value.strip(PHP_BLANKS)


def quoted_form(name):
    """A name with its quotes as the server's entities: the one mapping of the cleaning that can be undone (rule 10)."""
    for quote, entity in QUOTE_ENTITIES:
        name = name.replace(quote, entity)
    return name


def plain_form(name):
    """A name with the server's quote entities back as quotes: how the collection shows and exports names."""
    if name is None:
        return None
    for quote, entity in QUOTE_ENTITIES:
        name = name.replace(entity, quote)
    return name


def same_name(wanted_name, stored_name):
    """Whether a stored name is the wanted one: the same words, a quote and its entity being the same character.

    So `Équipe d'astreinte` is the handler that a cleaning server stores as `Équipe d&#39;astreinte`, and an exported
    name given back is its handler. Nothing else of the cleaning is undone: `Ops <staging>`, which the server stores as
    `Ops`, is not the handler `Ops`, nor is `  Ops  ` (rule 10).
    """
    return wanted_name is not None and stored_name is not None and quoted_form(wanted_name) == quoted_form(stored_name)


def stored_form(name):
    """What a cleaning server stores for a name that the collection sends: its quotes as entities."""
    return quoted_form(name)


def checked_name(name):
    """A wanted name, as given: refused where it is empty, or longer than the server keeps once its quotes are entities."""
    if not name.strip(PHP_BLANKS):
        raise InvalidHandler("name must not be empty.")
    stored = stored_form(name)
    if len(stored) > MAX_NAME_LENGTH:
        raise InvalidHandler("name is %d characters long as the server stores it%s; the server cuts it to %d. Shorten it." % (
            len(stored), " (it turns each ' into &#39; and each \" into &#34;)" if stored != name else "", MAX_NAME_LENGTH))
    return name


def check_name_sendable(name):
    """Refuse, before it is sent (a create or a rename), a name that the server would store as another name (rule 10).

    The cleaning removes a NUL, everything from a '<' to the next '>' (or to the end) and the blanks at both ends, so that
    `Ops <staging>` would be stored as `Ops`: another handler's name, maybe. Only quotes can be undone. A name like that is
    still found where a server stores it as given (an export of it is given back unchanged): it is only never sent.
    """
    stored = server_cleaned(name, MAX_NAME_LENGTH)
    if stored == quoted_form(name):
        return
    if "\x00" in name:
        why = "a NUL character (\\x00), which the server removes"
    elif "<" in name:
        why = "'<', and the server removes everything from a '<' to the next '>' (or to the end)"
    else:
        why = "blanks at its start or end, which the server trims"
    raise InvalidHandler("name %r holds %s: the server would store it as %r, which is another name (maybe another handler's). "
                         "Nothing was sent. Give the name without it." % (name, why, plain_form(stored)))


def clean_value(option, value, max_length=MAX_VALUE_LENGTH):
    """A setting, trimmed; refused where the server would store another value (rule 10), which would break the channel.

    Trimming is harmless, so we trim too. A tag, a quote or an over-long value would be stored changed: an address with
    a quote in it, stored as o&#39;brien@example.com, receives nothing. The value itself is not shown: it may be a secret.
    """
    value = value.strip(PHP_BLANKS)
    stored = server_cleaned(value, max_length)
    if stored != value:
        if "'" in value or '"' in value:
            why = "a quote (' or \"), which the server stores as the HTML entity &#39; or &#34;"
        elif "\x00" in value:
            why = "a NUL character (\\x00), which the server removes"
        else:
            why = "'<', and the server removes everything from a '<' to the next '>' (or to the end)"
        raise InvalidHandler("%s holds %s: the server would store another value than the one given, which breaks the "
                             "channel. Nothing was sent. Give the value without it." % (option, why))
    if len(value) > max_length:
        raise InvalidHandler("%s is %d characters long; the server cuts it to %d. Shorten it." % (option, len(value), max_length))
    return value


def check_field_value(name, value):
    pattern, example = VALUE_CHECKS[FIELDS[name].kind]
    if not pattern.search(value):
        shown = "the value given" if name in SECRET_FIELDS else repr(value)
        raise InvalidHandler("%s must be %s, not %s." % (option_label(name), example, shown))


def wanted_handler(name=None, handler_type=None, enabled=None, settings=None):
    """The handler a user asks for, checked and cleaned. Options left out (None) are not managed."""
    wanted = {}
    if name is not None:
        wanted["name"] = checked_name(name)
    if handler_type is not None:
        if handler_type not in HANDLER_TYPES:
            raise InvalidHandler(unknown_type("type", handler_type))
        wanted["type"] = handler_type
    if enabled is not None:
        wanted["enabled"] = bool(enabled)
    wanted_settings = {}
    for field_name, value in (settings or {}).items():
        if value is None:
            continue
        if field_name not in FIELDS:
            raise InvalidHandler("%s is not a notification handler setting." % field_name)
        if value.strip(PHP_BLANKS).startswith(MASK):
            # Resolved against the stored value once it is read (resolve_masked_secrets), or refused: never sent.
            wanted_settings[field_name] = checked_mask(field_name, value.strip(PHP_BLANKS))
            continue
        # The value's form is checked only where it will be sent (check_sendable): a value the server stores already,
        # which the collection did not write, is kept as it is when it is given back unchanged.
        wanted_settings[field_name] = clean_value(field_name, value)
    if handler_type is not None:
        check_fields_belong(wanted_settings, handler_type)
    wanted["settings"] = wanted_settings
    return wanted


def unknown_type(option, value):
    """What the type option (handlers[2].type for an item) says of a value that is no type, with the closest type."""
    closest = difflib.get_close_matches(str(value), list(HANDLER_TYPES), n=1)
    suggestion = " Did you mean %s?" % closest[0] if closest else ""
    return "%s must be one of %s, not %r.%s" % (option, ", ".join(HANDLER_TYPES), value, suggestion)


def checked_mask(option, value):
    """A masked value as the info module returns it, for a secret setting; anything else that looks like one is refused."""
    if option not in SECRET_FIELDS:
        raise InvalidHandler("%s starts with %s, the mask of a secret, but %s is not a secret setting: give its value itself."
                             % (option_label(option), MASK, option_label(option)))
    if not MASKED_VALUE.match(value):
        raise InvalidHandler("%s starts with %s, the mask of a secret, but is not a mask as the info module returns it (%s# and %d "
                             "hexadecimal digits in lower case): give the secret itself to set it, or the mask exactly as returned to "
                             "keep it." % (option_label(option), MASK, MASK, FINGERPRINT_LENGTH))
    return value


def check_sendable(form, current=None):
    """Refuse, naming the option, a setting about to be sent whose form cannot be right (an email without @, ...).

    Only values that will be sent and differ from the stored ones are checked: a value the server accepted and stores
    (it validates nothing, rule 10) is given back unchanged without a word.
    """
    stored = current["settings"] if current is not None else {}
    for name, value in form.items():
        if name in FIELDS and stored.get(name) != value:
            check_field_value(name, value)


def option_label(name):
    """An option as messages name it: with its alias, which users write as often (telegram (telegram_bot_token))."""
    field = FIELDS.get(name)
    return "%s (%s)" % (name, ", ".join(field.aliases)) if field is not None and field.aliases else name


def resolve_masked_secrets(wanted, current, salt):
    """wanted, with each secret given in its masked form replaced by the stored value it stands for.

    A masked secret (as the info module's declaration returns it) means "keep the stored value". It is accepted only
    where its fingerprint matches the stored secret; a handler to be created has none, so it is refused there.
    """
    masked = sorted(name for name, value in wanted["settings"].items() if MASKED_VALUE.match(value))
    if not masked:
        return wanted
    settings = dict(wanted["settings"])
    for name in masked:
        if current is None:
            raise InvalidHandler("%s is given masked (%s#...), which keeps a stored secret, but this handler is to be created: "
                                 "give the secret itself." % (option_label(name), MASK), "masked_value_unknown")
        stored = current["settings"].get(name) if wanted.get("type", current["type"]) == current["type"] else None
        if not isinstance(stored, str) or mask_secret(stored, salt) != settings[name]:
            raise InvalidHandler("%s is given masked (%s#...), but the mask does not match the secret that handler %d stores: give the "
                                 "secret itself to change it, or the mask that the info module returns now to keep it. Masks are "
                                 "fingerprints keyed with the API key, so after a new api_key, export the handlers again with it "
                                 "(dmpilot_notification_handler_info), or give the secrets in clear once."
                                 % (option_label(name), MASK, current["id"]), "masked_value_unknown")
        settings[name] = stored
    return dict(wanted, settings=settings)


def check_fields_belong(settings, handler_type):
    foreign = sorted(name for name in settings if FIELD_TYPE[name] != handler_type)
    if foreign:
        raise InvalidHandler("%s %s not a setting of type %s (%s belongs to type %s). %s %s handler takes: %s." % (
            ", ".join(foreign), "is" if len(foreign) == 1 else "are", handler_type, foreign[0], FIELD_TYPE[foreign[0]],
            "An" if handler_type[0] in "aeiou" else "A", handler_type, ", ".join(field_names(handler_type)) or "no settings"))


def check_complete(settings, handler_type, action):
    missing = [name for name in field_names(handler_type) if name not in settings]
    if missing:
        raise InvalidHandler("%s: a handler of type %s needs %s, and %s %s missing." % (
            ", ".join(option_label(name) for name in missing), handler_type, " and ".join(field_names(handler_type)),
            " and ".join(missing), "is" if len(missing) == 1 else "are") + " Give %s %s." % ("it" if len(missing) == 1 else "them", action))


def check_creatable(wanted):
    """A create needs a name, a type and every field of that type."""
    if "name" not in wanted:
        raise InvalidHandler("name is required to create a notification handler.")
    if "type" not in wanted:
        raise InvalidHandler("type is required to create a notification handler (one of %s)." % ", ".join(HANDLER_TYPES))
    check_complete(wanted["settings"], wanted["type"], "to create it")


def merged_handler(wanted, current=None):
    """The handler as it will be once the wanted values are applied to the current one (or created)."""
    current = current or {"name": None, "type": None, "enabled": True, "pending_confirmation": False, "settings": {}}
    handler_type = wanted.get("type", current["type"])
    settings = {} if handler_type != current["type"] else dict(current["settings"])
    settings.update(wanted["settings"])
    # A wanted name that is the current one, as given or as the server cleaned it, keeps the stored form.
    name = wanted.get("name", current["name"])
    return {
        "name": current["name"] if current["name"] is not None and same_name(name, current["name"]) else name,
        "type": handler_type,
        "enabled": wanted.get("enabled", current["enabled"]),
        "settings": settings,
    }


def changed_fields(wanted, current):
    """The form fields an update must send to turn current into wanted: only those that differ.

    A type change sends the type with all its fields. An email handler's update always carries its address,
    because the server restarts the email confirmation on an update without it (rule 8).
    """
    if wanted.get("type", current["type"]) != current["type"]:
        check_complete(wanted["settings"], wanted["type"], "to change its type to %s" % wanted["type"])
        form = {"type": wanted["type"]}
        form.update(wanted["settings"])
    else:
        check_fields_belong(wanted["settings"], current["type"])
        form = dict((name, value) for name, value in wanted["settings"].items() if current["settings"].get(name) != value)
    if not same_name(wanted.get("name", current["name"]), current["name"]):
        form["name"] = wanted["name"]
    if wanted.get("enabled", current["enabled"]) != current["enabled"]:
        form["is_enabled"] = wanted["enabled"]
    # Even an empty stored address (the server validates nothing, rule 10): without it the confirmation restarts.
    if form and "email" not in form and current["settings"].get("email") is not None \
            and "email" in field_names(wanted.get("type", current["type"])):
        form["email"] = current["settings"]["email"]
    return form


def differences(expected, actual):
    """The names of the fields (name, type, enabled, and each setting) where actual is not expected."""
    names = [] if same_name(expected.get("name"), actual.get("name")) else ["name"]
    names.extend(key for key in ("type", "enabled") if expected.get(key) != actual.get(key))
    names.extend(key for key in expected["settings"] if expected["settings"][key] != actual["settings"].get(key))
    return names


def create_form(wanted):
    form = {"name": wanted["name"], "type": wanted["type"]}
    form.update(wanted["settings"])
    return form


def encode_form(form):
    """Form values as the server reads them: booleans as 1/0, since PHP's (int) turns "true" into 0 (rule 6)."""
    return dict((key, (1 if value else 0) if isinstance(value, bool) else value) for key, value in form.items())


def fingerprint(value, salt):
    """A short keyed digest: it tells two secret values apart without revealing either."""
    digest = hmac.new(salt.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:FINGERPRINT_LENGTH]


def mask_secret(value, salt):
    return "%s#%s" % (MASK, fingerprint(value, salt))


def masked_settings(settings, salt):
    """Each secret masked; an empty one stays "" (the server stores a missing setting so, rule 10): a channel that cannot
    work must not look configured."""
    return dict((name, mask_secret(value, salt) if name in SECRET_FIELDS and isinstance(value, str) and value else value)
                for name, value in settings.items())


def masked_handler(handler, salt, reveal_secrets=False):
    """A copy of a handler that is safe to return or print: each secret setting masked (unless reveal_secrets), the name in
    its plain form."""
    if not handler:
        return {}
    masked = dict(handler)
    masked["name"] = plain_form(handler.get("name"))
    masked["settings"] = dict(handler.get("settings", {})) if reveal_secrets else masked_settings(handler.get("settings", {}), salt)
    return masked


def declared(handler, with_id=False):
    """A handler in the form of an item of the list module's handlers option (and of the role's list).

    Fed back as it is, it changes nothing: a masked secret keeps the stored value (resolve_masked_secrets). with_id adds
    the handler's id, which tells apart handlers that share a name.
    """
    item = {"id": handler["id"]} if with_id else {}
    item.update(name=plain_form(handler["name"]), type=handler["type"], enabled=handler["enabled"])
    item.update(handler["settings"])
    return item


def declaration(handlers, account=None):
    """Handlers as the list module's handlers option: each whose name another handler of the account shares (account:
    every handler, where handlers are only some of them) is told apart by its id, so that the list is accepted when it is
    given back."""
    counts = collections.Counter(quoted_form(handler["name"] or "") for handler in (handlers if account is None else account))
    return [declared(handler, with_id=counts[quoted_form(handler["name"] or "")] > 1) for handler in handlers]
