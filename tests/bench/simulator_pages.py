"""Benchmark (a report, not a test): list 10,000 handlers in pages of 1000 from the simulator subprocess.

Run from the repo root: python -m tests.bench.simulator_pages [--quick]
Target: all 10 pages in under 1 s. The baseline is the same number of GETs of one handler by id (the raw HTTP cost).
It is the "simulator" row of tests/bench/run.py, run alone.
"""

import sys

from tests.bench import run


def main():
    return run.main(["--only", "simulator"] + (["--quick"] if "--quick" in sys.argv[1:] else []))


if __name__ == "__main__":
    sys.exit(main())
