"""Faults, injected through the simulator's control surface, against the info module, the handler module (create,
update and delete) and the role.

One table, FAULTS, says what each fault must lead to. playbooks/faults.yml tries a list of faults, each on a target, then
runs the same task again once the fault is gone, as a pipeline's next run would. Each row tries its module targets in
a run of its own (the update probe's outcome is shared by the tasks of a run, and each row expects the probe); the role's
targets of every row share one run per simulator (the TLS one apart), so that `pytest -k role` runs the role's alone
(21 ansible-playbook processes in all, where one per row and kind made 38). On each target the row passes when:
- the task ends as the table says: it succeeds, or it fails with the table's words and without a traceback;
- the faulted request was sent exactly as many times as the table says, and the other requests are those of a
  run without the fault (so a create is never sent blindly twice);
- the second run succeeds, and writes nothing when the first run had succeeded;
- the simulator ends with exactly the handlers the task asks for: never a duplicate, never a wrong one.
"""

import collections
import dataclasses
import json
import math
import socket

import certifi
import pytest

from tests.integration.runner import CANARIES, CHANGED_CANARIES
from tests.reliability.harness import assertion_message, run_checked_playbook

LIST = ("GET", "/api/notification-handlers")
CREATE = ("POST", "/api/notification-handlers")
# Short waits, so that a fault costs seconds: the module options of every row, unless the row says otherwise.
CONNECTION_OPTIONS = {"timeout": 5, "retries": 1, "rate_limit_timeout": 5}
BULK_SIZE = 150
# The realistic limit of 60 requests per window is kept, and the window is shortened from 60 to 16 seconds: the limit
# is the same, time is scaled. A role run sends about 5 requests a second here, more than 60 in 16 seconds, so it
# reaches the limit (the row checks that it did, or it would prove nothing).
BULK_RATE_WINDOW = 16


def one(method, handler_id):
    return (method, "/api/notification-handlers/%d" % handler_id)


def stored(name, handler_type, value):
    """A handler as the simulator stores it, and as a test seeds it."""
    return {"name": name, "type": handler_type, "settings": {handler_type: value}}


def as_options(handler):
    return dict(handler["settings"], name=handler["name"], type=handler["type"])


EXISTING = stored("Existing", "webhook", CANARIES["webhook"])
UPDATED = stored("Existing", "webhook", CHANGED_CANARIES["webhook"])
CREATED = stored("Created", "slack", CANARIES["slack"])
BULK = tuple(stored("Bulk %03d" % number, "slack", CANARIES["slack"]) for number in range(1, BULK_SIZE + 1))


@dataclasses.dataclass(frozen=True)
class Target:
    """A task to try a fault on: what it starts from, its options, the requests of a run without faults, the end state."""

    kind: str  # the task file that runs it: info, handler or role
    seed: tuple
    args: dict  # the module's options, or {"handlers": [...]} for the role
    requests: tuple
    read: tuple  # the request that a fault on "read" hits, and likewise for "write"
    write: tuple
    final: tuple

    @property
    def first(self):
        return self.requests[0]


def probe(probe_id):
    """The requests of the update probe on a throwaway handler with this id: create, update, read back by search, delete."""
    return (CREATE, one("POST", probe_id), LIST, one("DELETE", probe_id))


TARGETS = {
    "info": Target("info", (EXISTING,), {}, (LIST,), read=LIST, write=LIST, final=(EXISTING,)),
    # Find by name (a search, then the whole list to be sure the name is free), create, read back by a search.
    "create": Target("handler", (), as_options(CREATED), (LIST, LIST, CREATE, LIST), read=LIST, write=CREATE, final=(CREATED,)),
    # Find by name, the update probe on handler 2, then the update of handler 1 and its read-back.
    "update": Target("handler", (EXISTING,), as_options(UPDATED), (LIST,) + probe(2) + (one("POST", 1), one("GET", 1)),
                     read=one("GET", 1), write=one("POST", 1), final=(UPDATED,)),
    "delete": Target("handler", (EXISTING,), {"name": "Existing", "state": "absent"}, (LIST, one("DELETE", 1)), read=LIST,
                     write=one("DELETE", 1), final=()),
    # The role is one task of the list module: one list read, then its writes, then one list read to verify them. Here it
    # leaves the existing handler alone and creates the other one.
    "role": Target("role", (EXISTING,), {"handlers": [as_options(EXISTING), as_options(CREATED)]}, (LIST, CREATE, LIST),
                   read=LIST, write=CREATE, final=(EXISTING, CREATED)),
    "role, 150 handlers": Target("role", (), {"handlers": [as_options(handler) for handler in BULK]}, (LIST,) + (CREATE,) * BULK_SIZE + (LIST,),
                                 read=LIST, write=CREATE, final=BULK),
}
EVERY_TARGET = ("info", "create", "update", "delete", "role")
RETRIED_WRITES = ("update", "delete")
CREATES = ("create", "role")


