"""Validation, comparison, masking and normalisation: the pure logic every module shares."""

import json

import pytest
import yaml

from ansible_collections.dmpilot.cloud.plugins.doc_fragments.handler_settings import ModuleDocFragment
from ansible_collections.dmpilot.cloud.plugins.module_utils import _handlers as handlers
from ansible_collections.dmpilot.cloud.plugins.module_utils import _handler_diff as handler_diff
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import FIELDS, HANDLER_TYPES, SECRET_FIELDS
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import InvalidHandler, wanted_handler
from ansible_collections.dmpilot.cloud.plugins.module_utils._module import settings_argument_spec
from tests.handler_data import CANARIES, VALID
from tests.handler_data import settings_of as table_settings

SALT = "api-key"
SETTINGS_KINDS_NOT_SECRET = ("email", "telegram_chat_id")  # the API doc: every other kind of value carries a credential


def settings_of(handler_type):
    return table_settings(handler_type, secrets=False)


def current(handler_type="webhook", name="Ops", enabled=True, settings=None):
    return {"id": 7, "name": name, "type": handler_type, "enabled": enabled, "pending_confirmation": False,
            "settings": settings if settings is not None else settings_of(handler_type)}


# The table.

def test_every_field_of_the_table_has_a_valid_example():
    assert set(VALID) == set(FIELDS)


def test_the_secret_fields_are_those_of_the_api_doc():
    """Webhook URLs, bot tokens and X keys carry a credential; an email address and a chat id do not."""
    assert SECRET_FIELDS == set(name for name, field in FIELDS.items() if field.kind not in SETTINGS_KINDS_NOT_SECRET)
    assert SECRET_FIELDS and SECRET_FIELDS != set(FIELDS)


def test_the_argument_spec_comes_from_the_table():
    spec = settings_argument_spec()
    assert list(spec) == list(FIELDS)
    assert {name for name, option in spec.items() if option["no_log"]} == SECRET_FIELDS
    assert spec["telegram"]["aliases"] == ["telegram_bot_token"]


def test_the_generated_docs_match_the_table():
    options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert list(options) == list(FIELDS)
    for name, option in options.items():
        assert option.get("aliases", []) == list(FIELDS[name].aliases)
        assert ("It is a secret" in " ".join(option["description"])) == (name in SECRET_FIELDS)


# Validation.

@pytest.mark.parametrize("handler_type", list(HANDLER_TYPES))
def test_every_type_with_its_fields_is_valid_and_creatable(handler_type):
    wanted = wanted_handler("Ops", handler_type, None, settings_of(handler_type))
    handlers.check_creatable(wanted)
    assert handlers.create_form(wanted) == dict({"name": "Ops", "type": handler_type}, **settings_of(handler_type))


@pytest.mark.parametrize("name, value, words", [
    ("email", "not-an-email", "must be an email address"),
    ("email", "ops@localhost", "must be an email address"),
    ("webhook", "hooks.example.com/abc", "http:// or https:// URL"),
    ("slack", "ftp://example.com", "http:// or https:// URL"),
    ("telegram", "just-a-token", "bot token"),
    ("telegram_chat_id", "my chat", "a number such as"),
    ("telegram_chat_id", "12ab", "a number such as"),
    ("x_consumer_key", "   ", "a non-empty value"),
])
def test_values_that_cannot_be_right_are_refused_where_they_would_be_sent(name, value, words):
    """Issue 18 point 12: a value's form is checked where it will be sent (check_sendable), before any write."""
    settings = wanted_handler("Ops", None, None, {name: value})["settings"]
    with pytest.raises(InvalidHandler) as caught:
        handlers.check_sendable(settings)
    assert str(caught.value).startswith(name)
    assert words in str(caught.value)


@pytest.mark.parametrize("name, value", [("email", "ops@localhost"), ("webhook", "hooks.example.com/abc"), ("telegram_chat_id", "my chat")])
def test_a_stored_value_given_back_unchanged_is_not_refused(name, value):
    """Issue 18 point 12: the server validates nothing (rule 10), so an account's own export must round-trip."""
    stored = current(handlers.FIELD_TYPE[name], settings={name: value})
    settings = wanted_handler("Ops", None, None, {name: value})["settings"]
    handlers.check_sendable(settings, stored)


