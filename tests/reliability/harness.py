"""What every test of the reliability suite shares: checked playbook runs, module processes, and per-row verdicts.

Every run here is checked for the canary secrets, in all it prints and in every result it registers, and the
count of what was checked goes into the suite's summary line (see conftest.py).
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

from tests.integration.runner import CANARIES, CHANGED_CANARIES, OUTPUT, REPO, SOURCE_COLLECTIONS, leaked_secrets, run_playbook

HERE = pathlib.Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
MODULES = REPO / "plugins" / "modules"
# The canaries that leaked_secrets() looks for: every secret option's value, its changed value, and the API key.
CANARY_COUNT = len(CANARIES) + len(CHANGED_CANARIES)
PROPERTY = "reliability"


def canaries_in(text):
    """The canary values (or fragments of them) in clear in a text, by the same rule as the integration tests."""
    return leaked_secrets(text)


def assertion_message(error):
    """An assert's message, without the introspection pytest adds after it."""
    return str(error).split("\nassert ", maxsplit=1)[0]


def names_option(message, option):
    """Whether a message names an option as a word of its own (x_access_token is not named by x_access_token_secret)."""
    return re.search(r"(?<![\w])%s(?![\w])" % re.escape(option), message) is not None


class Ledger:
    """Records a test's verdicts and secret checks in its report, for the summary line; then fails on any bad one.

    Each row of a table is judged on its own, so one bad row does not hide the others, and the summary counts rows.
    """

    def __init__(self, node):
        self.node = node
        self.failures = []

    def record(self, kind, name, passed, detail=""):
        self.node.user_properties.append((PROPERTY, {"kind": kind, "name": name, "passed": passed}))
        if not passed:
            self.failures.append("%s: %s\n%s" % (kind, name, detail))

    def check(self, kind, name, judge, *args):
        """Run judge(*args), whose asserts say what is wrong; record whether it passed."""
        try:
            judge(*args)
        except AssertionError as error:
            self.record(kind, name, False, assertion_message(error))
            return False
        self.record(kind, name, True)
        return True

    def secrets_checked(self, what, text):
        """Look for the canaries in one output; a leak fails the test."""
        found = canaries_in(text)
        self.node.user_properties.append((PROPERTY, {"kind": "secrets", "name": what, "found": found}))
        if found:
            self.failures.append("secrets: %s shows %s in clear" % (what, ", ".join(found)))
        return found

    def assert_all_passed(self, context=""):
        if self.failures:
            raise AssertionError("\n\n".join(self.failures) + ("\n\n" + context if context else ""))


def run_checked_playbook(ledger, playbook, simulator, profile="realistic", extra_vars=None, options=(), inventory="localhost,", unset=()):
    """Run one of this suite's playbooks at -vvv --diff with the canaries; answer the run and the results it wrote.

    The playbook writes what it registered into `results_file` (JSON); both its output and that file are checked. unset
    names the variables of run_playbook that the playbook sets itself (an extra variable would win over its own).
    """
    OUTPUT.mkdir(parents=True, exist_ok=True)
    handle, results_file = tempfile.mkstemp(prefix="reliability-", suffix=".json", dir=str(OUTPUT))
    os.close(handle)
    try:
        variables = dict(extra_vars or {}, results_file=results_file)
        run = run_playbook(PLAYBOOKS / playbook, simulator, profile, extra_vars=variables, options=options, inventory=inventory, unset=unset)
        results_text = pathlib.Path(results_file).read_text(encoding="utf-8")
    finally:
        os.unlink(results_file)
    ledger.secrets_checked("output of %s" % playbook, run.output)
    ledger.secrets_checked("results of %s" % playbook, results_text)
    results = json.loads(results_text) if results_text.strip() else None
    return run, results


def run_module(ledger, module, args, check_mode=False):
    """Run a module as Ansible would, as its own process with its arguments in a file; answer its JSON result."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    internal = {"_ansible_check_mode": check_mode, "_ansible_diff": True}
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=str(OUTPUT), delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": dict(args, **internal)}, handle)
    try:
        environment = dict(os.environ, PYTHONPATH=str(SOURCE_COLLECTIONS))
        completed = subprocess.run([sys.executable, str(MODULES / (module + ".py")), handle.name], cwd=str(REPO), env=environment,
                                   capture_output=True, text=True, timeout=120, check=False)
    finally:
        os.unlink(handle.name)
    ledger.secrets_checked("output of %s" % module, completed.stdout + completed.stderr)
    try:
        return json.loads(completed.stdout)
    except ValueError:
        printed = completed.stdout + completed.stderr
        raise AssertionError("%s printed no JSON result (rc %d):\n%s" % (module, completed.returncode, printed)) from None
