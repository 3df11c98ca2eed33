"""A model-based test of the state logic (issue 18): Hypothesis draws accounts, declarations and faults; invariants judge.

Each example is an account on an in-process fake server (fake_server.py) of one server version, and a sequence of
tasks: the single module or the list module, update_strategy auto, update or recreate, against adversarial accounts
(same names, names that look like the update probe, odd stored values, email handlers pending or confirmed) with
adversarial declarations (items by id and by name, renames, absent items, masks, purge) and faults at any request.
Every task runs in check mode on a copy of the account first, then for real, and the invariants are checked after each
(see Judge). The judge knows nothing of the code's decisions: it reads the account before and after, the server's
record of what it was sent and what it applied, and the task's outputs.

It runs with a fixed seed in `make test`; `make soak` (tools/soak.py) runs it with fresh seeds for a given time.
MODEL_BASED_PROFILE=soak and MODEL_BASED_EXAMPLES=N choose the soak profile; MODEL_BASED_SUMMARY=PATH also writes the
summary line to PATH; MODEL_BASED_FAULTS=timeout,5xx,... limits the faults drawn (all by default); MODEL_BASED_DEBUG=1
prints how the tasks ended, to see what the drawing reaches.
"""

import calendar
import datetime
import functools
import hashlib
import hmac
import itertools
import os
import re
import time

import pytest
from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from ansible_collections.dmpilot.cloud.plugins.module_utils import _client, _handler_list, _handler_state
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import FIELDS, SECRET_FIELDS, TYPE_NAMES, field_names
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import declaration, masked_handler
from tests.fake_module import FakeModule, ModuleExit
from tests.reliability.fake_server import (
    FAITHFUL as FAITHFUL_SERVER,
    IGNORED as IGNORED_SERVER,
    FAULTS,
    GONE,
    MANGLED as MANGLED_SERVER,
    OTHER_CREATES,
    PAGE_SHIFT,
    RACING_CREATE,
    SERVERS,
    TIMEOUT,
    Fault,
    FakeServer,
    cleaned,
)

SALT = "model-based-api-key"
OTHER_SALT = "another-api-key"
# Every secret this test draws holds this word; no output may hold it.
CANARY = "canary"
MASK = "********"
PROBE_PREFIX = "dmpilot.cloud update probe"
# What the collection writes as its probe (issue 18): the prefix, a valid UTC stamp, a random hex token, " (updated)".
PROBE_FORMAT = re.compile(r"^dmpilot\.cloud update probe (\d{8}T\d{6}Z) [0-9a-f]{8}(?: \(updated\))?$")
LEFTOVER_AGE = 600

TYPES = ("webhook", "slack", "email", "telegram", "x", "internal_notification")
STRATEGIES = ("auto", "update", "recreate")
NAMES = ("Pager", "pager", "Ops", "Équipe d'astreinte", "a <b> c", "  Spaced  ",
         # Look like the probe, but are not what the collection writes: the user's.
         PROBE_PREFIX + " 20200101T000000Z", PROBE_PREFIX + " 20200101T000000Z 0123abcd backup",
         PROBE_PREFIX + " 20201399T000000Z 0123abcd")
TOKENS = ("a1", "b2", "c3")
VALUES = {
    "url": ["https://hooks.example.com/%s-%s" % (CANARY, token) for token in TOKENS],
    "email": ["ops@example.com", "dev@example.com"],
    "telegram_token": ["123456:%s-%s" % (CANARY, token) for token in TOKENS],
    "telegram_chat_id": ["-100123", "@channelname"],
    "text": ["%s-x-%s" % (CANARY, token) for token in TOKENS],
}
# What a server that validates nothing may hold (rule 10): written by hand, or by another client.
ODD_VALUES = {
    "url": ["hooks.example.com/%s-odd" % CANARY, ""],
    "email": ["ops@localhost", ""],
    "telegram_token": ["%s-not-a-token" % CANARY],
    "telegram_chat_id": ["chat"],
    "text": [""],
}

FAULT_KINDS = tuple(kind for kind in os.environ.get("MODEL_BASED_FAULTS", ",".join(FAULTS)).split(",") if kind in FAULTS)
PROFILE = os.environ.get("MODEL_BASED_PROFILE", "fixed")
EXAMPLES = int(os.environ.get("MODEL_BASED_EXAMPLES", "0") or 0)


# The oracle's own view of names, masks and probes: written from the docs, not imported from the code under test.

@functools.lru_cache(maxsize=None)
def name_forms(wanted):
    wanted = wanted.strip(" \t\n\r\x00\x0b")
    return (wanted, cleaned(wanted, 128))


def same_name(wanted, stored):
    return stored in name_forms(wanted)


