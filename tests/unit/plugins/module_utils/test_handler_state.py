"""The safe-write logic (the runners, the plan, the writer, the update test), through the real client and the simulator.

Each test's client is the real NameSearchClient, its requests served in this process by the simulator's application
(tests/simulator/inprocess.py: one account, a clock of the test's own), which is the test side's one model of the
server: part A of /work/shared/dmpilot-api.md and part B as docs/dev/simulator-contract.md says, proven against the
transcripts of the real servers. The base profile is biolinks-67 (66biolinks 67 as run: rule 10's cleaning, the
list's filters, is_enabled as 0/1/2, a rate limit that the account's clock waits out); each test sets the switches it
is about: b13_update_mode, the update bug of rule 13 in both of its forms, "mangled" (66biolinks 67) and "ignored"
(66pusher 18), or none ("faithful"); b7_email_confirmation (rules 7 and 8); b10_sanitize (rule 10). What the server
stores is read from the simulator, or written out as the transcripts show it: no rule of the server is written again
here.

RecordingClient records the calls the code under test makes at the client's interface (not the requests the client
makes within one of them, such as the whole list that confirms a search which found nothing), and lets a test put a
fault or another client's write before a call.
"""

import copy
import re
import time

import pytest
import requests

from ansible_collections.dmpilot.cloud.plugins.module_utils import _update_probe
from ansible_collections.dmpilot.cloud.plugins.module_utils._client import DmpilotClient, DmpilotError
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_list import planned_changes
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_list import run as run_list
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_plan import HandlerStateFailure, check_can_disable
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_state import HandlerState, run
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import FIELDS
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import InvalidHandler, declared, wanted_handler
from ansible_collections.dmpilot.cloud.plugins.module_utils._name_search import NameSearchClient
from ansible_collections.dmpilot.cloud.plugins.module_utils._update_probe import FAITHFUL, IGNORED, MANGLED, PROBE_PREFIX, PROBE_TYPE
from tests.fake_module import FakeModule as InProcessModule, ModuleExit, handler_options
from tests.simulator.inprocess import API_URL, Account

SALT = "api-key"
# A fixed clock: 2025-06-01 12:00:00 UTC.
NOW = 1748779200
HOOK = "https://hooks.example.com/T000/first-secret"
HOOK2 = "https://hooks.example.com/T000/second-secret"
EMAIL = "ops@example.com"
WRITES = ("create_handler", "update_handler", "delete_handler")
# Rule 10: a French name with an apostrophe, as given and as the server stores it (the transcripts' &#39;).
APOSTROPHE_NAME = "Équipe d'astreinte"
APOSTROPHE_STORED = "Équipe d&#39;astreinte"
# The title of a failure that a test puts before a call (RecordingClient.fail): it stands for the server's words.
REFUSED = "refused by the test's fault"
PROFILE = "biolinks-67"
# Rule 13's modes as the probe names them, and as the simulator's switch b13_update_mode does.
UPDATE_MODE_SWITCH = {FAITHFUL: "faithful", MANGLED: "mangled", IGNORED: "ignored"}


def stamp(seconds_ago):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(NOW - seconds_ago))


class RecordingClient(NameSearchClient):
    """The real client on an in-process simulator's account, recording the calls made at its interface.

    update_mode is rule 13's b13_update_mode (FAITHFUL, MANGLED or IGNORED), email_confirmation b7_email_confirmation,
    cleans b10_sanitize. What a test sets up or reads goes through the account: `seed` stores a handler as it is, `stored`
    is what the server keeps, `handler(id)` what it answers to a GET, and `other` is another client of the same account,
    for writes that are not this client's (a racing run, a change by hand).
    """

    def __init__(self, update_mode=FAITHFUL, email_confirmation=False, cleans=True, account=None):
        """account: an Account of a test's own (another profile), instead of the one these switches make."""
        self.update_mode = update_mode
        self.account = account or Account(PROFILE, {"b13_update_mode": UPDATE_MODE_SWITCH[update_mode],
                                                    "b7_email_confirmation": email_confirmation, "b10_sanitize": cleans})
        super().__init__(API_URL, Account.API_KEY, sleep=self.account.sleep, clock=self.account.clock)
        self.account.connect(self.session, self.intercept)
        self.other = DmpilotClient(API_URL, Account.API_KEY, sleep=self.account.sleep, clock=self.account.clock)
        self.account.connect(self.other.session)
        self.calls = []
        self.failures = []
        self.lost_answers = []
        self.hooks = []
        self.inside = False  # within a call at the interface: the client's own calls are not recorded
        self.losing = False  # the answers of the current call never come

    # Setting the account up (not recorded).

    def seed(self, name, handler_type="webhook", settings=None, is_enabled=1):
        if settings is None:
            settings = {"webhook": HOOK} if handler_type == "webhook" else {}
        return self.account.seed(name, handler_type, settings, is_enabled)

    def mangle(self, handler_id):
        """Rule 13, "mangled": what an update on 66biolinks 67 leaves of a handler (type null, settings {"": ""})."""
        self.account.switch(b13_update_mode="mangled")
        try:
            self.other.update_handler(handler_id, {})
        finally:
            self.account.switch(b13_update_mode=UPDATE_MODE_SWITCH[self.update_mode])

    def fail(self, method, status, when=None, times=1):
        """Make the next call(s) of method that match when(*args) raise DmpilotError(status), before any request."""
        self.failures.append([method, status, when, times])

    def lose_answer(self, method, when=None):
        """The next call of method that matches when(*args) is applied by the server, but its answers never come."""
        self.lost_answers.append([method, when])

    def on(self, method, action, when=None):
        """Run action(*args) once, before the next call of method that matches when(*args)."""
        self.hooks.append([method, action, when])

    # What the tests read.

    @property
    def stored(self):
        """id -> the handler as the server keeps it (a copy)."""
        return self.account.stored()

    def handler(self, handler_id):
        return self.other.get_handler(handler_id)

    def sorted_handlers(self):
        return [self.handler(handler_id) for handler_id in sorted(self.stored)]

    def writes(self):
        return [call for call in self.calls if call[0] in WRITES]

    def names(self):
        return sorted(handler["name"] for handler in self.stored.values())

    # The plumbing.

    def recorded(self, method, call, *args):
        if self.inside:
            return call(*args)
        self.calls.append((method,) + tuple(copy.deepcopy(arg) for arg in args))
        for hook in list(self.hooks):
            if hook[0] == method and (hook[2] is None or hook[2](*args)):
                self.hooks.remove(hook)
                hook[1](*args)
        for failure in self.failures:
            if failure[0] == method and failure[3] and (failure[2] is None or failure[2](*args)):
                failure[3] -= 1
                raise DmpilotError("Could not %s: HTTP %d" % (method, failure[1]), status=failure[1], title=REFUSED)
        lost = next((lost for lost in self.lost_answers if lost[0] == method and (lost[1] is None or lost[1](*args))), None)
        if lost is not None:
            self.lost_answers.remove(lost)
        self.inside, self.losing = True, lost is not None
        try:
            return call(*args)
        finally:
            self.inside = self.losing = False

    def intercept(self, request, serve):
        """Between the client and the server: an answer to lose is lost once the server applied the request."""
        response = serve()
        if self.losing and response.status_code != 429:  # a 429 is refused before any work, and waited out
            raise requests.exceptions.ReadTimeout("the answer never came", request=request)
        return response

    # NameSearchClient's interface.

    def list_handlers(self, handler_type=None, search=None):
        return self.recorded("list_handlers", super().list_handlers, handler_type, search)

    def find_by_name(self, name):
        return self.recorded("find_by_name", super().find_by_name, name)

    def find_by_name_prefix(self, prefix):
        return self.recorded("find_by_name_prefix", super().find_by_name_prefix, prefix)

    def get_handler(self, handler_id):
        return self.recorded("get_handler", super().get_handler, handler_id)

    def create_handler(self, form):
        return self.recorded("create_handler", super().create_handler, form)

    def update_handler(self, handler_id, form):
        return self.recorded("update_handler", super().update_handler, handler_id, form)

    def delete_handler(self, handler_id):
        return self.recorded("delete_handler", super().delete_handler, handler_id)


def delete_everything(client):
    """Another client deletes every handler of the account."""
    for handler_id in client.stored:
        client.other.delete_handler(handler_id)


@pytest.fixture(autouse=True)
def no_shared_probe_outcome(monkeypatch):
    """No test shares a probe's outcome through a cache file, unless it sets one up itself (see test_probe_cache.py)."""
    monkeypatch.setattr(_update_probe, "playbook_run", lambda: None)


def new_state(client, check_mode=False, update_strategy="auto"):
    return HandlerState(client, SALT, check_mode=check_mode, update_strategy=update_strategy, clock=lambda: NOW)


def webhook(name="Ops", url=HOOK, enabled=None):
    return wanted_handler(name, "webhook", enabled, {"webhook": url})


def converge(client, wanted, handler_id=None, check_mode=False, update_strategy="auto", state=None):
    """find, then present, as run() does; the calls are recorded from the start."""
    state = state or new_state(client, check_mode, update_strategy)
    current = state.find(handler_id, wanted.get("name"), must_exist=True)
    return state.present(wanted, current), state


def is_probe_create(call):
    return call[0] == "create_handler" and call[1]["type"] == PROBE_TYPE and call[1]["name"].startswith(PROBE_PREFIX + " ")


