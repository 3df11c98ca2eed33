"""The world of the model-based test: one account on the simulator's application (called in-process), the other parties
that use it, and the faults of the network, all at the HTTP level, under the real client.

Nothing here models the server: the simulator does (tests/simulator/app.py, proven by the transcripts). What this adds is
what happens around a request, at any request of a task:
- TIMEOUT: the server carries out the request, the answer never comes (requests' ReadTimeout).
- LATE_WRITE: a write that the client gave up on: no answer, and the server carries it out a few requests later, or once
  the task is over ("seconds after the client gave up").
- SERVER_ERROR: a 5xx answer, nothing carried out.
- RATE_STORM: another client of the same key spends the rate limit, for one to three windows in a row, so 429s come in
  runs (the client's waits pass on the test's clock).
- GONE: another client deletes the handler the request targets, just before it.
- OTHER_WRITE: another client writes between two requests: creates an unrelated handler or a namesake of a name the
  task gives, deletes or changes a handler the task does not name.
- RACING_CREATE: a run of the same declaration creates a handler this task may create; it keeps its own only where no
  older namesake exists when it looks again (its read-back).
- PAGE_SHIFT: between the pages of a list, another client deletes a handler of page 1 and creates one.
The process tree that the modules see (/proc), for the update test's per-run outcome, is the world's too: which
launcher started ansible-playbook, and which ansible-playbook process a task runs under.
"""

import itertools
import json
import re
import urllib.parse

import requests

from ansible_collections.dmpilot.cloud.plugins.module_utils import _client
from ansible_collections.dmpilot.cloud.plugins.module_utils._name_search import NameSearchClient
from tests.simulator.app import MAX_NAME_LENGTH, quote_entities, sanitize
from tests.simulator.inprocess import API_URL, Account, served

TIMEOUT = "timeout"
LATE_WRITE = "late write"
SERVER_ERROR = "5xx"
RATE_STORM = "rate storm"
GONE = "404"
OTHER_WRITE = "other client writes"
RACING_CREATE = "racing run creates"
PAGE_SHIFT = "page shift"
FAULTS = (TIMEOUT, LATE_WRITE, SERVER_ERROR, RATE_STORM, GONE, OTHER_WRITE, RACING_CREATE, PAGE_SHIFT)
# Between two playbook runs, not at a request.
UPGRADE = "server upgraded"

# The server versions a test account may be on: a profile of the simulator, and switches over it.
SERVERS = {
    "documented": ("documented", {}),
    "pusher-18": ("pusher-18", {}),
    "biolinks-67": ("biolinks-67", {}),
    "biolinks-67, no confirmation": ("biolinks-67", {"b7_email_confirmation": False}),
    "patched": ("biolinks-67-patched", {}),
    "patched, no confirmation": ("biolinks-67-patched", {"b7_email_confirmation": False}),
}
# What an upgrade between two runs may change: how updates are stored, and whether addresses are confirmed.
UPGRADES = ({"b13_update_mode": "faithful"}, {"b13_update_mode": "mangled"}, {"b13_update_mode": "ignored"},
            {"b7_email_confirmation": True}, {"b7_email_confirmation": False})

WRITE_METHODS = ("POST", "DELETE")
HANDLER_PATH = re.compile(r"^/api/notification-handlers/(\d+)/?$")
RATE_WINDOW = 60


class Fault:
    """What happens at request number `at` of a task, or at the first request of the kind named by `at` ("create",
    "update", "delete", "list", "get"); pick chooses where a fault needs a choice."""

    def __init__(self, at, kind, pick=0):
        self.at = at
        self.kind = kind
        self.pick = pick

    def __repr__(self):
        return "Fault(%r, %r, %d)" % (self.at, self.kind, self.pick)


