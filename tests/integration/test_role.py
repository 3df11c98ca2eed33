"""The notification_handlers role: idempotency, and purge with and without check mode.

Provisioning over 20 hosts with forks 10 is a rule of the reliability suite (tests/reliability/test_concurrency.py).

Each step is a real ansible-playbook run at -vvv --diff; its PLAY RECAP and the simulator's state and request
log say what happened, and no canary secret may appear in its output.
"""

import pytest

from tests.integration.runner import CANARIES, CHANGED_CANARIES, REPO, one_of_every_type, run_playbook

CONVERGE = REPO / "tests" / "integration" / "role" / "converge.yml"
LIST_REQUEST = ("GET", "/api/notification-handlers/")

EVERY_TYPE = one_of_every_type("Role")


def converge(simulator, profile, handlers, purge=False, options=()):
    simulator.clear_log()
    run = run_playbook(CONVERGE, simulator, profile, options=options, extra_vars={"wanted_handlers": handlers, "purge": purge})
    assert run.rc == 0, str(run)
    assert run.leaked_secrets() == [], str(run)
    return run, [(entry["method"], entry["path"]) for entry in simulator.log()]


def reset(simulator, profile):
    simulator.reset(profile, keys={CANARIES["api_key"]: 1})


def stored(simulator):
    return dict((handler["name"], handler) for handler in simulator.handlers())


@pytest.mark.parametrize("profile", ["documented", "realistic"])
def test_the_role_converges_then_costs_one_request(simulator, profile):
    reset(simulator, profile)
    first, _requests = converge(simulator, profile, EVERY_TYPE)
    assert first.changed() > 0
    handlers = stored(simulator)
    assert sorted(handlers) == sorted(item["name"] for item in EVERY_TYPE)
    assert handlers["Role slack"]["is_enabled"] == 0
    assert handlers["Role telegram"]["settings"]["telegram"] == CANARIES["telegram"]

    second, requests = converge(simulator, profile, EVERY_TYPE)
    assert second.changed() == 0, str(second)
    assert requests == [LIST_REQUEST]

    rotated = [dict(item, slack=CHANGED_CANARIES["slack"]) if item["type"] == "slack" else item for item in EVERY_TYPE]
    third, requests = converge(simulator, profile, rotated)
    slack_id = handlers["Role slack"]["id"]
    assert third.changed() == 1
    # The role knows the handler's id, so the module reads it by id rather than listing every handler again.
    assert requests == [LIST_REQUEST, ("GET", "/api/notification-handlers/%d" % slack_id), ("POST", "/api/notification-handlers/%d" % slack_id),
                        ("GET", "/api/notification-handlers/%d" % slack_id)]
    assert stored(simulator)["Role slack"]["settings"]["slack"] == CHANGED_CANARIES["slack"]


@pytest.mark.parametrize("profile", ["documented", "realistic"])
def test_purge_previews_in_check_mode_then_deletes(simulator, profile):
    reset(simulator, profile)
    kept = EVERY_TYPE[:2]
    converge(simulator, profile, kept)
    simulator.seed(handlers=[{"name": "Stray one", "type": "email", "settings": {"email": "a@example.com"}, "api_key": CANARIES["api_key"]},
                             {"name": "Stray two", "type": "slack", "settings": {"slack": CANARIES["slack"]}, "api_key": CANARIES["api_key"]}])
    before = stored(simulator)

    preview, requests = converge(simulator, profile, kept, purge=True, options=["--check"])
    assert all(method == "GET" for method, _path in requests)
    assert stored(simulator) == before
    assert "Stray one (id %d)" % before["Stray one"]["id"] in preview.output
    assert "Stray two (id %d)" % before["Stray two"]["id"] in preview.output
    assert preview.changed() == 1, "one task, the purge loop, reports its two items as changed"

    purged, requests = converge(simulator, profile, kept, purge=True)
    assert sorted(stored(simulator)) == sorted(item["name"] for item in kept)
    assert sorted(path for method, path in requests if method == "DELETE") == sorted(
        "/api/notification-handlers/%d" % before[name]["id"] for name in ("Stray one", "Stray two"))
    assert purged.changed() == 1

    again, requests = converge(simulator, profile, kept, purge=True)
    assert again.changed() == 0 and requests == [LIST_REQUEST]