@dataclasses.dataclass(frozen=True)
class Outcome:
    succeeds: bool
    words: tuple = ()  # what the failure message says (case does not matter); {api_url} is the api_url of the run
    attempts: int = None  # how many times the faulted request is sent
    within_rate_limit: bool = False


@dataclasses.dataclass(frozen=True)
class Fault:
    name: str
    targets: tuple
    expect: Outcome
    spec: dict = None  # a /__sim__/faults spec without method and path: `on` picks the request of each target
    on: str = "first"  # first, read or write
    server: str = "simulator"  # simulator, refused (nothing listens), wrong_path (the site, not the API) or tls
    validate_certs: bool = True
    options: dict = dataclasses.field(default_factory=dict)  # module options that differ from CONNECTION_OPTIONS
    switches: dict = dataclasses.field(default_factory=dict)


def status_rows(template, statuses, targets, on, expect):
    return tuple(Fault(template % status, targets, expect(status), {"status": status}, on=on) for status in statuses)


NOT_RETRIED = "not retried"  # what a failed create says: it may have reached the server, so it was not sent again

FAULTS = (
    Fault("60 requests a minute, over a 150-handler role run", ("role, 150 handlers",), Outcome(True, within_rate_limit=True),
          options={"rate_limit_timeout": 2 * BULK_RATE_WINDOW}, switches={"b3_rate_limit": True, "rate_window": BULK_RATE_WINDOW}),
    Fault("429 with X-RateLimit-Reset", EVERY_TARGET, Outcome(True, attempts=2), {"status": 429, "headers": {"X-RateLimit-Reset": "1"}},
          on="write"),
    Fault("429 with no header", EVERY_TARGET, Outcome(True, attempts=2), {"status": 429}, on="write"),
    # A reset that is no wait at all must not be retried at once, in a loop: the backoff still doubles, and the wall
    # time is bounded (0.5 + 1 + 2 seconds, then 4 more would pass rate_limit_timeout=5).
    *tuple(Fault("429 with X-RateLimit-Reset %s" % shown, EVERY_TARGET, Outcome(False, ("rate limit", "rate_limit_timeout=5"), attempts=4),
                 {"status": 429, "headers": {"X-RateLimit-Reset": reset}, "times": None}, on="write")
           for shown, reset in (("0", "0"), ("negative", "-30"), ("in the past", "1000000000"))),
    Fault("429 longer than rate_limit_timeout", EVERY_TARGET, Outcome(False, ("rate limit", "rate_limit_timeout=1"), attempts=2),
          {"status": 429, "headers": {"X-RateLimit-Reset": "1"}, "times": None}, on="write", options={"rate_limit_timeout": 1}),
    # The client treats 500, 502 and 503 alike, and its own tests try each on a read, a delete and a create over HTTP
    # (test_client.py); here each kind of request meets one of them, so that every status reaches a playbook once.
    *status_rows("%d once on a GET", (502,), EVERY_TARGET, "read", lambda status: Outcome(True, attempts=2)),
    *status_rows("%d once on an update or a DELETE", (503,), RETRIED_WRITES, "write", lambda status: Outcome(True, attempts=2)),
    *status_rows("%d once on a create", (500,), CREATES, "write",
                 lambda status: Outcome(False, ("HTTP %d" % status, NOT_RETRIED), attempts=1)),
    Fault("a timeout", EVERY_TARGET, Outcome(False, ("no answer within timeout=1 seconds",), attempts=2), {"delay": 1.5, "times": None},
          options={"timeout": 1}),
    # The server stores the handler after the client gave up: the worst case for a duplicate.
    Fault("a timeout on a create that the server completes", CREATES, Outcome(False, ("no answer within timeout=1 seconds", NOT_RETRIED),
                                                                              attempts=1),
          {"delay": 1.5}, on="write", options={"timeout": 1}),
    Fault("a dropped connection", EVERY_TARGET, Outcome(False, ("connection was lost",), attempts=2), {"drop": True, "times": None}),
    Fault("a dropped connection on a create", CREATES, Outcome(False, ("connection was lost", NOT_RETRIED), attempts=1), {"drop": True},
          on="write"),
    Fault("connection refused", EVERY_TARGET, Outcome(False, ("connection was refused", "{api_url}")), server="refused"),
    Fault("an HTML 404 page (a wrong api_url)", EVERY_TARGET, Outcome(False, ("HTML page", "check api_url")), server="wrong_path"),
    Fault("malformed JSON", EVERY_TARGET, Outcome(False, ("not valid JSON",), attempts=1), {"status": 200, "body": "malformed"}, on="read"),
    Fault("an empty body where JSON is due", EVERY_TARGET, Outcome(False, ("empty body",), attempts=1), {"status": 200, "body": "empty"},
          on="read"),
    Fault("a self-signed TLS server, validate_certs true", EVERY_TARGET, Outcome(False, ("certificate", "validate_certs")), server="tls"),
    Fault("a self-signed TLS server, validate_certs false", EVERY_TARGET, Outcome(True), server="tls", validate_certs=False),
)


