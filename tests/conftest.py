import pytest

from tests.simulator.control import start_simulator


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
