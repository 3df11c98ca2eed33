"""The live test of a real account (playbooks/live.yml, tests/integration/live.py), against the simulator: the `live`
target runs this file, so that the live test cannot rot while no account is at hand.

- The playbook passes in every profile that models a server version, with the checks of every target (no canary
  secret in its output, its junit records or its log) and each step held to its request budget (tasks/live_count.yml).
- live.py, the entry point of make live, against the simulator as a stand-in for an account (the pusher-18 profile):
  it says "not run" without credentials; it refuses to start beside the handlers of an earlier run, before any write;
  --remove-leftovers removes exactly those; and beside a handler of someone else, it leaves purge out and that handler
  untouched.
"""

import pytest

from tests.integration import live, target

STAND_IN = "pusher-18"  # the version the stand-in account runs
LEFTOVER = "dmpilot.cloud live 20260101T000000Z 0badf00d webhook"
# Someone else's handlers, which neither --remove-leftovers nor purge may touch: a name that starts like a run's handler's,
# and one that starts like a throwaway handler's but is not one (issue 23, point 11).
SOMEONE_ELSES = "dmpilot.cloud live alerts (prod on-call)"
NOT_A_THROWAWAY = "dmpilot.cloud update probe notes"


@pytest.mark.parametrize("profile", list(target.VERSION_PROFILES))
def test_the_live_playbook_passes_in_each_profile(simulator, profile):
    assert target.run_profile(simulator, "live.yml", profile, {}, verbose=0)


def run_live(simulator, monkeypatch, capsys, *arguments):
    """live.py against the simulator, with its API key in the environment: (exit status, what it printed)."""
    monkeypatch.setenv("DMPILOT_API_URL", simulator.api_url)
    monkeypatch.setenv("DMPILOT_API_KEY", "test-key")
    simulator.clear_log()
    status = live.main(list(arguments))
    return status, capsys.readouterr().out


def writes(simulator):
    return [(entry["method"], entry["path"]) for entry in simulator.log() if entry["method"] != "GET"]


def test_without_credentials_it_says_not_run_and_runs_nothing(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("DMPILOT_API_URL", raising=False)
    monkeypatch.delenv("DMPILOT_API_KEY", raising=False)
    assert live.main(["--config", str(tmp_path / "integration_config.yml")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "live: not run: set DMPILOT_API_URL and DMPILOT_API_KEY (or fill in tests/integration/integration_config.yml from its .template)"]


def test_half_given_credentials_are_a_mistake(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("DMPILOT_API_URL", raising=False)
    monkeypatch.setenv("DMPILOT_API_KEY", "test-key")
    assert live.main([]) == 2
    assert capsys.readouterr().out == "live: not run: DMPILOT_API_KEY is set but DMPILOT_API_URL is not: set both\n"
    monkeypatch.delenv("DMPILOT_API_KEY")
    config = tmp_path / "integration_config.yml"
    config.write_text(live.TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")  # copied, the key not filled in
    assert live.main(["--config", str(config)]) == 2
    assert capsys.readouterr().out == "live: not run: %s sets dmpilot_api_url but not dmpilot_api_key\n" % config


def test_it_refuses_to_start_beside_the_handlers_of_an_earlier_run(simulator, monkeypatch, capsys):
    simulator.reset(STAND_IN)
    [leftover] = simulator.seed(handlers=[{"name": LEFTOVER, "type": "internal_notification"}])
    status, printed = run_live(simulator, monkeypatch, capsys)
    assert status == 1, printed
    printed = printed.replace("\n", " ")
    assert "Not started: the account holds 1 handler(s) named as a run names its own ('dmpilot.cloud live STAMP TAG TYPE')" in printed
    assert "or one running now), by id: {%d: '%s'}." % (leftover, LEFTOVER) in printed
    assert "LIVE_ARGS=--remove-leftovers" in printed
    assert writes(simulator) == []
    assert [handler["name"] for handler in simulator.handlers()] == [LEFTOVER]


def test_asked_it_removes_the_leftovers_and_beside_someone_elses_handler_it_leaves_purge_out(simulator, monkeypatch, capsys):
    simulator.reset(STAND_IN)
    [leftover, kept, other] = simulator.seed(handlers=[{"name": LEFTOVER, "type": "internal_notification"},
                                                       {"name": SOMEONE_ELSES, "type": "email", "settings": {"email": "ops@example.com"}},
                                                       {"name": NOT_A_THROWAWAY, "type": "internal_notification"}])
    status, printed = run_live(simulator, monkeypatch, capsys, "--remove-leftovers")
    assert status == 0, printed
    assert "Removed the handlers of another run, by id: {%d: '%s'}" % (leftover, LEFTOVER) in printed
    assert "purge not run: the account holds 2 handler(s) that are not this run's" in printed.replace("\n", " ")
    assert ("DELETE", "/api/notification-handlers/%d" % leftover) in writes(simulator)
    assert [(handler["id"], handler["name"], handler["settings"]) for handler in simulator.handlers()] == [
        (kept, SOMEONE_ELSES, {"email": "ops@example.com"}), (other, NOT_A_THROWAWAY, {})]
    assert [path for _method, path in writes(simulator) if path.endswith(("/%d" % kept, "/%d" % other))] == []
    assert "test-key" not in printed
