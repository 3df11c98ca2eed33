"""make demo: run the demo playbook against the simulator (or the real service), step by step, with a summary.

With DMPILOT_API_URL and DMPILOT_API_KEY set, it runs against that service instead of the simulator.
The collection comes from its built tarball, which `make demo` installs in the site-packages of the demo virtualenv
(build/venv-demo), where that virtualenv's ansible-playbook and ansible-doc find it.
"""

import os
import pathlib
import re
import subprocess
import sys
import sysconfig

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.simulator.control import start_simulator  # noqa: E402  pylint: disable=wrong-import-position

INSTALLED = pathlib.Path(sysconfig.get_paths()["purelib"])
DEMO_API_KEY = "demo-api-key"
STEPS = [
    ("create", "Create handlers of several types", ["--tags", "converge"]),
    ("rerun", "Run the same again: nothing to change", ["--tags", "converge"]),
    ("dry-run edit", "Preview rotating the Slack webhook and disabling that handler, in check mode, with a diff (secrets masked)",
     ["--tags", "edit", "--check", "--diff"]),
    ("list", "List the handlers with the info module", ["--tags", "list"]),
    ("remove", "Remove one handler", ["--tags", "remove"]),
]


def run_step(title, options, env):
    print("\n=== %s ===" % title, flush=True)
    command = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "dmpilot.cloud.demo"] + options
    completed = subprocess.run(command, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, check=False)
    print(completed.stdout, end="", flush=True)
    recap = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", completed.stdout)
    if completed.returncode != 0 or not recap:
        sys.exit("make demo: step %r failed (exit %d)" % (title, completed.returncode))
    return int(recap.group(2))


def main():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(INSTALLED), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    if os.environ.get("DMPILOT_API_URL") and os.environ.get("DMPILOT_API_KEY"):
        print("Running the demo against %s" % os.environ["DMPILOT_API_URL"])
        for name, title, options in STEPS:
            run_step(title, options, env)
        return
    with start_simulator(profile="realistic", extra_args=["--key", "%s=1" % DEMO_API_KEY]) as simulator:
        print("The dmpilot API simulator listens on %s (realistic profile)" % simulator.api_url)
        env.update(DMPILOT_API_URL=simulator.api_url, DMPILOT_API_KEY=DEMO_API_KEY)
        summary = []
        for name, title, options in STEPS:
            changed = run_step(title, options, env)
            log = simulator.log()
            simulator.clear_log()
            writes = sum(1 for entry in log if entry["method"] != "GET")
            summary.append((name, changed, len(log), writes))
        handlers = sorted((handler["id"], handler["type"], handler["name"]) for handler in simulator.handlers())
    print("\n=== Summary ===")
    print("changed: tasks that reported a change; requests: API requests the simulator received (its request log);")
    print("writes: those of them that were not GET (creates, updates, deletes). A dry run and a rerun write nothing.\n")
    print("%-14s %8s %9s %7s" % ("step", "changed", "requests", "writes"))
    for name, changed, requests_made, writes in summary:
        print("%-14s %8d %9d %7d" % (name, changed, requests_made, writes))
    print("\nHandlers left on the simulator:")
    for handler_id, handler_type, name in handlers:
        print("  %3d  %-22s %s" % (handler_id, handler_type, name))
    if summary[1][1] != 0 or summary[1][3] != 0:
        sys.exit("make demo: the second run was expected to change nothing")


if __name__ == "__main__":
    main()