def assert_probe(calls, probe_id):
    """The four calls of the update probe: create a throwaway handler, update it, read it back, delete it."""
    assert [call[0] for call in calls] == ["create_handler", "update_handler", "find_by_name_prefix", "delete_handler"]
    assert is_probe_create(calls[0])
    assert set(calls[0][1]) == {"name", "type"}
    assert calls[1] == ("update_handler", probe_id, {"name": calls[0][1]["name"] + " (updated)"})
    assert calls[2] == ("find_by_name_prefix", PROBE_PREFIX)
    assert calls[3] == ("delete_handler", probe_id)


def probe_ids(client):
    return [index for index, call in enumerate(client.calls) if is_probe_create(call)]


# Which handler.

def test_find_by_id_is_one_get():
    client = RecordingClient()
    client.seed("Other")
    handler_id = client.seed("Ops")
    assert new_state(client).find(handler_id=handler_id, name="Renamed") == client.handler(handler_id)
    assert client.calls == [("get_handler", handler_id)]


def test_find_by_unknown_id_fails_when_it_must_exist_and_is_none_otherwise():
    client = RecordingClient()
    client.seed("Ops")
    state = new_state(client)
    assert state.find(handler_id=42) is None
    with pytest.raises(HandlerStateFailure, match=r"no notification handler 42 exists.*never creates a handler for an id"):
        state.find(handler_id=42, must_exist=True)
    assert client.writes() == []


def test_find_by_name_matches_the_exact_name_only():
    client = RecordingClient()
    client.seed("Ops team")
    handler_id = client.seed("Ops")
    client.seed("ops")
    assert new_state(client).find(name="Ops") == client.handler(handler_id)
    assert client.calls == [("find_by_name", "Ops")]
    assert new_state(client).find(name="Nobody") is None


def test_several_handlers_with_the_name_fail_naming_the_oldest_and_how_to_remove_the_newer():
    client = RecordingClient()
    first = client.seed("Ops")
    client.seed("Other")
    second = client.seed("Ops")
    assert (first, second) == (1, 3)
    with pytest.raises(HandlerStateFailure) as failure:
        new_state(client).find(name="Ops")
    message = str(failure.value)
    assert message.startswith("name: 2 notification handlers are named 'Ops': ids 1, 3. Handler 1 is the oldest; handler 3 is "
                              "newer, maybe made by a run whose write got no answer")
    assert message.endswith("To keep handler 1, remove it with a task with id: 3 and state: absent; or set id to the handler to "
                            "manage, and rename the others.")
    assert client.writes() == []


def test_three_handlers_with_the_name_fail_naming_each_newer_one_to_remove():
    client = RecordingClient()
    for _index in range(3):
        client.seed(APOSTROPHE_STORED)
    with pytest.raises(HandlerStateFailure) as failure:
        new_state(client).find(name=APOSTROPHE_NAME)
    message = str(failure.value)
    assert message.startswith('name: 3 notification handlers are named "%s": ids 1, 2, 3. Handler 1 is the oldest; handlers 2, 3 '
                              "are newer" % APOSTROPHE_NAME), "the name is shown plain"
    assert "To keep handler 1, remove each with a task with id: 2 and state: absent and a task with id: 3 and state: absent" in message
    assert client.writes() == []


# Present, unchanged and created.

@pytest.mark.parametrize("update_strategy", ["auto", "update", "recreate"])
def test_an_unchanged_handler_is_neither_written_nor_probed(update_strategy):
    client = RecordingClient(update_mode=MANGLED)
    handler_id = client.seed("Ops")
    result, state = converge(client, webhook(), update_strategy=update_strategy)
    assert result["changed"] is False
    assert result["notification_handler"]["id"] == handler_id
    assert client.calls == [("find_by_name", "Ops")]
    assert state.failure_details() == ("", False)


def test_create_is_one_create_and_a_read_back_by_name():
    client = RecordingClient(update_mode=MANGLED)
    client.seed("Other")
    result, state = converge(client, webhook())
    new_id = 2
    assert client.calls == [
        ("find_by_name", "Ops"),
        ("create_handler", {"name": "Ops", "type": "webhook", "webhook": HOOK}),
        ("find_by_name", "Ops"),
    ]
    assert result["changed"] is True
    assert result["notification_handler"]["id"] == new_id
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["name"] == "Ops"
    assert result["diff"]["after"]["enabled"] is True
    # Headed as each diff of the list module is: the handler to create has no id yet.
    assert (result["diff"]["before_header"], result["diff"]["after_header"]) == ("Ops (new)", "Ops (new)")
    # The secret is masked in what is returned.
    assert HOOK not in repr(result)
    assert result["notification_handler"]["settings"]["webhook"].startswith("********#")
    assert client.handler(new_id)["settings"] == {"webhook": HOOK}
    assert state.warnings == []


def test_a_disabled_create_is_a_create_then_an_update_after_the_probe():
    client = RecordingClient()
    result, _state = converge(client, webhook(enabled=False))
    assert_probe(client.calls[1:5], 1)
    assert client.calls[5:] == [
        ("create_handler", {"name": "Ops", "type": "webhook", "webhook": HOOK}),
        ("update_handler", 2, {"is_enabled": False}),
        ("find_by_name", "Ops"),
    ]
    assert result["notification_handler"]["id"] == 2
    assert result["notification_handler"]["enabled"] is False
    assert client.handler(2)["enabled"] is False
    assert client.names() == ["Ops"]


def test_a_disabled_create_probes_even_with_recreate_since_it_takes_an_update():
    client = RecordingClient()
    result, _state = converge(client, webhook(enabled=False), update_strategy="recreate")
    assert client.calls[0] == ("find_by_name", "Ops")
    assert_probe(client.calls[1:5], 1)
    assert client.calls[5:] == [
        ("create_handler", {"name": "Ops", "type": "webhook", "webhook": HOOK}),
        ("update_handler", 2, {"is_enabled": False}),
        ("find_by_name", "Ops"),
    ]
    assert result["notification_handler"]["enabled"] is False


def test_a_disabled_create_with_recreate_on_a_mangling_server_fails_before_writing():
    client = RecordingClient(update_mode=MANGLED)
    with pytest.raises(HandlerStateFailure) as failure:
        converge(client, webhook(enabled=False), update_strategy="recreate")
    assert "Nothing was changed" in str(failure.value)
    assert client.stored == {} and not [call for call in client.calls[5:] if call[0] in WRITES]


def test_disabling_a_new_email_handler_sends_its_address_along():
    client = RecordingClient()
    result, _state = converge(client, wanted_handler("Mail", "email", False, {"email": EMAIL}), update_strategy="recreate")
    assert ("update_handler", 2, {"is_enabled": False, "email": EMAIL}) in client.calls
    assert result["notification_handler"]["enabled"] is False


def test_a_created_handler_that_was_stored_differently_is_deleted_again():
    client = RecordingClient()

    def server_cuts_the_url(_name):
        client.other.update_handler(max(client.stored), {"webhook": HOOK[:20]})

    client.on("find_by_name", server_cuts_the_url, when=lambda name: client.stored)
    state = new_state(client)
    with pytest.raises(HandlerStateFailure) as failure:
        converge(client, webhook(), state=state)
    message = str(failure.value)
    assert "Notification handler 1 was created, but the server did not store what was asked for: webhook." in message
    assert "It was deleted again." in message
    assert HOOK not in message
    assert client.calls == [
        ("find_by_name", "Ops"),
        ("create_handler", {"name": "Ops", "type": "webhook", "webhook": HOOK}),
        ("find_by_name", "Ops"),
        ("delete_handler", 1),
    ]
    assert client.stored == {}
    written, changed = state.failure_details()
    assert changed is True
    assert "created handler 1 ('Ops')" in written and "deleted handler 1 ('Ops')" in written


def test_a_created_handler_that_reads_back_404_fails_and_reports_the_create():
    client = RecordingClient()
    client.on("find_by_name", lambda name: delete_everything(client), when=lambda name: client.stored)
    state = new_state(client)
    with pytest.raises(HandlerStateFailure) as failure:
        converge(client, webhook(), state=state)
    assert "Notification handler 1 was created, but reading it back answered 404" in str(failure.value)
    assert client.calls == [
        ("find_by_name", "Ops"),
        ("create_handler", {"name": "Ops", "type": "webhook", "webhook": HOOK}),
        ("find_by_name", "Ops"),
        ("get_handler", 1),
        ("delete_handler", 1),
    ]
    written, changed = state.failure_details()
    assert changed is True
    assert "created handler 1 ('Ops')" in written


def test_a_created_handler_that_was_already_gone_is_not_said_to_be_deleted_again():
    """The clean-up delete answered 404: this run deleted nothing, so the message must not say it did."""
    client = RecordingClient()
    client.on("find_by_name", lambda name: delete_everything(client), when=lambda name: client.stored)
    state = new_state(client)
    with pytest.raises(HandlerStateFailure) as failure:
        converge(client, webhook(), state=state)
    assert "reading it back answered 404" in str(failure.value)
    assert "It was deleted again" not in str(failure.value)


# In-place updates on a faithful server.

def test_updates_in_place_probe_once_per_run_however_many_handlers_change():
    client = RecordingClient()
    first = client.seed("Ops")
    second = client.seed("Backup")
    state = new_state(client)
    one, _state = converge(client, webhook(url=HOOK2), state=state)
    two, _state = converge(client, webhook("Backup", url=HOOK2), state=state)
    probe_id = 3
    assert client.calls[0] == ("find_by_name", "Ops")
    assert_probe(client.calls[1:5], probe_id)
    assert client.calls[5:] == [
        ("update_handler", first, {"webhook": HOOK2}),
        ("get_handler", first),
        ("find_by_name", "Backup"),
        ("update_handler", second, {"webhook": HOOK2}),
        ("get_handler", second),
    ]
    assert len(probe_ids(client)) == 1
    assert (one["changed"], one["notification_handler"]["id"]) == (True, first)
    assert (two["changed"], two["notification_handler"]["id"]) == (True, second)
    assert client.handler(first)["settings"] == {"webhook": HOOK2}
    assert client.names() == ["Backup", "Ops"]  # the probe is gone
    assert state.warnings == []


