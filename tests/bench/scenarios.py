"""The one table of benchmark scenarios: what each one measures, on which server, at which size, and its targets.

run.py measures every row, checks it against its targets here, and report.py prints it. The targets come from
issue 6 (the module against `uri`), issue 10 (finding a name with the server's search; the update probe's cost,
published), issue 11 (the list module, and the role as one task on it) and issue 18 (five module tasks of a run that
each change a handler: the probe once per run). A request count an issue does not fix is the one the docs give: a
read-back after every write, no write in check mode, the whole list in 1 request up to 1,000 handlers and, beyond, every
page read twice (2 per 1,000), and, before the first in-place update of an ansible-playbook run, the update probe
(create a throwaway handler, update it, read it back by a search, delete it), whose outcome the run's later tasks share.

A playbook scenario's rounds run in one ansible-playbook process, so the warm-up round pays the run's probe and the
measured rounds of a change do not probe; the scenarios "first change of a run" have no warm-up and one measured round,
and measure the probe's cost.
"""

import dataclasses
import functools
from typing import Callable, Optional

from tests.bench.awx import WINDOW as AWX_WINDOW, AwxCluster
from tests.bench.measure import (
    ClientCost,
    Playbook,
    SimulatorPages,
    five_handlers_variables,
    handler_variables,
    list_changes,
    list_new,
    list_variables,
    new_handlers_variables,
    pages,
    role_changes,
    role_variables,
)

RATE_LIMIT = 60  # requests per window: the real server's limit (a minute)
RATE_WINDOW = 2  # seconds: a shortened window, so that the row takes seconds where the real server takes minutes
NEW_UNDER_RATE_LIMIT = 150
ISSUE_11_LIST_LIMIT = 25  # requests, for 100 handlers with 10 changed and 5 new
ISSUE_11_NEW_LIMIT = 170  # requests, 429 answers included, for 150 new handlers under 60 requests a window
ISSUE_18_FIVE_TASKS_LIMIT = 19  # requests, for five module tasks of a run that each change a handler (35 when each probed)


@dataclasses.dataclass(frozen=True)
class Server:
    """The simulator's profile and switches for a scenario; its rate limit is off unless a switch turns it on."""

    label: str
    profile: str = "documented"
    switches: tuple = ()  # (name, value) pairs, over the profile's defaults
    search: bool = False  # whether the server answers the list's search by name (rule 14, switch b14_filters)

    def all_switches(self):
        return dict((("b3_rate_limit", False),) + self.switches)


DOCUMENTED = Server("documented")
REALISTIC = Server("realistic, with search (b14)", "realistic", search=True)
MANGLING = Server("documented, update bug (b13)", "documented", (("b13_update_mode", "mangled"),))
IGNORING = Server("documented, updates ignored (b13)", "documented", (("b13_update_mode", "ignored"),))
AWX_SERVER = Server("pusher-18, %d requests per %d s window (b3)" % (RATE_LIMIT, AWX_WINDOW), "pusher-18",
                    (("b3_rate_limit", True), ("rate_limit", RATE_LIMIT), ("rate_window", AWX_WINDOW)))
RATE_LIMITED = Server("realistic, %d requests per %d s window (b3)" % (RATE_LIMIT, RATE_WINDOW), "realistic",
                      (("b3_rate_limit", True), ("rate_limit", RATE_LIMIT), ("rate_window", RATE_WINDOW)), search=True)


@dataclasses.dataclass(frozen=True)
class Requests:
    """The API requests a measured unit must make, for a number of handlers.

    count is what the docs say the unit makes. Where limit is set, the target is that bound (an issue's figure), and
    count is only reported as what is expected; otherwise the target is count exactly. writes (requests other than
    GET that the server answered, a 429 not counted) must always match exactly.
    """

    count: Callable  # handlers -> requests
    writes: Callable  # handlers -> accepted requests other than GET
    rule: str
    limit: Optional[Callable] = None  # handlers -> the most requests allowed, 429 answers included
    limit_source: str = ""  # where the limit comes from, such as "issue 11"


