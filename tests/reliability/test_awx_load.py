"""AWX load: 20 jobs at once on one account, each converging three handlers of its own and one that all of them share,
as an AWX cluster runs scheduled jobs (issue 23, part 4).

The simulator runs 66pusher 18 (every change of a handler is a replacement: create, verify, delete the old) with the
API's rate limit of 60 requests per window, the window shortened from 60 to WINDOW seconds so that the test takes
minutes, not tens of minutes; rate_limit_timeout is the default scaled the same way. First the jobs create their
handlers, then they change every one of them. Every job must succeed, and no name may be held twice. Each phase's time
and its ratio to the limit's floor (the requests the server served, at 60 a window) are printed, not asserted.
"""

import concurrent.futures
import math
import time

from tests.integration.runner import CANARIES
from tests.reliability.harness import run_checked_playbook

JOBS = 20
WINDOW = 20  # seconds for the API's 60 requests
LIMIT = 60
DEFAULT_RATE_LIMIT_TIMEOUT = 300  # the modules' default, for a window of 60 seconds
SHARED = "awx shared"


def job_list(job, version):
    """The list one job converges: three handlers of its own and the shared one, at a version of their settings."""
    own = [{"name": "awx job %02d handler %d" % (job, number), "type": "webhook",
            "webhook": "https://hooks.example.com/awx/%02d/%d/v%d" % (job, number, version)} for number in range(1, 4)]
    return own + [{"name": SHARED, "type": "webhook", "webhook": "https://hooks.example.com/awx/shared/v%d" % version}]


PHASES = ("creating", "changing (a replacement each)")


def wait_for(paths, futures, what, timeout=600):
    """Wait until each job's path exists (paths[job]); fail at once where a job ended without it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(path.exists() for path in paths):
            return
        ended = [job for job, future in enumerate(futures) if future.done() and not paths[job].exists()]
        if ended:
            run, _results = futures[ended[0]].result()
            raise AssertionError("job %d ended before %s: %s" % (ended[0], what, run))
        time.sleep(0.1)
    raise AssertionError("the jobs did not reach %s within %d seconds" % (what, timeout))


def run_cluster(simulator, ledger, workdir):
    """Every job at once, as one ansible-playbook process each, through both phases; each phase starts for all of them
    at one barrier. Answer (the jobs' results, and per phase: seconds from go to the last job done, the request log)."""
    timeout = DEFAULT_RATE_LIMIT_TIMEOUT * WINDOW // 60
    phases = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
        futures = [pool.submit(run_checked_playbook, ledger, "awx_job.yml", simulator, profile="pusher-18",
                               extra_vars={"awx_lists": [job_list(job, 1), job_list(job, 2)], "awx_rate_limit_timeout": timeout,
                                           "awx_dir": str(workdir), "awx_job": job})
                   for job in range(JOBS)]
        for phase in range(len(PHASES)):
            # Every job waits at the barrier before the phase's go: only the phase itself is timed.
            wait_for([workdir / ("ready-%d-%d" % (phase, job)) for job in range(JOBS)], futures, "the barrier of phase %d" % phase)
            simulator.clear_log()
            (workdir / ("go-%d" % phase)).write_text("go", encoding="utf-8")
            started = time.monotonic()
            wait_for([workdir / ("done-%d-%d" % (phase, job)) for job in range(JOBS)], futures, "the end of phase %d" % phase)
            phases.append((time.monotonic() - started, simulator.log(), simulator.handlers()))
        return [future.result() for future in futures], phases


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
    simulator.reset("pusher-18", keys={CANARIES["api_key"]: 1}, switches={"rate_limit": LIMIT, "rate_window": WINDOW})
    jobs, phases = run_cluster(simulator, ledger, tmp_path)
    for number, (phase, (seconds, log, stored)) in enumerate(zip(PHASES, phases)):
        results = [(job_results or [])[number] if job_results and len(job_results) > number else None for _run, job_results in jobs]
        ledger.check("concurrency", "20 AWX jobs at once, %s: all succeed, each name once" % phase,
                     assert_phase, phase, results, log, stored)
        # The time is reported, never asserted (a timing in a test fails on a loaded machine, not on slow code): the ratio
        # to the floor, the requests served at 60 a window, is the figure to read where the limit sets the pace.
        served = sum(1 for entry in log if entry["status"] != 429)
        floor = math.ceil(served / LIMIT) * WINDOW
        print("%s: %d jobs in %.0f s, %d requests served, %d answered 429, %.2f times the floor of %d s" % (
            phase, JOBS, seconds, served, sum(1 for entry in log if entry["status"] == 429), seconds / floor, floor))
    assert all(run.rc == 0 for run, _results in jobs), [str(run) for run, _results in jobs if run.rc != 0][:1]
    ledger.assert_all_passed()