def test_update_strategy_update_updates_in_place_on_a_faithful_server():
    client = RecordingClient()
    handler_id = client.seed("Ops")
    result, _state = converge(client, webhook(enabled=False), update_strategy="update")
    assert_probe(client.calls[1:5], 2)
    assert client.calls[5:] == [("update_handler", handler_id, {"is_enabled": False}), ("get_handler", handler_id)]
    assert result["notification_handler"]["enabled"] is False
    assert result["diff"]["before"]["enabled"] is True and result["diff"]["after"]["enabled"] is False


# A server with the update bug (rule 13): "mangled" (66biolinks 67) and "ignored" (66pusher 18).

BROKEN_UPDATES = [pytest.param(MANGLED, id="mangled"), pytest.param(IGNORED, id="ignored")]
# The key words of what a failure says the server does (SERVER_DOES), and of why a warning says it replaced a handler
# (REPLACED_BECAUSE); each must name its own server's behaviour and never the other's.
FAILURE_SAYS = {
    IGNORED: ("ignores updates", "stored nothing"),
    MANGLED: ("breaks the handlers it updates", "emptied its type and settings"),
}
WARNING_SAYS = {
    IGNORED: ("ignores updates",),
    MANGLED: ("emptying its type and settings",),
}
NEVER_SAYS = {
    IGNORED: ("empt", "break", "broke", "mangle"),
    MANGLED: ("ignores updates", "stored nothing", "stores none"),
}


def assert_says_what_the_server_does(text, update_mode, says):
    for words in says[update_mode]:
        assert words in text, "%r not in %r" % (words, text)
    for words in NEVER_SAYS[update_mode]:
        assert words not in text, "%r in %r: that is not what this server does" % (words, text)
    # The old message claimed the type was stored as 'internal_notification' instead of 'internal_notification'.
    assert "instead of" not in text


@pytest.mark.parametrize("update_mode", [FAITHFUL, IGNORED, MANGLED])
def test_rule_13_the_probe_tells_the_three_update_modes_apart(update_mode):
    """Rule 13: the probe's test update is stored (faithful), stores nothing (ignored), or empties the type (mangled)."""
    client = RecordingClient(update_mode=update_mode)
    handler_id = client.seed("Ops")
    state = new_state(client)
    assert state.updates_are_faithful() is (update_mode == FAITHFUL)
    assert state.update_mode == update_mode
    assert_probe(client.calls, 2)
    assert sorted(client.stored) == [handler_id], "the throwaway handler is gone"
    assert state.warnings == [] and state.failure_details() == ("", False)


@pytest.mark.parametrize("update_mode", BROKEN_UPDATES)
def test_rule_13_auto_replaces_a_handler_on_a_server_that_ignores_or_mangles_updates(update_mode):
    client = RecordingClient(update_mode=update_mode)
    old_id = client.seed("Ops")
    result, state = converge(client, webhook(url=HOOK2))
    probe_id, new_id = 2, 3
    assert_probe(client.calls[1:5], probe_id)
    assert client.calls[5:] == [
        ("create_handler", {"name": "Ops", "type": "webhook", "webhook": HOOK2}),
        # The old handler has a lower id and the same name: it is the predecessor, not a rival.
        ("find_by_name", "Ops"),
        ("delete_handler", old_id),
    ]
    assert sorted(client.stored) == [new_id]
    assert client.handler(new_id)["settings"] == {"webhook": HOOK2}
    assert result["changed"] is True
    assert result["notification_handler"]["id"] == new_id
    assert result["diff"]["before"]["settings"]["webhook"] != result["diff"]["after"]["settings"]["webhook"]
    assert len(state.warnings) == 1
    assert "from %d to %d" % (old_id, new_id) in state.warnings[0]
    assert_says_what_the_server_does(state.warnings[0], update_mode, WARNING_SAYS)


@pytest.mark.parametrize("update_mode", BROKEN_UPDATES)
def test_rule_13_update_strategy_update_fails_before_writing_to_the_handler_naming_what_the_server_does(update_mode):
    client = RecordingClient(update_mode=update_mode)
    handler_id = client.seed("Ops")
    before = copy.deepcopy(client.stored[handler_id])
    state = new_state(client, update_strategy="update")
    with pytest.raises(HandlerStateFailure) as failure:
        converge(client, webhook(url=HOOK2), state=state)
    probe_id = 2
    assert_probe(client.calls[1:5], probe_id)
    assert len(client.calls) == 5
    assert all(call[1] == probe_id or is_probe_create(call) for call in client.writes())
    assert client.stored == {handler_id: before}
    message = str(failure.value)
    assert message.startswith("update_strategy=update, but this dmpilot server ")
    assert_says_what_the_server_does(message, update_mode, FAILURE_SAYS)
    assert "nothing was sent to notification handler %d ('Ops')" % handler_id in message
    assert "update_strategy: auto" in message
    assert HOOK2 not in message
    assert state.failure_details() == ("", False)


# What a refusal to disable says the server does, in brief: the guide's section, which it links to, tells the rest.
REFUSAL_SAYS = {IGNORED: ("ignores updates",), MANGLED: ("breaks the handlers it updates",)}


def assert_cannot_disable(message, update_mode):
    """CANNOT_DISABLE: what the server does, that it cannot disable through its API, the two ways out, and the guide's
    section, in two sentences beside the one that nothing was changed."""
    assert "this dmpilot server cannot disable a handler through its API" in message
    assert "web interface" in message and "leave enabled unset" in message
    assert "notification_handlers_guide.rst#disabling-a-handler" in message
    assert message.endswith(". Nothing was changed.") and message.count(". ") == 2, message
    assert_says_what_the_server_does(message, update_mode, REFUSAL_SAYS)


@pytest.mark.parametrize("update_strategy", ["auto", "update", "recreate"])
@pytest.mark.parametrize("update_mode", BROKEN_UPDATES)
def test_rule_13_enabled_false_on_an_enabled_handler_fails_before_any_write(update_mode, update_strategy):
    """Rules 7 and 13: where updates are ignored or mangled, no handler can be disabled through the API."""
    client = RecordingClient(update_mode=update_mode)
    handler_id = client.seed("Ops")
    before = copy.deepcopy(client.stored)
    state = new_state(client, update_strategy=update_strategy)
    with pytest.raises(HandlerStateFailure) as failure:
        converge(client, webhook(enabled=False), state=state)
    assert_probe(client.calls[1:], 2)  # only the probe's requests
    assert client.stored == before and handler_id in client.stored
    assert_cannot_disable(str(failure.value), update_mode)
    assert state.failure_details() == ("", False)


@pytest.mark.parametrize("update_strategy", ["auto", "recreate"])
@pytest.mark.parametrize("update_mode", BROKEN_UPDATES)
def test_rule_13_creating_a_disabled_handler_fails_before_any_write(update_mode, update_strategy):
    client = RecordingClient(update_mode=update_mode)
    client.seed("Other")
    state = new_state(client, update_strategy=update_strategy)
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(enabled=False), None)
    assert_probe(client.calls, 2)
    assert client.names() == ["Other"]
    message = str(failure.value)
    assert message.startswith("enabled: 'Ops' cannot be created disabled")
    assert_cannot_disable(message, update_mode)
    assert state.failure_details() == ("", False)


@pytest.mark.parametrize("update_mode", BROKEN_UPDATES)
def test_rule_13_changing_a_disabled_handler_that_must_be_replaced_fails_before_any_write(update_mode):
    """A replacement is created enabled (rule 7), and this server cannot disable it."""
    client = RecordingClient(update_mode=update_mode)
    old_id = client.seed("Ops", is_enabled=0)
    state = new_state(client)
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(url=HOOK2, enabled=False), client.handler(old_id))
    assert_probe(client.calls, 2)
    assert sorted(client.stored) == [old_id] and client.handler(old_id)["settings"] == {"webhook": HOOK}
    message = str(failure.value)
    assert "Notification handler %d ('Ops') is disabled, and changing it means replacing it" % old_id in message
    assert "Nothing was changed" in message and "enabled: true" in message
    assert_says_what_the_server_does(message, update_mode, FAILURE_SAYS)
    assert state.failure_details() == ("", False)


def test_recreate_replaces_without_probing():
    client = RecordingClient(update_mode=MANGLED)
    old_id = client.seed("Ops")
    result, state = converge(client, webhook(url=HOOK2), update_strategy="recreate")
    assert client.calls == [
        ("find_by_name", "Ops"),
        ("create_handler", {"name": "Ops", "type": "webhook", "webhook": HOOK2}),
        ("find_by_name", "Ops"),
        ("delete_handler", old_id),
    ]
    assert result["notification_handler"]["id"] == 2
    assert sorted(client.stored) == [2]
    assert state.warnings == []


