"""A callback for the benchmarks: the wall time of each task, or of each run of a role's tasks, and its API requests.

A unit is the run of consecutive tasks of one included file (one task, several, or a role's), timed from the start of
its first task to the last result of its last one, in the controller's process. So it leaves out ansible-playbook's
start-up and the work between units. Each unit records the `bench_step` loop item of the include it came from
(playbooks/bench.yml), which tells two runs of the same file in a row apart. Its API requests are the simulator's
request log, taken (and cleared) when the next unit starts, outside any timed interval. Include tasks are
structural: they end a unit and are not timed.
"""

import json
import time
import urllib.request

from ansible.playbook.task_include import TaskInclude
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_timer
type: aggregate
short_description: Time each included file's run of tasks (one task, several, a role), and count its API requests from the dmpilot simulator's log
description:
  - Writes the units it timed to a JSON file when the playbook ends.
options:
  output:
    description: The JSON file to write.
    env:
      - name: BENCH_TIMER_OUTPUT
    required: true
  simulator_url:
    description: The simulator's base URL, whose C(/__sim__/take-log) hands out the requests logged since the last call.
    env:
      - name: BENCH_SIMULATOR_URL
    required: true
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = []
        self.unit = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        if isinstance(task, TaskInclude):
            self.close_unit()
            return
        role = task._role.get_name() if task._role else None  # pylint: disable=protected-access
        step = task.get_vars().get("bench_step")
        step = [int(step[0]), str(step[1])] if step else None
        if self.unit is not None and step is not None and (self.unit["role"], self.unit["step"]) == (role, step):
            self.unit["tasks"] += 1
            return
        self.close_unit()
        # Started last, so that taking the log of the unit before is not timed.
        self.unit = {"name": role or task.get_name(), "role": role, "step": step, "tasks": 1, "changed": False, "failed": False,
                     "start": time.perf_counter(), "end": None}

    def record_result(self, result, failed=False):
        if self.unit is None:
            return
        self.unit["end"] = time.perf_counter()
        self.unit["changed"] = self.unit["changed"] or bool(result._result.get("changed"))  # pylint: disable=protected-access
        self.unit["failed"] = self.unit["failed"] or failed

    def v2_runner_on_ok(self, result):
        self.record_result(result)

    def v2_runner_on_skipped(self, result):
        self.record_result(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self.record_result(result, failed=not ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self.record_result(result, failed=True)

    def v2_playbook_on_stats(self, stats):
        self.close_unit()
        with open(self.get_option("output"), "w", encoding="utf-8") as output:
            json.dump(self.units, output, indent=1)

    def close_unit(self):
        """Attribute the requests logged since the unit started to it, and keep it."""
        requests = self.take_log()
        if self.unit is not None:
            self.unit["requests"] = requests
            self.units.append(self.unit)
        self.unit = None

    def take_log(self):
        with urllib.request.urlopen(self.get_option("simulator_url") + "/__sim__/take-log", timeout=30) as answer:
            logged = json.load(answer)["requests"]
        return [{"method": entry["method"], "path": entry["path"], "status": entry["status"]} for entry in logged]
