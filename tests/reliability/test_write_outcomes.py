"""Safe writes: what the handler module writes, and says, where the server cannot be trusted (docs/dev/api-behaviour.md).

One table, OUTCOMES, one row per rule: the server's behaviour (switches, seeded handlers, faults), the task, and what
must be true after it: whether it failed and what the message says, whether it reported changed, the handlers the
simulator ends with (never one with type null, never a duplicate, never a throwaway probe handler), and the warning.
Each row is a real playbook run at -vvv --diff with the canaries.
"""

import dataclasses
import json

import pytest

from tests.handler_data import CANARIES, CHANGED_CANARIES, settings_of
from tests.reliability.harness import run_checked_playbook

PROBE_PREFIX = "dmpilot.cloud update probe"
HOOK = dict(settings_of("webhook"), name="Ops hook", type="webhook")
HOOK_SEED = {"name": "Ops hook", "type": "webhook", "settings": settings_of("webhook")}
HOOK_CHANGED = dict(HOOK, webhook=CHANGED_CANARIES["webhook"])
MAIL_SEED = {"name": "Ops mail", "type": "email", "settings": settings_of("email"), "is_enabled": 2}
CREATE = "/api/notification-handlers"


@dataclasses.dataclass(frozen=True)
class Outcome:
    name: str
    options: dict
    seed: tuple = ()
    switches: dict = dataclasses.field(default_factory=dict)
    faults: tuple = ()  # simulator fault specs; "{new}" in a path is the id the next create gets
    fails: bool = False
    changed: bool = True
    words: tuple = ()  # what the message (or the warning, for a success) says
    absent_words: tuple = ()
    stored: tuple = ()  # (name, type) of every handler the simulator ends with, in id order
    writes_to_seeded: bool = True  # whether any write may touch a seeded handler


OUTCOMES = (
    Outcome("rule 13, auto: the handler is replaced, and the warning names both ids", HOOK_CHANGED, seed=(HOOK_SEED,),
            switches={"b13_update_mode": "mangled"}, words=("id changed from 1 to 3",), stored=(("Ops hook", "webhook"),)),
    Outcome("rule 13, update: fails before writing to the handler", dict(HOOK_CHANGED, update_strategy="update"), seed=(HOOK_SEED,),
            switches={"b13_update_mode": "mangled"}, fails=True, changed=False,
            words=("update_strategy=update", "breaks the handlers it updates", "nothing was sent to notification handler 1"),
            stored=(("Ops hook", "webhook"),), writes_to_seeded=False),
    Outcome("no rule 13, auto: updated in place, the id kept", HOOK_CHANGED, seed=(HOOK_SEED,), absent_words=("replaced",),
            stored=(("Ops hook", "webhook"),)),
    Outcome("rule 13, a disabled create: fails before any write", dict(HOOK, enabled=False), switches={"b13_update_mode": "mangled"},
            fails=True, changed=False, writes_to_seeded=False,
            words=("cannot be created disabled", "cannot disable a handler through its API", "web interface", "Nothing was changed")),
    Outcome("the probe refused by the plan's limit: fails naming update_strategy, changes nothing", HOOK_CHANGED, seed=(HOOK_SEED,),
            switches={"plan_limit": 1}, fails=True, changed=False, words=("update_strategy: recreate", "Nothing was changed"),
            stored=(("Ops hook", "webhook"),), writes_to_seeded=False),
    Outcome("a probe left by a killed run is removed by the next probe", HOOK_CHANGED,
            seed=(HOOK_SEED, {"name": PROBE_PREFIX + " 20200101T000000Z abcd1234", "type": "internal_notification"}),
            stored=(("Ops hook", "webhook"),)),
    Outcome("replaced, but the old handler's delete fails: changed, and both ids said", HOOK_CHANGED, seed=(HOOK_SEED,),
            switches={"b13_update_mode": "mangled"}, faults=({"method": "DELETE", "path": CREATE + "/1", "status": 500, "times": None},),
            fails=True, words=("deleting handler 1 failed", "there twice now", "ids 1 and 3", "created handler 3"),
            stored=(("Ops hook", "webhook"), ("Ops hook", "webhook"))),
    Outcome("created, but gone when read back: changed, and not said to be deleted again", HOOK,
            faults=({"method": "GET", "path": CREATE, "query": {"search": "Ops hook"}, "remove": [1], "times": None},),
            fails=True, words=("reading it back answered 404", "created handler 1"), absent_words=("deleted again",)),
    Outcome("an email handler waiting for its owner's confirmation cannot be disabled: said so, nothing written",
            {"name": "Ops mail", "enabled": False}, seed=(MAIL_SEED,), fails=True, changed=False,
            words=("not confirmed the address", "Nothing was changed"), absent_words=("bug", "recreate"),
            stored=(("Ops mail", "email"),), writes_to_seeded=False),
)


def judge(row, result, handlers, log):
    message = (result.get("msg") or "") + " " + " ".join(str(warning) for warning in result.get("warnings") or [])
    assert "Traceback" not in json.dumps(result), "a traceback: %s" % json.dumps(result)[:2000]
    assert bool(result.get("failed")) == row.fails, "failed is %s: %s" % (result.get("failed"), message)
    assert bool(result.get("changed")) == row.changed, "changed is %s: %s" % (result.get("changed"), message)
    for word in row.words:
        assert word.lower() in message.lower(), "the message does not say %r: %s" % (word, message)
    for word in row.absent_words:
        assert word.lower() not in message.lower(), "the message says %r: %s" % (word, message)
    stored = [(handler["name"], handler["type"]) for handler in handlers]
    assert tuple(stored) == row.stored, "the simulator ends with %s, not %s" % (stored, list(row.stored))
    seeded = set(range(1, len(row.seed) + 1))
    if not row.writes_to_seeded:
        touched = [entry for entry in log if entry["method"] != "GET" and entry["path"].rstrip("/").rpartition("/")[2].isdigit()
                   and int(entry["path"].rstrip("/").rpartition("/")[2]) in seeded]
        assert touched == [], "it wrote to a seeded handler: %s" % [(entry["method"], entry["path"]) for entry in touched]


@pytest.mark.parametrize("row", OUTCOMES, ids=[row.name for row in OUTCOMES])
def test_write_outcome(row, simulator, ledger):
    simulator.reset("realistic", switches=dict({"b3_rate_limit": False}, **row.switches), keys={CANARIES["api_key"]: 1})
    if row.seed:
        simulator.seed(handlers=[dict(handler, api_key=CANARIES["api_key"]) for handler in row.seed])
    for fault in row.faults:
        simulator.fault(**fault)
    simulator.clear_log()
    run, result = run_checked_playbook(ledger, "race.yml", simulator, extra_vars={"raced_handler": row.options})
    ledger.check("safe writes", row.name, judge, row, result or {"msg": run.output[-2000:]}, simulator.handlers(), simulator.log())
    ledger.assert_all_passed()
