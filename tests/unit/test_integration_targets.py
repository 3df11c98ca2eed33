"""The ansible-test integration targets follow the playbooks, and a target's canary check finds what it looks for.

Each playbook of tests/integration/playbooks/ has a target of the same name under tests/integration/targets/ that runs
it (through tests/integration/target.py); two more targets run one lifecycle and the role. Every target names one CI
group (azp/posix/N), so that tools/run_ansible_test.py --lanes runs it, and the smoke set holds a lifecycle, the secrets
canary and the role.
"""

import os
import re
import shlex

import pytest

from tests.handler_data import CANARIES
from tests.integration import target
from tests.paths import COLLECTION_ROOT

INTEGRATION = COLLECTION_ROOT / "tests" / "integration"
TARGETS = INTEGRATION / "targets"
PLAYBOOKS = INTEGRATION / "playbooks"
# The targets that run no playbook of their own name, and what they run.
EXTRA_TARGETS = {
    "handler_lifecycle": "-m tests.integration.target handler_types.yml --types telegram",
    "role_notification_handlers": "-m pytest -v tests/integration/test_role.py",
}
SMOKE = {"handler_lifecycle", "handler_list_export", "role_notification_handlers"}


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
def test_a_target_runs_its_playbook_in_both_profiles(name):
    expected = EXTRA_TARGETS.get(name, "-m tests.integration.target %s.yml" % name)
    assert run_line(name) == expected
    assert "--profile" not in expected
    assert os.access(str(TARGETS / name / "runme.sh"), os.X_OK), "chmod +x tests/integration/targets/%s/runme.sh" % name


@pytest.mark.parametrize("name", target_names())
def test_a_target_has_one_ci_group_and_runs_on_the_controller(name):
    groups = [alias for alias in aliases(name) if re.match(r"^azp/posix/[0-9]+$", alias)]
    assert len(groups) == 1, "%s/aliases needs one azp/posix/N line, has %s" % (name, groups)
    assert "context/controller" in aliases(name)


def test_the_smoke_set_is_a_lifecycle_the_secrets_canary_and_the_role():
    assert set(name for name in target_names() if "smoke" in aliases(name)) == SMOKE


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
