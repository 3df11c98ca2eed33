"""The notification_handlers role: idempotency, and purge with and without check mode.

Provisioning over 20 hosts with forks 10 is a rule of the reliability suite (tests/reliability/test_concurrency.py).

Each step is a real ansible-playbook run at -vvv --diff; its PLAY RECAP and the simulator's state and request
log say what happened, and no canary secret may appear in its output.
"""

import re

import pytest

from tests.integration.runner import CANARIES, CHANGED_CANARIES, REPO, one_of_every_type, run_playbook

CONVERGE = REPO / "tests" / "integration" / "role" / "converge.yml"
HANDLERS = "/api/notification-handlers"
LIST_REQUEST = ("GET", HANDLERS + "/")
CREATE_REQUEST = ("POST", HANDLERS)
# Every list is asked in id order, 1,000 handlers a page (rule 14).
LIST_ORDER = {"order_by": "notification_handler_id", "order_type": "ASC", "results_per_page": "1000"}
PROBE_PREFIX = "dmpilot.cloud update probe"

EVERY_TYPE = one_of_every_type("Role")


def request_of(entry):
    """(method, path) of a logged request; a list searched by name reads (GET, ".../?search=<text>")."""
    search = entry["query"].get("search")
    return entry["method"], entry["path"] + ("?search=" + search if search is not None else "")


def check_list_queries(log):
    for entry in log:
        if (entry["method"], entry["path"]) == LIST_REQUEST:
            query = dict(entry["query"])
            assert re.fullmatch(r"[1-9][0-9]*", query.pop("page")), entry
            if "search" in query:
                assert query.pop("search_by") == "name", entry
                query.pop("search")
            assert query == LIST_ORDER, entry


def converge(simulator, profile, handlers, purge=False, options=()):
    """Run the role; answer the run, the (method, path) of each request and their form field names."""
    simulator.clear_log()
    run = run_playbook(CONVERGE, simulator, profile, options=options, extra_vars={"wanted_handlers": handlers, "purge": purge})
    assert run.rc == 0, str(run)
    assert run.leaked_secrets() == [], str(run)
    log = simulator.log()
    check_list_queries(log)
    return run, [request_of(entry) for entry in log], [entry["form_keys"] for entry in log]


def probe_at(requests, forms, start, handler_ids):
    """The four requests of the update probe, expected at requests[start:]: its throwaway handler is created with a name and
    a type, renamed, read back with a search and deleted. Its id is not known in advance, and is none of handler_ids."""
    method, path = requests[start + 1]
    match = re.fullmatch(re.escape(HANDLERS) + r"/([0-9]+)", path)
    assert method == "POST" and match, requests
    probe_id = int(match.group(1))
    assert probe_id not in handler_ids
    assert sorted(forms[start]) == ["name", "type"] and forms[start + 1] == ["name"], forms
    return [CREATE_REQUEST, ("POST", "%s/%d" % (HANDLERS, probe_id)), ("GET", HANDLERS + "/?search=" + PROBE_PREFIX),
            ("DELETE", "%s/%d" % (HANDLERS, probe_id))]


def reset(simulator, profile):
    simulator.reset(profile, keys={CANARIES["api_key"]: 1})


def stored(simulator):
    return dict((handler["name"], handler) for handler in simulator.handlers())


@pytest.mark.parametrize("profile", ["documented", "realistic"])
def test_the_role_converges_then_costs_one_request(simulator, profile):
    reset(simulator, profile)
    first, requests, forms = converge(simulator, profile, EVERY_TYPE)
    assert first.changed() > 0
    handlers = stored(simulator)
    assert sorted(handlers) == sorted(item["name"] for item in EVERY_TYPE)
    assert handlers["Role slack"]["is_enabled"] == 0
    assert handlers["Role telegram"]["settings"]["telegram"] == CANARIES["telegram"]
    slack_id = handlers["Role slack"]["id"]
    # One list; the probe, since a disabled handler is created, then disabled; the creates in the list's order, the slack one
    # disabled right after its create; one list reads every new handler back.
    creates = [CREATE_REQUEST] * 9
    creates.insert([item["type"] for item in EVERY_TYPE].index("slack") + 1, ("POST", "%s/%d" % (HANDLERS, slack_id)))
    assert requests == [LIST_REQUEST] + probe_at(requests, forms, 1, [handler["id"] for handler in handlers.values()]) + creates + [LIST_REQUEST]
    assert forms[requests.index(("POST", "%s/%d" % (HANDLERS, slack_id)))] == ["is_enabled"]
    assert not any(name.startswith(PROBE_PREFIX) for name in stored(simulator))

    second, requests, _forms = converge(simulator, profile, EVERY_TYPE)
    assert second.changed() == 0, str(second)
    assert requests == [LIST_REQUEST]

    rotated = [dict(item, slack=CHANGED_CANARIES["slack"]) if item["type"] == "slack" else item for item in EVERY_TYPE]
    third, requests, forms = converge(simulator, profile, rotated)
    assert third.changed() == 1
    # The list holds every handler, so no handler is read again before the write: the probe, then only the changed field
    # of the one handler that differs, then one list reads it back.
    assert requests == ([LIST_REQUEST] + probe_at(requests, forms, 1, [handler["id"] for handler in handlers.values()])
                        + [("POST", "%s/%d" % (HANDLERS, slack_id)), LIST_REQUEST])
    assert forms[5] == ["slack"]
    after = stored(simulator)
    assert after["Role slack"]["settings"]["slack"] == CHANGED_CANARIES["slack"]
    assert after["Role slack"]["id"] == slack_id
    assert sorted(after) == sorted(handlers)


@pytest.mark.parametrize("profile", ["documented", "realistic"])
def test_purge_previews_in_check_mode_then_deletes(simulator, profile):
    reset(simulator, profile)
    kept = EVERY_TYPE[:2]
    converge(simulator, profile, kept)
    simulator.seed(handlers=[{"name": "Stray one", "type": "email", "settings": {"email": "a@example.com"}, "api_key": CANARIES["api_key"]},
                             {"name": "Stray two", "type": "slack", "settings": {"slack": CANARIES["slack"]}, "api_key": CANARIES["api_key"]}])
    before = stored(simulator)

    preview, requests, _forms = converge(simulator, profile, kept, purge=True, options=["--check"])
    assert requests == [LIST_REQUEST]
    assert stored(simulator) == before
    assert "Stray one (id %d)" % before["Stray one"]["id"] in preview.output
    assert "Stray two (id %d)" % before["Stray two"]["id"] in preview.output
    assert preview.changed() == 1, "one task, the list module, reports the two deletes as one change"

    purged, requests, _forms = converge(simulator, profile, kept, purge=True)
    assert sorted(stored(simulator)) == sorted(item["name"] for item in kept)
    # Deletes need no probe and no read back.
    assert requests == [LIST_REQUEST] + [("DELETE", "%s/%d" % (HANDLERS, before[name]["id"])) for name in ("Stray one", "Stray two")]
    assert purged.changed() == 1

    again, requests, _forms = converge(simulator, profile, kept, purge=True)
    assert again.changed() == 0 and requests == [LIST_REQUEST]