def mask_of(value, salt=SALT):
    return "%s#%s" % (MASK, hmac.new(salt.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()[:12])


def probe_age(raw, now):
    """Seconds since a probe of the collection was made; None for any other handler."""
    match = PROBE_FORMAT.match(raw["name"] or "")
    if raw["type"] != "internal_notification" or match is None:
        return None
    try:
        made = datetime.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ")
    except ValueError:
        return None
    return now - calendar.timegm(made.timetuple())


def is_probe(raw):
    return probe_age(raw, time.time()) is not None


def enabled(raw):
    return raw["is_enabled"] in (1, 2, True)


# Running a task as ansible-core runs a module: the params with every option, the outputs caught.

def options(item):
    """An item's options with every option present, as ansible-core fills them in."""
    filled = dict(id=item.get("id"), name=item.get("name"), type=item.get("type"), enabled=item.get("enabled"),
                  state=item.get("state", "present"))
    filled.update((name, item.get("settings", {}).get(name)) for name in FIELDS)
    return filled


def run_task(client, task, check_mode):
    """The module's outputs: (result or None, failure or None, warnings)."""
    params = dict(api_key=SALT, update_strategy=task["strategy"])
    if task["module"] == "single":
        params.update(options(task["items"][0]))
        run = _handler_state.run
    else:
        params.update(handlers=[options(item) for item in task["items"]], purge=task["purge"], delete_all_handlers=task["delete_all"])
        run = _handler_list.run
    module = FakeModule(client, params, SALT, check_mode)
    with pytest.raises(ModuleExit):
        run(module)
    return module.exited, module.failed, module.warned


# What the task names, and what a racing run of it would create.

def named_ids(item, before):
    """The ids of the handlers of the account (before the task) that an item names."""
    if item.get("id") is not None:
        handler = before.get(item["id"])
        if handler is None:
            return []
        if item.get("name") is not None and not same_name(item["name"], handler["name"]):
            return [] if item["state"] == "absent" else [item["id"]]
        return [item["id"]]
    return [handler_id for handler_id, handler in before.items() if same_name(item["name"], handler["name"])]


def racing_creates(task, before):
    """What a run of the same declaration creates: the present items by name that match no handler, complete, unmasked."""
    racing = []
    for item in task["items"]:
        settings_given = item.get("settings", {})
        if (item.get("id") is None and item["state"] == "present" and item.get("type") and not named_ids(item, before)
                and all(settings_given.get(name) for name in field_names(item["type"]))
                and not any(value.startswith(MASK) for value in settings_given.values())):
            racing.append((item["name"], item["type"], dict(settings_given)))
    return racing


# The judge.

class Stats:
    examples = 0
    steps = 0
    checks = 0
    faults = 0
    outcomes = {}  # for MODEL_BASED_DEBUG: how tasks ended

    @classmethod
    def line(cls):
        return "model-based: %d examples, %d steps, %d invariant checks, %d faults fired, 0 violations" % (
            cls.examples, cls.steps, cls.checks, cls.faults)


class Judge:
    """Checks the invariants of one task and counts them; the violations, if any, fail the step with the whole story."""

    def __init__(self, task, before, server):
        self.task = task
        self.before = before
        self.server = server
        self.after = server.snapshot()
        self.violations = []
        self.run_writes = [write for write in server.writes if write.by == "run"]
        self.others = server.others_ids
        # Handlers another client deleted during the task: what the task read of them may be nothing at all.
        self.gone_by_others = set(write.handler_id for write in server.writes if write.by != "run" and write.op == "delete")
        self.own_probes = set(write.handler_id for write in self.run_writes if write.op == "create" and write.handler_id not in before
                              and PROBE_FORMAT.match(write.name or "") and write.type == "internal_notification")
        self.named = set(handler_id for item in task["items"] for handler_id in named_ids(item, before))
        self.purges = task["module"] == "list" and task["purge"]

    def check(self, holds, what):
        Stats.checks += 1
        if not holds:
            self.violations.append(what)

    def counted_writes(self):
        """The writes that make a change: all but those to this run's own probes, which count only where left behind."""
        writes = [write for write in self.run_writes if write.handler_id not in self.own_probes]
        return writes + [write for write in self.run_writes if write.handler_id in self.after and write.handler_id in self.own_probes]

    # Every output.

    def no_secret(self, outputs, which):
        self.check(CANARY not in repr(outputs), "%s shows a secret in clear: %r" % (which, outputs))

    def no_mask_sent(self):
        for form in self.server.forms:
            self.check(not any(isinstance(value, str) and value.strip().startswith(MASK) for value in form.values()),
                       "a masked value was sent to the server as the value itself: %r" % form)

    # The real run.

    def untouched(self, warnings):
        """No handler the task did not name (and purge did not cover) is deleted or changed; a leftover probe removed is reported."""
        now = time.time()
        for handler_id, handler in self.before.items():
            if handler_id in self.named or handler_id in self.others or (self.purges and not is_probe(handler)):
                continue
            age = probe_age(handler, now)
            if age is not None and age > LEFTOVER_AGE and handler_id not in self.after:
                self.check(any(re.search(r"\b%d\b" % handler_id, warning) for warning in warnings),
                           "leftover probe %d was deleted without a warning that names it" % handler_id)
                continue
            self.check(self.after.get(handler_id) == handler, "handler %d, which the task did not name, was %s: %r -> %r" % (
                handler_id, "deleted" if handler_id not in self.after else "changed", handler, self.after.get(handler_id)))

    def none_broken(self):
        """No handler that the run wrote loses its type or settings (a mangled handler never results from a run)."""
        for handler_id, handler in self.after.items():
            if handler_id in self.own_probes or handler_id in self.others or self.before.get(handler_id) == handler:
                continue
            self.check(handler["type"] in TYPE_NAMES and "" not in handler["settings"]
                       and set(field_names(handler["type"])) <= set(handler["settings"]),
                       "handler %d was left without its type or settings: %r" % (handler_id, handler))

    def changed_and_told(self, result, failure):
        """changed is true exactly when something was written; after a failure, the message names every write."""
        writes = self.counted_writes()
        outcome = result if failure is None else failure
        may_have = failure is not None and "may have" in failure.get("msg", "")
        self.check(bool(outcome.get("changed")) == bool(writes) or (may_have and outcome.get("changed")),
                   "changed is %r, but the run wrote %r" % (outcome.get("changed"), writes))
        if failure is None:
            return
        message = failure.get("msg", "")
        for write in writes:
            if write.op == "create" and write.timed_out:
                told = write.name in message or cleaned(write.name, 128) in message or "may have" in message
            else:
                told = re.search(r"\b%d\b" % write.handler_id, message) is not None
            self.check(told, "the failure's message does not say that the task applied %r: %s" % (write, message))

    def as_declared(self, result):
        """After a success: each present item as wanted, once; each absent item gone; with purge, nothing else left."""
        representatives = {}
        new_ids = [handler_id for handler_id in self.after if handler_id not in self.before and handler_id not in self.others]
        for index, item in enumerate(self.task["items"]):
            if item["state"] == "absent":
                self.check_absent(index, item)
                continue
            if item.get("id") is not None and item["id"] not in self.before:
                self.check(False, "handlers[%d] names id %d, which does not exist, and the task succeeded" % (index, item["id"]))
                continue
            candidates = self.candidates(item, new_ids)
            self.check(bool(candidates), "handlers[%d] %r is not as declared after a success; the account holds %r" % (
                index, item, self.after))
            representatives[index] = candidates
        chosen = distinct_choice(representatives)
        self.check(chosen is not None or not all(representatives.values()),
                   "two items are served by one handler after a success: %r" % representatives)
        chosen = chosen or {}
        for item in self.task["items"]:
            if item["state"] == "present":
                name = self.target_name(item)
                if name is not None:
                    # Another client's namesake, created while the task ran, is that client's doing, not a duplicate of the run.
                    count_after = sum(1 for handler_id, handler in self.after.items()
                                      if handler["name"] == name and handler_id not in self.others)
                    count_before = sum(1 for handler in self.before.values() if handler["name"] == name)
                    self.check(count_after <= max(1, count_before), "the run left %d handlers named %r (%d before): %r" % (
                        count_after, name, count_before, self.after))
        kept = set(chosen.values())
        for handler_id in new_ids:
            self.check(handler_id in kept or handler_id in self.own_probes,
                       "handler %d, made by the run, is left over after a success: %r" % (handler_id, self.after[handler_id]))
        if self.purges:
            for handler_id, handler in self.before.items():
                if handler_id not in kept and handler_id not in self.others and not is_probe(handler):
                    self.check(handler_id not in self.after, "purge left handler %d: %r" % (handler_id, handler))
        if self.task["module"] == "list":
            self.reported(result)

    def reported(self, result):
        """The list module's result tells what this run did: deleted lists only what it deleted."""
        deleted_by_run = set(write.handler_id for write in self.run_writes if write.op == "delete")
        for entry in result.get("deleted", []):
            self.check(entry["id"] in deleted_by_run, "deleted lists handler %d, which this run did not delete" % entry["id"])
        told = set(entry["id"] for entry in result.get("deleted", [])) | set(entry["old_id"] for entry in result.get("replaced", []))
        for handler_id in deleted_by_run:
            if handler_id in self.before and not is_probe(self.before[handler_id]):
                self.check(handler_id in told, "the run deleted handler %d, but neither deleted nor replaced says so: %r" % (
                    handler_id, result))
        for key in ("created", "updated", "replaced"):
            for entry in result.get(key, []):
                self.check(entry["id"] in self.after, "%s names handler %d, which does not exist after the run" % (key, entry["id"]))

    def check_absent(self, index, item):
        if item.get("id") is not None and item.get("name") is not None and item["id"] in self.before \
                and item["id"] not in self.gone_by_others and not same_name(item["name"], self.before[item["id"]]["name"]):
            self.check(False, "handlers[%d] is absent with id %d and a name that is not its name, and the task succeeded"
                       % (index, item["id"]))
            return
        if item.get("id") is not None:
            self.check(item["id"] not in self.after, "handlers[%d]: handler %d is still there after a success" % (index, item["id"]))
        else:
            left = [handler_id for handler_id, handler in self.after.items() if same_name(item["name"], handler["name"])
                    and handler_id not in self.others]
            self.check(not left, "handlers[%d]: %r is still there after a success (%r)" % (index, item["name"], left))

    def target_name(self, item):
        if item.get("name") is not None:
            return cleaned(item["name"], 128)
        handler = self.before.get(item.get("id"))
        return handler["name"] if handler else None

    def candidates(self, item, new_ids):
        """The handlers after the run that serve an item as declared."""
        if item.get("id") is not None:
            pool = [item["id"]] + new_ids
        else:
            pool = [handler_id for handler_id in self.after if same_name(item["name"], self.after[handler_id]["name"])]
        return [handler_id for handler_id in pool if handler_id in self.after and self.serves(item, self.after[handler_id])]

    def serves(self, item, handler):
        base = self.before.get(item.get("id")) if item.get("id") is not None else next(
            (old for old in self.before.values() if same_name(item["name"], old["name"])), None)
        name = cleaned(item["name"], 128) if item.get("name") is not None else (base or {}).get("name")
        wanted_type = item.get("type") or (base or {}).get("type")
        if handler["name"] != name or handler["type"] != wanted_type:
            return False
        if item.get("enabled") is not None and enabled(handler) != item["enabled"]:
            return False
        for field, value in item.get("settings", {}).items():
            if value is None:
                continue
            if value.startswith(MASK):
                kept = (base or {}).get("settings", {}).get(field) if base and base["type"] == wanted_type else None
                if kept is None or mask_of(kept) != value or handler["settings"].get(field) != kept:
                    return False
            elif handler["settings"].get(field) != value.strip():
                return False
        return True

    # Check mode against the real run.

    def predicted(self, check, real):
        """Where no fault fired, check mode predicts the real run: success, changed and diff."""
        (check_result, check_failure, check_warnings), (real_result, real_failure, _warnings) = check, real
        if check_failure is not None:
            self.check(real_failure is not None, "check mode failed (%s) where the real run succeeded" % check_failure.get("msg"))
            return
        if real_failure is not None:
            self.check(bool(check_warnings), "check mode predicted success without a word of doubt, the real run failed: %s"
                       % real_failure.get("msg"))
            return
        self.check(check_result["changed"] == real_result["changed"], "check mode predicted changed=%r, the real run gave %r" % (
            check_result["changed"], real_result["changed"]))
        self.check(check_result.get("diff") == real_result.get("diff"), "check mode's diff %r is not the real run's %r" % (
            check_result.get("diff"), real_result.get("diff")))
        predicted, actual = check_result.get("notification_handler"), real_result.get("notification_handler")
        if predicted and actual:
            for key, value in predicted.items():
                # None: not known before the real run (a new id, a confirmation to come); an id where check mode said it
                # cannot tell whether the server takes updates in place.
                if value is not None and not (key == "id" and check_warnings):
                    self.check(actual.get(key) == value, "check mode predicted %s=%r, the real run gave %r" % (key, value, actual.get(key)))

    def verdict(self, told):
        if self.violations:
            raise AssertionError("%d invariant(s) violated:\n- %s\n%s" % (len(self.violations), "\n- ".join(self.violations), told()))


def distinct_choice(candidates):
    """One distinct handler per item from its candidates, or None where there is no such choice."""
    indexes = sorted(candidates)
    for choice in itertools.product(*(candidates[index] for index in indexes)):
        if len(set(choice)) == len(choice):
            return dict(zip(indexes, choice))
    return None


# What Hypothesis draws.

def value_for(field, rng_pick, odd=False):
    kind = FIELDS[field].kind
    pool = VALUES[kind] + (ODD_VALUES[kind] if odd else [])
    return pool[rng_pick % len(pool)]


@st.composite
def stored_handlers(draw):
    """A handler as the account may hold it, with cleaned names as the server stores them."""
    kind = draw(st.sampled_from(["user"] * 6 + ["old probe", "young probe", "old probe updated", "probe name, other type"]))
    if kind == "user":
        handler_type = draw(st.sampled_from(TYPES))
        name = cleaned(draw(st.sampled_from(NAMES)), 128)
    else:
        age = 30 if kind == "young probe" else 10 * 86400
        handler_type = "webhook" if kind == "probe name, other type" else "internal_notification"
        name = "probe:%d%s" % (age, " (updated)" if kind == "old probe updated" else "")  # stamped at seeding time
    odd = draw(st.booleans())
    settings = dict((field, value_for(field, draw(st.integers(0, 4)), odd)) for field in field_names(handler_type))
    levels = [0, 1] + ([2] if handler_type == "email" else [])
    return dict(name=name, type=handler_type, settings=settings, is_enabled=draw(st.sampled_from(levels)))


def seed(server, handler):
    name = handler["name"]
    if name.startswith("probe:"):
        age, _space, updated = name[len("probe:"):].partition(" ")
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - int(age)))
        name = "%s %s 0123abcd%s" % (PROBE_PREFIX, stamp, " " + updated if updated else "")
    return server.seed(name, handler["type"], handler["settings"], handler["is_enabled"])