def free_port():
    """A port nothing listens on (it was free a moment ago): connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def api_url_of(fault, simulator):
    """The api_url of the run with the fault."""
    if fault.server == "refused":
        return "http://127.0.0.1:%d/api" % free_port()
    if fault.server == "wrong_path":
        return simulator.url + "/app"  # the site's pages, not its API
    return simulator.api_url


def stored_at_end(target, rerun):
    """The handlers a target must leave: those it asks for, or, when there is no second run, those it started from."""
    return target.final if rerun is not None else target.seed


def case_of(fault, target_name, simulator, api_url):
    """What playbooks/faults.yml needs to try a fault on one target."""
    target = TARGETS[target_name]
    spec = None
    if fault.spec is not None:
        method, path = getattr(target, fault.on)
        spec = dict(fault.spec, method=method, path=path, match="exact")
    rerun = {"api_url": simulator.api_url, "validate_certs": fault.server != "tls"}
    if fault.server in ("refused", "wrong_path") or (fault.server == "tls" and fault.validate_certs):
        rerun = None  # the first run never reached the API: there is nothing to run again
    return {
        "target": target_name, "kind": target.kind, "switches": fault.switches, "fault": spec, "args": target.args,
        "seed": [dict(handler, api_key=CANARIES["api_key"]) for handler in target.seed],
        "first": {"api_url": api_url, "validate_certs": fault.validate_certs},
        "rerun": rerun,
        "final": list(stored_at_end(target, rerun)),
    }


def requests_of(log):
    return [(entry["method"], entry["path"].rstrip("/")) for entry in log]


def failure_messages(result):
    """The messages of a failed module task, or of each failed item of the role's loop."""
    items = result.get("results") or []
    return [message for message in [result.get("msg")] + [item.get("msg") for item in items if item.get("failed")] if message]


def assert_ends_as_told(expect, result, api_url):
    dumped = json.dumps(result)
    assert "Traceback" not in dumped and "MODULE FAILURE" not in dumped, "a traceback: %s" % dumped[:3000]
    messages = failure_messages(result)
    failed = bool(result.get("failed"))
    if expect.succeeds:
        assert not failed, "the task failed: %s" % messages
        return
    assert failed, "the task did not fail: %s" % dumped[:3000]
    text = " ".join(messages).lower()
    for word in expect.words:
        assert word.format(api_url=api_url).lower() in text, "the message does not say %r: %s" % (word.format(api_url=api_url), messages)


def assert_requests_as_told(fault, target, log):
    """The faulted request was sent `attempts` times, and the others are those of a run without the fault."""
    expect = fault.expect
    faulted = getattr(target, fault.on)
    sequence = list(target.requests)
    at = sequence.index(faulted)
    expected = sequence[:at] + [faulted] * expect.attempts + (sequence[at + 1:] if expect.succeeds else [])
    assert requests_of(log) == expected, "requests %s, not %s" % (requests_of(log), expected)
    if "status" in fault.spec or fault.spec.get("drop"):
        answered = [entry["status"] for entry in log[at:at + expect.attempts - (1 if expect.succeeds else 0)]]
        faulted_status = fault.spec.get("status")  # None for a dropped connection: no answer at all
        assert answered == [faulted_status] * len(answered), "the faulted request was answered %s" % answered


