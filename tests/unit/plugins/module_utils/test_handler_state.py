"""The safe-write logic of _handler_state.py, in-process, against a fake client that records its calls.

The fake stands in for DmpilotClient above the HTTP layer only, and behaves like the real server where it matters
(docs/dev/api-behaviour.md): ids only grow (rule 11), create ignores is_enabled (rule 7), an update keeps the
fields it is not sent (rule 8), an unconfirmed email handler stays pending (rule 8), and a switch turns on the update
bug of the published server code (rule 13).
"""

import copy
import re
import time

import pytest

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import DmpilotError
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_state import (
    PROBE_PREFIX,
    PROBE_TYPE,
    HandlerState,
    HandlerStateFailure,
    check_can_disable,
    run,
)
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import TYPE_NAMES, field_names
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import normalize_handler, wanted_handler

SALT = "api-key"
# A fixed clock: 2025-06-01 12:00:00 UTC.
NOW = 1748779200
HOOK = "https://hooks.example.com/T000/first-secret"
HOOK2 = "https://hooks.example.com/T000/second-secret"
EMAIL = "ops@example.com"
WRITES = ("create_handler", "update_handler", "delete_handler")


def stamp(seconds_ago):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(NOW - seconds_ago))


def level(value):
    """is_enabled as the server's PHP (int) cast reads a form value (rule 6)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class FakeClient:
    """DmpilotClient's interface over an in-memory account."""

    def __init__(self, mangles_updates=False, email_confirmation=False):
        self.mangles_updates = mangles_updates  # rule 13
        self.email_confirmation = email_confirmation  # rules 5, 7 and 8
        self.stored = {}  # id -> the raw handler as the server keeps it
        self.next_id = 1
        self.calls = []
        self.failures = []
        self.hooks = []

    # Setting the account up (not recorded).

    def seed(self, name, handler_type="webhook", settings=None, is_enabled=1):
        handler_id = self.next_id
        self.next_id += 1
        if settings is None:
            settings = {"webhook": HOOK} if handler_type == "webhook" else {}
        self.stored[handler_id] = {"id": handler_id, "name": name, "type": handler_type, "is_enabled": is_enabled,
                                   "settings": dict(settings)}
        return handler_id

    def handler(self, handler_id):
        return normalize_handler(self.stored[handler_id])

    def fail(self, method, status, when=None, times=1):
        """Make the next call(s) of method that match when(*args) raise DmpilotError(status)."""
        self.failures.append([method, status, when, times])

    def on(self, method, action, when=None):
        """Run action(*args) once, before the next call of method that matches when(*args)."""
        self.hooks.append([method, action, when])

    def confirm(self, handler_id):
        """The owner of an email handler's address clicks the confirmation link."""
        if self.stored[handler_id]["is_enabled"] == 2:
            self.stored[handler_id]["is_enabled"] = 1

    # What the tests read.

    def writes(self):
        return [call for call in self.calls if call[0] in WRITES]

    def names(self):
        return sorted(handler["name"] for handler in self.stored.values())

    # The plumbing.

    def enter(self, method, *args):
        self.calls.append((method,) + tuple(copy.deepcopy(arg) for arg in args))
        for hook in list(self.hooks):
            if hook[0] == method and (hook[2] is None or hook[2](*args)):
                self.hooks.remove(hook)
                hook[1](*args)
        for failure in self.failures:
            if failure[0] == method and failure[3] and (failure[2] is None or failure[2](*args)):
                failure[3] -= 1
                raise DmpilotError("Could not %s: HTTP %d" % (method, failure[1]), status=failure[1], title="refused by the fake")

    def not_found(self, handler_id):
        return DmpilotError("Could not reach notification handler %d: HTTP 404" % handler_id, status=404, title="not found")

    def sorted_handlers(self):
        return [self.handler(handler_id) for handler_id in sorted(self.stored)]

    # DmpilotClient's interface.

    def list_handlers(self, handler_type=None, search=None):
        self.enter("list_handlers", handler_type, search)
        return [handler for handler in self.sorted_handlers()
                if (handler_type is None or handler["type"] == handler_type)
                and (search is None or search.lower() in (handler["name"] or "").lower())]

    def find_by_name(self, name):
        self.enter("find_by_name", name)
        return [handler for handler in self.sorted_handlers() if handler["name"] == name]

    def find_by_name_prefix(self, prefix):
        self.enter("find_by_name_prefix", prefix)
        return [handler for handler in self.sorted_handlers() if (handler["name"] or "").startswith(prefix)]

    def get_handler(self, handler_id):
        self.enter("get_handler", handler_id)
        return self.handler(handler_id) if handler_id in self.stored else None

    def create_handler(self, form):
        self.enter("create_handler", form)
        if not form.get("name") or form.get("type") not in TYPE_NAMES:
            raise DmpilotError("Could not create: HTTP 401", status=401, title="invalid")
        handler_type = form["type"]
        handler_id = self.next_id  # rule 11: auto-increment, never reused
        self.next_id += 1
        # Rule 7: is_enabled is ignored; an email handler waits for confirmation when that is switched on.
        is_enabled = 2 if handler_type == "email" and self.email_confirmation else 1
        self.stored[handler_id] = {"id": handler_id, "name": form["name"], "type": handler_type, "is_enabled": is_enabled,
                                   "settings": dict((key, form[key]) for key in field_names(handler_type) if key in form)}
        return handler_id

    def update_handler(self, handler_id, form):
        self.enter("update_handler", handler_id, form)
        if handler_id not in self.stored:
            raise self.not_found(handler_id)
        handler = self.stored[handler_id]
        if "name" in form:
            handler["name"] = form["name"]
        is_enabled = level(form["is_enabled"]) if "is_enabled" in form else handler["is_enabled"]
        if self.mangles_updates:
            # Rule 13: the type check always fails; name and is_enabled are still written.
            handler.update(type=None, settings={}, is_enabled=is_enabled)
            return
        old_type = handler["type"]
        handler_type = form.get("type", old_type)
        settings = dict(handler["settings"]) if handler_type == old_type else {}
        settings.update((key, form[key]) for key in field_names(handler_type) if key in form)
        if handler_type == "email" and self.email_confirmation and (
                form.get("email") is None or form["email"] != handler["settings"].get("email") or handler["is_enabled"] == 2):
            # Rule 8: the confirmation restarts, and the handler is pending whatever is_enabled was sent.
            is_enabled = 2
        handler.update(type=handler_type, settings=settings, is_enabled=is_enabled)

    def delete_handler(self, handler_id):
        self.enter("delete_handler", handler_id)
        if handler_id not in self.stored:
            raise self.not_found(handler_id)
        del self.stored[handler_id]


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
    client = FakeClient()
    client.seed("Other")
    handler_id = client.seed("Ops")
    assert new_state(client).find(handler_id=handler_id, name="Renamed") == client.handler(handler_id)
    assert client.calls == [("get_handler", handler_id)]


