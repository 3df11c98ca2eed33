"""The modules as Ansible runs them: a separate Python process that reads its arguments and prints JSON."""

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import TYPE_NAMES
from tests.paths import ANSIBLE_PYTHONPATH, COLLECTION_ROOT, COLLECTIONS_PATH

MODULES = COLLECTION_ROOT / "plugins" / "modules"


def run_module(module, arguments, tmp_path, shadow_requests=False):
    """Run a module file with its arguments; with shadow_requests, `import requests` fails as if it were not installed."""
    # The collection and ansible-core, from where this process found them (the repository's venv, or ansible-test's tree).
    path = [str(COLLECTIONS_PATH), str(ANSIBLE_PYTHONPATH)]
    if shadow_requests:
        shadow = tmp_path / "shadow" / "requests"
        shadow.mkdir(parents=True)
        (shadow / "__init__.py").write_text("raise ImportError('No module named requests')\n")
        path.insert(0, str(shadow.parent))
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": arguments}))
    completed = subprocess.run([sys.executable, str(MODULES / (module + ".py")), str(args_file)], env={"PYTHONPATH": os.pathsep.join(path)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False, timeout=60)
    assert "Traceback" not in completed.stdout + completed.stderr
    return json.loads(completed.stdout)


@pytest.mark.parametrize("module", ["dmpilot_notification_handler", "dmpilot_notification_handler_info"])
def test_a_missing_requests_is_the_standard_error(module, tmp_path):
    result = run_module(module, {"api_key": "k", "name": "Ops"} if module == "dmpilot_notification_handler" else {"api_key": "k"},
                        tmp_path, shadow_requests=True)
    assert result["failed"] and result["reason"] == "missing_requirement"
    assert "Failed to import the required Python library (requests)" in result["msg"]


def test_a_module_process_answers_json(simulator, tmp_path):
    result = run_module("dmpilot_notification_handler_info", {"api_url": simulator.api_url, "api_key": "test-key"}, tmp_path)
    assert result == dict(result, changed=False, notification_handlers=[])
    assert [entry["method"] for entry in simulator.log()] == ["GET"]


@pytest.mark.parametrize("arguments, words", [
    ({"api_key": "k", "api_url": "dmpilot.example/api"}, "api_url must be an http:// or https:// URL"),
    ({"api_key": "  "}, "api_key is missing or empty"),
    ({"api_key": "k", "retries": -1}, "retries must be between 0 and 100, not -1"),
    ({"api_key": "k", "rate_limit_timeout": -5}, "rate_limit_timeout must be between 0 and 86400, not -5"),
    # Issue 18: numbers and host names that the socket and IDNA layers cannot take get a message, never their exception.
    ({"api_key": "k", "timeout": 99999999999}, "timeout must be between 1 and 3600, not 99999999999"),
    ({"api_key": "k", "api_url": "http://%s.example/api" % ("a" * 300)}, "api_url must name a valid host"),
])
def test_bad_connection_options_fail_before_any_request(simulator, tmp_path, arguments, words):
    result = run_module("dmpilot_notification_handler_info", dict({"api_url": simulator.api_url}, **arguments), tmp_path)
    assert result["failed"] and words in result["msg"] and result["reason"] == "invalid_option"
    assert simulator.log() == []


TYPO = {"name": "Ops Telegram", "type": "telgram", "telegram": "123456789:SECRET-token", "telegram_chat_id": "-100"}
TYPES = ", ".join(TYPE_NAMES)


@pytest.mark.parametrize("module, arguments, message", [
    # ansible-core's check of the choices would say neither the item nor the type meant.
    ("dmpilot_notification_handlers", {"handlers": [{"name": "Ops", "type": "email", "email": "ops@example.com"}, {"name": "Inbox"}, TYPO]},
     "handlers[2].type of 'Ops Telegram' must be one of %s, not 'telgram'. Did you mean telegram?" % TYPES),
    ("dmpilot_notification_handler", TYPO, "type must be one of %s, not 'telgram'. Did you mean telegram?" % TYPES),
    ("dmpilot_notification_handler_info", {"type": "pager"}, "type must be one of %s, not 'pager'." % TYPES),
    # ansible-core's check of a required option would not name the environment variable.
    ("dmpilot_notification_handler", {"name": "Ops", "api_key": None}, "api_key is missing or empty. Set api_key, or the DMPILOT_API_KEY "
     "environment variable, to the key of your dmpilot account."),
    # Any other failure of ansible-core's checks keeps its words, with the reason.
    ("dmpilot_notification_handler", {"name": "Ops", "state": "gone"}, "value of state must be one of: present, absent, got: gone"),
])
def test_the_checks_of_the_options_fail_with_invalid_option_and_our_words(simulator, tmp_path, module, arguments, message):
    result = run_module(module, dict({"api_url": simulator.api_url, "api_key": "test-key"}, **arguments), tmp_path)
    assert (result.get("failed"), result.get("reason"), result.get("msg")) == (True, "invalid_option", message)
    assert "SECRET-token" not in json.dumps(result), "the checks of the options fail once the secrets are known"
    assert simulator.log() == []
