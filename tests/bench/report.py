"""The benchmarks' report in markdown: the results table, a details table, and the page docs/benchmarks.md."""

import collections
import platform

import ansible

from tests.bench.scenarios import RATE_LIMIT, RATE_WINDOW

METHOD = """\
How it is measured:

- Against the API simulator (`tests/simulator`) on loopback, with the collection installed from its built tarball
  (`build/installed`, from `make install`). The Server column gives the simulator's profile and switches, the rate
  limit off unless it says otherwise:
  - `documented`: the API as documented, without the list's search: finding a name reads the whole list.
  - `realistic, with search (b14)`: the real server's behaviour, whose list answers `search=<name>&search_by=name`, so
    finding a name costs one request at any size.
  - `documented, update bug (b13)`: the bug of the published 66biolinks server code, which empties the type and
    settings of every updated handler, so that `update_strategy: auto` replaces a changed handler rather than updating it.
  - `documented, updates ignored (b13)`: the bug of the published 66pusher server code, which answers an update with
    success but stores nothing: `auto` replaces there too.
  - `realistic, {rate_limit} requests per {rate_window} s window (b3)`: the real server's rate limit of {rate_limit} requests
    per window, but with a window of {rate_window} s rather than a minute, so that the row takes seconds. It takes as many
    windows and as many 429 answers as at the real limit, where each window lasts a minute. This row has a single
    measured round and no warm-up round: its figures are that round's.
- Each playbook scenario is one `ansible-playbook` run of `tests/bench/playbooks/bench.yml`: a warm-up round, then
  {rounds} measured rounds (unless the details say otherwise). Each round runs the baseline and the measured unit
  side by side, each first in every other round. Figures are the medians of the measured rounds; the ratio is the
  median of each round's measured / baseline. The rows "first change of a run" and "5 module tasks of a run" have no
  warm-up round and a single measured round, whose unit is the first of its `ansible-playbook` run to change a
  handler: their figures are that round's.
- **Timed**: a unit's own wall time on the controller, from the start of its (first) task to the result of its
  (last) task, recorded by `tests/bench/callback_plugins/bench_timer.py`. That covers templating, the module's run in
  a fresh Python (AnsiballZ) and its HTTP requests, but not `ansible-playbook`'s start-up, shown apart in the
  details. A role unit spans all the role's tasks, its argument validation included.
- The `uri` baseline is what a hand-written playbook does: one `ansible.builtin.uri` GET of
  `{{{{api_url}}}}/notification-handlers/?page=1&results_per_page=1000`, with the Bearer header, registered. The
  list module and the role are measured against one module task that finds an unchanged handler by name.
- **Requests** come from the simulator's request log, taken for each unit; every measured round must make the
  same number. A request answered 429 counts as a request, but not as a write. Where the target is a bound
  (`≤`), it is an issue's figure, and "expected" is what the collection's docs say it makes.
- **The whole list** costs 1 request up to 1,000 handlers; beyond, the collection reads every page twice (2 requests
  per 1,000 handlers), so that a handler that moved between pages while they were read is not missed.
- **The update probe**: before the first in-place update of an `ansible-playbook` run, the collection learns whether
  the server stores updates faithfully. It creates a throwaway `internal_notification` handler, updates it, reads it
  back with a search of the probes' name (the whole list on a server without search) and deletes it: 3 writes and
  1 read on a server with search. The outcome is shared by the later tasks of the same run that use the same
  `api_url` and key (for 5 minutes at most), so a run pays the probe once. An unchanged run, check mode and
  `update_strategy: recreate` never probe. Since a scenario's rounds run in one `ansible-playbook` run, the probe
  falls in the warm-up round of the rows "one field changed" and of the list module and the role, and their measured
  rounds do not probe. Its cost is in the rows "first change of a run": `auto` on a faithful server is the probe and
  an update; on a server with the update bug it is the probe and a replacement (create, read back, delete the old);
  `recreate` is the replacement without the probe. The rows "5 module tasks of a run" are five tasks in a row, each
  changing another handler, the first of them probing for the run.
- The client's own cost: a fresh Python, without Ansible, imports the collection's client from the installed tarball
  and lists every handler, timed from the import to the last page decoded (Python's start-up left out). Its
  baseline does the same with `requests` and a loop over the pages.
- The simulator row times plain GETs of every page of 1,000 from the benchmark's own process.
- The AWX cluster row (issue 23): as many `ansible-playbook` jobs at once as its size, on one account of the simulator
  as 66pusher 18 (every change a replacement), with 60 requests per 20 s window. Each job first creates 3 handlers
  of its own (not timed), then, at one barrier, changes all 3 with the list module and the default
  `rate_limit_timeout` scaled to the window. Timed: from the barrier to the last job done. Its baseline is no run
  but the limit's floor: the requests the server served, at 60 a window, in whole windows. The test
  `tests/reliability/test_awx_load.py` runs 20 jobs with a handler shared by all of them, and holds them to success
  and to each name held once.
"""