def test_find_by_unknown_id_fails_when_it_must_exist_and_is_none_otherwise():
    client = FakeClient()
    client.seed("Ops")
    state = new_state(client)
    assert state.find(handler_id=42) is None
    with pytest.raises(HandlerStateFailure, match=r"no notification handler 42 exists.*never creates a handler for an id"):
        state.find(handler_id=42, must_exist=True)
    assert client.writes() == []


def test_find_by_name_matches_the_exact_name_only():
    client = FakeClient()
    client.seed("Ops team")
    handler_id = client.seed("Ops")
    client.seed("ops")
    assert new_state(client).find(name="Ops") == client.handler(handler_id)
    assert client.calls == [("find_by_name", "Ops")]
    assert new_state(client).find(name="Nobody") is None


def test_several_handlers_with_the_name_fail_listing_their_ids():
    client = FakeClient()
    first = client.seed("Ops")
    client.seed("Other")
    second = client.seed("Ops")
    with pytest.raises(HandlerStateFailure) as failure:
        new_state(client).find(name="Ops")
    assert "2 notification handlers are named 'Ops' (ids %d, %d)" % (first, second) in str(failure.value)
    assert "Set id" in str(failure.value)
    assert client.writes() == []


# Present, unchanged and created.

@pytest.mark.parametrize("update_strategy", ["auto", "update", "recreate"])
def test_an_unchanged_handler_is_neither_written_nor_probed(update_strategy):
    client = FakeClient(mangles_updates=True)
    handler_id = client.seed("Ops")
    result, state = converge(client, webhook(), update_strategy=update_strategy)
    assert result["changed"] is False
    assert result["notification_handler"]["id"] == handler_id
    assert client.calls == [("find_by_name", "Ops")]
    assert state.failure_details() == ("", False)


