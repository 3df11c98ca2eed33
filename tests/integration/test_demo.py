"""`make demo`'s tools/demo.py, run against a server that can disable a handler and one that cannot (issue 17).

It runs as `make demo` runs it, with the source tree's collection (build/collections) in place of the installed tarball,
and its summary is read back: every step passes, the rerun changes nothing for one request, the disable step is done
where the server stores updates and reported as skipped, in one line and with no failure shown, where it cannot, and
the handlers left are the demo's own, the one removed aside. The role's argument validation shows only in the steps
that use the role (issue 24).
"""

import os
import re
import subprocess
import sys

import pytest
import yaml

from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import FIELDS, SECRET_FIELDS
from tests.paths import COLLECTION_ROOT, COLLECTIONS_PATH
from tests.simulator.app import PROFILES, profile_switches

DEMO = COLLECTION_ROOT / "tools" / "demo.py"
SUMMARY_ROW = re.compile(r"^(?P<step>\S+(?: \S+)*)\s+(?P<changed>\d+)\s+(?P<requests>\d+)\s+(?P<writes>\d+)(?P<skipped>  skipped: .*)?$")
HANDLER_ROW = re.compile(r"^\s+(?P<id>\d+)  (?P<type>\S+)\s+(?P<name>.+?)\s{2,}(?P<state>(?:enabled|disabled).*)$")
STEP_TITLE = re.compile(r"^=== (.+) ===$", re.MULTILINE)
# The steps that run the role (tools/demo.py runs them with --tags converge, the tag of the play's role task).
ROLE_STEPS = ["create", "rerun"]


def demo_play():
    return yaml.safe_load((COLLECTION_ROOT / "playbooks" / "demo.yml").read_text(encoding="utf-8"))[0]


def demo_secrets():
    """The secret values the demo playbook gives, and the last part of each (a fragment that must not show either)."""
    secret_options = set(option for field in FIELDS.values() if field.name in SECRET_FIELDS for option in (field.name,) + tuple(field.aliases))
    play_vars = demo_play()["vars"]
    values = [value for handler in play_vars["demo_handlers"] for option, value in handler.items() if option in secret_options]
    values += [value for name, value in play_vars.items() if name.endswith("_webhook")]
    assert values, "the demo playbook gives no secret: the leak check would check nothing"
    return sorted(set(values) | set(re.split(r"[/:]", value)[-1] for value in values))


def run_demo(profile):
    env = dict((name, value) for name, value in os.environ.items() if not name.startswith("DMPILOT_"))
    command = [sys.executable, str(DEMO), "--profile", profile, "--collections-path", str(COLLECTIONS_PATH)]
    completed = subprocess.run(command, cwd=str(COLLECTION_ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, timeout=900, check=False)
    return completed.returncode, completed.stdout


def summary_of(output):
    """The summary's rows by step, and the handlers left, from the demo's output."""
    assert "\n=== Summary ===\n" in output, output[-5000:]
    summary = output.split("\n=== Summary ===\n", 1)[1]
    table, handlers = summary.split("\nHandlers left on the simulator:\n", 1)
    steps = dict((match.group("step"), match.groupdict()) for match in map(SUMMARY_ROW.match, table.splitlines()) if match)
    left = [match.groupdict() for match in map(HANDLER_ROW.match, handlers.splitlines()) if match]
    return steps, left


def step_outputs(output, names):
    """Each step's ansible-playbook output, by the step's name in the summary (the steps run in the summary's order)."""
    bodies = STEP_TITLE.split(output)[2::2]
    assert len(bodies) == len(names) + 1, output[-5000:]  # the steps, then the summary
    return dict(zip(names, bodies))


# The demo's summary differs by server in one step, disable: done where the server stores updates as sent, skipped in
# one line where it cannot. One profile of each: the patched current server (faithful) and pusher-18 (ignores updates).
# The demo's other steps are the modules' paths that the examples and the integration targets run on every profile;
# running all seven of its ansible-playbook processes on four profiles proved nothing more (docs/dev/testing.md).
DEMO_PROFILES = ("biolinks-67-patched", "pusher-18")


def test_the_demo_profiles_are_a_server_that_can_disable_and_one_that_cannot():
    assert set(DEMO_PROFILES) <= set(PROFILES)
    assert sorted(profile_switches(profile)["b13_update_mode"] == "faithful" for profile in DEMO_PROFILES) == [False, True]


@pytest.mark.parametrize("profile", DEMO_PROFILES)
def test_demo_runs_on_a_server_that_can_disable_and_one_that_cannot(profile):
    returncode, output = run_demo(profile)

    assert returncode == 0, output[-10000:]
    steps, left = summary_of(output)
    assert list(steps) == ["create", "rerun", "dry-run edit", "edit", "disable", "list", "remove"], output[-5000:]
    assert (steps["rerun"]["changed"], steps["rerun"]["requests"], steps["rerun"]["writes"]) == ("0", "1", "0"), steps["rerun"]
    assert steps["dry-run edit"]["writes"] == "0", steps["dry-run edit"]
    assert steps["edit"]["changed"] == "1", steps["edit"]

    # The role's argument validation (a task tagged `always` where the role is imported) only where the role runs.
    outputs = step_outputs(output, list(steps))
    assert [name for name, text in outputs.items() if "Validating arguments against arg spec" in text] == ROLE_STEPS, output[-5000:]

    # Only a server that stores updates as sent can disable a handler; the others are said so, in one line, no failure shown.
    can_disable = profile_switches(profile)["b13_update_mode"] == "faithful"
    assert "FAILED!" not in outputs["disable"] and "[ERROR]" not in outputs["disable"], outputs["disable"]
    skip_lines = re.findall(r'^    "msg": "skipped: this server cannot disable a handler; .*"$', output, re.MULTILINE)
    if can_disable:
        assert (steps["disable"]["changed"], steps["disable"]["skipped"], skip_lines) == ("1", None, []), output[-5000:]
    else:
        assert steps["disable"]["changed"] == "0" and steps["disable"]["skipped"] and len(skip_lines) == 1, output[-5000:]

    removed = [task["dmpilot.cloud.dmpilot_notification_handler"]["name"] for task in demo_play()["tasks"] if "remove" in task["tags"]]
    wanted = dict((handler["name"], handler["type"]) for handler in demo_play()["vars"]["demo_handlers"] if handler["name"] not in removed)
    assert dict((handler["name"], handler["type"]) for handler in left) == wanted, output[-3000:]
    webhook = next(handler for handler in left if handler["name"] == "Demo webhook")
    assert webhook["state"] == ("disabled" if can_disable else "enabled"), webhook
    assert [secret for secret in demo_secrets() if secret in output] == [], "the demo printed a secret"
