"""The AWX cluster row of make bench: jobs that change their handlers at once on one account, under the rate limit.

Its baseline is no run but the limit's floor: the requests the server served, at 60 a window, in whole windows
(tests/reliability/awx_cluster.py). The jobs first create their handlers (not timed), then change each of them, which
on 66pusher 18 is a replacement; that phase is the measured round. The ratio says how close to the limit's pace the
jobs went, with their waits spread so that they do not all wake at one reset.
"""

import json
import pathlib
import tempfile

from tests.bench.measure import API_KEY, INSTALLED, BenchmarkError, Measurement, Round, requests_of
from tests.integration.runner import run_playbook
from tests.reliability.awx_cluster import PHASES, PROFILE, floor, run_cluster
from tests.reliability.harness import PLAYBOOKS

WINDOW = 20  # seconds for the API's 60 requests: a third of a minute, so that the row takes minutes, not tens of minutes


class AwxCluster:
    """make bench's row for issue 23, part 4: the change phase's wall time against the rate limit's floor."""

    measured_label = "the jobs, each changing its 3 handlers at once (replacements)"
    baseline_label = "the rate limit's floor: the requests served at 60 a window"

    def measure(self, context, jobs):
        with tempfile.TemporaryDirectory(prefix="dmpilot-bench-awx-") as workdir:
            results, phases = run_cluster(lambda variables: self.run_job(context, pathlib.Path(workdir), variables),
                                          context.simulator, pathlib.Path(workdir), jobs, WINDOW, shared=False)
        for job, (run, written) in enumerate(results):
            failed = [phase for phase, result in zip(PHASES, written or []) if result.get("failed")]
            if run.rc != 0 or len(written or []) != len(PHASES) or failed:
                raise BenchmarkError("AWX job %d failed (%s): %s" % (job, ", ".join(failed) or "exit %d" % run.rc, run))
        seconds, log, _stored = phases[-1]
        requests = requests_of(log)
        served = sum(1 for request in requests if not request.rate_limited)
        return Measurement([Round(measured=seconds, baseline=floor(served, WINDOW), requests=requests)])

    @staticmethod
    def run_job(context, workdir, variables):
        results_file = workdir / ("results-%d.json" % variables["awx_job"])
        run = run_playbook(PLAYBOOKS / "awx_job.yml", context.simulator, PROFILE, collections_path=INSTALLED,
                           extra_vars=dict(variables, results_file=str(results_file), dmpilot_api_key=API_KEY))
        return run, json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else None