@st.composite
def declared_items(draw, account):
    """One item: by id, by name or both (a rename, or an absent item that must match), with masks and odd values."""
    by_id = dict((handler["id"], handler) for handler in account)
    how = draw(st.sampled_from(["name", "id", "id and name"])) if account else "name"
    item = {"state": draw(st.sampled_from(["present"] * 3 + ["absent"]))}
    target = None
    if "id" in how:
        item["id"] = draw(st.sampled_from(sorted(by_id) + [9999]))
        target = by_id.get(item["id"])
    if "name" in how:
        names = sorted(set(handler["name"] for handler in account if not is_probe(handler))) + list(NAMES)
        item["name"] = draw(st.sampled_from(names))
        if target is None:
            target = next((handler for handler in account if same_name(item["name"], handler["name"])), None)
    if item["state"] == "absent":
        return item
    kinds = ([target["type"]] * 3 if target and target["type"] in TYPES else []) + list(TYPES)
    item["type"] = draw(st.one_of(st.sampled_from(kinds), st.none()) if target else st.sampled_from(TYPES))
    item["enabled"] = draw(st.sampled_from([None, None, True, False]))
    handler_type = item["type"] or (target or {}).get("type")
    settings = {}
    for field in field_names(handler_type) if handler_type in TYPE_NAMES else ():
        stored = (target or {}).get("settings", {}).get(field) if target and target["type"] == handler_type else None
        choices = ["new", "new", "stored", "stored", "none"] + (["mask", "mask", "bad mask"] if field in SECRET_FIELDS else [])
        choice = draw(st.sampled_from(choices))
        if choice == "new" or (choice in ("stored", "mask") and stored is None):
            settings[field] = value_for(field, draw(st.integers(0, 4)))
        elif choice == "stored":
            settings[field] = stored
        elif choice == "mask":
            settings[field] = mask_of(stored)
        elif choice == "bad mask":
            base = stored if stored is not None else value_for(field, 0)
            settings[field] = draw(st.sampled_from([MASK, mask_of(base).upper(), mask_of(base)[:-4], mask_of(base, OTHER_SALT),
                                                    mask_of(value_for(field, 1))]))
    item["settings"] = settings
    return item


