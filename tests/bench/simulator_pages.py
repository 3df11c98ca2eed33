"""Benchmark (a report, not a test): list 10,000 handlers in pages of 1000 from the simulator subprocess.

Run from the repo root: python -m tests.bench.simulator_pages [--quick]
Target: all 10 pages in under 1 s. The baseline is the same number of GETs of one handler by id (the raw HTTP cost).
"""

import argparse
import statistics
import time

import requests

from tests.simulator.control import SimulatorError, start_simulator

HANDLERS = 10000
PAGE_SIZE = 1000
TARGET_SECONDS = 1.0


def fetch_all_pages(session, simulator):
    """Fetch every page; answer the number of handlers seen (to check the run is real)."""
    seen = 0
    headers = {"Authorization": "Bearer test-key"}
    for page in range(1, HANDLERS // PAGE_SIZE + 1):
        params = {"page": page, "results_per_page": PAGE_SIZE}
        response = session.get(simulator.api_url + "/notification-handlers", params=params, headers=headers, timeout=30)
        response.raise_for_status()
        seen += len(response.json()["data"])
    return seen


def fetch_one_handler_repeatedly(session, simulator):
    headers = {"Authorization": "Bearer test-key"}
    for _request in range(HANDLERS // PAGE_SIZE):
        response = session.get(simulator.api_url + "/notification-handlers/1", headers=headers, timeout=30)
        response.raise_for_status()
        response.json()


def median_seconds(action, repeats):
    action()  # warm-up
    timings = []
    for _repeat in range(repeats):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 repeats instead of 5")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5

    try:
        seed_seconds, seen, pages, baseline = measure(repeats)
    except (SimulatorError, requests.RequestException) as error:
        print("simulator list benchmark: FAIL, could not measure: %s" % error)
        return
    verdict = "PASS" if pages < TARGET_SECONDS and seen == HANDLERS else "FAIL"
    page_count = HANDLERS // PAGE_SIZE
    rows = [
        ("seeding %d handlers" % HANDLERS, "%.3f s" % seed_seconds),
        ("handlers seen over all pages", str(seen)),
        ("all %d pages, median" % page_count, "%.3f s" % pages),
        ("baseline, %d GETs of one handler, median" % page_count, "%.3f s" % baseline),
        ("ratio pages / baseline", "%.1fx" % (pages / baseline)),
        ("target: all pages in under %.0f s" % TARGET_SECONDS, verdict),
    ]
    print("simulator list benchmark (%d handlers, results_per_page=%d, %d repeats after a warm-up)" % (HANDLERS, PAGE_SIZE, repeats))
    for label, value in rows:
        print("  %-44s %s" % (label + ":", value))


def measure(repeats):
    """Answer (seconds to seed, handlers seen, median seconds for all pages, median seconds for the baseline)."""
    with start_simulator() as simulator, requests.Session() as session:
        started = time.perf_counter()
        simulator.seed(HANDLERS)
        seed_seconds = time.perf_counter() - started
        seen = fetch_all_pages(session, simulator)
        pages = median_seconds(lambda: fetch_all_pages(session, simulator), repeats)
        baseline = median_seconds(lambda: fetch_one_handler_repeatedly(session, simulator), repeats)
    return seed_seconds, seen, pages, baseline


if __name__ == "__main__":
    main()
