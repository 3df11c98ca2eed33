"""Concurrency: the role over a fleet of hosts, and two playbooks that create the same handler at the same moment."""

import concurrent.futures
import time

from tests.integration.runner import CANARIES, REPO, one_of_every_type
from tests.reliability.harness import run_checked_playbook

FLEET = str(REPO / "tests" / "reliability" / "inventory" / "fleet.yml")
FLEET_HOSTS = ["node%02d" % number for number in range(1, 21)]
LIST = ("GET", "/api/notification-handlers/")
CREATE = ("POST", "/api/notification-handlers")
EVERY_TYPE = one_of_every_type("Fleet")
RACED = {"name": "Raced", "type": "slack", "slack": CANARIES["slack"]}
# Each create is stored this long after it arrives, so that both playbooks list before either create is stored
# (they leave the barrier within a second of each other: it is polled each second).
CREATE_DELAY = 2.5


def requests_of(log):
    return [(entry["method"], entry["path"]) for entry in log]


def converge_fleet(simulator, ledger):
    simulator.clear_log()
    run, _current = run_checked_playbook(ledger, "fleet.yml", simulator, inventory=FLEET, options=["--forks", "10"],
                                         extra_vars={"wanted_handlers": EVERY_TYPE})
    return run, requests_of(simulator.log())


def assert_fleet_converged(run, requests, stored_names):
    assert run.rc == 0, str(run)
    recap = run.recap()
    assert [host for host in FLEET_HOSTS if recap.get(host, {}).get("failed", 1) != 0] == [], "hosts failed or missing: %s" % recap
    assert sorted(stored_names) == sorted(item["name"] for item in EVERY_TYPE), "stored: %s" % stored_names
    assert requests.count(CREATE) == len(EVERY_TYPE), "%d creates for %d handlers" % (requests.count(CREATE), len(EVERY_TYPE))


def assert_fleet_unchanged(run, requests):
    assert run.rc == 0, str(run)
    changed = dict((host, counts["changed"]) for host, counts in run.recap().items() if host in FLEET_HOSTS and counts["changed"])
    assert changed == {}, str(run)
    assert requests == [LIST], requests


def test_the_role_over_20_hosts_with_10_forks_creates_each_handler_once(simulator, ledger):
    simulator.reset("realistic", keys={CANARIES["api_key"]: 1})
    run, requests = converge_fleet(simulator, ledger)
    stored_names = [handler["name"] for handler in simulator.handlers()]
    ledger.check("concurrency", "the role over 20 hosts, forks 10: each handler created once", assert_fleet_converged, run, requests, stored_names)
    again, requests = converge_fleet(simulator, ledger)
    ledger.check("concurrency", "the role over 20 hosts, forks 10, again: one read, no change", assert_fleet_unchanged, again, requests)
    ledger.assert_all_passed()


def wait_for_files(paths, futures, timeout=120):
    """Wait until each playbook has reached the barrier (or one of them has ended early)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(path.exists() for path in paths) or any(future.done() for future in futures):
            return
        time.sleep(0.05)
    raise AssertionError("the playbooks did not reach the barrier within %d seconds" % timeout)


def race(simulator, ledger, workdir):
    """Run race.yml twice at once; both create the handler after the same barrier. Answer both results."""
    go_file = workdir / "go"
    ready_files = [workdir / ("ready-%d" % number) for number in (1, 2)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run_checked_playbook, ledger, "race.yml", simulator,
                               extra_vars={"raced_handler": RACED, "ready_file": str(ready_file), "go_file": str(go_file)})
                   for ready_file in ready_files]
        wait_for_files(ready_files, futures)
        go_file.write_text("go", encoding="utf-8")
        return [future.result() for future in futures]


def assert_duplicate_reported(racers, stored_ids, next_run, next_result, next_requests):
    for run, _result in racers:
        assert run.rc == 0, str(run)
    assert len(stored_ids) == 2, "the race did not happen (stored ids %s), so the test proves nothing" % stored_ids
    message = next_result.get("msg") or ""
    assert next_run.rc == 0 and next_result.get("failed"), "the next run did not fail: %s" % next_result
    assert "2 notification handlers are named 'Raced'" in message, message
    assert all(str(handler_id) in message for handler_id in stored_ids), "the message does not give both ids %s: %s" % (stored_ids, message)
    assert [request for request in next_requests if request[0] != "GET"] == [], "the next run wrote: %s" % next_requests


def test_two_playbooks_creating_one_handler_at_once_leave_no_unnoticed_duplicate(simulator, ledger, tmp_path):
    simulator.reset("realistic", keys={CANARIES["api_key"]: 1})
    simulator.fault(method="POST", path=CREATE[1], match="exact", delay=CREATE_DELAY, times=2)
    racers = race(simulator, ledger, tmp_path)
    stored_ids = [handler["id"] for handler in simulator.handlers() if handler["name"] == RACED["name"]]
    simulator.clear_log()
    next_run, next_result = run_checked_playbook(ledger, "race.yml", simulator, extra_vars={"raced_handler": RACED})
    ledger.check("concurrency", "two playbooks create one handler at once: the next run reports both ids", assert_duplicate_reported,
                 racers, stored_ids, next_run, next_result, requests_of(simulator.log()))
    ledger.assert_all_passed()