def test_create_is_one_create_and_a_read_back_by_name():
    client = FakeClient(mangles_updates=True)
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
    # The secret is masked in what is returned.
    assert HOOK not in repr(result)
    assert result["notification_handler"]["settings"]["webhook"].startswith("********#")
    assert client.handler(new_id)["settings"] == {"webhook": HOOK}
    assert state.warnings == []


def test_a_disabled_create_is_a_create_then_an_update_after_the_probe():
    client = FakeClient()
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
    client = FakeClient()
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
    client = FakeClient(mangles_updates=True)
    with pytest.raises(HandlerStateFailure) as failure:
        converge(client, webhook(enabled=False), update_strategy="recreate")
    assert "Nothing was changed" in str(failure.value)
    assert client.stored == {} and not [call for call in client.calls[5:] if call[0] in WRITES]


def test_disabling_a_new_email_handler_sends_its_address_along():
    client = FakeClient()
    result, _state = converge(client, wanted_handler("Mail", "email", False, {"email": EMAIL}), update_strategy="recreate")
    assert ("update_handler", 2, {"is_enabled": False, "email": EMAIL}) in client.calls
    assert result["notification_handler"]["enabled"] is False


def test_a_created_handler_that_was_stored_differently_is_deleted_again():
    client = FakeClient()

    def server_cuts_the_url(_name):
        client.stored[max(client.stored)]["settings"]["webhook"] = HOOK[:20]

    client.on("find_by_name", server_cuts_the_url, when=lambda name: client.stored)
    state = new_state(client)
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(), None)
    message = str(failure.value)
    assert "Notification handler 1 was created, but the server did not store what was asked for: webhook." in message
    assert "It was deleted again." in message
    assert HOOK not in message
    assert client.calls == [
        ("create_handler", {"name": "Ops", "type": "webhook", "webhook": HOOK}),
        ("find_by_name", "Ops"),
        ("delete_handler", 1),
    ]
    assert client.stored == {}
    written, changed = state.failure_details()
    assert changed is True
    assert "created handler 1 ('Ops')" in written and "deleted handler 1 ('Ops')" in written


def test_a_created_handler_that_reads_back_404_fails_and_reports_the_create():
    client = FakeClient()
    client.on("find_by_name", lambda name: client.stored.clear())
    state = new_state(client)
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(), None)
    assert "Notification handler 1 was created, but reading it back answered 404" in str(failure.value)
    assert client.calls == [
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
    client = FakeClient()
    client.on("find_by_name", lambda name: client.stored.clear())
    state = new_state(client)
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(), None)
    assert "It was deleted again" not in str(failure.value)


# In-place updates on a faithful server.

def test_updates_in_place_probe_once_per_run_however_many_handlers_change():
    client = FakeClient()
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
    client = FakeClient()
    handler_id = client.seed("Ops")
    result, _state = converge(client, webhook(enabled=False), update_strategy="update")
    assert_probe(client.calls[1:5], 2)
    assert client.calls[5:] == [("update_handler", handler_id, {"is_enabled": False}), ("get_handler", handler_id)]
    assert result["notification_handler"]["enabled"] is False
    assert result["diff"]["before"]["enabled"] is True and result["diff"]["after"]["enabled"] is False


# A server with the update bug (rule 13).

def test_auto_replaces_a_handler_on_a_server_that_mangles_updates():
    client = FakeClient(mangles_updates=True)
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


