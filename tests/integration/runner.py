"""Run real ansible-playbook processes against the simulator, and look for secrets in all they print."""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import HANDLER_TYPES
from tests.handler_data import CANARIES, CHANGED, CHANGED_CANARIES, one_of_every_type, settings_of  # noqa: F401 (one_of_every_type: for the suites)
from tests.paths import COLLECTIONS_PATH

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO / "tests" / "integration" / "playbooks"
# Where Python found the collection: build/collections in the repository, ansible-test's tree under ansible-test.
SOURCE_COLLECTIONS = COLLECTIONS_PATH
OUTPUT = REPO / "tests" / "output"
# The configuration ansible-test gives the integration targets, for the playbooks that pytest runs too.
ANSIBLE_CONFIG = REPO / "tests" / "integration" / "integration.cfg"
SIMULATOR_LOOKUP = REPO / "tests" / "reliability" / "playbooks" / "lookup_plugins"


def leaked_secrets(text):
    """The canary values, and fragments of them, that appear in clear in a text."""
    values = list(CANARIES.values()) + list(CHANGED_CANARIES.values())
    return sorted(value for value in values if value in text or value.split("CANARY-")[-1] in text)


class PlaybookRun:
    def __init__(self, command, completed):
        self.command = command
        self.rc = completed.returncode
        self.output = completed.stdout

    def leaked_secrets(self):
        return leaked_secrets(self.output)

    def recap(self):
        """The PLAY RECAP counts of each host: {host: {"ok": n, "changed": n, ...}}."""
        counts = {}
        for host, fields in re.findall(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", self.output, re.MULTILINE):
            counts[host] = dict((name, int(value)) for name, value in re.findall(r"(\w+)=(\d+)", fields))
        return counts

    def changed(self):
        return sum(host["changed"] for host in self.recap().values())

    def __str__(self):
        return "$ %s\nrc=%d\n%s" % (" ".join(self.command), self.rc, self.output[-20000:])


def collection_tarball(where):
    """The collection's tarball: the one `make install` built (DMPILOT_CLOUD_TARBALL), else one built now into `where`."""
    if os.environ.get("DMPILOT_CLOUD_TARBALL"):
        return pathlib.Path(os.environ["DMPILOT_CLOUD_TARBALL"])
    subprocess.run([ansible_command("ansible-galaxy"), "collection", "build", "--output-path", str(where), "."], cwd=str(REPO),
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=True)
    tarball, = pathlib.Path(where).glob("dmpilot-cloud-*.tar.gz")
    return tarball


def ansible_command(name):
    """An Ansible command beside this Python (the virtualenv's), else on PATH (where ansible-test puts its own)."""
    beside = pathlib.Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def ansible_environment(collections_path=SOURCE_COLLECTIONS):
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(ANSIBLE_CONFIG),
        ANSIBLE_COLLECTIONS_PATH=str(collections_path),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_PIPELINING="1",
        ANSIBLE_HOST_KEY_CHECKING="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_LOCAL_TEMP=str(OUTPUT / "tmp"),
        # The test-only lookup that calls the simulator's control surface, for every suite's playbooks.
        ANSIBLE_LOOKUP_PLUGINS=str(SIMULATOR_LOOKUP),
    )
    env.pop("DMPILOT_API_URL", None)
    env.pop("DMPILOT_API_KEY", None)
    return env


# A guard against a playbook that hangs, not a measure of speed: make test runs two stages at once on two cores, where the
# longest playbook (handler_types, every type's lifecycle) has taken more than 600 s.
PLAYBOOK_TIMEOUT = 1800


def run_playbook(playbook, simulator, profile="documented", extra_vars=None, options=(), collections_path=SOURCE_COLLECTIONS,
                 timeout=PLAYBOOK_TIMEOUT,
                 inventory="localhost,", unset=(), environment=None):
    """Run a playbook at -vvv --diff with the canary secrets; the playbook asserts its own expectations.

    unset names the variables below that the run must not define (dmpilot_api_key, say); environment adds variables to
    the environment of ansible-playbook (DMPILOT_API_KEY, say, which it does not inherit from this process).
    """
    variables = {
        "sim_url": simulator.url,
        "sim_profile": profile,
        "dmpilot_api_url": simulator.api_url,
        "dmpilot_api_key": CANARIES["api_key"],
        "secrets": dict((name, value) for name, value in CANARIES.items() if name != "api_key"),
        "changed_secrets": CHANGED_CANARIES,
        # Every type with its settings, and a second value of every field: from the table, so a new type is tested too.
        "type_fields": dict((handler_type, settings_of(handler_type)) for handler_type in HANDLER_TYPES),
        "field_changes": CHANGED,
        # One handler of every type, some given through aliases, one disabled (tests/handler_data.py).
        "every_type": one_of_every_type("Every"),
    }
    variables.update(extra_vars or {})
    for name in unset:
        variables.pop(name)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=str(OUTPUT), delete=False) as handle:
        json.dump(variables, handle)
    playbook_path = pathlib.Path(playbook) if os.path.isabs(str(playbook)) else PLAYBOOKS / playbook
    command = [ansible_command("ansible-playbook"), "-vvv", "--diff", "-i", inventory, "-c", "local",
               str(playbook_path), "-e", "@" + handle.name] + list(options)
    # A temporary directory of its own: the modules keep the update probe's shared outcome there (ProbeCache), and a
    # playbook's reset.yml forgets it, which must not touch another run of the same moment (the other integration lane).
    # (In the system's temporary directory: ansible-core's local RPC socket lives there, and a socket's path must be short.)
    run_tmp = tempfile.mkdtemp(prefix="dmpilot-run-")
    env = dict(ansible_environment(collections_path), TMPDIR=run_tmp, **(environment or {}))
    try:
        completed = subprocess.run(command, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                                   timeout=timeout, check=False)
    finally:
        os.unlink(handle.name)
        shutil.rmtree(run_tmp, ignore_errors=True)
    return PlaybookRun(command, completed)
