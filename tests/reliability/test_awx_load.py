"""AWX load: 20 jobs at once on one account, each converging three handlers of its own and one that all of them share,
as an AWX cluster runs scheduled jobs (issue 23, part 4).

The simulator runs 66pusher 18 (every change of a handler is a replacement: create, verify, delete the old) with the
API's rate limit of 60 requests per window, the window shortened from 60 to WINDOW seconds so that the test takes
minutes, not tens of minutes; rate_limit_timeout is the default scaled the same way. First the jobs create their
handlers, then they change every one of them. Every job must succeed, and no name may be held twice. Each phase's time
and its ratio to the limit's floor (the requests the server served, at 60 a window) are printed, not asserted.
"""

from tests.integration.runner import CANARIES
from tests.reliability.awx_cluster import LIMIT, PHASES, PROFILE, floor, run_cluster
from tests.reliability.harness import run_checked_playbook

JOBS = 20
WINDOW = 20  # seconds for the API's 60 requests


def assert_phase(phase, results, log, stored):
    failed = ["job %d: %s" % (job, (result or {}).get("msg")) for job, result in enumerate(results) if not result or result.get("failed")]
    assert failed == [], "%s: %d of %d jobs failed: %s" % (phase, len(failed), JOBS, failed)
    names = [handler["name"] for handler in stored]
    twice = sorted(set(name for name in names if names.count(name) > 1))
    assert twice == [], "%s: names held twice: %s" % (phase, twice)
    assert len(names) == 3 * JOBS + 1, "%s: %d handlers, not %d" % (phase, len(names), 3 * JOBS + 1)
    version = "/v%d" % (PHASES.index(phase) + 1)
    assert all(handler["settings"]["webhook"].endswith(version) for handler in stored), "%s: a handler is not at %s: %s" % (
        phase, version, [handler["name"] for handler in stored if not handler["settings"]["webhook"].endswith(version)])


def test_twenty_jobs_at_once_all_succeed_and_leave_each_name_once(simulator, ledger, tmp_path):
    simulator.reset(PROFILE, keys={CANARIES["api_key"]: 1}, switches={"rate_limit": LIMIT, "rate_window": WINDOW})
    jobs, phases = run_cluster(lambda variables: run_checked_playbook(ledger, "awx_job.yml", simulator, profile=PROFILE, extra_vars=variables),
                               simulator, tmp_path, JOBS, WINDOW)
    for number, (phase, (seconds, log, stored)) in enumerate(zip(PHASES, phases)):
        results = [(job_results or [])[number] if job_results and len(job_results) > number else None for _run, job_results in jobs]
        ledger.check("concurrency", "20 AWX jobs at once, %s: all succeed, each name once" % phase,
                     assert_phase, phase, results, log, stored)
        # The time is reported, never asserted (a timing in a test fails on a loaded machine, not on slow code): the ratio
        # to the floor, the requests served at 60 a window, is the figure to read where the limit sets the pace; make
        # bench's row "AWX cluster" holds it to its target.
        served = sum(1 for entry in log if entry["status"] != 429)
        print("%s: %d jobs in %.0f s, %d requests served, %d answered 429, %.2f times the floor of %d s" % (
            phase, JOBS, seconds, served, sum(1 for entry in log if entry["status"] == 429), seconds / floor(served, WINDOW),
            floor(served, WINDOW)))
    assert all(run.rc == 0 for run, _results in jobs), [str(run) for run, _results in jobs if run.rc != 0][:1]
    ledger.assert_all_passed()