def list_reads(handlers):
    """The collection's read of the whole list: 1 request up to 1,000 handlers; beyond, every page is read twice (2 per
    1,000), so that a handler that moved between pages while they were read is in one of the two reads."""
    return pages(handlers) if pages(handlers) == 1 else 2 * pages(handlers)


LIST_RULE = "1 up to 1,000 handlers, 2 per 1,000 beyond"


# What finding one handler by name costs: one search where the server has it (the answer holds one name of the
# benchmark's), else the whole list, which a server without search answers instead.
def find_by_name(server, handlers):
    return 1 if server.search else list_reads(handlers)


def find_rule(server):
    return "1 search" if server.search else "the list"


# The update probe, once per ansible-playbook run (and api_url and key): create a throwaway handler, update it, read it
# back (and any left behind) by a search of the probes' name prefix, which a server without search answers with the
# whole list, the probe included; delete it.
PROBE_WRITES = 3


def probe(server, handlers):
    return PROBE_WRITES + find_by_name(server, handlers + 1)


def verify_reads(handlers, written):
    """The list module verifies its writes with the whole list, or a read of each written handler where that costs fewer
    requests than reading the whole list (its pages, twice beyond one page)."""
    return min(list_reads(handlers), written)


LIST_PAGES = Requests(list_reads, lambda handlers: 0, "the list: " + LIST_RULE)
RAW_PAGES = Requests(pages, lambda handlers: 0, "1 per 1,000 handlers")
ONE_READ = Requests(lambda handlers: 1, lambda handlers: 0, "1 at any size")
ONE_SEARCH = Requests(lambda handlers: 1, lambda handlers: 0, "1 search by name, at any size")
CHECK = Requests(list_reads, lambda handlers: 0, "the list (%s), no write" % LIST_RULE)


def update(server):
    return Requests(lambda handlers: find_by_name(server, handlers) + 2, lambda handlers: 1,
                    "find by name (%s), the update, its read-back by id; the run probed in its warm-up round" % find_rule(server))


def update_first_in_run(server):
    return Requests(lambda handlers: find_by_name(server, handlers) + probe(server, handlers) + 2, lambda handlers: PROBE_WRITES + 1,
                    "find by name (%s), the run's probe (3 writes, %s), the update, its read-back by id"
                    % (find_rule(server), find_rule(server)))


# A replacement: create the new handler, read it back with the others of its name (the old one included), delete the old.
def replace(handlers):
    return 1 + list_reads(handlers + 1) + 1


RECREATE = Requests(lambda handlers: list_reads(handlers) + replace(handlers), lambda handlers: 2,
                    "find by name (the list), create, read back by name (the list), delete the old; no probe")
REPLACE = Requests(lambda handlers: list_reads(handlers) + replace(handlers), lambda handlers: 2,
                   "find by name (the list), create, read back by name (the list), delete the old; the run probed in its warm-up round")
REPLACE_FIRST_IN_RUN = Requests(lambda handlers: list_reads(handlers) + probe(DOCUMENTED, handlers) + replace(handlers),
                                lambda handlers: PROBE_WRITES + 2,
                                "find by name (the list), the run's probe (3 writes, the list), create, read back by name "
                                "(the list), delete the old")
# Each AWX job, on 66pusher 18 (no search): the list, its run's probe (create, update, the list, delete), 3 creates, the
# list, 3 deletes of the old handlers. 429 answers come on top; a retry storm would show in their count.
AWX_JOB_REQUESTS = 12
AWX_JOBS = Requests(lambda jobs: AWX_JOB_REQUESTS * jobs, lambda jobs: (PROBE_WRITES + 6) * jobs,
                    "per job: the list, the run's probe (3 writes, the list), 3 creates, the list, 3 deletes",
                    limit=lambda jobs: 2 * AWX_JOB_REQUESTS * jobs, limit_source="at most as many 429 answers as requests served")
