"""What an ansible-test integration target runs: a playbook of playbooks/ against a simulator that it starts itself.

    python -m tests.integration.target PLAYBOOK [--profile NAME ... | --every-profile] [--types TYPE,...] [-v]

Run it from the collection's root, with the directory that holds ansible_collections/ on PYTHONPATH: the runme.sh of
each target under tests/integration/targets/ does both. It starts the simulator (`python -m tests.simulator --port 0
--ready-file ...`, through tests/simulator/control.py), then, for each profile (documented and realistic unless
--profile says; --every-profile: each server version that the simulator models), runs the playbook as
the suites do (runner.run_playbook: -vvv --diff, the canary secrets and the variables that the playbooks
expect), and stops the simulator. --types keeps the given types of type_fields (one lifecycle rather than
every type's, for handler_types.yml).

A run fails when ansible-playbook fails, or when a canary secret, or a fragment of one, appears in its output
(stdout and stderr at -vvv --diff), in what the junit callback recorded (every task's result, as a callback receives
it) or in Ansible's log file. The whole output of each run goes to tests/output/integration/; on a failure its end
is printed. A line every 30 s says that a long run is still going.
"""

import argparse
import os
import pathlib
import shutil
import sys
import threading
import time

from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import HANDLER_TYPES
from tests.integration.runner import OUTPUT, PLAYBOOKS, leaked_secrets, run_playbook, settings_of
from tests.simulator.app import PROFILE_NAMES
from tests.simulator.app import PROFILES as VERSION_PROFILES  # a profile for each server version the simulator models
from tests.simulator.control import start_simulator

PROFILES = ("documented", "realistic")  # the default: the documented API, and the server as the simulator's default models it
HEARTBEAT = 30


def say(text):
    print(text, flush=True)


class Heartbeat(threading.Thread):
    def __init__(self, what):
        super().__init__(daemon=True)
        self.what = what
        self.started = time.monotonic()
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(HEARTBEAT):
            say("  ... %s still running, %d s" % (self.what, time.monotonic() - self.started))

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *_exc_info):
        self.done.set()


def channels(run_dir):
    """What a run may write besides its stdout: the junit callback's XML files and Ansible's log file."""
    junit = run_dir / "junit"
    log = run_dir / "ansible.log"
    enabled = [name for name in os.environ.get("ANSIBLE_CALLBACKS_ENABLED", "").split(",") if name and name != "junit"]
    environment = {
        # The callbacks already enabled (ansible-test enables junit), and junit, writing into this run's directory.
        "ANSIBLE_CALLBACKS_ENABLED": ",".join(enabled + ["junit"]),
        "JUNIT_OUTPUT_DIR": str(junit),
        "ANSIBLE_LOG_PATH": str(log),
    }
    return environment, junit, log


def other_channels_leaks(junit, log):
    """{file: leaked canaries} for the junit XML files and the log file of a run."""
    found = {}
    files = sorted(junit.glob("*.xml")) + ([log] if log.exists() else [])
    if not list(junit.glob("*.xml")):
        found[str(junit)] = ["no junit XML was written: the callback channel went unchecked"]
    for path in files:
        leaked = leaked_secrets(path.read_text(encoding="utf-8", errors="replace"))
        if leaked:
            found[str(path)] = leaked
    return found


def run_profile(simulator, playbook, profile, extra_vars, verbose):
    name = "-".join([pathlib.Path(playbook).stem] + sorted(extra_vars.get("type_fields", {})))
    run_dir = OUTPUT / "integration" / ("%s-%s" % (name, profile))
    shutil.rmtree(str(run_dir), ignore_errors=True)
    run_dir.mkdir(parents=True)
    environment, junit, log = channels(run_dir)
    started = time.monotonic()
    simulator.reset("documented")
    with Heartbeat("%s (%s)" % (playbook, profile)):
        run = run_playbook(playbook, simulator, profile, extra_vars=extra_vars, environment=environment)
    seconds = time.monotonic() - started
    (run_dir / "output.txt").write_text(str(run), encoding="utf-8")
    if os.environ.get("JUNIT_OUTPUT_DIR"):  # ansible-test's: it reports what it finds there
        pathlib.Path(os.environ["JUNIT_OUTPUT_DIR"]).mkdir(parents=True, exist_ok=True)
        for path in junit.glob("*.xml"):
            shutil.copy2(str(path), os.path.join(os.environ["JUNIT_OUTPUT_DIR"], "%s-%s-%s" % (name, profile, path.name)))
    problems = []
    if run.rc != 0:
        problems.append("ansible-playbook exited with %d" % run.rc)
    if run.leaked_secrets():
        problems.append("secrets in its output: %s" % ", ".join(run.leaked_secrets()))
    for path, leaked in sorted(other_channels_leaks(junit, log).items()):
        problems.append("%s: %s" % (path, ", ".join(leaked)))
    recap = ", ".join("%s=%d" % item for item in sorted(run.recap().get("localhost", {}).items()))
    if problems or verbose:
        say(str(run))
    say("%s, %s profile: %s in %d s (%s); output in %s" % (playbook, profile, "FAILED" if problems else "passed", seconds,
                                                           recap or "no recap", run_dir))
    for problem in problems:
        say("  " + problem)
    return not problems


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.integration.target", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("playbook", help="a playbook of tests/integration/playbooks/, e.g. info.yml")
    profiles = parser.add_mutually_exclusive_group()
    profiles.add_argument("--profile", action="append", choices=PROFILE_NAMES,
                          help="a simulator profile (default: %s)" % " and ".join(PROFILES))
    profiles.add_argument("--every-profile", action="store_const", const=tuple(VERSION_PROFILES), dest="profile",
                          help="each server version the simulator models: %s" % ", ".join(VERSION_PROFILES))
    parser.add_argument("--types", help="comma-separated handler types: keep only these in type_fields")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="print the output of passing runs too")
    options = parser.parse_args(argv)
    if not (PLAYBOOKS / options.playbook).is_file():
        parser.error("no playbook %s in %s" % (options.playbook, PLAYBOOKS))
    extra_vars = {}
    if options.types:
        types = options.types.split(",")
        unknown = sorted(set(types) - set(HANDLER_TYPES))
        if unknown:
            parser.error("unknown types: %s" % ", ".join(unknown))
        extra_vars["type_fields"] = dict((handler_type, settings_of(handler_type)) for handler_type in types)
    passed = True
    with start_simulator() as simulator:
        say("simulator at %s" % simulator.url)
        for profile in options.profile or PROFILES:
            passed = run_profile(simulator, options.playbook, profile, extra_vars, options.verbose) and passed
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
