"""The live test: tests/integration/playbooks/live.yml against a real dmpilot account (make live).

    python -m tests.integration.live [--config PATH] [--remove-leftovers] [-v]

The account comes from DMPILOT_API_URL and DMPILOT_API_KEY in the environment, both set, or else from
tests/integration/integration_config.yml (dmpilot_api_url, dmpilot_api_key: copy integration_config.yml.template),
which ansible-test hands to the live_account target; ansible-test passes no other environment on. Without either it
prints one "not run" line and exits 0: the test runs only when asked (make live, or ansible-test with
--allow-unsupported), never in make test, so that line cannot hide a failure there; a person who asks without
credentials is told what to set, not shown a failure.

The playbook touches only the handlers named with its run's prefix, removes them at the end, refuses to start beside
the handlers of an earlier run (--remove-leftovers deletes exactly those, by id), and runs purge only on an account
that holds nothing else (live.yml says how). It makes at most the sum of live.yml's live_budget requests, under the
API's limit of 60 a minute, and the modules wait out a 429 by themselves.

The output goes to the terminal and to tests/output/live/output.txt. A run fails when ansible-playbook fails, or when
the API key, a canary secret of the handlers it makes, or a fragment of one, appears in the output.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import yaml

from tests.handler_data import CHANGED, CHANGED_CANARIES
from tests.integration.runner import CANARIES, OUTPUT, PLAYBOOKS, REPO, ansible_command, ansible_environment, leaked_secrets, settings_of

PLAYBOOK = PLAYBOOKS / "live.yml"
CONFIG = REPO / "tests" / "integration" / "integration_config.yml"
TEMPLATE = CONFIG.with_name(CONFIG.name + ".template")
ENVIRONMENT = ("DMPILOT_API_URL", "DMPILOT_API_KEY")
CONFIG_KEYS = ("dmpilot_api_url", "dmpilot_api_key")
NOT_RUN = "not run: set DMPILOT_API_URL and DMPILOT_API_KEY (or fill in %s from its .template)"
# The types of live.yml's handlers, whose canary settings it needs.
TYPES = ("email", "webhook", "telegram", "internal_notification", "slack", "discord")
RATE_LIMIT = 60  # requests a minute, per API key (rule 3)


def say(text):
    print("live: %s" % text, flush=True)


class Misconfigured(Exception):
    """Credentials half given: a mistake to point out, unlike none at all."""


def credentials(config_path):
    """(api_url, api_key, where they came from), or None when none are given."""
    given = [name for name in ENVIRONMENT if os.environ.get(name)]
    if given and len(given) < len(ENVIRONMENT):
        raise Misconfigured("%s is set but %s is not: set both" % (given[0], (set(ENVIRONMENT) - set(given)).pop()))
    if given:
        return os.environ["DMPILOT_API_URL"], os.environ["DMPILOT_API_KEY"], "the environment"
    if not config_path.is_file():
        return None
    values = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    filled = [key for key in CONFIG_KEYS if values.get(key) not in (None, "", "...")]
    if filled and len(filled) < len(CONFIG_KEYS):
        raise Misconfigured("%s sets %s but not %s" % (config_path, filled[0], (set(CONFIG_KEYS) - set(filled)).pop()))
    if not filled:
        return None
    return str(values["dmpilot_api_url"]), str(values["dmpilot_api_key"]), str(config_path)


def budget():
    """{step: most requests} from live.yml's live_budget: the one place that counts them."""
    play = yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))[0]
    return play["vars"]["live_budget"]


def variables(api_url, api_key, remove_leftovers):
    """What live.yml expects, as the simulator-backed runs give it (runner.run_playbook): canary secrets in the handlers."""
    return {
        "dmpilot_api_url": api_url,
        "dmpilot_api_key": api_key,
        "secrets": dict((name, value) for name, value in CANARIES.items() if name != "api_key"),
        "changed_secrets": CHANGED_CANARIES,
        "type_fields": dict((handler_type, settings_of(handler_type)) for handler_type in TYPES),
        "field_changes": CHANGED,
        "live_remove_leftovers": remove_leftovers,
    }


def leaks(text, api_key):
    """The API key (by name) and the canary secrets (test values) that appear in a text."""
    found = ["the API key"] if api_key in text else []
    return found + leaked_secrets(text)


def run(api_url, api_key, remove_leftovers, verbosity):
    run_dir = OUTPUT / "live"
    run_dir.mkdir(parents=True, exist_ok=True)
    # The key reaches ansible-playbook in a vars file that only this user can read, removed when the run ends.
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=str(run_dir), delete=False) as handle:
        json.dump(variables(api_url, api_key, remove_leftovers), handle)
    command = [ansible_command("ansible-playbook"), "-i", "localhost,", "-c", "local", str(PLAYBOOK), "-e", "@" + handle.name]
    command += ["-" + "v" * verbosity] if verbosity else []
    lines = []
    try:
        # The tasks that serve the simulator alone are skipped here: not shown.
        environment = dict(ansible_environment(), ANSIBLE_DISPLAY_SKIPPED_HOSTS="0")
        with subprocess.Popen(command, cwd=str(REPO), env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True) as process:
            for line in process.stdout:
                # The key never reaches the terminal, even where something printed it: the check below reports that.
                sys.stdout.write(line.replace(api_key, "<the API key>"))
                sys.stdout.flush()
                lines.append(line)
        returncode = process.returncode
    finally:
        os.unlink(handle.name)
    output = "".join(lines)
    (run_dir / "output.txt").write_text(output.replace(api_key, "<the API key>"), encoding="utf-8")
    return returncode, leaks(output, api_key), run_dir / "output.txt"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.integration.live", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--config", type=pathlib.Path, default=CONFIG, help="the integration_config.yml to read (default: %(default)s)")
    parser.add_argument("--remove-leftovers", action="store_true",
                        help="first delete, by id, the handlers that earlier runs left (named exactly 'dmpilot.cloud live STAMP TAG TYPE')")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="ansible-playbook's verbosity")
    options = parser.parse_args(argv)
    try:
        found = credentials(options.config)
    except Misconfigured as error:
        say("not run: %s" % error)
        return 2
    if found is None:
        say(NOT_RUN % os.path.relpath(str(CONFIG), str(REPO)))
        return 0
    api_url, api_key, source = found
    steps = budget()
    total = sum(steps.values())
    say("against %s (credentials from %s)" % (api_url, source))
    say("at most %d requests (%s); the API allows %d a minute, so the run takes about 1 to 2 minutes, and up to a minute "
        "more where this API key made other requests in the last minute: the modules wait out the limit"
        % (total, ", ".join("%s %d" % item for item in steps.items()), RATE_LIMIT))
    started = time.monotonic()
    returncode, leaked, output = run(api_url, api_key, options.remove_leftovers, options.verbose)
    problems = (["ansible-playbook exited with %d" % returncode] if returncode else []) + ["in clear in the output: %s" % name for name in leaked]
    say("%s in %d s against %s; output in %s" % ("FAILED" if problems else "passed", time.monotonic() - started, api_url,
                                                 os.path.relpath(str(output), str(REPO))))
    for problem in problems:
        say("  " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