class Write:
    """A write the server carried out: by this run ("run") or by another party ("other")."""

    def __init__(self, op, handler_id, name, handler_type, by, unanswered=False, late=False):
        self.op = op
        self.handler_id = handler_id
        self.name = name
        self.type = handler_type
        self.by = by
        self.unanswered = unanswered
        self.late = late

    def __repr__(self):
        return "%s %d %r%s%s%s" % (self.op, self.handler_id, self.name, " by another client" if self.by != "run" else "",
                                   " (no answer)" if self.unanswered else "", " (landed late)" if self.late else "")


def request_kind(prepared):
    """create, update, delete, list or get."""
    path = urllib.parse.urlsplit(prepared.url).path
    has_id = HANDLER_PATH.match(path) is not None
    if prepared.method == "DELETE":
        return "delete"
    if prepared.method == "POST":
        return "update" if has_id else "create"
    return "get" if has_id else "list"


def target_id(prepared):
    match = HANDLER_PATH.match(urllib.parse.urlsplit(prepared.url).path)
    return int(match.group(1)) if match else None


def query_of(prepared):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(prepared.url).query, keep_blank_values=True))


def form_of(prepared):
    body = prepared.body or ""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return dict(urllib.parse.parse_qsl(body, keep_blank_values=True))


def timed_out():
    return requests.exceptions.ReadTimeout("Read timed out. (read timeout=30)")


def error_response(prepared, status):
    response = requests.Response()
    response.status_code = status
    response.headers["Content-Type"] = "application/json"
    response._content = json.dumps({"errors": [{"title": "Simulated server error.", "status": status}]}).encode()  # pylint: disable=protected-access
    response.url = prepared.url
    response.request = prepared
    return response