def test_update_strategy_update_fails_before_writing_to_the_handler_on_a_server_that_mangles_updates():
    client = FakeClient(mangles_updates=True)
    handler_id = client.seed("Ops")
    before = copy.deepcopy(client.stored[handler_id])
    with pytest.raises(HandlerStateFailure) as failure:
        converge(client, webhook(url=HOOK2), update_strategy="update")
    probe_id = 2
    assert_probe(client.calls[1:5], probe_id)
    assert len(client.calls) == 5
    assert all(call[1] == probe_id or is_probe_create(call) for call in client.writes())
    assert client.stored == {handler_id: before}
    message = str(failure.value)
    assert message.startswith("update_strategy=update, but this dmpilot server mangles updates")
    assert "nothing was sent to it" in message
    assert "update_strategy: auto" in message
    assert HOOK2 not in message


def test_recreate_replaces_without_probing():
    client = FakeClient(mangles_updates=True)
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
    client = FakeClient(mangles_updates=True)
    old_id = client.seed("Ops")
    client.fail("delete_handler", 500, when=lambda handler_id: handler_id == old_id)
    state = new_state(client, update_strategy="recreate")
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(url=HOOK2), client.handler(old_id))
    message = str(failure.value)
    assert "Notification handler 2 was created to replace handler 1 ('Ops'), but deleting handler 1 failed" in message
    assert "Both exist now" in message
    assert sorted(client.stored) == [old_id, 2]
    written, changed = state.failure_details()
    assert changed is True and "created handler 2 ('Ops')" in written


def test_creating_a_disabled_handler_with_auto_on_a_server_that_mangles_updates_fails_before_any_write():
    client = FakeClient(mangles_updates=True)
    client.seed("Other")
    state = new_state(client)
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(enabled=False), None)
    assert_probe(client.calls, 2)
    assert client.names() == ["Other"]
    assert "cannot be made disabled on this server" in str(failure.value)
    assert "Nothing was changed" in str(failure.value)
    assert state.failure_details() == ("", False)


def test_replacing_with_a_disabled_handler_with_auto_on_a_server_that_mangles_updates_fails_before_any_write():
    client = FakeClient(mangles_updates=True)
    old_id = client.seed("Ops")
    state = new_state(client)
    with pytest.raises(HandlerStateFailure, match="cannot be made disabled"):
        state.present(webhook(enabled=False), client.handler(old_id))
    assert_probe(client.calls, 2)
    assert sorted(client.stored) == [old_id]
    assert state.failure_details() == ("", False)


# The update probe.

def test_a_refused_probe_fails_saying_which_update_strategy_to_set_and_writes_nothing():
    client = FakeClient()
    handler_id = client.seed("Ops")
    client.fail("create_handler", 401, when=lambda form: form["type"] == PROBE_TYPE)
    state = new_state(client)
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(url=HOOK2), client.handler(handler_id))
    message = str(failure.value)
    assert "Could not learn whether this dmpilot server updates handlers safely" in message
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
    client = FakeClient()
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
    client = FakeClient()
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


def test_a_probe_deletes_the_probes_killed_runs_left_but_not_a_running_one():
    client = FakeClient(mangles_updates=True)
    stale = client.seed("%s %s 0badc0de (updated)" % (PROBE_PREFIX, stamp(11 * 60)), handler_type=None, settings={})
    stale_unupdated = client.seed("%s %s 0badbeef" % (PROBE_PREFIX, stamp(3600)), handler_type=PROBE_TYPE)
    fresh = client.seed("%s %s 600dc0de" % (PROBE_PREFIX, stamp(9 * 60)), handler_type=PROBE_TYPE)
    not_a_probe = client.seed("%s notes" % PROBE_PREFIX, handler_type=PROBE_TYPE)
    handler_id = client.seed("Ops")
    converge(client, webhook(url=HOOK2))
    probe_id = 6
    create = client.calls[1]
    assert is_probe_create(create)
    assert create[1]["name"].startswith("%s %s " % (PROBE_PREFIX, stamp(0)))
    deletes = [call[1] for call in client.calls if call[0] == "delete_handler"]
    assert sorted(deletes[:3]) == sorted([probe_id, stale, stale_unupdated])
    assert fresh in client.stored and not_a_probe in client.stored
    assert stale not in client.stored and stale_unupdated not in client.stored
    assert handler_id not in client.stored  # replaced (this server mangles updates)


