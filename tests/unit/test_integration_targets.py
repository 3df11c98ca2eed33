"""The ansible-test integration targets follow the playbooks, and a target's canary check finds what it looks for.

Each playbook of tests/integration/playbooks/ has a target of the same name under tests/integration/targets/ that runs
it (through tests/integration/target.py); three more targets run one lifecycle, the role, and the live test against a
real account. Every target the simulator serves names one CI group (azp/posix/N), so that tools/run_ansible_test.py
--lanes runs it, but the one lifecycle, which handler_types runs too; the smoke set holds that lifecycle, the secrets
canary and the role. The live test of a real account
is `unsupported`, in no group: ansible-test and make test run it only when asked, and its credentials file stays out of
git and of the collection tarball.
"""

import os
import re
import shlex

import pytest
import yaml

from tests.handler_data import CANARIES
from tests.integration import live, target
from tests.paths import COLLECTION_ROOT

INTEGRATION = COLLECTION_ROOT / "tests" / "integration"
TARGETS = INTEGRATION / "targets"
PLAYBOOKS = INTEGRATION / "playbooks"
# The targets that run no playbook of their own name, and what they run.
EXTRA_TARGETS = {
    "handler_lifecycle": "-m tests.integration.target handler_types.yml --types telegram",
    "role_notification_handlers": "-m pytest -v tests/integration/test_role.py",
    "live_account": "-m tests.integration.live --config $config",
}
# The targets of a playbook that run more than target.py on it: the live test, in every profile that models a server
# version, and its entry point live.py against a stand-in account.
PLAYBOOK_TARGETS = {"live": "-m pytest -v tests/integration/test_live.py"}
SMOKE = {"handler_lifecycle", "handler_list_export", "role_notification_handlers"}
# The targets that need a real account: never in a lane of make test.
ACCOUNT_TARGETS = {"live_account"}
# The targets that run a part of another target, for the smoke set: in no lane of make test either.
PART_TARGETS = {"handler_lifecycle"}


def aliases(name):
    lines = (TARGETS / name / "aliases").read_text(encoding="utf-8").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def run_line(name):
    """The arguments of the `exec python ...` line of a target's runme.sh."""
    lines = [line for line in (TARGETS / name / "runme.sh").read_text(encoding="utf-8").splitlines() if line.startswith("exec python ")]
    assert len(lines) == 1, "%s/runme.sh must end with one `exec python ...` line" % name
    words = shlex.split(lines[0])
    assert words[-1] == "$@", "%s/runme.sh must pass ansible-test's options on" % name
    return " ".join(words[2:-1])


def target_names():
    return sorted(path.name for path in TARGETS.iterdir() if path.is_dir())


def test_every_playbook_has_a_target_and_every_target_runs_something_known():
    playbooks = sorted(path.stem for path in PLAYBOOKS.glob("*.yml"))
    assert playbooks, "no playbook found in %s" % PLAYBOOKS
    missing = [name for name in playbooks if name not in target_names()]
    assert missing == [], "add tests/integration/targets/<name>/ (aliases, runme.sh) for these playbooks: %s" % missing
    assert sorted(set(target_names()) - set(playbooks)) == sorted(EXTRA_TARGETS)


@pytest.mark.parametrize("name", target_names())
def test_a_target_runs_its_playbook(name):
    expected = dict(EXTRA_TARGETS, **PLAYBOOK_TARGETS).get(name, "-m tests.integration.target %s.yml" % name)
    assert run_line(name) == expected
    assert "--profile" not in expected
    assert os.access(str(TARGETS / name / "runme.sh"), os.X_OK), "chmod +x tests/integration/targets/%s/runme.sh" % name


@pytest.mark.parametrize("name", target_names())
def test_a_target_has_one_ci_group_and_runs_on_the_controller(name):
    groups = [alias for alias in aliases(name) if re.match(r"^azp/posix/[0-9]+$", alias)]
    expected = 0 if name in ACCOUNT_TARGETS | PART_TARGETS else 1
    assert len(groups) == expected, "%s/aliases needs %d azp/posix/N line, has %s" % (name, expected, groups)
    assert "context/controller" in aliases(name)


@pytest.mark.parametrize("name", target_names())
def test_only_the_targets_of_a_real_account_are_unsupported(name):
    # unsupported keeps a target out of every ansible-test run that does not ask for it (--allow-unsupported).
    assert ("unsupported" in aliases(name)) == (name in ACCOUNT_TARGETS)


def test_every_profile_means_each_server_version_the_simulator_models():
    profiles = target.VERSION_PROFILES
    assert set(["documented", "pusher-18", "biolinks-67", "biolinks-67-patched"]) <= set(profiles)
    assert "realistic" not in profiles, "realistic is another name of biolinks-67-patched: it would run that profile twice"


def test_the_credentials_file_stays_out_of_git_and_of_the_tarball():
    config = "tests/integration/integration_config.yml"
    assert (COLLECTION_ROOT / (config + ".template")).is_file()
    assert config in (COLLECTION_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    galaxy = yaml.safe_load((COLLECTION_ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    assert config in galaxy["build_ignore"], "add %s to build_ignore in galaxy.yml: it holds an API key" % config


def test_the_template_names_what_the_live_test_reads():
    template = yaml.safe_load(live.TEMPLATE.read_text(encoding="utf-8"))
    assert sorted(template) == sorted(live.CONFIG_KEYS)
    assert template["dmpilot_api_key"] == "...", "the template holds no key"


def test_the_smoke_set_is_a_lifecycle_the_secrets_canary_and_the_role():
    assert set(name for name in target_names() if "smoke" in aliases(name)) == SMOKE
    assert PART_TARGETS <= SMOKE, "a target in no lane must run in the smoke set"


def test_a_canary_in_the_junit_output_or_the_log_is_found(tmp_path):
    junit = tmp_path / "junit"
    junit.mkdir()
    log = tmp_path / "ansible.log"
    assert target.other_channels_leaks(junit, log) == {str(junit): ["no junit XML was written: the callback channel went unchecked"]}
    (junit / "run.xml").write_text("<testcase><system-out>{\"webhook\": \"********#0123456789ab\"}</system-out></testcase>")
    log.write_text("ok: [localhost]\n")
    assert target.other_channels_leaks(junit, log) == {}
    (junit / "run.xml").write_text("<system-out>%s</system-out>" % CANARIES["webhook"])
    log.write_text("token %s\n" % CANARIES["telegram"].split("CANARY-")[-1])
    assert target.other_channels_leaks(junit, log) == {str(junit / "run.xml"): [CANARIES["webhook"]], str(log): [CANARIES["telegram"]]}
