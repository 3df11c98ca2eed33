"""Exact identity: a notification handler's name is the user's exact words (the issue "Exact identity").

Through the real client and the modules' logic, against the simulator in this process (tests/simulator/inprocess.py),
on the server profiles the transcripts measured and the documented API:

- a name is the handler whose stored name is the same once each quote is read as its entity (rule 10): nothing else of
  the server's cleaning is undone, so `Ops <staging>` is not the handler `Ops`, nor is `  Ops  `;
- a name that the server would store as another name (a tag, a NUL, blanks at its ends) is refused where it would be
  sent, after the read and before any write; a handler stored with exactly such a name is still found and managed;
- every name the modules return is shown plain (`Équipe d'astreinte`, never `Équipe d&#39;astreinte`);
- the info module compares its name filter the same way, and its export tells namesakes of the whole account apart;
- the client's search escapes what MySQL's LIKE reads as an escape or a wildcard;
- a handler that the update bug broke (type null) is not changed without its type.

What the server stores is read from the simulator, and every expected value is written out: none is computed with the
collection's own cleaning or matching.
"""

import copy
import json

import pytest

from ansible_collections.dmpilot.cloud.plugins.module_utils import _update_probe
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_info import run as run_info
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_list import run as run_list
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import wanted_handler
from ansible_collections.dmpilot.cloud.plugins.module_utils._update_probe import MANGLED
from tests.fake_module import FakeModule as InProcessModule
from tests.simulator.inprocess import Account
from tests.unit.plugins.module_utils.test_handler_state import (
    APOSTROPHE_NAME,
    APOSTROPHE_STORED,
    HOOK,
    HOOK2,
    SALT,
    FakeModule,
    RecordingClient,
    converge,
    finished,
    list_item,
    list_module,
    new_state,
)

SLACK = "https://hooks.slack.com/services/T000/B000/slack-secret"
# The profiles of the issue: the documented API (stores names as given) and the two measured versions (rule 10's cleaning).
PROFILES = ("documented", "pusher-18", "biolinks-67")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class ProfileClient(RecordingClient):
    """RecordingClient on a server profile of its own, with that profile's switches (update mode, cleaning, search)."""

    def __init__(self, profile, **switches):
        super().__init__(account=Account(profile, dict({"b3_rate_limit": False}, **switches)))

    def mangle(self, handler_id):
        raise NotImplementedError("a ProfileClient keeps its profile's update mode")


@pytest.fixture(autouse=True)
def no_shared_probe_outcome(monkeypatch):
    monkeypatch.setattr(_update_probe, "playbook_run", lambda: None)


def requests_of(client, methods=None):
    """The requests the simulator served, as (method, path, query)."""
    return [(entry["method"], entry["path"], entry["query"]) for entry in client.account.app.log
            if methods is None or entry["method"] in methods]


def info_module(client, **params):
    """The info module run to its end with these options (the others as ansible-core fills them in): the module."""
    options = dict(id=None, name=None, type=None, enabled=None, reveal_secrets=False, api_key=SALT)
    options.update(params)
    return finished(InProcessModule(client, options, SALT), run_info)


def shown(result):
    """A module's result as it is printed, to look for a quote entity anywhere in it."""
    return json.dumps(result, ensure_ascii=False, sort_keys=True)


# Point 1 and 2: a name with a tag is not the handler the server would make of it, and is never sent.

@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("profile", PROFILES)
def test_a_name_with_a_tag_is_refused_before_a_create_and_the_handler_it_would_become_is_untouched(profile, check_mode):
    client = ProfileClient(profile)
    ops = client.seed("Ops", handler_type="slack", settings={"slack": SLACK})
    before = copy.deepcopy(client.stored)
    module = finished(FakeModule(client, check_mode=check_mode, name="Ops <staging>", type="webhook", webhook=HOOK))
    assert module.exited is None, module.exited
    assert module.failed["msg"] == (
        "name 'Ops <staging>' holds '<', and the server removes everything from a '<' to the next '>' (or to the end): the server "
        "would store it as 'Ops', which is another name (maybe another handler's). Nothing was sent. Give the name without it.")
    assert module.failed["changed"] is False
    assert [call[0] for call in client.calls] == ["find_by_name"], "read, then refused before any write"
    assert requests_of(client, WRITE_METHODS) == []
    assert client.stored == before and client.handler(ops)["type"] == "slack"


