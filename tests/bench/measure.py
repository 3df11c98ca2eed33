"""How the benchmarks measure: paired rounds of a measured unit of work and its baseline, the first round a warm-up.

Three kinds of work: units of an ansible-playbook run, timed by the bench_timer callback (Playbook); a fresh
Python process that imports a client and lists every handler (ClientCost); and plain HTTP from this process
(SimulatorPages). Every request count comes from the simulator's request log.
"""

import dataclasses
import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable

REPO = pathlib.Path(__file__).resolve().parents[2]
INSTALLED = REPO / "build" / "installed"

# tests.integration.runner gives the ansible environment, and imports test data built from the collection's module_utils.
# pytest finds those through pytest.ini's pythonpath; make bench runs outside pytest, so the installed collection serves.
if str(INSTALLED) not in sys.path:
    sys.path.append(str(INSTALLED))

from tests.bench import raw_http  # noqa: E402 (after the path above)
from tests.integration.runner import OUTPUT, ansible_environment  # noqa: E402

PLAYBOOK = REPO / "tests" / "bench" / "playbooks" / "bench.yml"
CALLBACKS = REPO / "tests" / "bench" / "callback_plugins"
ANSIBLE_PLAYBOOK = pathlib.Path(sys.executable).parent / "ansible-playbook"
API_KEY = "test-key"
CHANGED_SHARE = 10  # the "some changed" scenarios change one handler in 10
NEW_SHARE = 20  # and the list module's also create one new handler for every 20 listed

# What each file of playbooks/tasks/ is, for the report.
UNIT_LABELS = {
    "uri_first_page": "`uri` GET of page 1 (1,000 per page)",
    "handler_module": "one module task",
    "handler_module_five_tasks": "five module tasks, each changing another handler",
    "uri_first_page_five_tasks": "five `uri` GETs of page 1",
    "info_module": "info module task",
    "handlers_module": "one list module task",
    "role": "the role (all its tasks)",
}


class BenchmarkError(Exception):
    """The benchmark itself broke (a playbook failed, a figure is not what it claims): its figures mean nothing."""


@dataclasses.dataclass
class Context:
    simulator: object  # tests.simulator.control.Simulator
    rounds: int  # measured rounds
    timeout: float  # seconds for one subprocess
    warm_up: bool = True  # whether a warm-up round (round 0) comes before the measured ones

    def round_indexes(self):
        """Every round to run, the warm-up (0) included where there is one; the measured ones are 1 to rounds."""
        return range(0 if self.warm_up else 1, self.rounds + 1)


@dataclasses.dataclass(frozen=True)
class Request:
    """One API request of the simulator's log."""

    method: str
    path: str
    status: object  # the HTTP status answered

    @property
    def rate_limited(self):
        return str(self.status) == "429"

    def is_write(self):
        """A request other than GET that the server took: a 429 is refused before any work."""
        return self.method != "GET" and not self.rate_limited


@dataclasses.dataclass
class Round:
    measured: float  # seconds
    baseline: float  # seconds
    requests: list  # the measured unit's API requests (Request)

    @property
    def ratio(self):
        return self.measured / self.baseline


@dataclasses.dataclass
class Measurement:
    rounds: list
    process_seconds: float = None  # the whole ansible-playbook run, start-up and every round included

    def median(self, attribute):
        return statistics.median(getattr(one_round, attribute) for one_round in self.rounds)

    def spread(self, attribute):
        values = [getattr(one_round, attribute) for one_round in self.rounds]
        return min(values), max(values)

    def request_counts(self):
        return sorted(set(len(one_round.requests) for one_round in self.rounds))


def ordered(round_index, baseline, measured):
    """Baseline first in even rounds, measured first in odd ones, so that neither always runs in the same position."""
    return [baseline, measured] if round_index % 2 == 0 else [measured, baseline]


def pages(handlers):
    return max(1, math.ceil(handlers / raw_http.PAGE_SIZE))


def requests_of(log):
    return [Request(entry["method"], entry["path"], entry.get("status")) for entry in log]


def seeded_name(handler_id):
    """The name the simulator seeds a handler with: seed- and its id."""
    return "seed-%d" % handler_id


def seeded_email(handler_id):
    """The email the simulator seeds an email handler with."""
    return "seed%d@example.com" % handler_id


def other_email(handler_id):
    return "bench%d@example.com" % handler_id


def role_item(handler_id, email):
    return {"name": seeded_name(handler_id), "type": "email", "email": email}


def new_items(round_index, count):
    """Handlers that no round before this one asked for: each round creates its own."""
    return [{"name": "bench-new-r%d-%d" % (round_index, number), "type": "email", "email": "new-r%d-%d@example.com" % (round_index, number)}
            for number in range(1, count + 1)]