FIVE_TASKS = 5
FIVE_UPDATES_FIRST_IN_RUN = Requests(lambda handlers: probe(DOCUMENTED, handlers) + FIVE_TASKS * (list_reads(handlers) + 2),
                                     lambda handlers: PROBE_WRITES + FIVE_TASKS,
                                     "the run's probe once (3 writes, the list), then per task: find by name (the list), "
                                     "the update, its read-back by id",
                                     limit=lambda handlers: ISSUE_18_FIVE_TASKS_LIMIT, limit_source="issue 18")
FIVE_REPLACEMENTS_FIRST_IN_RUN = Requests(lambda handlers: probe(DOCUMENTED, handlers) + FIVE_TASKS * (list_reads(handlers) + replace(handlers)),
                                          lambda handlers: PROBE_WRITES + 2 * FIVE_TASKS,
                                          "the run's probe once (3 writes, the list), then per task: find by name (the "
                                          "list), create, read back by name (the list), delete the old")
ROLE_UNCHANGED = Requests(lambda handlers: 1, lambda handlers: 0, "1, the list")
ROLE_CHANGES = Requests(lambda handlers: list_reads(handlers) + role_changes(handlers) + verify_reads(handlers, role_changes(handlers)),
                        role_changes,
                        "the list, per change 1 update, the list again to verify; the run probed in its warm-up round")
LIST_UNCHANGED = Requests(list_reads, lambda handlers: 0, "the list: " + LIST_RULE)
LIST_SOME_CHANGED = Requests(lambda handlers: list_reads(handlers) + list_changes(handlers) + list_new(handlers)
                             + verify_reads(handlers, list_changes(handlers) + list_new(handlers)),
                             lambda handlers: list_changes(handlers) + list_new(handlers),
                             "the list, 1 update or create each, the list again to verify; the run probed in its warm-up round",
                             limit=lambda handlers: ISSUE_11_LIST_LIMIT, limit_source="issue 11, for 100 handlers")
LIST_CHECK = Requests(list_reads, lambda handlers: 0, "the list only (%s; issue 11): no probe, no write" % LIST_RULE)
NEW_RATE_LIMITED = Requests(lambda handlers: 1 + handlers + 1, lambda handlers: handlers,
                            "the list, 1 create each, the list again to verify; and a 429 at the end of each window",
                            limit=lambda handlers: ISSUE_11_NEW_LIMIT, limit_source="issue 11, for 150 new, 429 answers included")

# What is measured against what: files of playbooks/tasks/, and the variables that set them up.
MODULE_BY_NAME = Playbook("uri_first_page", "handler_module", handler_variables, changes=False)
MODULE_BY_ID = Playbook("uri_first_page", "handler_module", functools.partial(handler_variables, by_id=True), changes=False)
MODULE_CHANGE = Playbook("uri_first_page", "handler_module", functools.partial(handler_variables, change=True), changes=True)
MODULE_FIRST_CHANGE = Playbook("uri_first_page", "handler_module", functools.partial(handler_variables, change=True, first_round=1),
                               changes=True)
FIVE_MODULE_TASKS_FIRST_CHANGE = Playbook("uri_first_page_five_tasks", "handler_module_five_tasks",
                                          functools.partial(five_handlers_variables, first_round=1), changes=True)
MODULE_RECREATE = Playbook("uri_first_page", "handler_module",
                           functools.partial(handler_variables, change=True, update_strategy="recreate"), changes=True)
MODULE_CHECK_MODE = Playbook("uri_first_page", "handler_module", functools.partial(handler_variables, check_mode=True), changes=True)
INFO_ALL = Playbook("uri_first_page", "info_module", lambda handlers, rounds: {}, changes=False)
ROLE_ALL_UNCHANGED = Playbook("handler_module", "role", role_variables, changes=False)
ROLE_SOME_CHANGED = Playbook("handler_module", "role", functools.partial(role_variables, change=True), changes=True)
LIST_ALL_UNCHANGED = Playbook("handler_module", "handlers_module", list_variables, changes=False)
LIST_SOME_CHANGED_NEW = Playbook("handler_module", "handlers_module", functools.partial(list_variables, change=True, new=True),
                                 changes=True)
LIST_CHECK_MODE = Playbook("handler_module", "handlers_module",
                           functools.partial(list_variables, change=True, new=True, check_mode=True), changes=True)