@st.composite
def tasks(draw, account):
    module = draw(st.sampled_from(["single", "list"]))
    # Mostly items that name different handlers: a list that names one twice is refused before any request (a plain test's job).
    items = draw(st.lists(declared_items(account), min_size=1, max_size=1 if module == "single" else 4,
                          unique_by=lambda item: ("id", item["id"]) if item.get("id") is not None else ("name", cleaned(item["name"], 128))))
    purge = module == "list" and draw(st.sampled_from([False, False, True]))
    return dict(module=module, items=items, purge=purge, delete_all=purge and draw(st.booleans()),
                strategy=draw(st.sampled_from(STRATEGIES)))


faults = st.lists(st.builds(Fault, at=st.integers(0, 9), kind=st.sampled_from(FAULT_KINDS), pick=st.integers(0, 7)), max_size=3) \
    if FAULT_KINDS else st.just([])


def normalized(raw):
    return dict(raw, enabled=enabled(raw))


def step(server, task, drawn_faults):
    """One task: check mode on a copy of the account, then the real run with the faults; every invariant checked."""
    Stats.steps += 1
    before = server.snapshot()
    twin = server.copy()
    check = run_task(twin, task, check_mode=True)
    server.start_task(drawn_faults, protected=set(i for item in task["items"] for i in named_ids(item, before)),
                      racing=racing_creates(task, before), before=before)
    real = run_task(server, task, check_mode=False)
    server.racers_settle()
    Stats.faults += len(server.fired)
    if os.environ.get("MODEL_BASED_DEBUG"):
        ending = "ok changed=%s writes=%d" % (real[0]["changed"], len(server.writes)) if real[1] is None else \
            "failed: " + re.sub(r"[0-9]+", "N", real[1]["msg"])[:90]
        Stats.outcomes[ending] = Stats.outcomes.get(ending, 0) + 1

    judge = Judge(task, before, server)
    judge.check(not twin.writes, "check mode wrote: %r" % twin.writes)
    judge.no_secret(check, "check mode")
    judge.no_secret(real, "the real run")
    judge.no_mask_sent()
    result, failure, warnings = real
    judge.untouched(warnings)
    judge.none_broken()
    judge.changed_and_told(result, failure)
    if failure is None:
        judge.as_declared(result)
    if not server.fired:
        judge.predicted(check, real)
    judge.verdict(lambda: story(server, task, drawn_faults, before, check, real))
    return real


