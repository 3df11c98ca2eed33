"""Fixtures of the reliability suite, and its summary line.

Tests record a verdict per table row, and the secrets they checked, in their reports' user_properties (see
harness.Ledger); the reports reach this process from xdist's workers too, so the line counts the whole run.
"""

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from tests.integration.runner import OUTPUT
from tests.reliability.harness import CANARY_COUNT, PROPERTY, Ledger
from tests.simulator.control import start_simulator

# Hypothesis keeps its examples and caches under tests/output, which pytest does not collect, rather than in .hypothesis/.
set_hypothesis_home_dir(str(OUTPUT / "hypothesis"))

VERDICT_KINDS = ("faults", "safe writes", "bad inputs", "random inputs", "concurrency")


class Tally:
    def __init__(self):
        self.verdicts = dict((kind, [0, 0]) for kind in VERDICT_KINDS)  # kind -> [passed, failed]
        self.outputs = 0
        self.found = 0
        self.model_based = []  # the model-based test's own figures (test_model_based.py)

    def add(self, entry):
        if entry["kind"] == "secrets":
            self.outputs += 1
            self.found += len(entry["found"])
        else:
            self.verdicts.setdefault(entry["kind"], [0, 0])[0 if entry["passed"] else 1] += 1

    def line(self):
        counts = "; ".join("%s %d passed, %d failed" % (kind, passed, failed) for kind, (passed, failed) in self.verdicts.items())
        line = "reliability: %s; secrets checked %d canaries x %d outputs, %d found" % (counts, CANARY_COUNT, self.outputs, self.found)
        return "; ".join([line] + [figures.replace("model-based: ", "model-based ", 1) for figures in self.model_based])


TALLY = Tally()


def pytest_runtest_logreport(report):
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == PROPERTY:
            TALLY.add(value)
        elif name == "model-based":
            TALLY.model_based.append(value)


def pytest_terminal_summary(terminalreporter):
    if TALLY.outputs or TALLY.model_based or any(passed + failed for passed, failed in TALLY.verdicts.values()):
        terminalreporter.write_line(TALLY.line())


@pytest.fixture
def ledger(request):
    return Ledger(request.node)


@pytest.fixture(scope="session")
def tls_simulator_process():
    """A second simulator, serving HTTPS with a self-signed certificate generated at its start."""
    with start_simulator(tls=True) as started:
        yield started


@pytest.fixture
def tls_simulator(tls_simulator_process):  # pylint: disable=redefined-outer-name
    tls_simulator_process.reset("documented")
    return tls_simulator_process