class World:
    """One account on one server version, and what happens around each request of a task."""

    def __init__(self, server="patched", launcher="shell"):
        profile, switches = SERVERS[server]
        self.server = server
        # The rate limit is on everywhere: another client can spend it (RATE_STORM).
        self.account = Account(profile, dict(switches, b3_rate_limit=True, rate_limit=60, rate_window=RATE_WINDOW))
        self.processes = ProcessTree(launcher)
        self.start_task()

    # What the test sets up and reads.

    @property
    def switches(self):
        return self.account.app.switches

    def stored(self):
        return self.account.stored()

    def seed(self, name, handler_type, settings, is_enabled=1):
        return self.account.seed(name, handler_type, settings, is_enabled)

    def seed_broken(self, name):
        """A handler that a server with the update bug has broken (rule 13): type null, settings {"": ""}."""
        handler_id = self.account.seed(name, "webhook", {"webhook": ""})
        with self.account.app.lock:
            self.account.app.store.by_id[handler_id].update(type=None, settings={"": ""})
        return handler_id

    def stored_name(self, name):
        """The name this server keeps for a name sent (rule 10, the simulator's cleaning)."""
        return sanitize(name, MAX_NAME_LENGTH) if self.switches["b10_sanitize"] else name

    def client(self):
        client = NameSearchClient(API_URL, self.account.API_KEY, sleep=self.sleep, clock=self.account.clock)
        self.account.connect(client.session, self.intercept)
        return client

    def sleep(self, seconds):
        """Time passes on the test's clock; a racing run does its read-back meanwhile."""
        self.account.sleep(seconds)
        self.racers_settle()

    def upgrade(self, switches):
        self.account.switch(**switches)

    # A task.

    def start_task(self, faults=(), protected=(), racing=(), namesakes=()):
        """Forget the last task's records and arm the next task's faults.

        protected: the ids the task names, which the unrelated other clients leave alone; racing: the forms a run of the
        same declaration would create; namesakes: names the task gives, which another client may create too.
        """
        self.faults = list(faults)
        self.protected = set(protected)
        self.racing = list(racing)
        self.namesakes = list(namesakes)
        self.requests = 0
        self.writes = []
        self.forms = []
        self.statuses = []  # (kind, status) of each write request answered
        self.fired_now = []
        self.unanswered = []  # (kind, target id or None) of each write request that got no answer
        self.late = []  # [request index when it lands (None: after the task), serve, kind]
        self.racer_ids = []
        self.storm_until = None
        self.shift_armed = None
        self.before_ids = set(self.stored())

    def end_task(self):
        """The task is over: the writes still in flight land, and a racing run finishes its read-back."""
        for pending in list(self.late):
            self.land(pending)
        self.racers_settle()
        self.storm_until = None

    # The interceptor: every request of the client passes here.

    def intercept(self, prepared, serve):
        index = self.requests
        self.requests += 1
        kind = request_kind(prepared)
        for pending in [pending for pending in self.late if pending[0] is not None and pending[0] <= index]:
            self.land(pending)
        if kind in ("create", "update", "delete"):
            self.forms.append(form_of(prepared))
        fault = self.fault_at(index, kind)
        if self.storm_until is not None and self.account.now < self.storm_until:
            self.spend_rate_limit()
        if fault is not None or self.shift_armed is not None:
            answer = self.play(fault, prepared, serve, index, kind)
            if answer is not None:
                return answer
        return self.served(prepared, serve, kind)

    def fault_at(self, index, kind):
        """The fault armed for this request: by its index in the task, or by its kind; a late write by the index of the
        write request among the task's writes (a late read means nothing)."""
        is_write = kind in ("create", "update", "delete")
        writes = len(self.statuses) + len(self.late) + len(self.unanswered)  # the write requests sent before this one
        for fault in self.faults:
            if fault.kind == LATE_WRITE:
                armed = is_write and (fault.at == kind or fault.at not in ("create", "update", "delete") and
                                      (not isinstance(fault.at, int) or fault.at % 3 == writes))
            else:
                armed = fault.at in (index, kind)
            if armed:
                self.faults.remove(fault)
                return fault
        return None

    def play(self, fault, prepared, serve, index, kind):
        """Play a fault: answers the response (or raises) where it replaces the answer, None where the request goes on."""
        if fault is None:
            pass
        elif fault.kind == TIMEOUT:
            self.fire(fault, index, kind)
            if kind in ("create", "update", "delete"):
                self.served(prepared, serve, kind, unanswered=True)
                self.unanswered.append((kind, target_id(prepared)))
            raise timed_out()
        elif fault.kind == LATE_WRITE and kind in ("create", "update", "delete"):
            self.fire(fault, index, kind)
            lands = None if fault.pick % 4 == 3 else index + 1 + fault.pick % 4
            self.late.append([lands, prepared, serve, kind])
            self.unanswered.append((kind, target_id(prepared)))
            raise timed_out()
        elif fault.kind == SERVER_ERROR:
            self.fire(fault, index, kind)
            response = error_response(prepared, {"list": 502, "get": 502, "create": 500}.get(kind, 503))
            if kind in ("create", "update", "delete"):
                self.statuses.append((kind, response.status_code))
            return response
        elif fault.kind == RATE_STORM:
            self.fire(fault, index, kind)
            self.storm_until = self.account.now + RATE_WINDOW * (1 + fault.pick % 3)
            self.spend_rate_limit()
        elif fault.kind == GONE:
            handler_id = target_id(prepared)
            if handler_id is not None and handler_id in self.stored():
                self.fire(fault, index, kind)
                self.other_delete(handler_id)
        elif fault.kind == OTHER_WRITE:
            self.other_write(fault, index, kind)
        elif fault.kind == RACING_CREATE and self.racing:
            self.fire(fault, index, kind)
            self.racer_ids.append(self.other_create(self.racing[fault.pick % len(self.racing)]))
        elif fault.kind == PAGE_SHIFT:
            self.shift_armed = fault  # at the next read of a second page
        if self.shift_armed is not None and kind == "list" and query_of(prepared).get("page") == "2":
            self.page_shift(self.shift_armed, index, kind)
            self.shift_armed = None
        return None

    def served(self, prepared, serve, kind, unanswered=False, late=False):
        """Serve a request of the run; record the write it carried out: creates and deletes by the store's difference,
        an update answered 200 as a write of its target even where the server stored nothing (rule 13)."""
        before = self.stored()
        response = serve()
        if kind in ("create", "update", "delete"):
            self.statuses.append((kind, response.status_code))
            self.record(before, self.stored(), "run", unanswered, late)
            if kind == "update" and response.status_code == 200:
                handler = self.stored().get(target_id(prepared)) or before.get(target_id(prepared)) or {}
                self.writes.append(Write("update", target_id(prepared), handler.get("name"), handler.get("type"), "run", unanswered, late))
        return response

    def land(self, pending):
        self.late.remove(pending)
        _lands, prepared, serve, kind = pending
        self.served(prepared, serve, kind, unanswered=True, late=True)

    def record(self, before, after, by, unanswered=False, late=False):
        for handler_id in sorted(set(after) - set(before)):
            self.writes.append(Write("create", handler_id, after[handler_id]["name"], after[handler_id]["type"], by, unanswered, late))
        for handler_id in sorted(set(before) - set(after)):
            self.writes.append(Write("delete", handler_id, before[handler_id]["name"], before[handler_id]["type"], by, unanswered, late))
        for handler_id in sorted(set(before) & set(after)):
            if by != "run" and before[handler_id] != after[handler_id]:
                self.writes.append(Write("update", handler_id, after[handler_id]["name"], after[handler_id]["type"], by, unanswered, late))

    def fire(self, fault, index, kind):
        self.fired_now.append("%s at request %d (%s)" % (fault.kind, index, kind))

    # The other parties: through the application, as another client of the same key would (no fault, not the run's).

    def other_request(self, method, path, form=None):
        before = self.stored()
        prepared = requests.Request(method, API_URL + path, data=form,
                                    headers={"Authorization": "Bearer %s" % self.account.API_KEY}).prepare()
        with_limit = self.switches["b3_rate_limit"]
        self.switches["b3_rate_limit"] = False  # another client's own budget is not the point here: RATE_STORM is
        try:
            served(self.account.app, prepared)
        finally:
            self.switches["b3_rate_limit"] = with_limit
        after = self.stored()
        self.record(before, after, "other")
        return sorted(set(after) - set(before))

    def other_create(self, form):
        created = self.other_request("POST", "/notification-handlers", form)
        return created[0] if created else None

    def other_delete(self, handler_id):
        self.other_request("DELETE", "/notification-handlers/%d" % handler_id)

    def others_ids(self):
        return set(write.handler_id for write in self.writes if write.by != "run")

    def unrelated(self):
        """The handlers another client may delete or change: not named by the task, not written by the run."""
        run_ids = set(write.handler_id for write in self.writes if write.by == "run")
        return [handler_id for handler_id in sorted(self.stored())
                if handler_id not in self.protected and handler_id not in run_ids and handler_id not in self.others_ids()]

    def other_write(self, fault, index, kind):
        choice = fault.pick % 4
        unrelated = self.unrelated()
        if choice == 0:
            self.fire(fault, index, kind)
            self.other_create({"name": "elsewhere %d" % fault.pick, "type": "webhook",
                               "webhook": "https://hooks.example.com/canary-elsewhere-%d" % fault.pick})
        elif choice == 1 and self.namesakes:
            self.fire(fault, index, kind)
            self.other_create({"name": self.namesakes[fault.pick % len(self.namesakes)], "type": "internal_notification"})
        elif choice == 2 and unrelated:
            self.fire(fault, index, kind)
            self.other_delete(unrelated[fault.pick % len(unrelated)])
        elif choice == 3 and unrelated:
            self.fire(fault, index, kind)
            handler_id = unrelated[fault.pick % len(unrelated)]
            self.other_request("POST", "/notification-handlers/%d" % handler_id, {"name": "renamed elsewhere %d" % fault.pick})

    def page_shift(self, fault, index, kind):
        """Page 1 was read; another client deletes a handler of page 1 and creates one before page 2 is read."""
        first_page = sorted(self.stored())[:_client.PAGE_SIZE]
        lower = [handler_id for handler_id in self.unrelated() if handler_id in first_page]
        if not lower:
            return
        self.fire(fault, index, kind)
        self.other_delete(lower[fault.pick % len(lower)])
        self.other_create({"name": "elsewhere %d" % fault.pick, "type": "webhook",
                           "webhook": "https://hooks.example.com/canary-elsewhere-%d" % fault.pick})

    def spend_rate_limit(self):
        """Another client of the same key uses what is left of the window's requests."""
        limiter, switches = self.account.app.rate_limiter, self.switches
        while limiter.hit(self.account.API_KEY, switches["rate_limit"], switches["rate_window"])[1] > 0:
            pass

    def racers_settle(self):
        """A racing run's read-back: where an older handler of its name exists that it did not see, it deletes its own."""
        stored = self.stored()
        for racer_id in list(self.racer_ids):
            racer = stored.get(racer_id)
            if racer is not None and any(handler_id < racer_id and handler["name"] == racer["name"] and handler_id not in self.before_ids
                                         for handler_id, handler in stored.items()):
                self.racer_ids.remove(racer_id)
                self.other_delete(racer_id)