@pytest.mark.parametrize("profile", PROFILES)
def test_absent_of_a_name_with_a_tag_deletes_nothing(profile):
    client = ProfileClient(profile)
    client.seed("Ops", handler_type="slack", settings={"slack": SLACK})
    before = copy.deepcopy(client.stored)
    module = finished(FakeModule(client, name="Ops <old>", state="absent"))
    assert module.failed is None, module.failed
    assert module.exited["changed"] is False
    assert requests_of(client, WRITE_METHODS) == []
    assert client.stored == before


@pytest.mark.parametrize("name, words", [
    ("Ops <new>", "holds '<'"),
    ("Ops ", "holds blanks at its start or end"),
    ("Ops\x00new", "holds a NUL character"),
])
@pytest.mark.parametrize("profile", PROFILES)
def test_a_rename_to_a_name_the_server_would_clean_is_refused_before_any_write(profile, name, words):
    client = ProfileClient(profile)
    managed = client.seed("Ops")
    before = copy.deepcopy(client.stored)
    module = finished(FakeModule(client, id=managed, name=name))
    assert module.failed["msg"].startswith("name %r %s" % (name, words)), module.failed["msg"]
    assert "Nothing was sent" in module.failed["msg"] and module.failed["changed"] is False
    assert requests_of(client, WRITE_METHODS) == []
    assert client.stored == before


@pytest.mark.parametrize("profile", PROFILES)
def test_a_name_with_blanks_at_its_ends_is_not_the_handler_without_them(profile):
    client = ProfileClient(profile)
    client.seed("Ops")
    assert new_state(client).find(name="  Ops  ") is None
    assert new_state(client).find(name="Ops ") is None
    module = finished(FakeModule(client, name="  Ops  ", type="webhook", webhook=HOOK))
    assert module.failed["msg"].startswith("name '  Ops  ' holds blanks at its start or end, which the server trims: the server "
                                           "would store it as 'Ops'")
    assert requests_of(client, WRITE_METHODS) == [] and client.names() == ["Ops"]


def test_a_handler_stored_with_a_tag_on_a_server_that_does_not_clean_is_found_managed_and_its_export_changes_nothing():
    """The documented API stores `Ops <staging>` as given: that handler is found by its exact name and managed in place,
    the handler `Ops` is left alone, and the info module's export of the account, given back, changes nothing."""
    client = ProfileClient("documented")
    ops = client.seed("Ops", handler_type="slack", settings={"slack": SLACK})
    staging = client.seed("Ops <staging>", settings={"webhook": HOOK})
    same = finished(FakeModule(client, name="Ops <staging>", type="webhook", webhook=HOOK))
    assert same.failed is None and same.exited["changed"] is False
    assert same.exited["notification_handler"]["id"] == staging
    assert requests_of(client, WRITE_METHODS) == []
    changed = finished(FakeModule(client, name="Ops <staging>", type="webhook", webhook=HOOK2))
    assert changed.failed is None, changed.failed
    assert changed.exited["changed"] is True and changed.exited["notification_handler"]["id"] == staging
    assert client.stored[staging]["name"] == "Ops <staging>" and client.stored[staging]["settings"] == {"webhook": HOOK2}
    assert client.stored[ops]["name"] == "Ops" and client.stored[ops]["settings"] == {"slack": SLACK}
    gone = finished(FakeModule(client, name="Ops <staging>", state="absent"))
    assert gone.failed is None and gone.exited["changed"] is True
    assert sorted(client.stored) == [ops]
    client.seed("Ops <staging>", settings={"webhook": HOOK})
    export = info_module(client, reveal_secrets=True)
    assert [item["name"] for item in export.exited["declaration"]] == ["Ops", "Ops <staging>"]
    before = copy.deepcopy(client.stored)
    client.account.app.log.clear()
    given_back = finished(list_module(client, [list_item(**item) for item in export.exited["declaration"]], purge=True), run_list)
    assert given_back.failed is None, given_back.failed
    assert given_back.exited["changed"] is False
    assert requests_of(client, WRITE_METHODS) == [] and client.stored == before


