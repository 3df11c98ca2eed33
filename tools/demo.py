"""make demo: run the demo playbook against the simulator (or the real service), step by step, with a summary.

`--profile NAME` picks the server version the simulator models (docs/dev/simulator-contract.md); the default is
realistic. With DMPILOT_API_URL and DMPILOT_API_KEY set, it runs against that service instead of the simulator.
The collection comes from its built tarball, which `make demo` installs in the site-packages of the demo virtualenv
(build/venv-demo), where that virtualenv's ansible-playbook and ansible-doc find it; `--collections-path` names
another place (the tests give build/collections, the source tree).
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import sysconfig

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.simulator.app import PROFILE_NAMES  # noqa: E402  pylint: disable=wrong-import-position
from tests.simulator.control import start_simulator  # noqa: E402  pylint: disable=wrong-import-position

INSTALLED = pathlib.Path(sysconfig.get_paths()["purelib"])
DEMO_API_KEY = "demo-api-key"
DEFAULT_PROFILE = "realistic"
# (name, title, ansible-playbook options, whether the server may be unable to do it: see SKIPPED)
STEPS = [
    ("create", "Create handlers of several types", ["--tags", "converge"], False),
    ("rerun", "Run the same again: nothing to change", ["--tags", "converge"], False),
    ("dry-run edit", "Preview rotating the Slack webhook, in check mode, with a diff (secrets masked)", ["--tags", "edit", "--check", "--diff"], False),
    ("edit", "Rotate the Slack webhook (a server that does not store updates gets a new handler instead)", ["--tags", "edit"], False),
    ("disable", "Disable the webhook handler, where the server can", ["--tags", "disable"], True),
    ("list", "List the handlers with the info module", ["--tags", "list"], False),
    ("remove", "Remove one handler", ["--tags", "remove"], False),
]
ENABLED_STATES = {0: "disabled", 1: "enabled", 2: "enabled, awaiting the owner's confirmation"}
# What the demo playbook's disable step reports where the server refuses to disable a handler (playbooks/demo.yml).
SKIPPED = "skipped: this server cannot disable a handler"


class Step:
    """One ansible-playbook run of the demo: its output, counts, and (against the simulator) the requests it made."""

    def __init__(self, name, output, returncode):
        self.name = name
        self.output = output
        self.returncode = returncode
        self.skipped = False  # the server could not do it, and the playbook said so
        self.log = []
        recap = re.search(r"ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=\d+", output)
        self.changed = int(recap.group(1)) if recap else None

    def writes(self):
        return sum(1 for entry in self.log if entry["method"] != "GET")


def run_step(name, title, options, env):
    print("\n=== %s ===" % title, flush=True)
    command = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "dmpilot.cloud.demo"] + options
    completed = subprocess.run(command, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, check=False)
    print(completed.stdout, end="", flush=True)
    return Step(name, completed.stdout, completed.returncode)


def run_steps(env, take_log=list):
    """Run every step; a step that may meet a server that cannot do it says so itself, and the demo goes on."""
    steps = []
    for name, title, options, may_be_impossible in STEPS:
        step = run_step(name, title, options, env)
        step.log = take_log()
        step.skipped = may_be_impossible and '"msg": "%s' % SKIPPED in step.output
        if step.returncode != 0 or step.changed is None:
            sys.exit("make demo: step %r failed (exit %d)" % (title, step.returncode))
        steps.append(step)
    return steps


def print_summary(steps, handlers):
    print("\n=== Summary ===")
    print("changed: tasks that reported a change; requests: API requests the simulator received (its request log);")
    print("writes: those of them that were not GET (creates, updates, deletes). A dry run and a rerun write nothing.\n")
    print("%-14s %8s %9s %7s" % ("step", "changed", "requests", "writes"))
    for step in steps:
        print("%-14s %8d %9d %7d%s" % (step.name, step.changed, len(step.log), step.writes(), "  skipped: this server cannot do it" if step.skipped else ""))
    print("\nHandlers left on the simulator:")
    for handler in sorted(handlers, key=lambda handler: handler["id"]):
        state = ENABLED_STATES[int(handler["is_enabled"])]
        print("  %3d  %-22s %-22s %s" % (handler["id"], handler["type"], handler["name"], state))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--profile", choices=PROFILE_NAMES, help="the server version the simulator models (default: %s)" % DEFAULT_PROFILE)
    parser.add_argument("--collections-path", type=pathlib.Path, default=INSTALLED,
                        help="where ansible-playbook finds dmpilot.cloud (default: this Python's site-packages, where make demo installs it)")
    arguments = parser.parse_args()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(arguments.collections_path), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    if os.environ.get("DMPILOT_API_URL") and os.environ.get("DMPILOT_API_KEY"):
        if arguments.profile:
            parser.error("--profile picks the simulator's server version; unset DMPILOT_API_URL to run against the simulator")
        print("Running the demo against %s" % os.environ["DMPILOT_API_URL"])
        run_steps(env)
        return
    profile = arguments.profile or DEFAULT_PROFILE
    with start_simulator(profile=profile, extra_args=["--key", "%s=1" % DEMO_API_KEY]) as simulator:
        print("The dmpilot API simulator listens on %s (%s profile)" % (simulator.api_url, profile))
        env.update(DMPILOT_API_URL=simulator.api_url, DMPILOT_API_KEY=DEMO_API_KEY)

        def take_log():
            log = simulator.log()
            simulator.clear_log()
            return log

        steps = run_steps(env, take_log=take_log)
        handlers = simulator.handlers()
    print_summary(steps, handlers)
    rerun = next(step for step in steps if step.name == "rerun")
    if rerun.changed != 0 or rerun.writes() != 0:
        sys.exit("make demo: the second run was expected to change nothing")


if __name__ == "__main__":
    main()