class ProcessTree:
    """The processes a module sees above it in /proc: init, a launcher (what started ansible-playbook, the same for
    every run of the example), the ansible-playbook process of the current run, and its worker (a fork of it)."""

    LAUNCHERS = {
        "shell": [["-bash"]],
        "make ansible": [["-bash"], ["make", "ansible"]],
        "sudo -iu ansible": [["-bash"], ["sudo", "-iu", "ansible", "bash", "-c", "ansible-playbook a.yml; ansible-playbook b.yml"],
                             ["bash", "-c", "ansible-playbook a.yml; ansible-playbook b.yml"]],
        "a script named ansible": [["-bash"], ["/bin/bash", "/usr/local/bin/ansible", "site"]],
        "AWX": [["/usr/bin/python3", "/usr/bin/ansible-runner", "worker"]],
    }

    # Every example's processes are new ones, as on a real machine: an outcome one example's runs shared never reaches
    # another's (the update test's outcome is kept in a file named after the run).
    PIDS = itertools.count(100, 100)

    def __init__(self, launcher):
        self.launcher = launcher
        self.table = {1: (0, ["/sbin/init"], 1)}  # pid -> (parent, command line, start time)
        self.base = next(self.PIDS) * 100
        parent = 1
        for number, words in enumerate(self.LAUNCHERS[launcher]):
            pid = self.base + number
            self.table[pid] = (parent, words, self.base + number)
            parent = pid
        self.launcher_pid = parent
        self.run_number = 0
        self.worker = None
        self.new_run()

    def new_run(self):
        """A new ansible-playbook process (the next run), started by the same launcher, and its worker."""
        self.run_number += 1
        playbook = self.base + 10 * self.run_number
        words = ["/usr/bin/python3", "/usr/bin/ansible-playbook", "site.yml"]
        self.table[playbook] = (self.launcher_pid, words, playbook)
        self.worker = playbook + 1
        self.table[self.worker] = (playbook, words, playbook + 1)

    def getppid(self):
        return self.worker

    def read(self, path):
        """The text of /proc/PID/stat or /proc/PID/cmdline, as Linux writes them; None for any other path."""
        match = re.match(r"^/proc/(\d+)/(stat|cmdline)$", path)
        if match is None:
            return None
        pid = int(match.group(1))
        if pid not in self.table:
            raise FileNotFoundError(path)
        parent, words, started = self.table[pid]
        if match.group(2) == "cmdline":
            return ("\0".join(words) + "\0").encode("utf-8")
        # pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
        # priority nice num_threads itrealvalue starttime ...
        return ("%d (%s) S %d %s %d 0 0\n" % (pid, words[0].rpartition("/")[2][:15], parent, " ".join(["0"] * 17), started)).encode()


def quote_names(name):
    """A name as the server's one reversible mapping makes it: the names a task's name stands for are those that map the
    same (an export gives back `Équipe d&#39;astreinte`, a user writes `Équipe d'astreinte`)."""
    return quote_entities(name) if name is not None else None


def names_same(given, stored):
    return given is not None and stored is not None and quote_names(given) == quote_names(stored)