def test_a_replace_where_deleting_the_old_handler_fails_names_both_and_reports_changed():
    client = RecordingClient(update_mode=MANGLED)
    old_id = client.seed("Ops")
    client.fail("delete_handler", 500, when=lambda handler_id: handler_id == old_id)
    state = new_state(client, update_strategy="recreate")
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(url=HOOK2), client.handler(old_id))
    message = str(failure.value)
    # Issue 18 point 9: the message names every handler now there twice, by name and both ids, and what to delete.
    assert "'Ops' (ids 1 and 2): deleting handler 1 failed" in message
    assert "there twice" in message
    assert "Delete the old one (1), with state: absent and its id" in message
    assert sorted(client.stored) == [old_id, 2]
    written, changed = state.failure_details()
    assert changed is True and "created handler 2 ('Ops')" in written


# The update probe.

def test_a_refused_probe_fails_saying_which_update_strategy_to_set_and_writes_nothing():
    client = RecordingClient()
    handler_id = client.seed("Ops")
    client.fail("create_handler", 401, when=lambda form: form["type"] == PROBE_TYPE)
    state = new_state(client)
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(url=HOOK2), client.handler(handler_id))
    message = str(failure.value)
    assert "Could not learn how this dmpilot server applies updates: creating a throwaway internal_notification handler" in message
    assert REFUSED in message  # the server's words
    assert "every update_strategy needs room for one more handler" in message
    assert "update_strategy: recreate" in message
    assert "Nothing was changed" in message
    assert len(client.calls) == 1 and is_probe_create(client.calls[0])
    assert client.handler(handler_id)["settings"] == {"webhook": HOOK}
    assert sorted(client.stored) == [handler_id]
    assert state.failure_details() == ("", False)


def test_every_update_strategy_a_refused_probe_advises_gets_past_the_refusal():
    """Following the advice must help: a strategy that probes too would be refused the same way.

    The server refuses the probe's type (rule 2: a disabled type answers 401) but accepts the handler's own.
    """
    client = RecordingClient()
    handler_id = client.seed("Ops")
    client.fail("create_handler", 401, when=lambda form: form["type"] == PROBE_TYPE, times=99)
    with pytest.raises(HandlerStateFailure) as failure:
        converge(client, webhook(url=HOOK2))
    advised = re.findall(r"update_strategy: (\w+)", str(failure.value))
    assert advised
    for strategy in advised:
        try:
            converge(client, webhook(url=HOOK2), update_strategy=strategy)
        except HandlerStateFailure as again:
            assert "creating a throwaway" not in str(again), "update_strategy: %s is advised, but probes too" % strategy
    assert handler_id


def test_a_probe_whose_delete_fails_gives_a_warning_not_a_failure():
    client = RecordingClient()
    handler_id = client.seed("Ops")
    probe_id = 2
    client.fail("delete_handler", 500, when=lambda deleted: deleted == probe_id)
    result, state = converge(client, webhook(url=HOOK2))
    assert result["changed"] is True
    assert result["notification_handler"]["id"] == handler_id
    assert client.handler(handler_id)["settings"] == {"webhook": HOOK2}
    assert len(state.warnings) == 1
    assert "throwaway handler %d" % probe_id in state.warnings[0]
    assert probe_id in client.stored


def test_a_refused_probe_under_recreate_advises_leaving_enabled_unset_not_recreate():
    """Issue 18 point 11: under recreate the probe runs only for a disabled handler, so advising recreate would not help."""
    client = RecordingClient()
    client.fail("create_handler", 401, when=lambda form: form["type"] == PROBE_TYPE)
    state = new_state(client, update_strategy="recreate")
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(enabled=False), None)
    message = str(failure.value)
    assert "update_strategy: recreate" not in message
    assert "leave enabled unset" in message
    assert "every update_strategy needs room for one more handler" in message
    assert "Nothing was changed" in message
    assert client.stored == {} and state.failure_details() == ("", False)


def test_a_probe_create_that_failed_on_the_server_side_advises_trying_again_not_plan_limits():
    client = RecordingClient()
    handler_id = client.seed("Ops")
    client.fail("create_handler", 503, when=lambda form: form["type"] == PROBE_TYPE)
    state = new_state(client)
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(url=HOOK2), client.handler(handler_id))
    message = str(failure.value)
    assert "Run the task again once the server answers" in message
    assert "plan" not in message and "update_strategy" not in message
    # The create may have reached the server: the probe is looked up by its unique name, and none was found. A write that
    # failed on the server's side may still land: it is recorded as a change (exact identity, point 9), never "Nothing was changed".
    probe_name = client.calls[0][1]["name"]
    assert client.calls[1] == ("find_by_name", probe_name)
    assert [call[0] for call in client.calls] == ["create_handler", "find_by_name"]
    assert sorted(client.stored) == [handler_id]
    assert "Nothing was changed" not in message
    written, changed = state.failure_details()
    assert changed is True
    assert "may have created the throwaway handler %r of the update test" % probe_name in written
    assert "was not found" in written


def test_a_probe_create_whose_answer_was_lost_is_found_by_its_name_deleted_and_recorded_as_a_change():
    """Issue 18 point 6: the create timed out after the server stored the probe. Found by its unique name and deleted, it
    leaves the account's handlers as they were; the create and the delete are still writes, recorded as a change
    (exact identity, point 9): the failure never says that nothing was changed."""
    client = RecordingClient()
    handler_id = client.seed("Ops")
    client.lose_answer("create_handler", when=lambda form: form["type"] == PROBE_TYPE)
    state = new_state(client)
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(url=HOOK2), client.handler(handler_id))
    probe_name = client.calls[0][1]["name"]
    probe_id = 2
    assert client.calls == [
        ("create_handler", {"name": probe_name, "type": PROBE_TYPE}),
        ("find_by_name", probe_name),
        ("delete_handler", probe_id),
    ]
    assert sorted(client.stored) == [handler_id], "the throwaway handler was left on the server"
    assert client.handler(handler_id)["settings"] == {"webhook": HOOK}
    message = str(failure.value)
    assert "Could not learn how this dmpilot server applies updates" in message
    assert "Nothing was changed" not in message
    written, changed = state.failure_details()
    assert changed is True
    assert "created and deleted again the throwaway handler %d of the update test (its create got no answer)" % probe_id in written


def test_a_probe_create_whose_answer_was_lost_and_cannot_be_looked_up_says_it_may_exist_with_its_name():
    client = RecordingClient()
    handler_id = client.seed("Ops")
    client.lose_answer("create_handler", when=lambda form: form["type"] == PROBE_TYPE)
    client.fail("find_by_name", 500)
    state = new_state(client)
    with pytest.raises(HandlerStateFailure):
        state.present(webhook(url=HOOK2), client.handler(handler_id))
    probe_name = client.calls[0][1]["name"]
    written, changed = state.failure_details()
    assert changed is True
    assert "may have created the throwaway handler %r" % probe_name in written
    assert len(state.warnings) == 1 and probe_name in state.warnings[0] and "may have been created" in state.warnings[0]


def seed_probe_lookalikes(client):
    """Handlers that look like probes of this collection, and one that is one: {what: id}."""
    old = stamp(3600)
    seeded = {
        "probe, updated": client.seed("%s %s 0badc0de (updated)" % (PROBE_PREFIX, old), handler_type=PROBE_TYPE),
        "probe": client.seed("%s %s 0badbeef" % (PROBE_PREFIX, old), handler_type=PROBE_TYPE),
        "fresh probe": client.seed("%s %s 600dc0de" % (PROBE_PREFIX, stamp(9 * 60)), handler_type=PROBE_TYPE),
        "other type": client.seed("%s %s 0badf00d" % (PROBE_PREFIX, old), handler_type="webhook"),
        "bad stamp": client.seed("%s 20251399T256199Z 0badf00d" % PROBE_PREFIX, handler_type=PROBE_TYPE),
        "text after the token": client.seed("%s %s 0badf00d backup" % (PROBE_PREFIX, old), handler_type=PROBE_TYPE),
        "text after (updated)": client.seed("%s %s 0badf00d (updated) 2" % (PROBE_PREFIX, old), handler_type=PROBE_TYPE),
        "upper-case token": client.seed("%s %s 0BADF00D" % (PROBE_PREFIX, old), handler_type=PROBE_TYPE),
        "no token": client.seed("%s %s" % (PROBE_PREFIX, old), handler_type=PROBE_TYPE),
        "user's notes": client.seed("%s notes from %s" % (PROBE_PREFIX, old), handler_type=PROBE_TYPE),
    }
    # A probe of a mangling server that a killed run left: the server emptied its type, so it cannot be told from a user's
    # handler that the same server mangled. It is left alone.
    seeded["mangled probe"] = client.seed("%s %s 0badc0de (updated)" % (PROBE_PREFIX, old), handler_type=PROBE_TYPE)
    client.mangle(seeded["mangled probe"])
    return seeded


def test_issue_18_the_probe_deletes_only_exact_old_probes_of_this_collection_and_reports_each():
    """Issue 18 point 1: a probe is this collection's only where its type is internal_notification and its whole name
    is what the probe writes (prefix, valid UTC stamp, 8 hex digits, optional " (updated)"); any other handler is the user's."""
    client = RecordingClient()
    seeded_ids = seed_probe_lookalikes(client)
    handler_id = client.seed("Ops")
    result, state = converge(client, webhook(url=HOOK2))
    probe_id = handler_id + 1
    deleted = sorted(call[1] for call in client.calls if call[0] == "delete_handler")
    assert deleted == sorted([probe_id, seeded_ids["probe, updated"], seeded_ids["probe"]])
    for what, seeded_id in seeded_ids.items():
        if what not in ("probe, updated", "probe"):
            assert seeded_id in client.stored, "the handler with %s was deleted" % what
    assert result["changed"] is True and client.handler(handler_id)["settings"] == {"webhook": HOOK2}
    # Each deletion is reported: in the warnings, and in what the run wrote.
    assert len(state.warnings) == 2
    for what in ("probe, updated", "probe"):
        assert any("Deleted notification handler %d" % seeded_ids[what] in warning for warning in state.warnings)
        assert "deleted the throwaway handler %d" % seeded_ids[what] in " ".join(state.written)