# The machine.

class HandlerAccounts(RuleBasedStateMachine):
    """One account on one server version; each step one task (or the owner of an address confirming it)."""

    @initialize(server=st.sampled_from(SERVERS), handlers=st.lists(stored_handlers(), max_size=8))
    def account(self, server, handlers):
        Stats.examples += 1
        self.server = FakeServer(*server)
        for handler in handlers:
            if not self.server.email_confirmation:
                handler = dict(handler, is_enabled=min(handler["is_enabled"], 1))  # nothing waits for a confirmation
            seed(self.server, handler)

    @rule(data=st.data())
    def task(self, data):
        before = self.server.snapshot()
        task = data.draw(tasks([normalized(handler) for handler in before.values()]))
        step(self.server, task, data.draw(faults))

    @precondition(lambda self: any(handler["is_enabled"] == 2 for handler in self.server.stored.values()))
    @rule()
    def owners_confirm(self):
        self.server.confirm_all()

    @rule(data=st.data())
    def export_round_trips(self, data):
        """The account's own declaration, fed back to the list module, changes nothing and is not refused."""
        Stats.steps += 1
        before = self.server.snapshot()
        task = dict(module="list", items=exported(self.server), purge=data.draw(st.booleans()), delete_all=True,
                    strategy=data.draw(st.sampled_from(STRATEGIES)))
        self.server.start_task()
        real = run_task(self.server, task, check_mode=data.draw(st.booleans()))
        judge = Judge(task, before, self.server)
        judge.no_secret(real, "the round trip")
        judge.check(real[1] is None, "the account's own declaration was refused: %s" % (real[1] or {}).get("msg"))
        judge.check(not self.server.writes, "the account's own declaration wrote: %r" % self.server.writes)
        judge.check(real[0] is None or real[0]["changed"] is False, "the account's own declaration reported changed")
        judge.verdict(lambda: story(self.server, task, [], before, None, real))


