"""Test data derived from the one table of types and fields (plugins/module_utils/_handler_types.py).

An example value for each kind of field, a canary value for each secret field, and one handler of every type: a new
type or field of the table reaches every test through here, with no edit.
"""

import hashlib

from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import FIELDS, HANDLER_TYPES, SECRET_FIELDS

# A value of each kind of field, built around a marker that makes it unique; the value checks of _handlers.py accept them.
KIND_EXAMPLES = {
    "email": lambda field, marker: "%s@example.com" % marker.lower(),
    "url": lambda field, marker: "https://hooks.example.com/%s/%s" % (field, marker),
    "telegram_token": lambda field, marker: "123456789:%s" % marker,
    "telegram_chat_id": lambda field, marker: "-100%d" % (int(hashlib.sha256(marker.encode()).hexdigest()[:8], 16) % 10 ** 9),
    "text": lambda field, marker: marker,
}
API_KEY_CANARY = "CANARY-api-key-5b1e0c7d"


def example(field_name, marker):
    return KIND_EXAMPLES[FIELDS[field_name].kind](field_name, marker)


def canary(field_name, changed=False):
    """The canary of a secret field: a value of its kind that says CANARY, unique to the field."""
    tag = hashlib.sha256(field_name.encode("utf-8")).hexdigest()[:4]
    return example(field_name, "CANARY-%s%s-%s" % ("CHANGED-" if changed else "", field_name.replace("_", "-"), tag))


# Canary secrets: every secret option and the API key get one, and none may appear in any output.
CANARIES = dict([("api_key", API_KEY_CANARY)] + [(name, canary(name)) for name in FIELDS if name in SECRET_FIELDS])
# The second value of each secret, for changing it.
CHANGED_CANARIES = dict((name, canary(name, changed=True)) for name in FIELDS if name in SECRET_FIELDS)
# A plain valid value of every field, and a second one to change it to (the canaries for the secret fields).
VALID = dict((name, example(name, "ops")) for name in FIELDS)
CHANGED = dict((name, CHANGED_CANARIES[name] if name in SECRET_FIELDS else example(name, "oncall")) for name in FIELDS)


def settings_of(handler_type, secrets=True):
    """Every field of a type: the canaries for the secret ones (or plain values), plain values for the others."""
    return dict((field.name, CANARIES[field.name] if secrets and field.secret else VALID[field.name]) for field in HANDLER_TYPES[handler_type])


def one_of_every_type(prefix):
    """One handler of every type, named "<prefix> <type>", holding the canary secrets. Every other type gives its fields
    through the module's aliases; the third is disabled, and the last says is_enabled rather than enabled."""
    handlers = []
    for index, (handler_type, fields) in enumerate(HANDLER_TYPES.items()):
        handler = {"name": "%s %s" % (prefix, handler_type), "type": handler_type}
        for field in fields:
            option = field.aliases[0] if field.aliases and index % 2 else field.name
            handler[option] = CANARIES[field.name] if field.secret else VALID[field.name]
        if index == 2:
            handler["enabled"] = False
        handlers.append(handler)
    handlers[-1]["is_enabled"] = True
    return handlers