def test_a_refused_secret_is_not_repeated_in_the_message():
    settings = wanted_handler("Ops", None, None, {"telegram": "secret-value"})["settings"]
    with pytest.raises(InvalidHandler) as caught:
        handlers.check_sendable(settings)
    assert "secret-value" not in str(caught.value)


@pytest.mark.parametrize("value", ["@channel_name", "-100123", "42"])
def test_telegram_chat_ids(value):
    assert wanted_handler("Ops", "telegram", None, {"telegram_chat_id": value})["settings"]["telegram_chat_id"] == value


def test_blanks_of_a_setting_are_trimmed_but_a_name_is_kept_as_given():
    """Exact identity: a name is the user's exact words, blanks included; a setting is still trimmed as the server does."""
    wanted = wanted_handler("  Ops  ", None, None, {"email": " ops@example.com\n"})
    assert wanted["name"] == "  Ops  "
    assert wanted["settings"] == {"email": "ops@example.com"}


@pytest.mark.parametrize("name, words", [
    ("", "name must not be empty."),
    ("   ", "name must not be empty."),
    ("\t\n", "name must not be empty."),
    ("x" * 129, "name is 129 characters long as the server stores it; the server cuts it to 128"),
    # Rule 10: each quote is stored as a five-character entity, so a name within 128 characters may not be as stored.
    ("'" + "x" * 126, "name is 131 characters long as the server stores it (it turns each ' into &#39;"),
    ('"' * 26, "name is 130 characters long as the server stores it"),
])
def test_names_empty_or_that_the_server_would_cut_are_refused(name, words):
    """Rule 10: a blank name is refused, and one over 128 characters once its quotes are entities."""
    with pytest.raises(InvalidHandler) as caught:
        wanted_handler(name, None, None, {})
    assert str(caught.value).startswith("name ")
    assert words in str(caught.value)


@pytest.mark.parametrize("name, stored", [
    ("Équipe d'astreinte", "Équipe d&#39;astreinte"),
    ('Say "hi"', "Say &#34;hi&#34;"),
    ("Équipe d&#39;astreinte", "Équipe d&#39;astreinte"),
    ("x" * 128, "x" * 128),
    ("a" + "'" * 25, "a" + "&#39;" * 25),  # 126 characters once stored
])
def test_names_with_quotes_are_accepted_sendable_and_stored_with_entities(name, stored):
    """Rule 10: a quote is the one change of the cleaning that can be undone, so such a name is sent and found again."""
    assert wanted_handler(name, None, None, {})["name"] == name
    handlers.check_name_sendable(name)
    assert handlers.stored_form(name) == stored
    assert handlers.same_name(name, stored)


@pytest.mark.parametrize("name, stored, words", [
    ("Ops <staging>", "Ops", "holds '<', and the server removes everything from a '<' to the next '>' (or to the end)"),
    ("<b>Ops</b>", "Ops", "holds '<'"),
    ("Ops <2", "Ops", "holds '<'"),
    ("a < b > c", "a  c", "holds '<'"),
    ("<b>", "", "holds '<'"),
    ("<Ops", "", "holds '<'"),
    ("it's <b>", "it's", "holds '<'"),  # shown plain: the quote is not the reason
    ("  Ops  ", "Ops", "holds blanks at its start or end, which the server trims"),
    ("Ops\n", "Ops", "holds blanks at its start or end"),
    ("Ops\x00 team", "Ops team", "holds a NUL character (\\x00), which the server removes"),
])
def test_names_the_server_would_store_as_another_name_are_accepted_but_refused_when_sent(name, stored, words):
    """Exact identity: such a name is still a name to look for (a server that does not clean stores it as given), but it is
    never sent: the server would store it as another name, maybe another handler's. It is not that other name."""
    assert wanted_handler(name, None, None, {})["name"] == name
    with pytest.raises(InvalidHandler) as caught:
        handlers.check_name_sendable(name)
    message = str(caught.value)
    assert message.startswith("name %r " % name)
    assert words in message
    assert "the server would store it as %r, which is another name" % stored in message
    assert message.endswith("Nothing was sent. Give the name without it.")
    assert not handlers.same_name(name, stored)
    assert handlers.same_name(name, name)