def test_the_probe_learns_that_updates_are_mangled_from_the_type_it_reads_back():
    client = FakeClient(mangles_updates=True)
    client.seed("Ops")
    state = new_state(client, update_strategy="update")
    with pytest.raises(HandlerStateFailure) as failure:
        state.present(webhook(url=HOOK2), client.handler(1))
    assert "type None instead of 'internal_notification'" in str(failure.value)
    assert state.faithful_updates is False


# The lowest id wins (rule 11).

def test_a_racing_create_with_a_lower_id_wins_and_this_run_deletes_its_own():
    client = FakeClient()
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
    client = FakeClient()
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
    client = FakeClient()
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
    client = FakeClient(mangles_updates=True)
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


def test_a_replace_that_renames_does_not_take_an_older_handler_of_that_name_for_a_racing_run():
    """A handler older than the one being replaced was not created by a racing run (ids only grow, rule 11).

    Handler 3, managed by id, is renamed to the name of the older handler 1: two handlers share a name afterwards,
    as after an in-place rename, but handler 1 is left alone and handler 3 is replaced, not deleted.
    """
    client = FakeClient(mangles_updates=True)
    older = client.seed("Backup", settings={"webhook": HOOK2})
    client.seed("Other")
    managed = client.seed("Ops")
    result, _state = converge(client, webhook("Backup"), handler_id=managed, update_strategy="recreate")
    assert older in client.stored, "the older handler named 'Backup' was deleted"
    assert client.handler(older)["settings"] == {"webhook": HOOK2}
    assert ("delete_handler", older) not in client.calls and not [call for call in client.calls if call[1:2] == (older,)]
    assert managed not in client.stored
    assert result["notification_handler"]["id"] == 4
    assert client.handler(4)["name"] == "Backup" and client.handler(4)["settings"] == {"webhook": HOOK}


# Email handlers waiting for confirmation (rule 8).

@pytest.mark.parametrize("check_mode", [False, True])
def test_an_email_handler_pending_confirmation_cannot_be_disabled(check_mode):
    client = FakeClient(email_confirmation=True)
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
    client = FakeClient(email_confirmation=True)
    handler_id = client.seed("Mail", handler_type="email", settings={"email": EMAIL}, is_enabled=1)
    result, _state = converge(client, wanted_handler("Mail", "email", False, {"email": EMAIL}))
    assert client.calls[5:] == [("update_handler", handler_id, {"is_enabled": False, "email": EMAIL}), ("get_handler", handler_id)]
    assert result["notification_handler"]["enabled"] is False


def test_a_new_disabled_email_handler_converges_once_its_owner_confirms():
    """The server keeps a new email handler pending (rules 7 and 8); the failure asks the owner to confirm, then to run again.

    That advice must work: after the owner confirms, the next run converges.
    """
    client = FakeClient(email_confirmation=True)
    wanted = wanted_handler("Mail", "email", False, {"email": EMAIL})
    with pytest.raises(HandlerStateFailure) as failure:
        converge(client, wanted)
    assert "confirm" in str(failure.value) and "bug" not in str(failure.value).lower()
    assert "It was kept" in str(failure.value) and len(client.stored) == 1, "the handler the owner must confirm was deleted"
    for handler_id in list(client.stored):
        client.confirm(handler_id)
    result, _state = converge(client, wanted)
    assert result["notification_handler"]["enabled"] is False


# Absent.

def test_absent_deletes_the_handler_and_absent_of_nothing_does_nothing():
    client = FakeClient()
    handler_id = client.seed("Ops")
    state = new_state(client)
    result = state.absent(client.handler(handler_id))
    assert result["changed"] is True and result["diff"]["after"] == {} and result["diff"]["before"]["name"] == "Ops"
    assert client.calls == [("delete_handler", handler_id)]
    assert state.absent(None)["changed"] is False
    assert client.calls == [("delete_handler", handler_id)]


# Check mode.

def seeded(mangles_updates):
    client = FakeClient(mangles_updates=mangles_updates)
    client.seed("Ops")
    client.seed("Mail", handler_type="email", settings={"email": EMAIL})
    return client


