"""make bench: API requests and wall time of the collection, against plain `uri` tasks, from 10 to 10,000 handlers.

python -m tests.bench.run [--quick] [--output PATH] [--only TEXT]

The full run (make bench) measures every scenario of tests/bench/scenarios.py, prints the markdown tables and
writes docs/benchmarks.md. --quick (make test) measures one round at small sizes, so that the script cannot rot,
and writes nothing unless --output is given. A missed target prints a WARNING and still exits 0; the exit code
is 2 only when the benchmark itself breaks (a playbook fails, the simulator does not start).
"""

import argparse
import dataclasses
import datetime
import os
import sys
import time

import requests

from tests.bench import report
from tests.bench.measure import INSTALLED, REPO, BenchmarkError, Context
from tests.bench.scenarios import SCENARIOS, Result
from tests.simulator.control import SimulatorError, start_simulator

FULL_ROUNDS = 9
QUICK_ROUNDS = 1
FULL_TIMEOUT = 600  # seconds for one subprocess; the slowest full scenario takes about 90
QUICK_TIMEOUT = 120
DOCS_PAGE = REPO / "docs" / "benchmarks.md"
BROKEN = 2


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one measured round at small sizes; writes no file unless --output")
    parser.add_argument("--output", help="the markdown page to write (default: docs/benchmarks.md for a full run of every scenario)")
    parser.add_argument("--only", default="", help="only the scenarios whose title contains this text")
    return parser.parse_args(argv)


def progress(message):
    print(message, file=sys.stderr, flush=True)


def measure_scenario(context, scenario, handlers):
    """Reset the simulator to the scenario's server (rate limit off unless it says otherwise) and seeded email handlers,
    and measure the scenario, in its own number of rounds where it has one."""
    server = scenario.server
    context.simulator.reset(server.profile, switches=server.all_switches())
    context.simulator.seed(scenario.seed_count(handlers))
    context = dataclasses.replace(context, rounds=min(context.rounds, scenario.rounds or context.rounds), warm_up=scenario.warm_up)
    started = time.perf_counter()
    result = Result(scenario, handlers, scenario.work.measure(context, handlers))
    elapsed = time.perf_counter() - started
    progress("  %-58s %6s handlers  %-45s %5.1f s  %s" % (scenario.title, report.thousands(handlers), server.label, elapsed,
                                                          report.verdict(result)))
    return result


def measure_all(scenarios, quick):
    if not (INSTALLED / "ansible_collections" / "dmpilot" / "cloud").is_dir():
        raise BenchmarkError("the collection is not installed in %s: run `make install` first" % INSTALLED)
    rounds = QUICK_ROUNDS if quick else FULL_ROUNDS
    progress("Benchmarks (%s): %d scenarios, a warm-up round and %d measured rounds each, unless a scenario says otherwise"
             % ("quick" if quick else "full", len(scenarios), rounds))
    with start_simulator(profile="documented", extra_args=["--switch", "b3_rate_limit=false"]) as simulator:
        context = Context(simulator, rounds, QUICK_TIMEOUT if quick else FULL_TIMEOUT)
        return [measure_scenario(context, scenario, scenario.size(quick)) for scenario in scenarios]


def output_path(args):
    if args.output:
        return args.output
    return None if args.quick or args.only else DOCS_PAGE


def warn_misses(results, quick):
    misses = ["WARNING: %s at %s handlers missed its target: %s" % (result.scenario.title, report.thousands(result.handlers), "; ".join(result.misses()))
              for result in results if result.misses()]
    if misses and not quick:
        print("\n" + "!" * 100 + "\nTARGETS MISSED in the full run: see docs/benchmarks.md, and profile the cause\n" + "!" * 100)
    for line in misses:
        print(line)
    if misses and quick:
        print("(the quick run has one round at small sizes: a miss here is a warning, run `make bench` to measure)")


def smallest_of_each(scenarios):
    """The quick run keeps one size of each scenario on each server: the larger sizes run the same code, and the quick
    run is there so that none of it can rot, not to measure."""
    kept = {}
    for scenario in scenarios:
        key = (scenario.title, scenario.server)
        if key not in kept or scenario.quick_handlers < kept[key].quick_handlers:
            kept[key] = scenario
    return [scenario for scenario in scenarios if kept[(scenario.title, scenario.server)] is scenario]


def main(argv=None):
    args = parse_args(argv)
    scenarios = [scenario for scenario in SCENARIOS if args.only in scenario.title]
    if args.quick:
        scenarios = smallest_of_each(scenarios)
    if not scenarios:
        sys.exit("no scenario title contains %r" % args.only)
    started = time.perf_counter()
    try:
        results = measure_all(scenarios, args.quick)
    except (BenchmarkError, SimulatorError, requests.RequestException) as error:
        print("BENCHMARK BROKEN: %s" % error, file=sys.stderr)
        return BROKEN
    print(report.tables(results))
    destination = output_path(args)
    if destination:
        rounds = QUICK_ROUNDS if args.quick else FULL_ROUNDS
        page = report.page(results, rounds, os.cpu_count(), datetime.date.today().isoformat())
        with open(destination, "w", encoding="utf-8") as written:
            written.write(page)
        print("Written to %s" % destination)
    warn_misses(results, args.quick)
    progress("Benchmarks done in %.0f s" % (time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