@pytest.mark.parametrize("value, stored", [
    ("Équipe d'astreinte", "Équipe d&#39;astreinte"),
    ("o'brien@example.com", "o&#39;brien@example.com"),
    ('a&b "q" \'x\'', "a&b &#34;q&#34; &#39;x&#39;"),
    ("<b>bold</b><script>alert(1)</script>", "boldalert(1)"),
    ("5<6", "5"),
    ("a < b > c", "a  c"),
    ("  padded  ", "padded"),
    ("nul\x00byte", "nulbyte"),
    ("<'quoted'>x", "x"),
    ("line1\nline2\tx", "line1\nline2\tx"),
    ("100%_off", "100%_off"),
    ("&amp; \\ \u2019 Привет ✓ 漢字 😀", "&amp; \\ \u2019 Привет ✓ 漢字 😀"),
])
def test_rule_10_the_server_cleaning_in_its_order(value, stored):
    """Rule 10 (run): NUL and '<' to the next '>' or to the end removed, quotes to entities, blanks trimmed; the rest kept.

    The examples are those of part B and of the 66pusher 18 transcript (section h, strings).
    """
    assert handlers.server_cleaned(value) == stored


@pytest.mark.parametrize("wanted, stored, same", [
    ("Équipe d'astreinte", "Équipe d&#39;astreinte", True),
    ("Équipe d'astreinte", "Équipe d'astreinte", True),  # a server that does not clean stores it as given
    ("Équipe d&#39;astreinte", "Équipe d&#39;astreinte", True),  # the stored form fed back (a declaration)
    ("Équipe d'astreinte", "Équipe d&amp;#39;astreinte", False),
    ("Équipe d'astreinte", "Équipe d\u2019astreinte", False),
    ("Équipe d&#39;astreinte", "Équipe d'astreinte", True),  # an export shown plain, stored as given
    ('Say "hi"', "Say &#34;hi&#34;", True),
    ('Say "hi"', "Say &#39;hi&#39;", False),
    ("Ops", "ops", False),
    ("Ops", None, False),
    (None, "Ops", False),
    # Nothing else of the cleaning is undone (exact identity): a tag, blanks and a NUL make another name.
    ("Ops <staging>", "Ops", False),
    ("Ops <staging>", "Ops <staging>", True),
    ("  Ops  ", "Ops", False),
    ("Ops", "  Ops  ", False),
    ("Ops\x00", "Ops", False),
])
def test_rule_10_same_name_is_the_name_with_its_quotes_read_as_entities(wanted, stored, same):
    assert handlers.same_name(wanted, stored) is same


def test_rule_10_a_handler_stored_with_the_cleaned_name_is_unchanged():
    stored = current(name="Équipe d&#39;astreinte")
    wanted = wanted_handler("Équipe d'astreinte", "webhook", True, settings_of("webhook"))
    assert handlers.changed_fields(wanted, stored) == {}
    merged = handlers.merged_handler(wanted, stored)
    assert merged["name"] == "Équipe d&#39;astreinte", "the stored form is kept"
    assert handlers.differences(merged, stored) == []
    assert handlers.differences(handlers.merged_handler(wanted), stored) == []


def test_rule_10_a_rename_to_a_quoted_name_sends_it_as_given():
    """The server cleans what it receives: sending the entity would be stored as given by a server that does not clean."""
    assert handlers.changed_fields(wanted_handler("Équipe d'astreinte", None, None, {}), current()) == {"name": "Équipe d'astreinte"}


def quoted(value, mark):
    """A valid value with a quote (or a '<') in its middle."""
    middle = len(value) // 2
    return value[:middle] + mark + value[middle:]


@pytest.mark.parametrize("mark", ["'", '"'])
@pytest.mark.parametrize("name", list(FIELDS))
def test_rule_10_a_quote_in_any_setting_is_refused_naming_the_option_and_not_the_value(name, mark):
    """Issue 17 point 3: the server would store o&#39;brien@example.com, which no mail server delivers to."""
    value = quoted(CANARIES.get(name, VALID[name]), mark)
    with pytest.raises(InvalidHandler) as caught:
        wanted_handler("Ops", None, None, {name: value})
    message = str(caught.value)
    assert message.startswith(name + " ")
    assert "quote" in message and "&#39;" in message and "Nothing was sent" in message
    assert value not in message and CANARIES.get(name, VALID[name]) not in message
    for part in value.split(mark):
        assert len(part) < 6 or part not in message, "a part of the value is shown"