CHECK_CASES = [
    pytest.param(False, "auto", lambda: webhook("New"), id="create"),
    pytest.param(False, "auto", lambda: webhook("New", enabled=False), id="create disabled"),
    pytest.param(False, "auto", lambda: webhook(url=HOOK2), id="update faithful"),
    pytest.param(False, "update", lambda: webhook(enabled=False), id="disable faithful"),
    pytest.param(True, "auto", lambda: webhook(url=HOOK2), id="replace mangled"),
    pytest.param(True, "recreate", lambda: wanted_handler("Mail", "email", None, {"email": "other@example.com"}), id="recreate"),
    pytest.param(True, "auto", webhook, id="unchanged"),
]


@pytest.mark.parametrize("mangles_updates,update_strategy,wanted", CHECK_CASES)
def test_check_mode_writes_nothing_probes_nothing_and_predicts_the_real_run(mangles_updates, update_strategy, wanted):
    checked = seeded(mangles_updates)
    predicted, check_state = converge(checked, wanted(), check_mode=True, update_strategy=update_strategy)
    assert checked.writes() == []
    assert [call[0] for call in checked.calls] == ["find_by_name"]
    assert check_state.failure_details() == ("", False)
    real = seeded(mangles_updates)
    result, _state = converge(real, wanted(), update_strategy=update_strategy)
    assert (predicted["changed"], predicted["diff"]) == (result["changed"], result["diff"])
    assert HOOK2 not in repr(predicted)


def test_check_mode_absent_writes_nothing():
    client = FakeClient()
    handler_id = client.seed("Ops")
    result = new_state(client, check_mode=True).absent(client.handler(handler_id))
    assert result["changed"] is True
    assert client.calls == [] and handler_id in client.stored


# run(): what the module reports.

class ModuleExit(Exception):
    pass


class FakeModule:
    def __init__(self, client, check_mode=False, diff=True, **params):
        self.client = client
        self.salt = SALT
        self.check_mode = check_mode
        self._diff = diff
        self.params = dict(id=None, name=None, type=None, enabled=None, state="present", update_strategy="auto")
        self.params.update(params)
        self.warned = []
        self.exited = None
        self.failed = None

    def settings_params(self):
        return dict((key, self.params.get(key)) for key in ("email", "webhook"))

    def warn(self, warning):
        self.warned.append(warning)

    def exit_json(self, **result):
        self.exited = result
        raise ModuleExit()

    def fail_json(self, **result):
        self.failed = result
        raise ModuleExit()


def test_run_fails_with_changed_and_what_was_written_after_a_write():
    client = FakeClient(mangles_updates=True)
    old_id = client.seed("Ops")
    client.fail("delete_handler", 500, when=lambda handler_id: handler_id == old_id)
    module = FakeModule(client, name="Ops", type="webhook", webhook=HOOK2)
    with pytest.raises(ModuleExit):
        run(module)
    assert module.exited is None
    assert module.failed["changed"] is True
    assert "Before this failure, the task created handler 3 ('Ops')." in module.failed["msg"]
    assert "refused by the fake" in module.failed["msg"]  # the server's words
    assert HOOK2 not in repr(module.failed)


def test_run_passes_the_replace_warning_on_and_drops_the_diff_without_diff_mode():
    client = FakeClient(mangles_updates=True)
    client.seed("Ops")
    module = FakeModule(client, diff=False, name="Ops", type="webhook", webhook=HOOK2)
    with pytest.raises(ModuleExit):
        run(module)
    assert module.failed is None
    assert module.exited["changed"] is True and "diff" not in module.exited
    assert module.exited["notification_handler"]["id"] == 3
    assert len(module.warned) == 1 and "from 1 to 3" in module.warned[0]


def test_run_passes_the_warnings_on_when_it_fails():
    client = FakeClient(mangles_updates=True)
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
    client = FakeClient()
    client.seed("Ops")
    client.fail("create_handler", 401, when=lambda form: form["type"] == PROBE_TYPE)
    module = FakeModule(client, name="Ops", type="webhook", webhook=HOOK2)
    with pytest.raises(ModuleExit):
        run(module)
    assert module.failed["changed"] is False
    assert "Before this failure" not in module.failed["msg"]
