"""Concurrency: the role over a fleet of hosts, under the linear and the free strategy, and two playbooks that create the
same handler at the same moment."""

import concurrent.futures
import time

import pytest

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


PROBE_PREFIX = "dmpilot.cloud update probe"


def requests_of(log):
    return [(entry["method"], entry["path"]) for entry in log]


def handler_creates(log):
    """The creates of real handlers: the update probe's throwaway handler is not one."""
    return [entry for entry in log if (entry["method"], entry["path"]) == CREATE and not entry["form"].get("name", "").startswith(PROBE_PREFIX)]


def whole_lists(log):
    """The reads of the whole list: the update probe's search for its throwaway handler is not one."""
    return [entry for entry in log if (entry["method"], entry["path"]) == LIST and "search" not in entry["query"]]


def converge_fleet(simulator, ledger, strategy="linear"):
    """Run the role over the fleet with 10 forks; answer the run, the simulator's log, and each host's registered result."""
    simulator.clear_log()
    run, results = run_checked_playbook(ledger, "fleet.yml", simulator, inventory=FLEET, options=["--forks", "10"],
                                        extra_vars={"wanted_handlers": EVERY_TYPE, "fleet_strategy": strategy})
    return run, simulator.log(), results or {}


def assert_fleet_converged(run, log, stored_names, list_reads=2):
    """Every host ok, each handler created once, and the list read list_reads times: by default once, and once more to
    verify the creates, as the role's one task runs once."""
    assert run.rc == 0, str(run)
    recap = run.recap()
    assert [host for host in FLEET_HOSTS if recap.get(host, {}).get("failed", 1) != 0] == [], "hosts failed or missing: %s" % recap
    assert sorted(stored_names) == sorted(item["name"] for item in EVERY_TYPE), "stored: %s" % stored_names
    creates = len(handler_creates(log))
    assert creates == len(EVERY_TYPE), "%d creates for %d handlers" % (creates, len(EVERY_TYPE))
    lists = len(whole_lists(log))
    assert lists == list_reads, "%d reads of the whole list, not %d" % (lists, list_reads)


def assert_fleet_unchanged(run, log):
    assert run.rc == 0, str(run)
    changed = dict((host, counts["changed"]) for host, counts in run.recap().items() if host in FLEET_HOSTS and counts["changed"])
    assert changed == {}, str(run)
    assert requests_of(log) == [LIST], requests_of(log)


def test_the_role_over_20_hosts_with_10_forks_creates_each_handler_once(simulator, ledger):
    simulator.reset("realistic", keys={CANARIES["api_key"]: 1})
    run, log, _results = converge_fleet(simulator, ledger)
    stored_names = [handler["name"] for handler in simulator.handlers()]
    ledger.check("concurrency", "the role over 20 hosts, forks 10: each handler created once", assert_fleet_converged, run, log, stored_names)
    again, log, _results = converge_fleet(simulator, ledger)
    ledger.check("concurrency", "the role over 20 hosts, forks 10, again: one read, no change", assert_fleet_unchanged, again, log)
    ledger.assert_all_passed()


def assert_free_fleet_converged(run, log, stored_names):
    """Under the free strategy, which ignores run_once, each host runs the role's task, one after another (throttle 1):
    the first converges the list, and each of the others reads it once and changes nothing."""
    # The first host reads the list and reads it back after its creates; the 19 others read it once each.
    assert_fleet_converged(run, log, stored_names, list_reads=2 + len(FLEET_HOSTS) - 1)
    assert "Using run_once with the free strategy is not currently supported" in run.output, "the play did not run under the free strategy"
    changed = sorted(host for host, counts in run.recap().items() if host in FLEET_HOSTS and counts["changed"])
    assert len(changed) == 1, "hosts that report a change: %s" % changed


def assert_free_fleet_unchanged(run, log):
    assert run.rc == 0, str(run)
    changed = dict((host, counts["changed"]) for host, counts in run.recap().items() if host in FLEET_HOSTS and counts["changed"])
    assert changed == {}, str(run)
    assert requests_of(log) == [LIST] * len(FLEET_HOSTS), requests_of(log)