@pytest.mark.parametrize("update_mode", [FAITHFUL, IGNORED, MANGLED])
def test_issue_18_purge_and_the_probe_agree_on_what_a_probe_is(update_mode):
    """The list module's purge keeps exactly the handlers that a probe would take for its own (old or fresh)."""
    client = RecordingClient(update_mode=update_mode)
    seeded_ids = seed_probe_lookalikes(client)
    client.seed("Ops")
    state = new_state(client)
    changes = planned_changes(state, [], client.sorted_handlers(), purge=True)
    purged = sorted(change.current["id"] for _label, change in changes)
    probes = [seeded_ids["probe, updated"], seeded_ids["probe"], seeded_ids["fresh probe"]]
    assert purged == sorted(set(client.stored) - set(probes))


def test_the_probe_learns_that_updates_are_mangled_from_the_type_it_reads_back():
    client = RecordingClient(update_mode=MANGLED)
    client.seed("Ops")
    state = new_state(client, update_strategy="update")
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(url=HOOK2), client.handler(1))
    assert "emptied its type and settings" in str(failure.value)
    assert state.update_mode == MANGLED


def test_the_probe_learns_that_updates_are_ignored_from_the_unchanged_name_it_reads_back():
    """66pusher 18 (rule 13, "ignored"): the probe is read back with its first name and its type intact."""
    client = RecordingClient(update_mode=IGNORED)
    client.seed("Ops")
    state = new_state(client, update_strategy="update")
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(url=HOOK2), client.handler(1))
    assert "ignores updates" in str(failure.value)
    assert state.update_mode == IGNORED


# The lowest id wins (rule 11).

def test_a_racing_create_with_a_lower_id_wins_and_this_run_deletes_its_own():
    client = RecordingClient()
    # Another run creates the same handler just before this run's create, so it gets the lower id.
    client.on("create_handler", lambda form: client.seed("Ops", settings={"webhook": HOOK}), when=lambda form: form["name"] == "Ops")
    result, state = converge(client, webhook())
    rival, own = 1, 2
    assert client.calls == [
        ("find_by_name", "Ops"),
        ("create_handler", {"name": "Ops", "type": "webhook", "webhook": HOOK}),
        ("find_by_name", "Ops"),
        ("delete_handler", own),
    ]
    assert sorted(client.stored) == [rival]
    assert result["changed"] is True
    assert result["notification_handler"]["id"] == rival
    assert result["diff"]["before"] == {}
    assert len(state.warnings) == 1 and "(id %d)" % own in state.warnings[0] and "(id %d)" % rival in state.warnings[0]


def test_a_racing_create_with_a_higher_id_loses_and_this_run_keeps_its_own():
    client = RecordingClient()
    # Another run creates the same handler just after this run's create: its id is higher, so it deletes its own.
    client.on("find_by_name", lambda name: client.seed("Ops", settings={"webhook": HOOK2}), when=lambda name: client.stored)
    result, state = converge(client, webhook())
    own, other = 1, 2
    assert client.calls == [
        ("find_by_name", "Ops"),
        ("create_handler", {"name": "Ops", "type": "webhook", "webhook": HOOK}),
        ("find_by_name", "Ops"),
    ]
    assert sorted(client.stored) == [own, other]
    assert result["notification_handler"]["id"] == own
    assert state.warnings == []


def test_a_racing_create_with_a_lower_id_and_other_values_is_converged():
    client = RecordingClient()
    client.on("create_handler", lambda form: client.seed("Ops", settings={"webhook": HOOK2}), when=lambda form: form["name"] == "Ops")
    result, _state = converge(client, webhook())
    rival, own = 1, 2
    assert client.calls[:4] == [
        ("find_by_name", "Ops"),
        ("create_handler", {"name": "Ops", "type": "webhook", "webhook": HOOK}),
        ("find_by_name", "Ops"),
        ("delete_handler", own),
    ]
    assert_probe(client.calls[4:8], 3)
    assert client.calls[8:] == [("update_handler", rival, {"webhook": HOOK}), ("get_handler", rival)]
    assert sorted(client.stored) == [rival]
    assert client.handler(rival)["settings"] == {"webhook": HOOK}
    assert result["notification_handler"]["id"] == rival


def test_a_racing_replace_with_a_lower_id_wins_and_the_predecessor_goes():
    client = RecordingClient(update_mode=MANGLED)
    old_id = client.seed("Ops")
    # Another run replaces the same handler at the same time, and its create comes first.
    client.on("create_handler", lambda form: client.seed("Ops", settings={"webhook": HOOK2}), when=lambda form: form["name"] == "Ops")
    result, _state = converge(client, webhook(url=HOOK2), update_strategy="recreate")
    rival, own = 2, 3
    assert client.calls == [
        ("find_by_name", "Ops"),
        ("create_handler", {"name": "Ops", "type": "webhook", "webhook": HOOK2}),
        ("find_by_name", "Ops"),
        ("delete_handler", own),
        ("delete_handler", old_id),
    ]
    assert sorted(client.stored) == [rival]
    assert result["changed"] is True
    assert result["notification_handler"]["id"] == rival
    assert result["diff"]["before"]["settings"] != result["diff"]["after"]["settings"]


@pytest.mark.parametrize("update_strategy", ["auto", "recreate"])
def test_a_rename_to_the_name_of_another_handler_is_refused_before_any_write(update_strategy):
    """Issue 18: a rename to a name that another handler outside the task already has is refused, naming both.

    Handler 3, managed by id, would be renamed to the name of the older handler 1: names would no longer tell them apart.
    """
    client = RecordingClient(update_mode=MANGLED)
    older = client.seed("Backup", settings={"webhook": HOOK2})
    client.seed("Other")
    managed = client.seed("Ops")
    before = copy.deepcopy(client.stored)
    state = new_state(client, update_strategy=update_strategy)
    with pytest.raises(HandlerStateFailure) as failure:
        converge(client, webhook("Backup"), handler_id=managed, state=state)
    message = str(failure.value)
    assert "notification handler %d ('Ops') cannot be renamed to 'Backup'" % managed in message
    assert "handler %d already has that name" % older in message
    assert "Nothing was changed" in message
    assert client.writes() == [] and client.stored == before
    assert state.failure_details() == ("", False)


def test_a_rename_to_a_quoted_name_is_refused_where_another_handler_has_its_stored_form():
    """Rule 10: `Équipe d'astreinte` is stored as `Équipe d&#39;astreinte`, so it is the same name as that handler's."""
    client = RecordingClient()
    older = client.seed(APOSTROPHE_STORED)
    managed = client.seed("Ops")
    with pytest.raises(HandlerStateFailure, match="already has that name"):
        converge(client, webhook(APOSTROPHE_NAME), handler_id=managed)
    assert client.writes() == [] and sorted(client.stored) == [older, managed]


@pytest.mark.parametrize("update_strategy", ["auto", "recreate"])
def test_issue_18_replacing_one_of_two_namesakes_chosen_by_id_leaves_the_other_alone(update_strategy):
    """Issue 18 point 2: a handler that existed before the run wrote is never a racing run's handler (rule 11)."""
    client = RecordingClient(update_mode=MANGLED)
    other = client.seed("Ops", settings={"webhook": HOOK2})
    managed = client.seed("Ops")
    result, state = converge(client, webhook(url=HOOK2), handler_id=managed, update_strategy=update_strategy)
    new_id = max(client.stored)
    assert other in client.stored and client.handler(other)["settings"] == {"webhook": HOOK2}
    assert ("delete_handler", other) not in client.calls and ("update_handler", other) not in [call[:2] for call in client.calls]
    assert managed not in client.stored
    assert result["notification_handler"]["id"] == new_id and client.handler(new_id)["settings"] == {"webhook": HOOK2}
    assert not [warning for warning in state.warnings if "at the same time" in warning]


# Email handlers waiting for confirmation (rule 8).

@pytest.mark.parametrize("check_mode", [False, True])
def test_an_email_handler_pending_confirmation_cannot_be_disabled(check_mode):
    client = RecordingClient(email_confirmation=True)
    handler_id = client.seed("Mail", handler_type="email", settings={"email": EMAIL}, is_enabled=2)
    state = new_state(client, check_mode=check_mode)
    with pytest.raises(HandlerStateFailure) as failure:
        converge(client, wanted_handler("Mail", "email", False, {"email": EMAIL}), state=state)
    message = str(failure.value)
    assert "owner" in message and "confirm" in message
    assert "Nothing was changed" in message
    assert "bug" not in message.lower() and "did not store" not in message
    assert client.calls == [("find_by_name", "Mail")]
    assert client.handler(handler_id)["pending_confirmation"] is True
    assert state.failure_details() == ("", False)


def test_check_can_disable_lets_a_confirmed_or_enabled_email_handler_through():
    pending = {"id": 1, "name": "Mail", "type": "email", "enabled": True, "pending_confirmation": True, "settings": {"email": EMAIL}}
    confirmed = dict(pending, pending_confirmation=False)
    check_can_disable(dict(pending, enabled=True), pending)
    check_can_disable(dict(confirmed, enabled=False), confirmed)
    with pytest.raises(HandlerStateFailure, match="cannot be disabled yet"):
        check_can_disable(dict(pending, enabled=False), pending)


