"""Run the model-based test of the state logic with fresh seeds until the time is up: `make soak`.

    SOAK_SECONDS=600 build/venv-dev/bin/python tools/soak.py        ten minutes (the default)
    SOAK_EXAMPLES=500                                                examples per round (the default)
    SOAK_CENSUS=build/soak-census.json                               the proof of power: count every kind of violation

Each round is one pytest run of tests/reliability/test_model_based.py under the soak profile: fresh seeds,
SOAK_EXAMPLES examples, a deadline per example. Rounds follow one another until SOAK_SECONDS have passed. By default the
first violation stops the soak, with Hypothesis's shrunk example in the output. With SOAK_CENSUS, a violation does not
stop anything: each kind of violation is counted, with the number of examples drawn (over all rounds) until it was first
met, and the census (each kind's first story included) is written to that file. At the end, one line adds up the rounds.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
TEST = "tests/reliability/test_model_based.py::test_the_state_logic_keeps_its_invariants_whatever_is_drawn"
FIGURES = re.compile(r"model-based: (\d+) examples, (\d+) steps, (\d+) invariant checks, (\d+) writes, (\d+) reruns, (\d+) playbook runs")
FAULTS = re.compile(r"faults fired: ([^;]*);")
NAMES = ("examples", "steps", "invariant checks", "writes", "reruns", "playbook runs")


def main():
    seconds = int(os.environ.get("SOAK_SECONDS", "600"))
    examples = os.environ.get("SOAK_EXAMPLES", "500")
    census_path = os.environ.get("SOAK_CENSUS")
    totals = [0] * len(NAMES)
    fired = {}
    census = {}
    rounds = violations = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        summary = os.path.join(scratch, "summary.txt")
        round_census = os.path.join(scratch, "census.json")
        env = dict(os.environ, MODEL_BASED_PROFILE="soak", MODEL_BASED_EXAMPLES=examples, MODEL_BASED_SUMMARY=summary)
        if census_path:
            env["MODEL_BASED_CENSUS"] = round_census
        while time.monotonic() - started < seconds:
            rounds += 1
            for path in (summary, round_census):
                if os.path.exists(path):
                    os.remove(path)
            status = subprocess.call([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:randomly", TEST], cwd=str(REPO), env=env)
            text = open(summary).read() if os.path.exists(summary) else ""
            figures = FIGURES.search(text)
            drawn_before = totals[0]
            if figures:
                totals = [total + int(figure) for total, figure in zip(totals, figures.groups())]
            for kind, count in re.findall(r"([a-z0-9 ]+?) (\d+)(?:, |$)", (FAULTS.search(text) or [None, ""])[1]):
                fired[kind.strip()] = fired.get(kind.strip(), 0) + int(count)
            if census_path and os.path.exists(round_census):
                for kind, found in json.load(open(round_census))["kinds"].items():
                    known = census.setdefault(kind, dict(found, count=0, **{"first example": drawn_before + found["first example"]}))
                    known["count"] += found["count"]
            elif status != 0:
                violations += 1
                break
    if census_path:
        with open(census_path, "w") as out:
            json.dump({"examples": totals[0], "kinds": census}, out, indent=1, ensure_ascii=False)
        for kind, found in sorted(census.items(), key=lambda pair: pair[1]["first example"]):
            print("census: first met after %d examples, met %d times: %s" % (found["first example"], found["count"], kind))
        violations = sum(found["count"] for found in census.values())
    line = "soak: %d rounds in %.0f s, %s; faults fired: %s; %d violations" % (
        rounds, time.monotonic() - started, ", ".join("%d %s" % pair for pair in zip(totals, NAMES)),
        ", ".join("%s %d" % pair for pair in sorted(fired.items())), violations)
    print(line)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
