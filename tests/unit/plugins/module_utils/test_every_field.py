"""Every field of the table changed alone, through the handler module's logic and the client, over HTTP to the simulator.

This is the field-by-field part of a handler's lifecycle (tests/integration/tasks/lifecycle.yml) for every field of
every type, at the cost of a function call rather than of ansible-playbook tasks: the update sends the changed field
alone, the diff shows it changed (a secret masked on both sides), the server stores it, and the same task again
writes nothing. Through ansible-playbook, handler_types.yml changes the first field of each type: every type on the
documented profile, three of them on the realistic one.
"""

import re

import pytest

from ansible_collections.dmpilot.cloud.plugins.module_utils._name_search import NameSearchClient
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_state import run
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import HANDLER_TYPES, SECRET_FIELDS
from tests.fake_module import FakeModule, ModuleExit, handler_options
from tests.handler_data import CHANGED, settings_of

API_KEY = "test-key"
MASKED = re.compile(r"^[*]{8}#[0-9a-f]{12}$")
FIELD_CHANGES = [(handler_type, field.name) for handler_type, fields in HANDLER_TYPES.items() for field in fields]


def task(client, **params):
    """One task of the handler module, every option present as ansible-core fills them in: its result."""
    module = FakeModule(client, handler_options(api_key=API_KEY, **params), API_KEY)
    with pytest.raises(ModuleExit):
        run(module)
    assert module.failed is None, module.failed.get("msg")
    return module.exited


def update_forms(simulator, handler_id):
    return [entry["form_keys"] for entry in simulator.log()
            if entry["method"] == "POST" and entry["path"].rstrip("/").endswith("/notification-handlers/%d" % handler_id)]


# The documented API, and the server that takes updates in place as the realistic profile models it (email confirmation,
# integer is_enabled, the cleaning of rule 10): on the servers that ignore or break updates, a change is a replacement.
@pytest.mark.parametrize("profile", ["documented", "realistic"])
@pytest.mark.parametrize("handler_type, field", FIELD_CHANGES, ids=["%s.%s" % pair for pair in FIELD_CHANGES])
def test_a_field_changed_alone_is_sent_alone_shown_masked_stored_and_then_left_alone(simulator, handler_type, field, profile):
    simulator.reset(profile)
    client = NameSearchClient(simulator.api_url, API_KEY, timeout=5, retries=0)
    handler_id = task(client, name="Ops", type=handler_type, **settings_of(handler_type))["notification_handler"]["id"]
    simulator.clear_log()

    result = task(client, name="Ops", **{field: CHANGED[field]})

    assert result["changed"] and result["notification_handler"]["id"] == handler_id
    assert update_forms(simulator, handler_id) == [[field]]
    before, after = result["diff"]["before"]["settings"][field], result["diff"]["after"]["settings"][field]
    assert before != after
    assert bool(MASKED.match(before)) == bool(MASKED.match(after)) == (field in SECRET_FIELDS)
    assert client.get_handler(handler_id)["settings"][field] == CHANGED[field]
    simulator.clear_log()

    again = task(client, name="Ops", **{field: CHANGED[field]})

    assert again["changed"] is False
    assert [entry["method"] for entry in simulator.log() if entry["method"] != "GET"] == []


# Issue 24, section 5: the server stores a missing setting as "" (rule 10), a channel that cannot work.

def info(client, reveal_secrets=False):
    from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_info import run as run_info  # pylint: disable=import-outside-toplevel
    module = FakeModule(client, dict(id=None, name=None, type=None, enabled=None, reveal_secrets=reveal_secrets, api_key=API_KEY), API_KEY)
    with pytest.raises(ModuleExit):
        run_info(module)
    return module.exited


@pytest.mark.parametrize("handler_type", [name for name in HANDLER_TYPES if name in SECRET_FIELDS])
def test_an_empty_stored_secret_shows_as_empty_and_given_back_changes_nothing(simulator, handler_type):
    simulator.reset("realistic")
    client = NameSearchClient(simulator.api_url, API_KEY, timeout=5, retries=0)
    client.create_handler({"name": "Broken", "type": handler_type})  # the server stores the missing setting as ""
    shown = info(client)
    assert shown["notification_handlers"][0]["settings"][handler_type] == "", "not a mask: the channel cannot work"
    assert shown["declaration"][0][handler_type] == ""
    simulator.clear_log()

    again = task(client, **shown["declaration"][0])

    assert again["changed"] is False and again["notification_handler"]["settings"][handler_type] == ""
    assert [entry["method"] for entry in simulator.log() if entry["method"] != "GET"] == []


def test_an_export_with_secrets_revealed_gives_names_in_their_plain_form(simulator):
    simulator.reset("realistic")
    client = NameSearchClient(simulator.api_url, API_KEY, timeout=5, retries=0)
    client.create_handler({"name": "Équipe d'astreinte", "type": "internal_notification"})
    assert client.list_handlers()[0]["name"] == "Équipe d&#39;astreinte", "the realistic server stores the quote as its entity"
    for reveal_secrets in (False, True):
        shown = info(client, reveal_secrets)
        assert [handler["name"] for handler in shown["notification_handlers"]] == ["Équipe d'astreinte"]
        assert [item["name"] for item in shown["declaration"]] == ["Équipe d'astreinte"]