def test_a_confirmed_email_handler_is_disabled_in_place():
    client = RecordingClient(email_confirmation=True)
    handler_id = client.seed("Mail", handler_type="email", settings={"email": EMAIL}, is_enabled=1)
    result, _state = converge(client, wanted_handler("Mail", "email", False, {"email": EMAIL}))
    assert client.calls[5:] == [("update_handler", handler_id, {"is_enabled": False, "email": EMAIL}), ("get_handler", handler_id)]
    assert result["notification_handler"]["enabled"] is False


def test_a_new_disabled_email_handler_converges_once_its_owner_confirms():
    """The server keeps a new email handler pending (rules 7 and 8); the failure asks the owner to confirm, then to run again.

    That advice must work: after the owner confirms, the next run converges.
    """
    client = RecordingClient(email_confirmation=True)
    wanted = wanted_handler("Mail", "email", False, {"email": EMAIL})
    with pytest.raises(HandlerStateFailure) as failure:
        converge(client, wanted)
    assert "confirm" in str(failure.value) and "bug" not in str(failure.value).lower()
    assert "It was kept" in str(failure.value) and len(client.stored) == 1, "the handler the owner must confirm was deleted"
    client.account.confirm_all()
    result, _state = converge(client, wanted)
    assert result["notification_handler"]["enabled"] is False


# Absent.

def test_absent_deletes_the_handler_and_absent_of_nothing_does_nothing():
    client = RecordingClient()
    handler_id = client.seed("Ops")
    state = new_state(client)
    result = state.absent(client.handler(handler_id))
    assert result["changed"] is True and result["diff"]["after"] == {} and result["diff"]["before"]["name"] == "Ops"
    assert (result["diff"]["before_header"], result["diff"]["after_header"]) == ("Ops (id %d)" % handler_id, "Ops (id %d, deleted)" % handler_id)
    assert client.calls == [("delete_handler", handler_id)]
    assert state.absent(None)["changed"] is False
    assert client.calls == [("delete_handler", handler_id)]


# Check mode.

def seeded(update_mode):
    client = RecordingClient(update_mode=update_mode)
    client.seed("Ops")
    client.seed("Mail", handler_type="email", settings={"email": EMAIL})
    return client


CHECK_CASES = [
    pytest.param(FAITHFUL, "auto", lambda: webhook("New"), id="create"),
    pytest.param(FAITHFUL, "auto", lambda: webhook("New", enabled=False), id="create disabled"),
    pytest.param(FAITHFUL, "auto", lambda: webhook(url=HOOK2), id="update faithful"),
    pytest.param(FAITHFUL, "update", lambda: webhook(enabled=False), id="disable faithful"),
    pytest.param(MANGLED, "auto", lambda: webhook(url=HOOK2), id="replace mangled"),
    pytest.param(IGNORED, "auto", lambda: webhook(url=HOOK2), id="replace ignored"),
    pytest.param(MANGLED, "recreate", lambda: wanted_handler("Mail", "email", None, {"email": "other@example.com"}), id="recreate"),
    pytest.param(MANGLED, "auto", webhook, id="unchanged"),
    pytest.param(FAITHFUL, "auto", lambda: wanted_handler(APOSTROPHE_NAME, "webhook", None, {"webhook": HOOK}), id="create quoted name"),
]


@pytest.mark.parametrize("update_mode,update_strategy,wanted", CHECK_CASES)
def test_check_mode_writes_nothing_probes_nothing_and_predicts_the_real_run(update_mode, update_strategy, wanted):
    checked = seeded(update_mode)
    predicted, check_state = converge(checked, wanted(), check_mode=True, update_strategy=update_strategy)
    assert checked.writes() == []
    assert [call[0] for call in checked.calls] == ["find_by_name"]
    assert check_state.failure_details() == ("", False)
    real = seeded(update_mode)
    result, _state = converge(real, wanted(), update_strategy=update_strategy)
    assert (predicted["changed"], predicted["diff"]) == (result["changed"], result["diff"])
    assert HOOK2 not in repr(predicted)


def test_check_mode_absent_writes_nothing():
    client = RecordingClient()
    handler_id = client.seed("Ops")
    result = new_state(client, check_mode=True).absent(client.handler(handler_id))
    assert result["changed"] is True
    assert client.calls == [] and handler_id in client.stored


# run(): what the module reports.

class FakeModule(InProcessModule):
    """The module with every option present, as ansible-core fills them in, and those given."""

    def __init__(self, client, check_mode=False, diff=True, **params):
        params.setdefault("api_key", SALT)
        super().__init__(client, handler_options(**params), SALT, check_mode, diff)


def test_run_fails_with_changed_and_what_was_written_after_a_write():
    client = RecordingClient(update_mode=MANGLED)
    old_id = client.seed("Ops")
    client.fail("delete_handler", 500, when=lambda handler_id: handler_id == old_id)
    module = FakeModule(client, name="Ops", type="webhook", webhook=HOOK2)
    with pytest.raises(ModuleExit):
        run(module)
    assert module.exited is None
    assert module.failed["changed"] is True
    # A 500 may come after the server applied the delete: the record says so rather than claim it did not happen.
    assert ("Before this failure, the task created handler 3 ('Ops') to replace handler 1, which is the old one, then may have "
            "deleted handler 1 ('Ops') (the request got no answer, or the server failed on it).") in module.failed["msg"]
    assert REFUSED in module.failed["msg"]  # the server's words
    assert HOOK2 not in repr(module.failed)


def test_run_passes_the_replace_warning_on_and_drops_the_diff_without_diff_mode():
    client = RecordingClient(update_mode=MANGLED)
    client.seed("Ops")
    module = FakeModule(client, diff=False, name="Ops", type="webhook", webhook=HOOK2)
    with pytest.raises(ModuleExit):
        run(module)
    assert module.failed is None
    assert module.exited["changed"] is True and "diff" not in module.exited
    assert module.exited["notification_handler"]["id"] == 3
    assert len(module.warned) == 1 and "from 1 to 3" in module.warned[0]


def test_run_passes_the_warnings_on_when_it_fails():
    client = RecordingClient(update_mode=MANGLED)
    client.seed("Ops")
    client.fail("delete_handler", 500, when=lambda handler_id: handler_id == 2)
    module = FakeModule(client, name="Ops", type="webhook", webhook=HOOK2, update_strategy="update")
    with pytest.raises(ModuleExit):
        run(module)
    assert "update_strategy=update" in module.failed["msg"]
    # The throwaway handler stayed on the server: that is a change, and the message says so.
    assert module.failed["changed"] is True and "left the throwaway handler 2" in module.failed["msg"]
    assert len(module.warned) == 1 and "throwaway handler 2" in module.warned[0]


def test_run_fails_a_refused_probe_without_changed():
    client = RecordingClient()
    client.seed("Ops")
    client.fail("create_handler", 401, when=lambda form: form["type"] == PROBE_TYPE)
    module = FakeModule(client, name="Ops", type="webhook", webhook=HOOK2)
    with pytest.raises(ModuleExit):
        run(module)
    assert module.failed["changed"] is False
    assert "Before this failure" not in module.failed["msg"]


def finished(module, run_module=run):
    """Run a module to its end (exit_json or fail_json), and answer the module."""
    with pytest.raises(ModuleExit):
        run_module(module)
    return module


# Names the server cleans (rule 10): created once, then found and left alone.

@pytest.mark.parametrize("update_mode", [FAITHFUL, IGNORED, MANGLED])
def test_rule_10_a_name_with_an_apostrophe_is_created_once_and_a_second_run_changes_nothing(update_mode):
    """Issue 17 point 2: `Équipe d'astreinte` is stored as `Équipe d&#39;astreinte`; it is not taken for another handler."""
    client = RecordingClient(update_mode=update_mode)
    client.seed("Other")
    result, state = converge(client, webhook(APOSTROPHE_NAME))
    new_id = 2
    assert client.writes() == [("create_handler", {"name": APOSTROPHE_NAME, "type": "webhook", "webhook": HOOK})]
    assert client.stored[new_id]["name"] == APOSTROPHE_STORED
    assert result["changed"] is True and result["notification_handler"]["id"] == new_id
    assert result["notification_handler"]["name"] == APOSTROPHE_NAME  # shown plain, not as the server stores it
    assert result["diff"]["after"]["name"] == APOSTROPHE_NAME
    assert state.warnings == []
    for name in (APOSTROPHE_NAME, APOSTROPHE_STORED):  # the name as given, and the declaration fed back
        client.calls = []
        again, state = converge(client, webhook(name))
        assert client.calls == [("find_by_name", name)], "a second run wrote, or read more than the name"
        assert again["changed"] is False and again["notification_handler"]["id"] == new_id
        assert again["notification_handler"]["name"] == APOSTROPHE_NAME
        assert again["diff"]["before"] == again["diff"]["after"]
        assert state.warnings == []
    assert sorted(client.stored) == [1, new_id]


def test_a_server_that_does_not_clean_names_stores_the_apostrophe_and_is_found_again():
    """Part A has no cleaning (b10_sanitize off): the name is stored as given, and found as given."""
    client = RecordingClient(cleans=False)
    result, _state = converge(client, webhook(APOSTROPHE_NAME))
    assert client.names() == [APOSTROPHE_NAME] and result["changed"] is True
    client.calls = []
    again, _state = converge(client, webhook(APOSTROPHE_NAME))
    assert client.calls == [("find_by_name", APOSTROPHE_NAME)] and again["changed"] is False