def thousands(number):
    return "{:,}".format(number)


def seconds(value):
    return "%.3f s" % value


def request_summary(result):
    """The requests of a measured round and their methods, such as `3 (2 GET, 1 POST)`, and the 429 answers among them."""
    counts = result.measurement.request_counts()
    requests = result.measurement.rounds[-1].requests
    methods = collections.Counter(request.method for request in requests)
    shown = "/".join(map(str, counts))
    limited = sum(1 for request in requests if request.rate_limited)
    return "%s (%s%s)" % (shown, ", ".join("%d %s" % (count, method) for method, count in sorted(methods.items())) or "none",
                          "; %d answered 429" % limited if limited else "")


def verdict(result):
    misses = result.misses()
    return "FAIL: " + "; ".join(misses) if misses else "PASS"


def results_table(results):
    lines = [
        "| Scenario | Server | Handlers | API requests | Request target | Timed: median | Baseline: median | Ratio | Time target | Result |",
        "|---|---|---:|---|---|---|---|---:|---|---|",
    ]
    for result in results:
        scenario, measurement = result.scenario, result.measurement
        lines.append("| %s | %s | %s | %s | %s | %s: %s | %s: %s | %.2f | %s | %s |" % (
            scenario.title, scenario.server.label, thousands(result.handlers), request_summary(result), result.request_target(),
            scenario.work.measured_label, seconds(measurement.median("measured")),
            scenario.work.baseline_label, seconds(measurement.median("baseline")),
            result.ratio, scenario.time_target(), verdict(result)))
    return "\n".join(lines)


def details_table(results):
    lines = [
        "| Scenario | Server | Handlers | Rounds | Timed: min to max | Baseline: min to max | Whole `ansible-playbook` run |",
        "|---|---|---:|---:|---|---|---|",
    ]
    for result in results:
        measurement = result.measurement
        process = measurement.process_seconds
        lines.append("| %s | %s | %s | %s | %s to %s | %s to %s | %s |" % (
            result.scenario.title, result.scenario.server.label, thousands(result.handlers), rounds_shown(result),
            *map(seconds, measurement.spread("measured")), *map(seconds, measurement.spread("baseline")),
            seconds(process) + " (start-up and every round)" if process is not None else "not a playbook"))
    return "\n".join(lines)


def rounds_shown(result):
    """The measured rounds, and whether a warm-up round came first."""
    measured = len(result.measurement.rounds)
    return str(measured) if result.scenario.warm_up else "%d, no warm-up" % measured


def tables(results):
    return "%s\n\nDetails:\n\n%s\n" % (results_table(results), details_table(results))


def machine():
    return "%s, %s, Python %s, ansible-core %s" % (platform.platform(terse=True), platform.machine(), platform.python_version(), ansible.__version__)


def page(results, rounds, cores, date):
    """The whole of docs/benchmarks.md."""
    misses = [(result, result.misses()) for result in results if result.misses()]
    missed = "".join("- %s at %s handlers: %s\n" % (result.scenario.title, thousands(result.handlers), "; ".join(found))
                     for result, found in misses) or "None.\n"
    return ("# Benchmarks\n\n"
            "What the collection costs, in API requests and in wall time, against what a hand-written `ansible.builtin.uri` "
            "task costs. Generated by `make bench` (`python -m tests.bench.run`) on %s, on %d cores (%s). Do not edit by hand: "
            "run `make bench` again.\n\n%s\n## Results\n\n%s\n## Targets missed\n\n%s"
            % (date, cores, machine(), METHOD.format(rounds=rounds, rate_limit=RATE_LIMIT, rate_window=RATE_WINDOW), tables(results), missed))