# Variables of the playbook scenarios, for a number of handlers and of measured rounds. Round r asks for item r % 2
# of a pair, so a change can be made in every round; new handlers are listed by round, 0 (the warm-up) to rounds.
# A scenario without a warm-up starts at round 1: its variables say first_round=1, so that its first round changes too.

def handler_variables(handlers, rounds=None, by_id=False, check_mode=False, change=False, update_strategy=None,  # pylint: disable=unused-argument
                      first_round=0):
    """The last seeded handler, and the pair of emails the rounds ask it for."""
    variables = {"bench_handler": bench_handler(handlers, check_mode, change, first_round), "bench_by_id": by_id, "bench_check_mode": check_mode}
    if update_strategy is not None:
        variables["bench_update_strategy"] = update_strategy
    return variables


def bench_handler(handler_id, check_mode=False, change=False, first_round=0):
    """A seeded handler, and the pair of emails that rounds ask it for: the first round run asks for a change where there is one."""
    seeded, other = seeded_email(handler_id), other_email(handler_id)
    if check_mode:
        emails = [other, other]  # nothing is stored, so the same other email is a change in every round
    elif change:
        emails = [other, seeded] if first_round % 2 == 0 else [seeded, other]
    else:
        emails = [seeded, seeded]
    return {"id": handler_id, "name": seeded_name(handler_id), "emails": emails}


def five_handlers_variables(handlers, rounds=None, first_round=0):  # pylint: disable=unused-argument
    """The last five seeded handlers, each changed in every round, for five module tasks in a row."""
    return {"bench_handlers": [bench_handler(handler_id, change=True, first_round=first_round) for handler_id in range(handlers - 4, handlers + 1)]}


def role_variables(handlers, rounds=None, change=False):  # pylint: disable=unused-argument
    """Every seeded handler as the role's list; with change, the list alternates with one where 1 in 10 has another email."""
    unchanged = [role_item(handler_id, seeded_email(handler_id)) for handler_id in range(1, handlers + 1)]
    changed_ids = range(1, role_changes(handlers) + 1) if change else ()
    changed = [role_item(handler_id, other_email(handler_id)) if handler_id in changed_ids else item
               for handler_id, item in zip(range(1, handlers + 1), unchanged)]
    variables = handler_variables(handlers, rounds)  # the baseline module task: the last handler, never among those changed
    variables["bench_wanted"] = [changed, unchanged]
    return variables


def role_changes(handlers):
    return handlers // CHANGED_SHARE


def list_variables(handlers, rounds, change=False, new=False, check_mode=False):
    """The role's lists for the list module; with new, each round also asks for 1 new handler per 20 seeded ones.

    In check mode nothing is stored, so every round asks for the changed list.
    """
    variables = role_variables(handlers, rounds, change=change)
    if check_mode:
        variables["bench_wanted"] = [variables["bench_wanted"][0]] * 2
    variables["bench_new"] = [new_items(index, list_new(handlers) if new else 0) for index in range(rounds + 1)]
    variables["bench_check_mode"] = check_mode
    return variables


def new_handlers_variables(handlers, rounds):
    """A list of `handlers` new handlers in each round; the baseline module task's one seeded handler is not listed."""
    variables = handler_variables(1, rounds)
    variables["bench_wanted"] = [[], []]
    variables["bench_new"] = [new_items(index, handlers) for index in range(rounds + 1)]
    return variables


def list_changes(handlers):
    return handlers // CHANGED_SHARE


def list_new(handlers):
    return handlers // NEW_SHARE


@dataclasses.dataclass(frozen=True)
class Playbook:
    """Rounds of two units (files of playbooks/tasks/) in one ansible-playbook run; the callback times each."""

    baseline: str
    measured: str
    variables: Callable  # handlers -> the bench_* variables of the scenario
    changes: bool  # whether every measured unit must report a change (the baseline never does)

    @property
    def baseline_label(self):
        return UNIT_LABELS[self.baseline]

    @property
    def measured_label(self):
        return UNIT_LABELS[self.measured]

    def measure(self, context, handlers):
        steps = [[index, unit] for index in context.round_indexes() for unit in ordered(index, self.baseline, self.measured)]
        variables = dict(self.variables(handlers, context.rounds), bench_api_url=context.simulator.api_url, bench_api_key=API_KEY, bench_steps=steps)
        units, process_seconds = run_playbook(context, variables)
        timed = dict((tuple(unit["step"] or ()), unit) for unit in units)
        if len(units) != len(steps) or set(timed) != set(map(tuple, steps)):
            raise BenchmarkError("expected one timed unit for each of the steps %s, got %s" % (steps, [(unit["step"], unit["name"]) for unit in units]))
        for (_index, unit_file), unit in timed.items():
            self.check_unit(unit_file, unit)
        rounds = [Round(measured=unit_seconds(timed[index, self.measured]), baseline=unit_seconds(timed[index, self.baseline]),
                        requests=requests_of(timed[index, self.measured]["requests"]))
                  for index in range(1, context.rounds + 1)]
        return Measurement(rounds, process_seconds)

    def check_unit(self, unit_file, unit):
        if unit["failed"] or unit["end"] is None:
            raise BenchmarkError("%s failed or did not finish" % unit["name"])
        expected = self.changes and unit_file == self.measured
        if unit["changed"] != expected:
            raise BenchmarkError("%s reported changed=%s where this scenario expects %s" % (unit["name"], unit["changed"], expected))