def test_rule_10_a_name_with_double_quotes_is_created_once_found_again_and_shown_plain():
    client = RecordingClient()
    result, _state = converge(client, webhook('Say "hi"'))
    assert client.names() == ["Say &#34;hi&#34;"] and result["notification_handler"]["name"] == 'Say "hi"'
    client.calls = []
    again, _state = converge(client, webhook('Say "hi"'))
    assert client.writes() == [] and again["changed"] is False and again["notification_handler"]["name"] == 'Say "hi"'


@pytest.mark.parametrize("name, words", [
    ("<b>Ops</b> team", "the server would store it as 'Ops team'"),
    ("Ops <primary", "the server would store it as 'Ops'"),
    ("  Ops  ", "holds blanks at its start or end"),
])
def test_exact_identity_a_name_the_server_would_clean_otherwise_is_refused_before_a_create(name, words):
    """A tag or outer blanks would be stored as another name: the create is refused after the read, before any write."""
    client = RecordingClient()
    client.seed("Ops")
    with pytest.raises(InvalidHandler) as failure:
        converge(client, webhook(name))
    assert str(failure.value).startswith("name %r holds " % name) and words in str(failure.value)
    assert "Nothing was sent" in str(failure.value)
    assert client.calls == [("find_by_name", name)]
    assert client.names() == ["Ops"]


def test_rule_10_the_single_module_run_twice_with_an_apostrophe_changes_nothing_the_second_time():
    client = RecordingClient(update_mode=IGNORED)
    first = finished(FakeModule(client, name=APOSTROPHE_NAME, type="webhook", webhook=HOOK))
    assert first.failed is None and first.exited["changed"] is True
    writes = len(client.writes())
    second = finished(FakeModule(client, name=APOSTROPHE_NAME, type="webhook", webhook=HOOK))
    assert second.failed is None and second.exited["changed"] is False
    assert len(client.writes()) == writes == 1
    assert client.names() == [APOSTROPHE_STORED]


@pytest.mark.parametrize("options", [
    dict(email="o'brien@example.com", type="email"),
    dict(email='o"brien@example.com', type="email"),
    dict(webhook="https://hooks.example.com/it's-secret", type="webhook"),
    dict(webhook="https://hooks.example.com/<b>secret</b>", type="webhook"),
])
def test_rule_10_a_quote_or_tag_in_a_setting_fails_before_any_request_naming_the_option(options):
    client = RecordingClient()
    module = finished(FakeModule(client, name="Ops", **options))
    assert client.calls == [], "a request was sent"
    option = "email" if "email" in options else "webhook"
    value = options[option]
    assert module.failed["msg"].startswith(option + " ") and "Nothing was sent" in module.failed["msg"]
    assert value not in repr(module.failed) and module.failed["changed"] is False


def list_item(**options):
    item = dict(id=None, name=None, type=None, enabled=None, state="present")
    item.update((name, None) for name in FIELDS)
    item.update(options)
    return item


def list_module(client, handlers, purge=False, check_mode=False):
    return FakeModule(client, check_mode=check_mode, handlers=handlers, purge=purge, delete_all_handlers=False)


@pytest.mark.parametrize("purge", [False, True])
@pytest.mark.parametrize("update_mode", [FAITHFUL, MANGLED])
def test_rule_10_the_list_module_creates_a_quoted_name_once_and_the_next_run_changes_nothing(update_mode, purge):
    client = RecordingClient(update_mode=update_mode)
    handlers = [list_item(name=APOSTROPHE_NAME, type="webhook", webhook=HOOK), list_item(name='Say "hi"', type="webhook", webhook=HOOK2)]
    first = finished(list_module(client, handlers, purge), run_list)
    assert first.failed is None, first.failed
    assert [entry["name"] for entry in first.exited["created"]] == [APOSTROPHE_NAME, 'Say "hi"']  # shown plain
    assert client.names() == sorted([APOSTROPHE_STORED, "Say &#34;hi&#34;"])
    client.calls = []
    for fed_back in (handlers, [dict(item, name=stored) for item, stored in zip(handlers, [APOSTROPHE_STORED, "Say &#34;hi&#34;"])]):
        again = finished(list_module(client, fed_back, purge), run_list)
        assert again.failed is None, again.failed
        assert again.exited["changed"] is False
        assert (again.exited["created"], again.exited["updated"], again.exited["replaced"], again.exited["deleted"]) == ([], [], [], [])
        assert client.writes() == []
    assert len(client.stored) == 2


def test_rule_10_the_list_module_in_check_mode_shows_the_name_of_a_create_plain_as_the_real_run_does():
    checked, real = RecordingClient(), RecordingClient()
    handlers = [list_item(name=APOSTROPHE_NAME, type="webhook", webhook=HOOK)]
    predicted = finished(list_module(checked, handlers, check_mode=True), run_list)
    result = finished(list_module(real, handlers), run_list)
    assert checked.writes() == []
    assert predicted.exited["diff"] == result.exited["diff"]
    assert [entry["name"] for entry in predicted.exited["created"]] == [entry["name"] for entry in result.exited["created"]]
    assert [entry["name"] for entry in result.exited["created"]] == [APOSTROPHE_NAME]
    assert real.names() == [APOSTROPHE_STORED]


def test_rule_10_two_list_items_whose_names_the_server_stores_alike_are_refused_before_any_request():
    client = RecordingClient()
    handlers = [list_item(name=APOSTROPHE_NAME, type="webhook", webhook=HOOK), list_item(name=APOSTROPHE_STORED, type="webhook", webhook=HOOK2)]
    module = finished(list_module(client, handlers), run_list)
    assert client.calls == []
    assert "handlers[0]" in module.failed["msg"] and "handlers[1]" in module.failed["msg"]


def test_rule_10_check_mode_and_the_real_run_show_a_rename_to_a_quoted_name_plain():
    """Check mode shows what the real run gives: a rename to `Équipe d'astreinte`, stored as `Équipe d&#39;astreinte`,
    shown as given in both."""
    checked, real = RecordingClient(), RecordingClient()
    for client in (checked, real):
        client.seed("Ops")
    predicted, _state = converge(checked, webhook(APOSTROPHE_NAME), handler_id=1, check_mode=True)
    result, _state = converge(real, webhook(APOSTROPHE_NAME), handler_id=1)
    assert real.handler(1)["name"] == APOSTROPHE_STORED
    assert result["diff"]["after"]["name"] == APOSTROPHE_NAME
    assert result["notification_handler"]["name"] == predicted["notification_handler"]["name"] == APOSTROPHE_NAME
    assert predicted["diff"] == result["diff"]


# Check mode says what it cannot know (issue 17), and knows what an earlier task of the run learnt (issue 18 point 14).

class AnsweringCache:
    """A ProbeCache that already holds an outcome: what an earlier task of the run learnt."""

    def __init__(self, mode):
        self.mode = mode
        self.put_modes = []

    def get(self):
        return self.mode

    def put(self, mode):
        self.put_modes.append(mode)


CANNOT_KNOW = "Check mode does not run the update test, so it cannot tell what the real run will do"


@pytest.mark.parametrize("update_strategy, wanted, handler_id, warned, changed", [
    pytest.param("auto", lambda: webhook(url=HOOK2), 1, True, True, id="update under auto"),
    pytest.param("update", lambda: webhook(url=HOOK2), 1, True, True, id="update under update"),
    pytest.param("recreate", lambda: webhook(enabled=False), 1, True, True, id="disable under recreate"),
    pytest.param("auto", lambda: webhook("New", enabled=False), None, True, True, id="disabled create"),
    pytest.param("recreate", lambda: webhook("New", enabled=False), None, True, True, id="disabled create under recreate"),
    pytest.param("auto", lambda: webhook("New"), None, False, True, id="enabled create"),
    pytest.param("recreate", lambda: webhook(url=HOOK2), 1, False, True, id="enabled replace under recreate"),
    pytest.param("auto", webhook, 1, False, False, id="unchanged"),
])
def test_check_mode_warns_where_the_outcome_depends_on_the_unknown_update_mode(update_strategy, wanted, handler_id, warned, changed):
    """Issue 17: check mode never probes, so where the real run's outcome depends on rule 13's mode, it says so."""
    client = RecordingClient()
    client.seed("Ops")
    result, state = converge(client, wanted(), handler_id=handler_id, check_mode=True, update_strategy=update_strategy)
    assert client.writes() == []
    if not warned:
        assert state.warnings == []
    else:
        # Two sentences and a link, the same in every task, so that ansible-playbook shows it once per run.
        assert len(state.warnings) == 1
        assert state.warnings[0].startswith(CANNOT_KNOW) and state.warnings[0].count(". ") == 1
        assert "ignores or breaks updates" in state.warnings[0] and "notification_handlers_guide.rst#dry-runs" in state.warnings[0]
        assert "Ops" not in state.warnings[0] and "New" not in state.warnings[0]
    assert result["changed"] is changed


def test_check_mode_of_a_delete_gives_no_warning():
    client = RecordingClient()
    handler_id = client.seed("Ops")
    state = new_state(client, check_mode=True)
    assert state.absent(client.handler(handler_id))["changed"] is True
    assert state.warnings == [] and client.calls == []


def cached_state(client, mode, check_mode=False, update_strategy="auto"):
    return HandlerState(client, SALT, check_mode=check_mode, update_strategy=update_strategy, clock=lambda: NOW,
                        probe_cache=AnsweringCache(mode))


