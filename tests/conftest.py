import resource

import pytest

from tests.simulator.control import start_simulator

# What each test cost the cores, for the report at the end: make test's time is CPU bound (docs/dev/testing.md).
CPU_PROPERTY = "cpu seconds"
COSTLIEST = 15
CPU_COSTS = {}


def cpu_seconds():
    """The CPU used by this process and by the processes it waited for (ansible-playbook runs, their modules); not the
    session's simulator, which runs until the end."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    started = cpu_seconds()
    yield
    item.user_properties.append((CPU_PROPERTY, cpu_seconds() - started))


def pytest_runtest_logreport(report):
    if report.when == "call":
        CPU_COSTS.update((report.nodeid, value) for name, value in report.user_properties if name == CPU_PROPERTY)


def pytest_terminal_summary(terminalreporter):
    if CPU_COSTS:
        terminalreporter.write_sep("=", "the %d costliest tests in CPU seconds, of %.0f s in all (test bodies, with the processes they ran)"
                                   % (min(COSTLIEST, len(CPU_COSTS)), sum(CPU_COSTS.values())))
        for nodeid, seconds in sorted(CPU_COSTS.items(), key=lambda cost: -cost[1])[:COSTLIEST]:
            terminalreporter.write_line("%8.1f  %s" % (seconds, nodeid))


@pytest.fixture(scope="session")
def simulator_process():
    """One simulator subprocess for the whole test session."""
    with start_simulator() as started:
        yield started


@pytest.fixture
def simulator(simulator_process):  # pylint: disable=redefined-outer-name
    """The session's simulator, reset to the documented profile before each test."""
    simulator_process.reset("documented")
    return simulator_process