# Point 3: every name the modules return is plain, in check mode and in the real run alike.

def list_run(profile, check_mode):
    """The list module on an account with quoted names stored as a cleaning server stores them: an update (or a
    replacement), a create, a delete, and a delete that another client did first."""
    client = ProfileClient(profile)
    client.seed(APOSTROPHE_STORED, settings={"webhook": HOOK})
    client.seed("O&#39;Brien", handler_type="email", settings={"email": "obrien@example.com"})
    bye = client.seed("Say &#34;bye&#34;")
    if not check_mode:
        client.on("delete_handler", lambda handler_id: client.other.delete_handler(bye), when=lambda handler_id: handler_id == bye)
    items = [
        list_item(name=APOSTROPHE_NAME, type="webhook", webhook=HOOK2),
        list_item(name='Say "hi"', type="webhook", webhook=HOOK),
        list_item(name="O'Brien", state="absent"),
        list_item(name='Say "bye"', state="absent"),
    ]
    module = finished(list_module(client, items, check_mode=check_mode), run_list)
    assert module.failed is None, module.failed
    return client, module.exited


@pytest.mark.parametrize("profile", PROFILES)
def test_the_list_module_shows_every_name_plain_in_check_mode_and_in_the_real_run(profile):
    checked_client, checked = list_run(profile, check_mode=True)
    client, result = list_run(profile, check_mode=False)
    assert checked_client.writes() == []
    for outcome in (checked, result):
        assert "&#" not in shown(outcome), shown(outcome)
        assert [(diff["before_header"], diff["after_header"]) for diff in outcome["diff"]] == [
            ("Équipe d'astreinte (id 1)", "Équipe d'astreinte (id 1)"), ('Say "hi" (new)', 'Say "hi" (new)'),
            ("O'Brien (id 2)", "O'Brien (id 2, deleted)"), ('Say "bye" (id 3)', 'Say "bye" (id 3, deleted)')]
        assert outcome["diff"][0]["after"]["name"] == "Équipe d'astreinte"
        assert [entry["name"] for entry in outcome["created"]] == ['Say "hi"']
        assert [entry["name"] for entry in outcome["updated"] + outcome["replaced"]] == ["Équipe d'astreinte"]
        assert sorted(handler["name"] for handler in outcome["notification_handlers"]) == ['Say "hi"', "Équipe d'astreinte"]
    assert checked["diff"] == result["diff"]
    assert [entry["name"] for entry in checked["deleted"]] == ["O'Brien", 'Say "bye"']
    assert [entry["name"] for entry in result["deleted"]] == ["O'Brien"]
    assert [entry["name"] for entry in result["already_gone"]] == ['Say "bye"']
    cleans = profile != "documented"
    assert client.names() == sorted(["Say &#34;hi&#34;" if cleans else 'Say "hi"', APOSTROPHE_STORED])


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("profile", PROFILES)
def test_the_handler_module_shows_a_quoted_name_plain_whatever_the_server_stores(profile, check_mode):
    client = ProfileClient(profile)
    created = finished(FakeModule(client, check_mode=check_mode, name=APOSTROPHE_NAME, type="webhook", webhook=HOOK)).exited
    assert created["changed"] is True and "&#" not in shown(created)
    assert created["notification_handler"]["name"] == created["diff"]["after"]["name"] == APOSTROPHE_NAME
    stored = client.seed("L&#39;autre équipe")  # as a cleaning server stores it, whatever this profile does
    again = finished(FakeModule(client, check_mode=check_mode, id=stored, name="L'autre équipe", webhook=HOOK2)).exited
    assert again["changed"] is True and "&#" not in shown(again)
    assert again["diff"]["before"]["name"] == again["diff"]["after"]["name"] == "L'autre équipe"
    assert again["notification_handler"]["name"] == "L'autre équipe"
    kept = again["notification_handler"]["id"] or stored  # a replacement (pusher-18, biolinks-67) has another id
    gone = finished(FakeModule(client, check_mode=check_mode, id=kept, state="absent")).exited
    assert gone["changed"] is True and "&#" not in shown(gone)