def test_the_role_over_20_hosts_under_the_free_strategy_creates_each_handler_once(simulator, ledger):
    simulator.reset("realistic", keys={CANARIES["api_key"]: 1})
    run, log, _results = converge_fleet(simulator, ledger, strategy="free")
    stored_names = [handler["name"] for handler in simulator.handlers()]
    ledger.check("concurrency", "the role over 20 hosts, forks 10, free strategy: each handler created once", assert_free_fleet_converged,
                 run, log, stored_names)
    again, log, _results = converge_fleet(simulator, ledger, strategy="free")
    ledger.check("concurrency", "the role over 20 hosts, forks 10, free strategy, again: one read a host, no change", assert_free_fleet_unchanged,
                 again, log)
    ledger.assert_all_passed()


def wait_for_files(paths, futures, timeout=120):
    """Wait until each playbook has reached the barrier (or one of them has ended early)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(path.exists() for path in paths) or any(future.done() for future in futures):
            return
        time.sleep(0.05)
    raise AssertionError("the playbooks did not reach the barrier within %d seconds" % timeout)


def race(simulator, ledger, workdir, jobs=2, raced=None):
    """Run race.yml `jobs` times at once; all of them write after the same barrier. Answer every result.

    raced: the variables of what each job converges, by default {"raced_handler": RACED}.
    """
    go_file = workdir / "go"
    ready_files = [workdir / ("ready-%d" % number) for number in range(1, jobs + 1)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_checked_playbook, ledger, "race.yml", simulator,
                               extra_vars=dict(raced or {"raced_handler": RACED}, ready_file=str(ready_file), go_file=str(go_file)))
                   for ready_file in ready_files]
        wait_for_files(ready_files, futures)
        go_file.write_text("go", encoding="utf-8")
        return [future.result() for future in futures]


def assert_one_survives(racers, requests, stored_ids, next_result, next_requests):
    for run, result in racers:
        assert run.rc == 0 and not (result or {}).get("failed"), "a racer failed: %s" % (result or {}).get("msg")
    creates = [request for request in requests if request == CREATE]
    assert len(creates) == 2, "the race did not happen (%d creates), so the test proves nothing" % len(creates)
    assert len(stored_ids) == 1, "the race left %d handlers named %r (ids %s)" % (len(stored_ids), RACED["name"], stored_ids)
    deleted = [request for request in requests if request[0] == "DELETE"]
    assert deleted == [("DELETE", "/api/notification-handlers/%d" % (stored_ids[0] + 1))], "deletes: %s" % deleted
    warned = " ".join(" ".join((result or {}).get("warnings") or []) for _run, result in racers)
    assert "lowest id wins" in warned.lower(), "no racer warned about the race: %s" % warned
    assert not next_result.get("changed") and not next_result.get("failed"), "the next run: %s" % next_result
    assert next_requests == [LIST], "the next run sent %s" % next_requests


def test_two_playbooks_creating_one_handler_at_once_leave_one(simulator, ledger, tmp_path):
    simulator.reset("realistic", keys={CANARIES["api_key"]: 1})
    simulator.fault(method="POST", path=CREATE[1], match="exact", delay=CREATE_DELAY, times=2)
    racers = race(simulator, ledger, tmp_path)
    requests = requests_of(simulator.log())
    stored_ids = [handler["id"] for handler in simulator.handlers() if handler["name"] == RACED["name"]]
    simulator.clear_log()
    _next_run, next_result = run_checked_playbook(ledger, "race.yml", simulator, extra_vars={"raced_handler": RACED})
    ledger.check("concurrency", "two playbooks create one handler at once: the lowest id survives, alone", assert_one_survives,
                 racers, requests, stored_ids, next_result or {}, requests_of(simulator.log()))
    ledger.assert_all_passed()


# Issue 18, point 16: eight jobs converging one list at once, as an AWX cluster runs scheduled jobs. Each reads the
# account, maybe while two racing creates of one name both exist, a moment before the loser deletes its own.
JOBS = 8
JOB_LIST = tuple({"name": "awx-%02d" % number, "type": "webhook", "webhook": "https://hooks.example.com/awx/%02d" % number}
                 for number in range(1, 11))


def assert_jobs_converged(jobs, stored):
    failed = [(result or {}).get("msg") for _run, result in jobs if _run.rc != 0 or (result or {}).get("failed")]
    assert failed == [], "%d of %d jobs failed: %s" % (len(failed), len(jobs), failed)
    names = sorted(handler["name"] for handler in stored)
    assert names == sorted(item["name"] for item in JOB_LIST), "stored: %s" % names


def test_eight_jobs_converging_one_list_at_once_all_succeed_and_leave_one_of_each(simulator, ledger, tmp_path):
    simulator.reset("realistic", keys={CANARIES["api_key"]: 1}, switches={"b3_rate_limit": False})
    # Each create is stored after a short delay, so that the jobs' creates overlap and races happen.
    simulator.fault(method="POST", path=CREATE[1], match="exact", delay=0.3, times=None)
    jobs = race(simulator, ledger, tmp_path, jobs=JOBS, raced={"raced_list": list(JOB_LIST)})
    simulator.clear_faults()
    creates = len([request for request in requests_of(simulator.log()) if request == CREATE])
    ledger.check("concurrency", "8 jobs converge one list of 10 at once: all succeed, one handler of each name",
                 assert_jobs_converged, jobs, simulator.handlers())
    assert creates > len(JOB_LIST), "no create raced another (%d creates), so the test proves nothing" % creates
    ledger.assert_all_passed()


# A handler moved across a page boundary while the pages are read: 2,500 handlers make 3 pages of 1,000; while page 2
# is asked for, handler 5 of page 1 is deleted, so the first handler of page 2 moves to page 1, already read.
DRIFT_SEED = 2500
MOVED_ID = 1001
DRIFT_ORDERS = (("ascending", {}), ("descending, the list's order not honoured", {"b14_filters": False, "b14_default_order": "desc"}))


def assert_moved_handler_found(run, result, requests, stored):
    assert run.rc == 0 and not result.get("failed"), "it failed: %s" % result.get("msg")
    assert not result.get("changed"), "it changed something: %s" % result
    assert [request for request in requests if request[0] != "GET"] == [], "it wrote: %s" % requests
    assert len(stored) == DRIFT_SEED - 1, "%d handlers stored" % len(stored)
    pages = [request for request in requests if request[0] == "GET"]
    assert len(pages) > 3, "the list was not read again after it changed (%d reads)" % len(pages)


@pytest.mark.parametrize("order_name, switches", DRIFT_ORDERS, ids=[name for name, _switches in DRIFT_ORDERS])
def test_a_handler_moved_across_a_page_boundary_is_found(simulator, ledger, order_name, switches):
    # The documented profile has no search, so the module reads the whole list by pages to find the name.
    simulator.reset("documented", switches=switches, keys={CANARIES["api_key"]: 1})
    simulator.seed(count=DRIFT_SEED, api_key=CANARIES["api_key"])
    moved = simulator.handler(MOVED_ID if not switches else DRIFT_SEED - 1000)
    simulator.fault(method="GET", path=LIST[1], query={"page": "2"}, remove=[5 if not switches else DRIFT_SEED - 5])
    wanted = dict(moved["settings"], name=moved["name"], type=moved["type"])
    run, result = run_checked_playbook(ledger, "race.yml", simulator, profile="documented", extra_vars={"raced_handler": wanted})
    ledger.check("concurrency", "a handler moved across a page boundary (%s): found, nothing created" % order_name,
                 assert_moved_handler_found, run, result or {}, requests_of(simulator.log()), simulator.handlers())
    ledger.assert_all_passed()