@pytest.mark.parametrize("update_mode", BROKEN_UPDATES)
def test_check_mode_with_a_known_update_mode_refuses_enabled_false_like_the_real_run(update_mode):
    """Where an earlier task of the run learnt the mode, check mode makes the real run's refusals, and probes nothing."""
    checked, real = RecordingClient(update_mode=update_mode), RecordingClient(update_mode=update_mode)
    for client in (checked, real):
        client.seed("Ops")
    with pytest.raises(HandlerStateFailure) as predicted:
        converge(checked, webhook(enabled=False), state=cached_state(checked, update_mode, check_mode=True))
    with pytest.raises(HandlerStateFailure) as failed:
        converge(real, webhook(enabled=False), state=cached_state(real, update_mode))
    assert str(predicted.value) == str(failed.value)
    assert_cannot_disable(str(predicted.value), update_mode)
    assert checked.calls == real.calls == [("find_by_name", "Ops")], "the mode was known: no probe"


@pytest.mark.parametrize("update_mode", BROKEN_UPDATES)
def test_check_mode_with_a_known_update_mode_predicts_the_replacement_without_a_warning(update_mode):
    checked, real = RecordingClient(update_mode=update_mode), RecordingClient(update_mode=update_mode)
    for client in (checked, real):
        client.seed("Ops")
    check_state = cached_state(checked, update_mode, check_mode=True)
    predicted, _state = converge(checked, webhook(url=HOOK2), state=check_state)
    result, _state = converge(real, webhook(url=HOOK2), state=cached_state(real, update_mode))
    assert check_state.warnings == [] and checked.writes() == []
    assert predicted["notification_handler"]["id"] is None  # a new handler, id not known yet
    assert result["notification_handler"]["id"] == 2 and sorted(real.stored) == [2]
    assert not [call for call in real.calls if is_probe_create(call)]
    assert (predicted["changed"], predicted["diff"]) == (result["changed"], result["diff"])


def test_a_probe_outcome_is_put_in_the_cache_and_a_cached_one_is_not_probed_again():
    client = RecordingClient(update_mode=IGNORED)
    client.seed("Ops")
    cache = AnsweringCache(None)
    state = HandlerState(client, SALT, clock=lambda: NOW, probe_cache=cache)
    converge(client, webhook(url=HOOK2), state=state)
    assert cache.put_modes == [IGNORED] and len(probe_ids(client)) == 1


def test_the_tasks_of_one_playbook_run_share_the_probe_outcome_per_url_and_key(monkeypatch, tmp_path):
    """Issue 18 point 14: converge() builds the cache from the client's api_url and the api_key option."""
    monkeypatch.setattr(_update_probe, "playbook_run", lambda: "4242 123456")
    monkeypatch.setattr(_update_probe.tempfile, "tempdir", str(tmp_path))
    client = RecordingClient(update_mode=MANGLED)
    for name in ("One", "Two", "Three"):
        client.seed(name)
    for name in ("One", "Two"):
        module = finished(FakeModule(client, name=name, type="webhook", webhook=HOOK2))
        assert module.failed is None and module.exited["changed"] is True
    assert len(probe_ids(client)) == 1, "the second task probed again"
    other_key = finished(FakeModule(client, name="Three", type="webhook", webhook=HOOK2, api_key="another-key"))
    assert other_key.failed is None
    assert len(probe_ids(client)) == 2, "another API key may be another account: it is tested again"
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SALT not in path.read_text() and "another-key" not in path.read_text()


def test_a_refusal_after_a_leftover_probe_was_deleted_does_not_say_nothing_was_changed():
    """Issue 18: a failure reports every write applied before it, and changed; it must not also say that nothing changed.

    The probe deletes a leftover probe (a write), then enabled: false is refused on a server that ignores updates.
    """
    client = RecordingClient(update_mode=IGNORED)
    leftover = client.seed("%s 20200101T000000Z 0badc0de" % PROBE_PREFIX, handler_type=PROBE_TYPE)
    client.seed("Ops")
    module = finished(FakeModule(client, name="Ops", type="webhook", webhook=HOOK, enabled=False))
    message = module.failed["msg"]
    assert module.failed["changed"] is True
    assert "deleted the throwaway handler %d" % leftover in message
    assert "cannot disable a handler through its API" in message
    assert "Nothing was changed" not in message, "the message says nothing was changed, and that a handler was deleted"


# Issue 18, point 5: replacing a confirmed email handler on a server that confirms addresses stops its alerts until the
# owner confirms again. auto does not do it (it keeps the old handler); recreate does it, and warns.

def confirmed_email_on_a_breaking_server():
    client = RecordingClient(update_mode=MANGLED, email_confirmation=True)
    old_id = client.seed("Ops mail", "email", {"email": EMAIL}, is_enabled=1)  # confirmed: is_enabled 1, not 2
    return client, old_id


def test_auto_keeps_a_confirmed_email_handler_whose_replacement_would_wait_for_confirmation_again():
    client, old_id = confirmed_email_on_a_breaking_server()
    before = copy.deepcopy(client.stored[old_id])
    module = finished(FakeModule(client, id=old_id, name="Ops mail (on call)", email=EMAIL, update_strategy="auto"))
    assert module.exited is None
    message = module.failed["msg"]
    assert "confirmed its address" in message and "waits for the owner to confirm the address again" in message
    assert "update_strategy: recreate" in message
    assert client.stored == {old_id: before}, "the old handler must be kept as it was, and the replacement deleted again"
    assert module.failed["changed"] is True  # the replacement was created, then deleted: said in the message
    assert "Before this failure, the task created handler" in message


def test_auto_refuses_before_writing_to_replace_an_email_handler_the_server_shows_confirmed():
    """Issue 23, point 10: 66biolinks 67 shows a confirmed address (email_is_confirmed: true, rule 17), so the outcome is
    known before writing: no replacement is created and deleted, and its owner gets no confirmation mail for nothing."""
    client = RecordingClient(update_mode=MANGLED, email_confirmation=True)
    first = finished(FakeModule(client, name="Ops mail", type="email", email=EMAIL))
    assert first.failed is None, first.failed
    client.account.confirm_all()
    (old_id, before), = client.stored.items()
    assert before["settings"]["email_is_confirmed"] is True and before["is_enabled"] == 1
    client.calls = []
    module = finished(FakeModule(client, id=old_id, name="Ops mail (on call)", email=EMAIL, update_strategy="auto"))
    message = module.failed["msg"]
    assert "confirmed its address" in message and "Nothing was changed" in message and "update_strategy: recreate" in message
    assert module.failed["changed"] is False
    creates = [call for call in client.writes() if call[0] == "create_handler" and "update probe" not in repr(call)]
    assert creates == [], "no replacement may be created"
    assert [call for call in client.writes() if call[1] == old_id] == []
    assert client.stored == {old_id: before}


def test_auto_keeps_a_confirmed_email_handler_but_not_when_its_address_changes():
    client, old_id = confirmed_email_on_a_breaking_server()
    module = finished(FakeModule(client, id=old_id, email="other@example.com", update_strategy="auto"))
    assert module.failed is None, module.failed
    assert [handler["settings"]["email"] for handler in client.stored.values()] == ["other@example.com"]
    assert list(client.stored) != [old_id], "replaced: a new id"


def test_recreate_replaces_a_confirmed_email_handler_and_warns_that_it_must_be_confirmed_again():
    client, old_id = confirmed_email_on_a_breaking_server()
    module = finished(FakeModule(client, id=old_id, name="Ops mail 2", update_strategy="recreate"))
    assert module.failed is None, module.failed
    assert old_id not in client.stored and len(client.stored) == 1
    assert any("waits for the owner of %s to confirm the address again" % EMAIL in warning for warning in module.warned), module.warned


# Issue 18, point 13: check mode cannot know whether a server puts an address on confirmation.

def test_check_mode_does_not_predict_that_a_new_email_handler_is_confirmed():
    client = RecordingClient(email_confirmation=True)
    module = finished(FakeModule(client, check_mode=True, name="Ops mail", type="email", email=EMAIL))
    assert client.writes() == []
    assert module.exited["notification_handler"]["pending_confirmation"] is None
    real = finished(FakeModule(client, name="Ops mail", type="email", email=EMAIL))
    assert real.exited["notification_handler"]["pending_confirmation"] is True


# Issue 18, point 15: an item without name or id is refused by the module, naming its place in the list.

def test_a_list_item_without_name_or_id_is_refused_naming_its_index_before_any_request():
    client = RecordingClient()
    module = finished(list_module(client, [list_item(name="Ops", type="webhook", webhook=HOOK), list_item(type="webhook")]), run_list)
    assert client.calls == []
    assert module.failed["msg"].startswith("handlers[1]: give name or id")


# Issue 18, point 12: an export of an account whose handlers share a name carries their ids, and is accepted as it is.

def test_the_export_of_handlers_that_share_a_name_is_given_back_and_changes_nothing():
    client = RecordingClient()
    first, second = client.seed("Twin"), client.seed("Twin", settings={"webhook": HOOK2})
    stored = [client.handler(handler_id) for handler_id in (first, second)]
    exported = [declared(handler, with_id=True) for handler in stored]
    assert [item["id"] for item in exported] == [first, second]
    items = [list_item(**dict(item, webhook=handler["settings"]["webhook"])) for item, handler in zip(exported, stored)]
    module = finished(list_module(client, items), run_list)
    assert module.failed is None, module.failed
    assert module.exited["changed"] is False and client.writes() == []
