"""An AWX cluster on one account: jobs that run at once, as one ansible-playbook process each, through two phases
(create their handlers, then change every one of them), each phase started for all of them at one barrier.

The AWX load test (test_awx_load.py) and its `make bench` row (tests/bench/awx.py) drive it. The simulator runs
66pusher 18, where every change of a handler is a replacement, with the API's rate limit of 60 requests per window;
the window is shortened from 60 seconds so that a run takes minutes, and rate_limit_timeout is the modules' default
scaled the same way.
"""

import concurrent.futures
import math
import time

LIMIT = 60  # the API's requests per window
DEFAULT_RATE_LIMIT_TIMEOUT = 300  # the modules' default, for a window of 60 seconds
SHARED = "awx shared"
PHASES = ("creating", "changing (a replacement each)")
PROFILE = "pusher-18"


def job_list(job, version, shared=True):
    """The list one job converges: three handlers of its own, and with shared the one every job converges too."""
    own = [{"name": "awx job %02d handler %d" % (job, number), "type": "webhook",
            "webhook": "https://hooks.example.com/awx/%02d/%d/v%d" % (job, number, version)} for number in range(1, 4)]
    if not shared:
        return own
    return own + [{"name": SHARED, "type": "webhook", "webhook": "https://hooks.example.com/awx/shared/v%d" % version}]


def job_variables(job, window, workdir, shared=True):
    """The extra variables of one job's run of playbooks/awx_job.yml."""
    return {"awx_lists": [job_list(job, 1, shared), job_list(job, 2, shared)], "awx_job": job, "awx_dir": str(workdir),
            "awx_rate_limit_timeout": DEFAULT_RATE_LIMIT_TIMEOUT * window // 60}


def floor(served, window):
    """The least time the limit allows for this many requests served: whole windows of LIMIT requests."""
    return math.ceil(served / LIMIT) * window


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


def run_cluster(run_job, simulator, workdir, jobs, window, shared=True):
    """Every job at once through both phases; only the phases themselves are timed. run_job(variables) runs
    playbooks/awx_job.yml and answers (the run, the results it wrote). Answer (each job's (run, results), and per phase:
    seconds from go to the last job done, the simulator's request log, the handlers stored)."""
    phases = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_job, job_variables(job, window, workdir, shared)) for job in range(jobs)]
        for phase in range(len(PHASES)):
            wait_for([workdir / ("ready-%d-%d" % (phase, job)) for job in range(jobs)], futures, "the barrier of phase %d" % phase)
            simulator.clear_log()
            (workdir / ("go-%d" % phase)).write_text("go", encoding="utf-8")
            started = time.monotonic()
            wait_for([workdir / ("done-%d-%d" % (phase, job)) for job in range(jobs)], futures, "the end of phase %d" % phase)
            phases.append((time.monotonic() - started, simulator.log(), simulator.handlers()))
        return [future.result() for future in futures], phases
