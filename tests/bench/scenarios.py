"""The one table of benchmark scenarios: what each one measures, at which size, and its targets.

run.py measures every row, checks it against its targets here, and report.py prints it. The targets come from
issue 6; a request count the issue does not fix is the one the README documents (a read-back after every write,
no write in check mode, one list request per 1,000 handlers).
"""

import dataclasses
import functools
from typing import Callable, Optional

from tests.bench.measure import (
    ClientCost,
    Playbook,
    SimulatorPages,
    handler_variables,
    pages,
    role_changes,
    role_variables,
)


@dataclasses.dataclass(frozen=True)
class Requests:
    """The API requests a measured unit must make, for a number of handlers."""

    count: Callable  # handlers -> requests
    writes: Callable  # handlers -> requests other than GET
    rule: str


LIST_PAGES = Requests(pages, lambda handlers: 0, "1 per 1,000 handlers")
ONE_READ = Requests(lambda handlers: 1, lambda handlers: 0, "1 at any size")
UPDATE = Requests(lambda handlers: pages(handlers) + 2, lambda handlers: 1, "list pages, the update, its read-back")
CHECK = Requests(pages, lambda handlers: 0, "list pages, no write")
ROLE_UNCHANGED = Requests(lambda handlers: 1, lambda handlers: 0, "1, the list")
# The role passes the id it matched, so each change reads its handler by id rather than listing them all.
ROLE_CHANGES = Requests(lambda handlers: 1 + role_changes(handlers) * 3, role_changes,
                        "1, then per change: read by id, update, read-back")

# What is measured against what: files of playbooks/tasks/, and the variables that set them up.
MODULE_BY_NAME = Playbook("uri_first_page", "handler_module", handler_variables, changes=False)
MODULE_BY_ID = Playbook("uri_first_page", "handler_module", functools.partial(handler_variables, by_id=True), changes=False)
MODULE_CHANGE = Playbook("uri_first_page", "handler_module", functools.partial(handler_variables, change=True), changes=True)
MODULE_CHECK_MODE = Playbook("uri_first_page", "handler_module", functools.partial(handler_variables, check_mode=True), changes=True)
INFO_ALL = Playbook("uri_first_page", "info_module", lambda handlers: {}, changes=False)
ROLE_ALL_UNCHANGED = Playbook("handler_module", "role", role_variables, changes=False)
ROLE_SOME_CHANGED = Playbook("handler_module", "role", functools.partial(role_variables, change=True), changes=True)


@dataclasses.dataclass(frozen=True)
class Scenario:
    title: str
    handlers: int  # seeded in the full run
    quick_handlers: int  # seeded in the quick run
    work: object  # measure.Playbook, measure.ClientCost or measure.SimulatorPages
    requests: Requests
    max_ratio: Optional[float] = None  # the measured median wall time, at most this many times the baseline's
    max_seconds: Optional[float] = None  # the measured median wall time, under this many seconds

    def size(self, quick):
        return self.quick_handlers if quick else self.handlers

    def time_target(self):
        if self.max_ratio is not None:
            return "ratio ≤ %.2f" % self.max_ratio
        if self.max_seconds is not None:
            return "< %g s" % self.max_seconds
        return "none (reported)"


SCENARIOS = [
    Scenario("module, unchanged, by name", 10, 10, MODULE_BY_NAME, LIST_PAGES, max_ratio=1.15),
    Scenario("module, unchanged, by name", 1000, 100, MODULE_BY_NAME, LIST_PAGES),
    Scenario("module, unchanged, by name", 10000, 1000, MODULE_BY_NAME, LIST_PAGES, max_ratio=1.5),
    Scenario("module, unchanged, by `id`", 10, 10, MODULE_BY_ID, ONE_READ),
    Scenario("module, unchanged, by `id`", 10000, 1000, MODULE_BY_ID, ONE_READ),
    Scenario("module, one field changed, by name", 10, 10, MODULE_CHANGE, UPDATE),
    Scenario("module, check mode, one field to change", 10, 10, MODULE_CHECK_MODE, CHECK),
    Scenario("info module, listing everything", 10000, 1000, INFO_ALL, LIST_PAGES),
    Scenario("role, converging every handler, all unchanged", 100, 20, ROLE_ALL_UNCHANGED, ROLE_UNCHANGED, max_ratio=3.0),
    Scenario("role, converging every handler, 1 in 10 changed", 100, 20, ROLE_SOME_CHANGED, ROLE_CHANGES),
    Scenario("the client's own cost, without Ansible", 10000, 1000, ClientCost(), LIST_PAGES),
    Scenario("simulator, every page of 1,000", 10000, 1000, SimulatorPages(), LIST_PAGES, max_seconds=1.0),
]


@dataclasses.dataclass
class Result:
    """A scenario's measurement at one size, and how it compares with its targets."""

    scenario: Scenario
    handlers: int
    measurement: object  # measure.Measurement

    @property
    def requests(self):
        """The most requests any measured round made (they should all make the same)."""
        return max(self.measurement.request_counts())

    @property
    def writes(self):
        return max(sum(1 for request in one_round.requests if not request.startswith("GET ")) for one_round in self.measurement.rounds)

    @property
    def ratio(self):
        """The median of the rounds' ratios: each round pairs the measured unit with its baseline, run side by side."""
        return self.measurement.median("ratio")

    def expected_requests(self):
        return self.scenario.requests.count(self.handlers)

    def misses(self):
        """What missed its target, in words; empty when every target is met."""
        found = []
        counts = self.measurement.request_counts()
        expected = self.expected_requests()
        if counts != [expected]:
            found.append("requests %s, target %d (%s)" % ("/".join(map(str, counts)), expected, self.scenario.requests.rule))
        expected_writes = self.scenario.requests.writes(self.handlers)
        if self.writes != expected_writes:
            found.append("writes %d, target %d" % (self.writes, expected_writes))
        if self.scenario.max_ratio is not None and self.ratio > self.scenario.max_ratio:
            found.append("wall time ratio %.2f, target ≤ %.2f" % (self.ratio, self.scenario.max_ratio))
        seconds = self.measurement.median("measured")
        if self.scenario.max_seconds is not None and seconds >= self.scenario.max_seconds:
            found.append("wall time %.3f s, target < %g s" % (seconds, self.scenario.max_seconds))
        return found