def exported(server):
    """The account's declaration as the info module exports it (the same functions, not a copy): secrets masked, an id for
    the handlers that share a name, every handler listed, a leftover probe and a handler the server broke included."""
    items = []
    for item in declaration([masked_handler(handler, SALT) for handler in server.normalized()]):
        settings = dict((field, item.pop(field)) for field in list(item) if field not in ("id", "name", "type", "enabled"))
        items.append(dict(item, state="present", settings=settings))
    return items


def story(server, task, drawn_faults, before, check, real):
    note_text = "\n".join([
        "server: updates %s, email confirmation %s" % (server.update_mode, "on" if server.email_confirmation else "off"),
        "account before: %r" % sorted(before.values(), key=lambda handler: handler["id"])[-12:],
        "task: %r" % task,
        "faults drawn: %r; fired: %r" % (drawn_faults, server.fired),
        "writes: %r" % server.writes,
        "check mode: %r" % (check,),
        "real run: %r" % (real,),
        "account after: %r" % sorted(server.stored.values(), key=lambda handler: handler["id"])[-12:],
    ])
    try:
        note(note_text)  # in the falsifying example's report
    except InvalidArgument:
        pass  # a plain test: the assertion carries the story
    return note_text


PROFILES = {
    # make test: the same examples every run, within its time.
    "fixed": settings(derandomize=True, database=None, max_examples=EXAMPLES or 400, stateful_step_count=8, deadline=None,
                      suppress_health_check=list(HealthCheck), print_blob=False, phases=[phase for phase in Phase if phase != Phase.explain]),
    # make soak: fresh seeds, many examples, a deadline per example.
    "soak": settings(derandomize=False, database=None, max_examples=EXAMPLES or 2000, stateful_step_count=8,
                     deadline=datetime.timedelta(seconds=20), suppress_health_check=list(HealthCheck), print_blob=True),
}


# Pages of 4 handlers, so that an account of a few handlers has a second page where a read can shift (in the code and
# in the fake alike: the fake reads _client.PAGE_SIZE).
PAGE_SIZE = 4


class WaitingOnTheServer(_handler_state.HandlerState):
    """HandlerState whose pause for a racing run (sleep) lets the fake's racing run settle instead of sleeping."""

    def __init__(self, client, *args, **kwargs):
        if hasattr(client, "wait"):
            kwargs["sleep"] = client.wait
        super().__init__(client, *args, **kwargs)


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    """Small pages, no real waiting, and each task probes for itself (no outcome shared through a file of this machine)."""
    monkeypatch.setattr(_client, "PAGE_SIZE", PAGE_SIZE)
    monkeypatch.setattr(_handler_list, "PAGE_SIZE", PAGE_SIZE, raising=False)
    monkeypatch.setattr(_handler_state, "HandlerState", WaitingOnTheServer)
    monkeypatch.setattr(_handler_state, "playbook_run", lambda: None, raising=False)


def test_the_state_logic_keeps_its_invariants_whatever_is_drawn(capsys, record_property):
    started = time.time()
    run_state_machine_as_test(HandlerAccounts, settings=PROFILES[PROFILE])
    line = "%s (%s profile, %.0f s)" % (Stats.line(), PROFILE, time.time() - started)
    # For a summary line at the end of the session, from xdist's workers too (the report's user_properties).
    record_property("model-based", line)
    if os.environ.get("MODEL_BASED_SUMMARY"):
        with open(os.environ["MODEL_BASED_SUMMARY"], "w") as summary:
            summary.write(line + "\n")
    with capsys.disabled():
        print("\n" + line)
        for ending, count in sorted(Stats.outcomes.items(), key=lambda pair: -pair[1]):
            print("%6d %s" % (count, ending))
    assert Stats.checks > 0


# The examples that found bugs, and the ones that show a fix of issue 18 holds, as plain tests: one step each, judged
# by the same invariants.

HOOK = "https://hooks.example.com/%s-a1" % CANARY
HOOK2 = "https://hooks.example.com/%s-b2" % CANARY
OLD_STAMP = "20200101T000000Z"


def account(server_kind, *handlers):
    server = FakeServer(*server_kind)
    for name, handler_type, settings in handlers:
        server.seed(name, handler_type, settings)
    return server


def single(strategy="auto", **item):
    item.setdefault("state", "present")
    return dict(module="single", items=[item], purge=False, delete_all=False, strategy=strategy)


def listed(*items, **options):
    for item in items:
        item.setdefault("state", "present")
    return dict(module="list", items=list(items), purge=options.get("purge", False), delete_all=options.get("delete_all", False),
                strategy=options.get("strategy", "auto"))