LIST_NEW = Playbook("handler_module", "handlers_module", new_handlers_variables, changes=True)


@dataclasses.dataclass(frozen=True)
class Scenario:
    title: str
    handlers: int  # the scenario's size in the full run: the handlers seeded, or created where seeded says otherwise
    quick_handlers: int  # the same in the quick run
    work: object  # measure.Playbook, measure.ClientCost or measure.SimulatorPages
    requests: Requests
    max_ratio: Optional[float] = None  # the measured median wall time, at most this many times the baseline's
    max_seconds: Optional[float] = None  # the measured median wall time, under this many seconds
    server: Server = DOCUMENTED
    seeded: Optional[Callable] = None  # handlers -> how many to seed (default: handlers)
    rounds: Optional[int] = None  # measured rounds, at most (default: the run's)
    warm_up: bool = True  # whether a warm-up round comes first

    def size(self, quick):
        return self.quick_handlers if quick else self.handlers

    def seed_count(self, handlers):
        return handlers if self.seeded is None else self.seeded(handlers)

    def time_target(self):
        if self.max_ratio is not None:
            return "ratio ≤ %.2f" % self.max_ratio
        if self.max_seconds is not None:
            return "< %g s" % self.max_seconds
        return "none (reported)"


# The first unit of an ansible-playbook run is the one that probes: no warm-up round, and one measured round.
FIRST_OF_A_RUN = {"warm_up": False, "rounds": 1}