def unit_seconds(unit):
    return unit["end"] - unit["start"]


def run_playbook(context, variables):
    """Run playbooks/bench.yml with the timing callback; answer its units and the process's wall time."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dmpilot-bench-") as workdir:
        variables_file = pathlib.Path(workdir) / "variables.json"
        units_file = pathlib.Path(workdir) / "units.json"
        variables_file.write_text(json.dumps(variables), encoding="utf-8")
        env = ansible_environment(INSTALLED)
        env.update(ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS), ANSIBLE_CALLBACKS_ENABLED="bench_timer",
                   BENCH_TIMER_OUTPUT=str(units_file), BENCH_SIMULATOR_URL=context.simulator.url,
                   # The run's own temporary directory, for the probe's shared outcome too: other runs on the machine
                   # never touch it, so the requests counted are this run's alone.
                   TMPDIR=workdir)
        command = [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", "-c", "local", str(PLAYBOOK), "-e", "@%s" % variables_file]
        started = time.perf_counter()
        completed = run_command(command, env, context.timeout)
        process_seconds = time.perf_counter() - started
        if completed.returncode != 0 or not units_file.exists():
            raise BenchmarkError("ansible-playbook failed (exit %d):\n%s" % (completed.returncode, completed.stdout[-6000:]))
        return json.loads(units_file.read_text(encoding="utf-8")), process_seconds


def run_command(command, env, timeout):
    try:
        return subprocess.run(command, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise BenchmarkError("%s did not finish within %d s" % (" ".join(command[:3]), timeout)) from error


def measure_in_rounds(context, run_baseline, run_measured):
    """Paired rounds of two callables that each answer the seconds they measured; the requests are the measured one's."""
    rounds = []
    for index in context.round_indexes():
        timed = {}
        for kind, run in ordered(index, ("baseline", run_baseline), ("measured", run_measured)):
            context.simulator.clear_log()
            seconds = run()
            timed[kind] = (seconds, requests_of(context.simulator.log()))
        if index:
            rounds.append(Round(measured=timed["measured"][0], baseline=timed["baseline"][0], requests=timed["measured"][1]))
    return Measurement(rounds)


class ClientCost:
    """A fresh Python process, without Ansible, imports a client and lists every handler: the collection's client or requests."""

    measured_label = "import the client and list all, in a fresh python"
    baseline_label = "the same with `requests` and a loop over the pages"

    def measure(self, context, handlers):
        def run(kind):
            env = dict(os.environ, PYTHONPATH=str(INSTALLED))
            command = [sys.executable, "-m", "tests.bench.client_cost", kind, context.simulator.api_url, API_KEY]
            completed = run_command(command, env, context.timeout)
            if completed.returncode != 0:
                raise BenchmarkError("tests.bench.client_cost %s failed:\n%s" % (kind, completed.stdout[-6000:]))
            figures = json.loads(completed.stdout.strip().splitlines()[-1])
            if figures["handlers"] != handlers:
                raise BenchmarkError("the %s client listed %d handlers, not %d" % (kind, figures["handlers"], handlers))
            return figures["import_seconds"] + figures["list_seconds"]

        return measure_in_rounds(context, lambda: run("raw"), lambda: run("collection"))


class SimulatorPages:
    """The simulator alone: plain GETs of every page of 1,000, against as many GETs of one handler (the raw HTTP cost)."""

    measured_label = "GET and decode every page of 1,000"
    baseline_label = "as many GETs of one handler"

    def measure(self, context, handlers):
        api_url = context.simulator.api_url
        with raw_http.new_session() as session:
            def all_pages():
                started = time.perf_counter()
                listed = raw_http.fetch_all_pages(session, api_url, API_KEY)
                seconds = time.perf_counter() - started
                if len(listed) != handlers:
                    raise BenchmarkError("the simulator served %d handlers, not %d" % (len(listed), handlers))
                return seconds

            def one_handler():
                started = time.perf_counter()
                raw_http.fetch_one_handler(session, api_url, API_KEY, 1, pages(handlers))
                return time.perf_counter() - started

            return measure_in_rounds(context, one_handler, all_pages)