def test_the_probe_removes_only_its_own_leftovers_and_says_so():
    """The fix the model-based test was shown to find when reverted (issue 18, point 1): a handler whose name starts like
    the probe's is the user's; only the exact leftover probe goes, and a warning names it."""
    server = account((FAITHFUL_SERVER, False), ("Ops", "webhook", {"webhook": HOOK}),
                     ("%s %s 0123abcd backup" % (PROBE_PREFIX, OLD_STAMP), "internal_notification", {}),
                     ("%s %s 0123abcd" % (PROBE_PREFIX, OLD_STAMP), "webhook", {"webhook": HOOK2}),
                     ("%s %s 0123abcd" % (PROBE_PREFIX, OLD_STAMP), "internal_notification", {}))
    result, failure, warnings = step(server, single(name="Ops", type="webhook", settings={"webhook": HOOK2}), [])
    assert failure is None and result["changed"] is True
    assert sorted(server.stored) == [1, 2, 3]  # the leftover probe 4 went, and the warning said so (Judge.untouched)
    assert any("4" in warning for warning in warnings)


def test_a_list_item_absent_by_id_with_another_name_deletes_nothing():
    """Found by the model-based test (shrunk): issue 18 point 8 holds for the single module; the list module deleted handler
    1 by its id although the item's name is not its name."""
    server = account((FAITHFUL_SERVER, False), ("Ops", "webhook", {"webhook": HOOK}))
    _result, failure, _warnings = step(server, listed(dict(id=1, name="Pager", state="absent")), [])
    assert failure is not None and 1 in server.stored


def test_a_delete_that_timed_out_after_the_server_applied_it_is_a_change():
    """Found by the model-based test (shrunk): the server deletes handler 1 but the answer never comes (every retry of the
    client timed out). The task failed with changed: false and no word that the handler may be gone."""
    server = account((FAITHFUL_SERVER, False), ("Ops", "webhook", {"webhook": HOOK}))
    _result, failure, _warnings = step(server, single(id=1, state="absent"), [Fault("delete_handler", TIMEOUT)])
    assert failure is not None and failure["changed"] is True


def test_a_create_that_timed_out_after_the_server_applied_it_is_a_change():
    server = account((FAITHFUL_SERVER, False))
    _result, failure, _warnings = step(server, single(name="Ops", type="webhook", settings={"webhook": HOOK}),
                                       [Fault("create_handler", TIMEOUT)])
    assert failure is not None and failure["changed"] is True


def test_a_racing_run_of_the_same_declaration_leaves_one_handler():
    """Another run creates the same handler just before this run's create: the lower id wins, one handler is left."""
    server = account((MANGLED_SERVER, False), ("Pager", "slack", {"slack": HOOK}))
    step(server, single(name="Ops", type="webhook", settings={"webhook": HOOK}), [Fault("create_handler", RACING_CREATE)])
    assert [handler["name"] for handler in server.stored.values()].count("Ops") == 1


def test_choosing_one_of_two_namesakes_by_id_leaves_the_other_alone():
    """Issue 18 point 2: on a server that mangles updates, the replacement of handler 1 must not take handler 2 for a rival."""
    server = account((MANGLED_SERVER, False), ("Pager", "slack", {"slack": HOOK}), ("Pager", "webhook", {"webhook": HOOK2}))
    result, failure, _warnings = step(server, single(id=1, name="Pager", type="slack", settings={"slack": HOOK2}), [])
    assert failure is None and result["changed"] is True and server.stored[2]["type"] == "webhook"


def test_a_handler_deleted_by_another_client_while_the_pages_were_read_is_already_gone_not_deleted():
    """Issue 18 point 7: pages shift while they are read (another client deletes a handler of page 1 and creates one); the
    client's two reads list the handler that is gone, so purge's delete of it answers 404: already gone, not deleted."""
    others = [("other %d" % number, "webhook", {"webhook": HOOK}) for number in range(PAGE_SIZE)]
    server = account((FAITHFUL_SERVER, False), *(others + [("Pager", "slack", {"slack": HOOK2})]))
    result, failure, _warnings = step(server, listed(dict(name="Pager", type="slack"), purge=True), [Fault("list_handlers", PAGE_SHIFT)])
    assert server.fired and failure is None
    # The handler the other client created is on the second read: purge deletes it too.
    assert sorted(entry["name"] for entry in result["deleted"]) == ["elsewhere 0"] + ["other %d" % number for number in range(1, PAGE_SIZE)]
    assert [entry["name"] for entry in result["already_gone"]] == ["other 0"]


def test_a_list_that_renames_a_handler_to_a_name_another_item_wants_absent_is_refused():
    """Found by the model-based test (shrunk): one item wants 'Ops' absent, another renames handler 1 to 'Ops'. The task
    succeeded, renamed handler 1 to 'Ops', and so ended with the 'Ops' the first item wants gone."""
    server = account((FAITHFUL_SERVER, False), ("Pager", "webhook", {"webhook": HOOK}))
    _result, failure, _warnings = step(server, listed(dict(name="Ops", state="absent"),
                                                      dict(id=1, name="Ops", type="webhook", settings={"webhook": HOOK})), [])
    assert failure is not None and server.stored[1]["name"] == "Pager"