# Point 5: the info module.

def test_the_info_modules_name_filter_finds_the_handler_stored_with_the_quote_entity():
    client = ProfileClient("biolinks-67")
    stored = client.seed(APOSTROPHE_STORED)
    client.seed("Équipe d&amp;#39;astreinte")
    client.seed("Équipe dastreinte")
    result = info_module(client, name=APOSTROPHE_NAME).exited
    assert [handler["id"] for handler in result["notification_handlers"]] == [stored]
    assert result["notification_handlers"][0]["name"] == APOSTROPHE_NAME
    masked = result["notification_handlers"][0]["settings"]["webhook"]
    assert result["declaration"] == [{"name": APOSTROPHE_NAME, "type": "webhook", "enabled": True, "webhook": masked}]
    assert info_module(client, name="Équipe d&#39;astreinte").exited["notification_handlers"][0]["id"] == stored
    assert info_module(client, name="Équipe").exited["notification_handlers"] == []


@pytest.mark.parametrize("profile", PROFILES)
def test_the_info_modules_name_filter_is_exact_for_a_name_with_a_tag(profile):
    client = ProfileClient(profile)
    client.seed("Ops", handler_type="slack", settings={"slack": SLACK})
    assert info_module(client, name="Ops <staging>").exited["notification_handlers"] == []
    assert info_module(client, name=" Ops").exited["notification_handlers"] == []


@pytest.mark.parametrize("filters", [dict(type="slack"), dict(enabled=True), dict(type="slack", enabled=True)])
def test_the_info_export_filtered_gives_an_id_to_a_handler_whose_name_another_of_the_account_has(filters):
    client = ProfileClient("biolinks-67")
    slack = client.seed("Dup", handler_type="slack", settings={"slack": SLACK})
    client.seed("Dup", handler_type="email", settings={"email": "dup@example.com"}, is_enabled=0)
    client.seed("Alone", handler_type="slack", settings={"slack": SLACK})
    client.account.app.log.clear()
    result = info_module(client, reveal_secrets=True, **filters).exited
    assert result["declaration"] == [
        {"id": slack, "name": "Dup", "type": "slack", "enabled": True, "slack": SLACK},
        {"name": "Alone", "type": "slack", "enabled": True, "slack": SLACK},
    ]
    # The filter is applied on the whole list, which the module read: not the server's filtered answer alone.
    assert [query.get("type") for _method, _path, query in requests_of(client)] == [None]
    before = copy.deepcopy(client.stored)
    given_back = finished(list_module(client, [list_item(**item) for item in result["declaration"]]), run_list)
    assert given_back.failed is None, given_back.failed
    assert given_back.exited["changed"] is False and client.writes() == []
    assert client.stored == before


def test_the_info_export_by_id_gives_the_id_of_a_handler_that_has_a_namesake():
    client = ProfileClient("pusher-18")
    first = client.seed("Dup", handler_type="slack", settings={"slack": SLACK})
    client.seed("Dup", handler_type="email", settings={"email": "dup@example.com"})
    result = info_module(client, id=first, reveal_secrets=True).exited
    assert result["declaration"] == [{"id": first, "name": "Dup", "type": "slack", "enabled": True, "slack": SLACK}]


# Point 6: the server's search, escaped.

def test_a_name_with_a_backslash_is_found_exactly_by_the_servers_search_and_not_created_again():
    """Rule 14 (section i of the transcripts): MySQL's LIKE reads `ops\\team` as `opsteam`, which finds `OpsTeam Discord`
    and not `ops\\team`; the client sends `ops\\\\team`."""
    client = ProfileClient("biolinks-67")
    client.seed("OpsTeam Discord")
    wanted = client.seed("ops\\team")
    assert [handler["id"] for handler in client.find_by_name("ops\\team")] == [wanted]
    assert [query.get("search") for _method, _path, query in requests_of(client)] == ["ops\\\\team"]
    client.calls = []
    again, _state = converge(client, wanted_handler("ops\\team", "webhook", None, {"webhook": HOOK}))
    assert again["changed"] is False and again["notification_handler"]["id"] == wanted
    assert client.writes() == [] and sorted(client.names()) == ["OpsTeam Discord", "ops\\team"]