def assert_within_rate_limit(target, log):
    statuses = [entry["status"] for entry in log]
    limited = statuses.count(429)
    served = len(statuses) - limited
    assert limited >= 1, "the run never reached the limit in %d requests, so it proves nothing: lengthen the window" % served
    # Waiting out X-RateLimit-Reset each time, a client meets at most one 429 per window it fills.
    assert limited <= math.ceil(served / 60.0), "%d answers of 429 for %d requests: the client did not wait out the limit" % (limited, served)
    # Each request answered 429 was sent again, and the others are those of a run without the limit.
    answered = requests_of([entry for entry in log if entry["status"] != 429])
    assert answered == list(target.requests), "%d requests answered, not the %d of a run without the limit: %s" % (
        len(answered), len(target.requests), sorted(set(answered) - set(target.requests)) or answered[:10])


def assert_second_run_as_told(record):
    if record["rerun"] is not None:
        rerun_failed = bool(record["rerun"].get("failed"))
        assert not rerun_failed, "the second run failed: %s" % failure_messages(record["rerun"])
    if not record["first"].get("failed"):
        writes = [request for request in requests_of(record["rerun_requests"]) if request[0] != "GET"]
        assert writes == [], "the second run wrote %s after a first run that succeeded" % writes


def assert_stored_as_asked(target, record):
    wanted = [handler["name"] for handler in stored_at_end(target, record["rerun"])]
    stored_as_expected = bool(record["stored_as_expected"])
    assert stored_as_expected, "the simulator stores %s, not %s as asked" % (record["stored_names"], wanted)


def judge(fault, target_name, record, api_url):
    """Every check of one target, so that a failure shows all that went wrong (a duplicate, say, beside a retry)."""
    target = TARGETS[target_name]
    checks = [lambda: assert_ends_as_told(fault.expect, record["first"], api_url),
              lambda: assert_second_run_as_told(record),
              lambda: assert_stored_as_asked(target, record)]
    if fault.expect.attempts:
        checks.append(lambda: assert_requests_as_told(fault, target, record["first_requests"]))
    if fault.expect.within_rate_limit:
        checks.append(lambda: assert_within_rate_limit(target, record["first_requests"]))
    problems = []
    for check in checks:
        try:
            check()
        except AssertionError as error:
            problems.append(assertion_message(error))
    if problems:
        raise AssertionError("\n".join(problems))


Batch = collections.namedtuple("Batch", "server kind faults")


def batches(faults):
    """The rows as the playbook runs that try them: the module targets of every row in one run per simulator process
    (the playbook's control calls go to one simulator), each row starting as a run of its own would, the update probe's
    shared outcome forgotten (fault_case.yml); the role's targets likewise; the 150-handler row, which waits out the rate
    limit, apart so that it runs beside the others."""
    found = collections.OrderedDict()
    for fault in faults:
        server = "tls" if fault.server == "tls" else "simulator"
        for kind in ("modules", "role"):
            targets = tuple(name for name in fault.targets if (TARGETS[name].kind == "role") == (kind == "role"))
            if targets:
                alone = fault.expect.within_rate_limit
                key = (server, kind, fault.name if alone else "every row")
                found.setdefault(key, []).append(dataclasses.replace(fault, targets=targets))
    return [pytest.param(Batch(server, kind, tuple(rows)), id="%s / %s, %s server" % (name, kind, server))
            for (server, kind, name), rows in found.items()]


@pytest.mark.parametrize("batch", batches(FAULTS))
def test_faults(batch, request, ledger, monkeypatch):
    simulator = request.getfixturevalue("tls_simulator" if batch.server == "tls" else "simulator")
    if batch.server == "tls":
        # Many CI hosts and company machines set a CA bundle in the environment; validate_certs must decide all the same.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    cases, tried = [], []
    for fault in batch.faults:
        api_url = api_url_of(fault, simulator)
        for number, target_name in enumerate(fault.targets):
            # The connection options and the role's api_url, case by case (faults.yml), rather than one for the whole run.
            cases.append(dict(case_of(fault, target_name, simulator, api_url), connection_options=dict(CONNECTION_OPTIONS, **fault.options),
                              first_of_row=number == 0))
            tried.append((fault, target_name, api_url))
    extra_vars = {"cases": cases}
    if batch.server == "tls":
        extra_vars["sim_ca_file"] = simulator.ca_file
    run, records = run_checked_playbook(ledger, "faults.yml", simulator, extra_vars=extra_vars, unset=("dmpilot_api_url",))
    records = records or []
    for index, (fault, target_name, api_url) in enumerate(tried):
        name = "%s / %s" % (fault.name, target_name)
        record = records[index] if index < len(records) else None
        if record is None or record["target"] != target_name:
            ledger.record("faults", name, False, "the playbook left no record of it")
            continue
        ledger.check("faults", name, judge, fault, target_name, record, api_url)
    ledger.assert_all_passed(str(run) if run.rc else "")