SCENARIOS = [
    Scenario("module, unchanged, by name", 10, 10, MODULE_BY_NAME, LIST_PAGES, max_ratio=1.15),
    Scenario("module, unchanged, by name", 1000, 100, MODULE_BY_NAME, LIST_PAGES),
    Scenario("module, unchanged, by name", 10000, 1000, MODULE_BY_NAME, LIST_PAGES, max_ratio=1.5),
    Scenario("module, unchanged, by name", 10000, 1000, MODULE_BY_NAME, ONE_SEARCH, server=REALISTIC),
    Scenario("module, unchanged, by `id`", 10, 10, MODULE_BY_ID, ONE_READ),
    Scenario("module, unchanged, by `id`", 10000, 1000, MODULE_BY_ID, ONE_READ),
    Scenario("module, one field changed, by name (auto: update)", 10, 10, MODULE_CHANGE, update(DOCUMENTED)),
    Scenario("module, one field changed, by name (auto: update)", 10000, 1000, MODULE_CHANGE, update(DOCUMENTED)),
    Scenario("module, one field changed, by name (auto: update)", 10000, 1000, MODULE_CHANGE, update(REALISTIC), server=REALISTIC),
    Scenario("module, first change of a run, by name (auto: probe, update)", 10, 10, MODULE_FIRST_CHANGE, update_first_in_run(DOCUMENTED),
             **FIRST_OF_A_RUN),
    Scenario("module, first change of a run, by name (auto: probe, update)", 10000, 1000, MODULE_FIRST_CHANGE,
             update_first_in_run(DOCUMENTED), **FIRST_OF_A_RUN),
    Scenario("module, first change of a run, by name (auto: probe, update)", 10000, 1000, MODULE_FIRST_CHANGE,
             update_first_in_run(REALISTIC), server=REALISTIC, **FIRST_OF_A_RUN),
    Scenario("module, one field changed, by name (recreate: no probe)", 10, 10, MODULE_RECREATE, RECREATE, server=MANGLING),
    Scenario("module, one field changed, by name (auto: replace)", 10, 10, MODULE_CHANGE, REPLACE, server=MANGLING),
    Scenario("module, first change of a run, by name (auto: probe, replace)", 10, 10, MODULE_FIRST_CHANGE, REPLACE_FIRST_IN_RUN,
             server=MANGLING, **FIRST_OF_A_RUN),
    Scenario("5 module tasks of a run, each changing another handler (auto: probe once, updates)", 10, 10, FIVE_MODULE_TASKS_FIRST_CHANGE,
             FIVE_UPDATES_FIRST_IN_RUN, **FIRST_OF_A_RUN),
    Scenario("5 module tasks of a run, each changing another handler (auto: probe once, replacements)", 10, 10,
             FIVE_MODULE_TASKS_FIRST_CHANGE, FIVE_REPLACEMENTS_FIRST_IN_RUN, server=IGNORING, **FIRST_OF_A_RUN),
    Scenario("module, check mode, one field to change", 10, 10, MODULE_CHECK_MODE, CHECK),
    Scenario("info module, listing everything", 10000, 1000, INFO_ALL, LIST_PAGES),
    Scenario("list module, all unchanged", 100, 100, LIST_ALL_UNCHANGED, LIST_UNCHANGED),
    Scenario("list module, 1 in 10 changed, 5 new per 100", 100, 100, LIST_SOME_CHANGED_NEW, LIST_SOME_CHANGED),
    Scenario("list module, check mode, 1 in 10 to change, 5 new per 100", 1000, 100, LIST_CHECK_MODE, LIST_CHECK),
    Scenario("list module, every handler new, under the rate limit", NEW_UNDER_RATE_LIMIT, NEW_UNDER_RATE_LIMIT, LIST_NEW,
             NEW_RATE_LIMITED, server=RATE_LIMITED, seeded=lambda handlers: 1, rounds=1, warm_up=False),
    Scenario("role, converging every handler, all unchanged", 100, 20, ROLE_ALL_UNCHANGED, ROLE_UNCHANGED, max_ratio=3.0),
    Scenario("role, converging every handler, 1 in 10 changed", 100, 20, ROLE_SOME_CHANGED, ROLE_CHANGES, max_ratio=1.5),
    Scenario("AWX cluster: as many jobs at once as the size, each replacing its 3 handlers (auto)", 20, 3, AwxCluster(), AWX_JOBS, max_ratio=1.25,
             server=AWX_SERVER, seeded=lambda jobs: 0, **FIRST_OF_A_RUN),
    Scenario("the client's own cost, without Ansible", 10000, 1000, ClientCost(), LIST_PAGES),
    Scenario("simulator, every page of 1,000", 10000, 1000, SimulatorPages(), RAW_PAGES, max_seconds=1.0),
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
        return max(sum(1 for request in one_round.requests if request.is_write()) for one_round in self.measurement.rounds)

    @property
    def ratio(self):
        """The median of the rounds' ratios: each round pairs the measured unit with its baseline, run side by side."""
        return self.measurement.median("ratio")

    def expected_requests(self):
        return self.scenario.requests.count(self.handlers)

    def request_limit(self):
        limit = self.scenario.requests.limit
        return None if limit is None else limit(self.handlers)

    def request_target(self):
        """The request target in words, for the report."""
        rule = self.scenario.requests.rule
        limit = self.request_limit()
        if limit is None:
            return "%d (%s)" % (self.expected_requests(), rule)
        return "≤ %d (%s; expected %d: %s)" % (limit, self.scenario.requests.limit_source, self.expected_requests(), rule)

    def misses(self):
        """What missed its target, in words; empty when every target is met."""
        found = []
        counts = self.measurement.request_counts()
        limit = self.request_limit()
        if limit is None and counts != [self.expected_requests()]:
            found.append("requests %s, target %d (%s)" % ("/".join(map(str, counts)), self.expected_requests(), self.scenario.requests.rule))
        if limit is not None and max(counts) > limit:
            found.append("requests %s, target ≤ %d" % ("/".join(map(str, counts)), limit))
        expected_writes = self.scenario.requests.writes(self.handlers)
        if self.writes != expected_writes:
            found.append("writes %d, target %d" % (self.writes, expected_writes))
        if self.scenario.max_ratio is not None and self.ratio > self.scenario.max_ratio:
            found.append("wall time ratio %.2f, target ≤ %.2f" % (self.ratio, self.scenario.max_ratio))
        seconds = self.measurement.median("measured")
        if self.scenario.max_seconds is not None and seconds >= self.scenario.max_seconds:
            found.append("wall time %.3f s, target < %g s" % (seconds, self.scenario.max_seconds))
        return found
