"""Run the model-based test of the state logic with fresh seeds until the time is up: `make soak`.

    SOAK_SECONDS=600 build/venv-dev/bin/python tools/soak.py        ten minutes (the default)
    SOAK_EXAMPLES=500                                                examples per round (the default)

Each round is one pytest run of tests/reliability/test_model_based.py under the soak profile: fresh
seeds, SOAK_EXAMPLES examples, a deadline per example. Rounds follow one another until SOAK_SECONDS have passed; the
first violation stops the soak, with Hypothesis's shrunk example in the output. At the end, one line adds up the rounds:
examples, steps, invariant checks, faults fired, violations.
"""

import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
TEST = "tests/reliability/test_model_based.py::test_the_state_logic_keeps_its_invariants_whatever_is_drawn"
FIGURES = re.compile(r"model-based: (\d+) examples, (\d+) steps, (\d+) invariant checks, (\d+) faults fired")


def main():
    seconds = int(os.environ.get("SOAK_SECONDS", "600"))
    examples = os.environ.get("SOAK_EXAMPLES", "500")
    totals = [0, 0, 0, 0]
    rounds = violations = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        summary = os.path.join(scratch, "summary.txt")
        env = dict(os.environ, MODEL_BASED_PROFILE="soak", MODEL_BASED_EXAMPLES=examples, MODEL_BASED_SUMMARY=summary)
        while time.monotonic() - started < seconds:
            rounds += 1
            if os.path.exists(summary):
                os.remove(summary)
            status = subprocess.call([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:randomly", TEST], cwd=str(REPO), env=env)
            figures = FIGURES.search(open(summary).read()) if os.path.exists(summary) else None
            if figures:
                totals = [total + int(figure) for total, figure in zip(totals, figures.groups())]
            if status != 0:
                violations += 1
                break
    line = ("soak: %d rounds in %.0f s, %d examples, %d steps, %d invariant checks, %d faults fired, %d violations"
            % (rounds, time.monotonic() - started, totals[0], totals[1], totals[2], totals[3], violations))
    print(line)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