@pytest.mark.parametrize("name", list(FIELDS))
def test_rule_10_a_tag_in_any_setting_is_refused_naming_the_option_and_not_the_value(name):
    value = quoted(CANARIES.get(name, VALID[name]), "<i>")
    with pytest.raises(InvalidHandler) as caught:
        wanted_handler("Ops", None, None, {name: value})
    message = str(caught.value)
    assert message.startswith(name + " ") and "'<'" in message and "Nothing was sent" in message
    assert value not in message and CANARIES.get(name, VALID[name]) not in message


def test_rule_10_the_email_of_the_issue_is_refused():
    with pytest.raises(InvalidHandler) as caught:
        wanted_handler("Mail", "email", None, {"email": "o'brien@example.com"})
    assert str(caught.value).startswith("email holds a quote")
    assert "o'brien" not in str(caught.value)


def test_a_128_character_name_is_fine():
    assert wanted_handler("x" * 128, None, None, {})["name"] == "x" * 128


def test_overlong_values_are_refused():
    with pytest.raises(InvalidHandler, match="webhook is 513 characters long; the server cuts it to 512"):
        wanted_handler("Ops", None, None, {"webhook": "https://e.com/" + "a" * 499})


def test_a_field_of_another_type_is_refused():
    with pytest.raises(InvalidHandler) as caught:
        wanted_handler("Ops", "email", None, {"email": VALID["email"], "slack": VALID["slack"]})
    assert "slack is not a setting of type email" in str(caught.value)
    assert "An email handler takes: email" in str(caught.value)


def test_a_field_of_another_type_is_refused_on_update_without_type():
    wanted = wanted_handler("Ops", None, None, {"slack": VALID["slack"]})
    with pytest.raises(InvalidHandler, match="slack is not a setting of type webhook"):
        handlers.changed_fields(wanted, current("webhook"))


@pytest.mark.parametrize("wanted, words", [
    ({"name": "Ops", "settings": {}}, "type is required to create"),
    ({"type": "email", "settings": {"email": VALID["email"]}}, "name is required to create"),
    ({"name": "Ops", "type": "telegram", "settings": {"telegram": VALID["telegram"]}}, "telegram_chat_id is missing. Give it to create it"),
    ({"name": "Ops", "type": "x", "settings": {}},
     "x_consumer_key and x_consumer_secret and x_access_token and x_access_token_secret are missing. Give them to create it"),
])
def test_a_create_needs_a_name_a_type_and_its_fields(wanted, words):
    with pytest.raises(InvalidHandler, match=words):
        handlers.check_creatable(wanted)


def test_an_unknown_type_is_refused():
    with pytest.raises(InvalidHandler, match="type must be one of email, webhook"):
        wanted_handler("Ops", "pager", None, {})


# Comparison: only what differs.

def test_an_unchanged_handler_needs_no_request():
    assert handlers.changed_fields(wanted_handler("Ops", "webhook", True, settings_of("webhook")), current()) == {}


def test_options_left_out_are_not_managed():
    assert handlers.changed_fields(wanted_handler("Ops", None, None, {}), current(enabled=False)) == {}


def test_only_the_changed_fields_are_sent():
    wanted = wanted_handler("Ops", "telegram", None, {"telegram_chat_id": "-42", "telegram": VALID["telegram"]})
    assert handlers.changed_fields(wanted, current("telegram")) == {"telegram_chat_id": "-42"}


def test_enabled_goes_as_is_enabled():
    assert handlers.changed_fields(wanted_handler("Ops", None, False, {}), current()) == {"is_enabled": False}
    assert handlers.encode_form({"is_enabled": False, "name": "x"}) == {"is_enabled": 0, "name": "x"}
    assert handlers.encode_form({"is_enabled": True}) == {"is_enabled": 1}


def test_a_rename():
    assert handlers.changed_fields(wanted_handler("Ops 2", None, None, {}), current()) == {"name": "Ops 2"}


