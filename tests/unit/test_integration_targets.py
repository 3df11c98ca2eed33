"""What the ansible-test integration targets run, read from their runme.sh and aliases, and what that must amount to.

- every playbook of tests/integration/playbooks/ runs in a lane of `make test` (tools/run_ansible_test.py --lanes), in
  one target only, so that nothing goes unrun and nothing runs twice;
- a target in no lane is the live test of a real account (unsupported: run only when asked) or a part of what a lane
  runs (the smoke set: one lifecycle, the secrets canary and the role on one profile), so that the lanes lose nothing;
- the smoke set, which the other ansible-core lines run, reaches every module and the role;
- the live test's credentials file stays out of git and of the collection tarball;
- a target's canary check finds a canary in the junit output and in the log.
"""

import importlib.util
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml

from tests.handler_data import CANARIES
from tests.integration import live, target
from tests.paths import COLLECTION_ROOT

INTEGRATION = COLLECTION_ROOT / "tests" / "integration"
TARGETS = INTEGRATION / "targets"
PLAYBOOKS = INTEGRATION / "playbooks"
MODULES = sorted(path.stem for path in (COLLECTION_ROOT / "plugins" / "modules").glob("*.py") if path.stem != "__init__")
ROLE = "notification_handlers"


def run_ansible_test():
    """tools/run_ansible_test.py, which computes the lanes; tools/ is not a package, and the script imports its neighbours."""
    tools = str(COLLECTION_ROOT / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    spec = importlib.util.spec_from_file_location("run_ansible_test", os.path.join(tools, "run_ansible_test.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def aliases(name):
    lines = (TARGETS / name / "aliases").read_text(encoding="utf-8").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def target_names():
    return sorted(path.name for path in TARGETS.iterdir() if path.is_dir())


def command_of(name):
    """The words after `exec python` in a target's runme.sh, without the "$@" that passes ansible-test's options on."""
    lines = [line for line in (TARGETS / name / "runme.sh").read_text(encoding="utf-8").splitlines() if line.startswith("exec python ")]
    assert len(lines) == 1, "%s/runme.sh must end with one `exec python ...` line" % name
    words = shlex.split(lines[0])[2:]
    assert words[-1] == "$@", "%s/runme.sh must pass ansible-test's options on" % name
    return words[:-1]


def runs(name):
    """(the playbooks a target runs, whether it runs only a part of them): target.py's playbook (a part: --types or
    --profile), or the playbooks that the test file it gives to pytest names (a part: -k), or live.py's."""
    words = command_of(name)
    if words[:2] == ["-m", "tests.integration.target"]:
        return {words[2]}, "--types" in words or "--profile" in words
    if words[:2] == ["-m", "pytest"]:
        text = (COLLECTION_ROOT / file_given_to_pytest(words)).read_text(encoding="utf-8")
        return set(re.findall(r"[\"'](\w+\.yml)[\"']", text)) & set(playbook_names()), "-k" in words
    if words[:2] == ["-m", "tests.integration.live"]:
        return {live.PLAYBOOK.name}, False
    raise AssertionError("%s runs %s, which this test does not know how to read" % (name, words))


def file_given_to_pytest(words):
    """The test file of a `-m pytest ...` command."""
    files = [word for word in words if word.endswith(".py")]
    assert len(files) == 1, "one test file, not %s" % files
    return files[0]


def playbook_names():
    return sorted(path.name for path in PLAYBOOKS.glob("*.yml"))


def lane_targets():
    return dict((name, group) for group, names in run_ansible_test().lanes().items() for name in names)


def uses(text):
    """The modules and the role that a playbook's or a test's text uses."""
    used = set(module for module in MODULES if re.search(r"\b%s\b" % module, text))
    if re.search(r"\b(role|roles|include_role|import_role)\b.*\b%s\b" % ROLE, text) or "converge.yml" in text:
        used.add("role " + ROLE)
    return used


def text_reached_by(path, seen=None):
    """A playbook or test file, with the task files and playbooks it includes, as one text."""
    seen = set() if seen is None else seen
    if path in seen or not path.is_file():
        return ""
    seen.add(path)
    text = path.read_text(encoding="utf-8")
    included = re.findall(r"([\w./]+\.yml)", text)
    for name in included:
        for candidate in (path.parent / name, INTEGRATION / "tasks" / os.path.basename(name), INTEGRATION / "role" / os.path.basename(name)):
            text += text_reached_by(candidate.resolve(), seen)
    return text


@pytest.mark.parametrize("name", target_names())
def test_a_target_runs_what_exists_on_the_controller(name):
    playbooks, _part = runs(name)
    words = command_of(name)
    if words[:2] == ["-m", "pytest"]:
        assert (COLLECTION_ROOT / file_given_to_pytest(words)).is_file(), "%s runs a test file that does not exist: %s" % (name, words)
    else:
        assert playbooks <= set(playbook_names()) and playbooks, "%s runs a playbook that does not exist: %s" % (name, words)
    given = dict(zip(words, words[1:]))
    assert set(given.get("--types", "telegram").split(",")) <= set(target.HANDLER_TYPES), "%s names an unknown type" % name
    assert given.get("--profile", "realistic") in target.PROFILE_NAMES, "%s names an unknown profile" % name
    assert os.access(str(TARGETS / name / "runme.sh"), os.X_OK), "chmod +x tests/integration/targets/%s/runme.sh" % name
    assert "context/controller" in aliases(name)


def test_every_playbook_runs_in_one_lane_target():
    laned = lane_targets()
    runners = dict((playbook, [name for name in laned if playbook in runs(name)[0]]) for playbook in playbook_names())
    assert [playbook for playbook, names in runners.items() if len(names) != 1] == [], \
        "each playbook must run in exactly one target of a lane: %s" % runners
    assert [name for name in laned if runs(name)[1]] == [], "a lane target runs a part of its playbook or test file: the rest goes unrun"


@pytest.mark.parametrize("name", target_names())
def test_a_target_in_no_lane_is_a_real_account_or_a_part_of_a_lane(name):
    laned = lane_targets()
    groups = [alias for alias in aliases(name) if re.match(r"^azp/posix/[0-9]+$", alias)]
    assert len(groups) <= 1, "%s is in more than one CI group: %s" % (name, groups)
    if name in laned:
        assert "unsupported" not in aliases(name)
        return
    playbooks, part = runs(name)
    if "unsupported" in aliases(name):
        # ansible-test runs it only with --allow-unsupported; against a real account, as `make live` does.
        assert command_of(name)[:2] == ["-m", "tests.integration.live"], "%s is unsupported, so no lane runs it" % name
        return
    same = [other for other in laned if runs(other)[0] == playbooks and command_of(other)[:2] == command_of(name)[:2]]
    if command_of(name)[:2] == ["-m", "pytest"]:
        same = [other for other in same if file_given_to_pytest(command_of(other)) == file_given_to_pytest(command_of(name))]
    assert part and same, "%s is in no lane and does not run a part of what a lane target runs" % name
    assert "smoke" in aliases(name), "%s runs nowhere: it is in no lane and not in the smoke set" % name


def test_the_smoke_set_reaches_every_module_the_role_and_the_secrets_of_every_type():
    smoke = [name for name in target_names() if "smoke" in aliases(name)]
    reached = set()
    for name in smoke:
        words = command_of(name)
        texts = [text_reached_by(PLAYBOOKS / playbook) for playbook in runs(name)[0]]
        if words[:2] == ["-m", "pytest"]:
            texts.append(text_reached_by(COLLECTION_ROOT / file_given_to_pytest(words)))
        reached |= set().union(*(uses(text) for text in texts))
    assert reached == set(MODULES) | {"role " + ROLE}, "the smoke set reaches only %s" % sorted(reached)
    # Every type's secrets, not one lifecycle's: a target of the smoke set runs the list export with every type.
    assert [name for name in smoke if "handler_list_export.yml" in runs(name)[0] and "--types" not in command_of(name)], \
        "the smoke set has no secrets canary of every type"


def test_every_profile_means_each_server_version_the_simulator_models():
    profiles = target.VERSION_PROFILES
    assert set(["documented", "pusher-18", "biolinks-67", "biolinks-67-patched"]) <= set(profiles)
    assert "realistic" not in profiles, "realistic is another name of biolinks-67-patched: it would run that profile twice"


def test_the_credentials_file_stays_out_of_git_and_of_the_tarball():
    config = "tests/integration/integration_config.yml"
    assert (COLLECTION_ROOT / (config + ".template")).is_file()
    if (COLLECTION_ROOT / ".git").exists():
        ignored = subprocess.run(["git", "check-ignore", "-q", config], cwd=str(COLLECTION_ROOT), check=False)
        assert ignored.returncode == 0, "git does not ignore %s: it holds an API key" % config
    else:
        assert config in (COLLECTION_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    galaxy = yaml.safe_load((COLLECTION_ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    assert config in galaxy["build_ignore"], "add %s to build_ignore in galaxy.yml: it holds an API key" % config


def test_the_template_names_what_the_live_test_reads():
    template = yaml.safe_load(live.TEMPLATE.read_text(encoding="utf-8"))
    assert sorted(template) == sorted(live.CONFIG_KEYS)
    assert template["dmpilot_api_key"] == "...", "the template holds no key"


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
