"""The unit tests share one simulator per pytest process, whether each test runs in a fork of it or not.

ansible-test runs every unit test in a process forked for it (its ansible_forked plugin), which ends with os._exit():
the session fixture of tests/conftest.py would start a simulator in each of those processes and never stop it. Here
the simulator starts in the pytest process itself, just before the first test that needs it (so before that test's
fork), and stops when the session ends: the forked tests inherit it, as tests under plain pytest share the session
fixture's. A fixture that starts a simulator of its own must be function-scoped, for the same reason.
"""

import pytest

from tests.simulator.control import start_simulator

_SHARED = {}


def _shared_simulator():
    if "running" not in _SHARED:
        running = start_simulator()
        _SHARED["simulator"] = running.start()
        _SHARED["running"] = running
    return _SHARED["simulator"]


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):  # pylint: disable=unused-argument
    if "simulator_process" in item.fixturenames:
        _shared_simulator()
    yield


def pytest_sessionfinish(session):  # pylint: disable=unused-argument
    running = _SHARED.pop("running", None)
    if running is not None:
        running.stop()


@pytest.fixture(scope="session")
def simulator_process():
    """The simulator of this pytest process (tests/conftest.py's `simulator` fixture resets it before each test)."""
    return _shared_simulator()
