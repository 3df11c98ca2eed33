"""The role's decisions: which items need the module, and what to purge, from masked current handlers."""

import pytest
import yaml

from ansible_collections.dmpilot.cloud.plugins.doc_fragments.handler_settings import ModuleDocFragment as HandlerSettings
from ansible_collections.dmpilot.cloud.plugins.doc_fragments.handler_type import ModuleDocFragment as HandlerType
from ansible_collections.dmpilot.cloud.plugins.filter.handlers_to_converge import handlers_to_converge
from ansible_collections.dmpilot.cloud.plugins.filter.handlers_to_purge import handlers_to_purge
from ansible_collections.dmpilot.cloud.plugins.module_utils._convergence import ITEM_OPTIONS, items_to_converge
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import masked_handler
from ansible_collections.dmpilot.cloud.plugins.modules import dmpilot_notification_handler as handler_module

SALT = "the-api-key"
TOKEN = "123456789:secret-token"


def current_handlers():
    """What the info module returns: normalised and masked."""
    raw = [
        {"id": 1, "name": "Mail", "type": "email", "enabled": True, "pending_confirmation": False, "settings": {"email": "a@example.com"}},
        {"id": 2, "name": "Tg", "type": "telegram", "enabled": False, "pending_confirmation": False,
         "settings": {"telegram": TOKEN, "telegram_chat_id": "-100"}},
        {"id": 3, "name": "Twin", "type": "email", "enabled": True, "pending_confirmation": False, "settings": {"email": "t@example.com"}},
        {"id": 4, "name": "Twin", "type": "email", "enabled": True, "pending_confirmation": False, "settings": {"email": "t@example.com"}},
    ]
    return [masked_handler(handler, SALT) for handler in raw]


CONVERGED = [
    {"name": "Mail", "type": "email", "email": "a@example.com"},
    {"name": "Tg", "type": "telegram", "telegram_bot_token": TOKEN, "telegram_chat_id": "-100", "is_enabled": False},
    {"id": 3, "name": "Twin", "email": "t@example.com"},
    {"name": "Gone", "state": "absent"},
]


def test_a_converged_list_needs_no_module_run():
    assert items_to_converge(CONVERGED, current_handlers(), SALT) == []


@pytest.mark.parametrize("item", [
    {"name": "Tg", "telegram_bot_token": "123456789:rotated-token"},
    {"name": "Tg", "enabled": True},
    {"name": "Mail", "type": "slack", "slack": "https://hooks.slack.com/x"},
    {"name": "Mail", "email": "b@example.com"},
    {"id": 1, "name": "Mail renamed"},
    {"name": "New", "type": "email", "email": "n@example.com"},
    {"name": "Mail", "state": "absent"},
])
def test_an_item_that_differs_is_kept_with_the_id_it_matched(item):
    expected = dict(("enabled" if key == "is_enabled" else "telegram" if key == "telegram_bot_token" else key, value) for key, value in item.items())
    if item["name"] != "New":
        expected["id"] = {"Mail": 1, "Tg": 2}.get(item["name"], item.get("id"))
    assert items_to_converge([item], current_handlers(), SALT) == [expected]


def test_the_same_secret_under_another_key_is_not_recognised():
    """The fingerprint is keyed: a list compared with the wrong API key is converged by the module, never skipped."""
    assert items_to_converge([CONVERGED[1]], current_handlers(), "another-key") != []


@pytest.mark.parametrize("item", [
    {"name": "Twin", "enabled": False},
    {"name": "Twin", "email": "t@example.com"},
    {"name": "<b>bad</b>", "type": "email", "email": "a@example.com"},
    {"name": "Mail", "email": "not-an-email"},
    {"name": "Mail", "slack": "https://hooks.slack.com/x"},
    {"name": "Mail", "unknown_option": 1},
    {"id": 99, "name": "Ghost"},
])
def test_when_in_doubt_the_module_decides_and_explains(item):
    assert items_to_converge([item], current_handlers(), SALT) == [item], "kept as given, without an id the module did not ask for"


def test_aliases_are_resolved_for_the_module():
    item = {"name": "New", "type": "telegram", "telegram_bot_token": TOKEN, "telegram_chat_id": "-1", "is_enabled": False}
    assert items_to_converge([item], current_handlers(), SALT) == [
        {"name": "New", "type": "telegram", "telegram": TOKEN, "telegram_chat_id": "-1", "enabled": False}]


def test_purge_keeps_what_the_list_names_by_name_or_id():
    wanted = [{"name": "Mail"}, {"id": 2, "name": "Telegram renamed"}, {"name": "Twin", "state": "absent"}]
    assert handlers_to_purge(wanted, current_handlers()) == [{"id": 3, "name": "Twin"}, {"id": 4, "name": "Twin"}]
    assert handlers_to_purge([], current_handlers()) == [{"id": handler["id"], "name": handler["name"]} for handler in current_handlers()]


def test_the_filters_refuse_what_is_not_a_list():
    with pytest.raises(Exception, match="must be a list of dictionaries"):
        handlers_to_converge({"name": "Mail"}, current_handlers(), SALT)
    with pytest.raises(Exception, match="must be the notification_handlers list"):
        handlers_to_converge(CONVERGED, {"notification_handlers": []}, SALT)
    with pytest.raises(Exception, match="must be lists"):
        handlers_to_purge(CONVERGED, None)


def test_the_items_take_exactly_the_handler_modules_own_options():
    """ITEM_OPTIONS comes from the module's argument spec; validate-modules holds the module's docs equal to that spec."""
    documented = set()
    for docs in (handler_module.DOCUMENTATION, HandlerSettings.DOCUMENTATION, HandlerType.DOCUMENTATION):
        documented |= set(yaml.safe_load(docs)["options"])
    assert ITEM_OPTIONS == documented