@pytest.mark.parametrize("name, searched, others", [
    ("50% off", "50\\% off", ["50 and more off"]),
    ("a_b", "a\\_b", ["axb"]),
    ("O'Brien", "O&#39;Brien", ["OBrien"]),
])
def test_the_search_escapes_what_like_reads_as_a_wildcard(name, searched, others):
    client = ProfileClient("biolinks-67")
    for other in others:
        client.seed(other)
    wanted = client.seed({"O'Brien": "O&#39;Brien"}.get(name, name))
    assert [handler["id"] for handler in client.find_by_name(name)] == [wanted]
    searches = [query.get("search") for _method, _path, query in requests_of(client)]
    assert searches == [searched], "one search, escaped, answered by the handler: %s" % searches


@pytest.mark.parametrize("name", ["Ops <staging>", "Ops ", "Ops\x00"])
def test_a_name_the_cleaning_would_change_otherwise_is_looked_for_in_the_whole_list(name):
    client = ProfileClient("biolinks-67")
    client.seed("Ops")
    assert client.find_by_name(name) == []
    assert [query.get("search") for _method, _path, query in requests_of(client)] == [None]


# Point 7: a handler that the update bug broke is not changed without its type.

@pytest.mark.parametrize("options", [
    dict(name="Ops", enabled=False),
    dict(name="Ops renamed", by_id=True),
    dict(name="Ops", enabled=False, check_mode=True),
])
def test_a_broken_handler_changed_without_its_type_is_refused_before_any_write(options):
    client = RecordingClient(update_mode=MANGLED)
    broken = client.seed("Ops")
    client.other.update_handler(broken, {"name": "Ops"})  # 66biolinks 67 empties its type and settings (rule 13)
    assert client.stored[broken]["type"] is None
    before = copy.deepcopy(client.stored)
    options = dict(options)
    params = dict(name=options.pop("name"), enabled=options.pop("enabled", None), check_mode=options.pop("check_mode", False))
    if options.pop("by_id", False):
        params["id"] = broken
    client.account.app.log.clear()
    module = finished(FakeModule(client, **params))
    assert module.failed["msg"] == (
        "type: notification handler %d ('Ops') has no type: an update of a server with the update bug emptied its type and "
        "settings. Give type and its settings to restore it. Nothing was changed." % broken)
    assert module.failed["changed"] is False
    assert requests_of(client, WRITE_METHODS) == [] and client.writes() == []
    assert client.stored == before


def test_a_broken_handler_given_its_type_and_settings_is_restored():
    client = RecordingClient(update_mode=MANGLED)
    broken = client.seed("Ops")
    client.other.update_handler(broken, {"name": "Ops"})
    module = finished(FakeModule(client, name="Ops", type="webhook", webhook=HOOK))
    assert module.failed is None, module.failed
    assert module.exited["changed"] is True
    restored = [(handler["name"], handler["type"], handler["settings"]) for handler in client.sorted_handlers()]
    assert restored == [("Ops", "webhook", {"webhook": HOOK})]


# Point 8: several handlers of one name, through the modules.

def test_the_list_module_refuses_a_name_two_handlers_have_naming_the_oldest_and_the_task_that_removes_the_other():
    client = ProfileClient("pusher-18")
    client.seed(APOSTROPHE_STORED)
    client.seed("Other")
    client.seed(APOSTROPHE_STORED)
    module = finished(list_module(client, [list_item(name=APOSTROPHE_NAME, type="webhook", webhook=HOOK2)]), run_list)
    message = module.failed["msg"]
    assert '2 notification handlers are named "Équipe d\'astreinte": ids 1, 3. Handler 1 is the oldest; handler 3 is newer' in message
    assert "To keep handler 1, remove it with a task with id: 3 and state: absent" in message
    assert requests_of(client, WRITE_METHODS) == []