def test_the_probe_does_not_remove_a_leftover_probe_that_the_task_itself_declares_present():
    """Found by the model-based test (shrunk): an item declares handler 1, a leftover probe, present by its id; the probe
    that the other item's update needs deletes it as a leftover. The task succeeded and still listed handler 1."""
    server = account((FAITHFUL_SERVER, False), ("%s %s 0123abcd" % (PROBE_PREFIX, OLD_STAMP), "internal_notification", {}),
                     ("Ops", "webhook", {"webhook": HOOK}))
    _result, failure, _warnings = step(server, listed(dict(id=1, type="internal_notification"),
                                                      dict(name="Ops", type="webhook", settings={"webhook": HOOK2})), [])
    assert failure is not None or 1 in server.stored


def test_an_absent_item_whose_handler_another_client_deleted_before_the_read_is_nothing_to_delete():
    """Found by make soak (a judge's false alarm, kept as an example): handler 1 goes before the task reads it, so its id
    names no handler and there is no name to compare: nothing to delete, no change, success."""
    server = account((FAITHFUL_SERVER, False), ("Ops", "webhook", {"webhook": HOOK}))
    result, failure, _warnings = step(server, single(id=1, name="Pager", state="absent"), [Fault(0, GONE, 0)])
    assert failure is None and result["changed"] is False and server.stored == {}


def test_check_mode_predicts_no_confirmation_for_a_pending_email_handler_turned_into_a_webhook():
    """Found by make soak: a pending email handler (rule 8) changed to a webhook; check mode predicted it still pending.
    step() checks that check mode predicts the real run's result."""
    server = FakeServer(MANGLED_SERVER, True)
    server.seed("Pager", "email", {"email": "ops@example.com"}, 2)
    result, failure, _warnings = step(server, single(name="Pager", type="webhook", settings={"webhook": HOOK}), [])
    assert failure is None and result["notification_handler"]["pending_confirmation"] is False


def test_a_racing_run_under_recreate_converges_the_winner_once():
    """Found by make soak: under recreate, a racing run creates the same handler first; converging the winner creates its
    replacement, whose read-back took the winner for a racing run's handler again, and so on (RecursionError)."""
    server = account((FAITHFUL_SERVER, False))
    result, failure, _warnings = step(server, listed(dict(name="Ops", type="internal_notification", enabled=False), strategy="recreate"),
                                      [Fault("create_handler", RACING_CREATE)])
    assert server.fired and failure is None and result["changed"] is True
    assert [handler["name"] for handler in server.stored.values()] == ["Ops"]


def test_a_namesake_another_client_creates_while_the_task_runs_is_not_the_runs_duplicate():
    """Found by make soak (a judge's false alarm, kept as an example): another client creates a second 'elsewhere 0' after
    the task read the account; the task updates its own in place and leaves the other client's alone."""
    server = account((FAITHFUL_SERVER, False), ("elsewhere 0", "webhook", {"webhook": HOOK}))
    result, failure, _warnings = step(server, single(name="elsewhere 0", type="webhook", settings={"webhook": HOOK2}),
                                      [Fault("create_handler", OTHER_CREATES)])
    assert server.fired and failure is None and result["changed"] is True
    assert sorted(server.stored) == [1, 2] and server.stored[1]["settings"] == {"webhook": HOOK2}


def test_a_leftover_probe_whose_delete_got_no_answer_and_cannot_be_read_may_be_gone():
    """Found by the model-based test: the delete of an earlier run's leftover probe timed out after the server applied it,
    and the read that should tell whether it is gone timed out too; the task then failed (a disabled handler cannot be
    replaced on this server) claiming changed: false, and its message did not say that the leftover may be gone."""
    server = account((IGNORED_SERVER, False), ("%s %s 0123abcd" % (PROBE_PREFIX, OLD_STAMP), "internal_notification", {}))
    server.seed("Pager", "webhook", {"webhook": HOOK}, is_enabled=0)
    _result, failure, warnings = step(server, single(name="Pager", type="webhook", settings={"webhook": HOOK2}),
                                      [Fault(5, TIMEOUT), Fault(6, TIMEOUT)])
    assert 1 not in server.stored and failure["changed"] is True and "may have deleted the throwaway handler 1" in failure["msg"]
    assert any("may not have been deleted" in warning for warning in warnings)


def test_check_mode_does_not_predict_the_confirmation_of_a_pending_email_handler_turned_into_another_type():
    """Found by make soak: on a server that takes updates in place, a pending email handler changed to another type keeps
    its stored 2 (rules 6, 8); replaced, it would start at 1. Check mode, not knowing which, predicted false."""
    server = FakeServer(FAITHFUL_SERVER, True)
    server.seed("Pager", "email", {"email": "ops@example.com"}, 2)
    result, failure, _warnings = step(server, single(name="Pager", type="internal_notification"), [])
    assert failure is None and result["notification_handler"]["pending_confirmation"] is True


def test_enabling_an_email_handler_with_an_empty_stored_address_keeps_its_confirmation():
    """Found by make soak: a disabled email handler whose stored address is empty (the server validates nothing) was
    enabled with an update that left the address out, so a confirming server restarted the confirmation (rule 8),
    which check mode had not predicted. The update now carries the stored address, empty or not."""
    server = FakeServer(FAITHFUL_SERVER, True)
    server.seed("Pager", "email", {"email": ""}, 0)
    result, failure, _warnings = step(server, single(name="Pager", enabled=True, settings={"email": ""}), [])
    assert failure is None and result["notification_handler"]["pending_confirmation"] is False and server.stored[1]["is_enabled"] == 1