def test_a_type_change_sends_the_type_with_all_its_fields():
    wanted = wanted_handler("Ops", "slack", None, settings_of("slack"))
    assert handlers.changed_fields(wanted, current("webhook")) == dict({"type": "slack"}, **settings_of("slack"))


def test_a_type_change_needs_every_field_of_the_new_type():
    wanted = wanted_handler("Ops", "telegram", None, {"telegram": VALID["telegram"]})
    with pytest.raises(InvalidHandler, match="a handler of type telegram needs telegram and telegram_chat_id, and telegram_chat_id is missing. "
                                             "Give it to change its type to telegram"):
        handlers.changed_fields(wanted, current("webhook"))


def test_an_email_update_carries_the_address_so_the_confirmation_is_kept():
    assert handlers.changed_fields(wanted_handler("Mail", None, False, {}), current("email")) == {
        "is_enabled": False, "email": VALID["email"], "name": "Mail"}


def test_the_merged_handler_is_what_the_update_leaves():
    merged = handlers.merged_handler(wanted_handler("Ops 2", None, False, {}), current())
    assert merged == {"name": "Ops 2", "type": "webhook", "enabled": False, "settings": settings_of("webhook")}
    assert handlers.merged_handler(wanted_handler("New", "email", None, settings_of("email")))["enabled"] is True


def test_differences_name_the_fields_that_did_not_stick():
    expected = handlers.merged_handler(wanted_handler("Ops", "webhook", True, settings_of("webhook")))
    mangled = handlers.normalize_handler({"id": 1, "name": "Ops", "type": None, "is_enabled": 1, "settings": {"": ""}})
    assert handlers.differences(expected, mangled) == ["type", "webhook"]
    assert handlers.differences(expected, dict(expected, id=1)) == []


# Normalising what the server sends.

@pytest.mark.parametrize("raw_enabled, enabled, pending", [
    (True, True, False), (False, False, False), (0, False, False), (1, True, False), (2, True, True), ("2", True, True), ("0", False, False),
])
def test_is_enabled_in_every_form(raw_enabled, enabled, pending):
    handler = handlers.normalize_handler({"id": "3", "name": "n", "type": "email", "is_enabled": raw_enabled, "settings": {}})
    assert (handler["id"], handler["enabled"], handler["pending_confirmation"]) == (3, enabled, pending)


@pytest.mark.parametrize("settings", [{"email": "a@b.co", "activation_code": "123"}, json.dumps({"email": "a@b.co"})])
def test_settings_as_a_dict_or_a_json_string(settings):
    handler = handlers.normalize_handler({"id": 1, "name": "n", "type": "email", "is_enabled": True, "settings": settings})
    assert handler["settings"] == {"email": "a@b.co"}


@pytest.mark.parametrize("settings", [[], "", "not json", None])
def test_empty_or_broken_settings_read_as_none(settings):
    assert handlers.normalize_handler({"id": 1, "name": "n", "type": "email", "is_enabled": 1, "settings": settings})["settings"] == {}


# Masking.

def test_secrets_are_masked_with_a_fingerprint_that_tells_changes_apart():
    handler = current("telegram")
    masked = handlers.masked_handler(handler, SALT)
    assert masked["settings"]["telegram_chat_id"] == VALID["telegram_chat_id"]
    assert masked["settings"]["telegram"].startswith("********#")
    assert VALID["telegram"] not in json.dumps(masked)
    other = handlers.masked_handler(current("telegram", settings={"telegram": "1:other", "telegram_chat_id": "1"}), SALT)
    assert other["settings"]["telegram"] != masked["settings"]["telegram"]
    assert handlers.masked_handler(handler, SALT) == masked, "the fingerprint is stable"
    assert handlers.masked_handler(handler, "another-key") != masked, "and salted by the account's key"
    assert handler["settings"]["telegram"] == VALID["telegram"], "masking does not touch the original"


def test_the_diff_view_masks_every_secret():
    for handler_type in HANDLER_TYPES:
        view = json.dumps(handler_diff.diff_view(current(handler_type), SALT))
        for name in SECRET_FIELDS & set(settings_of(handler_type)):
            assert VALID[name] not in view
    assert handler_diff.diff_view(None, SALT) == {}
