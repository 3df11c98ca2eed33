"""What `make release` rests on, checked without building anything: galaxy.yml's version is the newest release of the
changelog, with a heading in CHANGELOG.md; every release that breaks something bumps the version as
semantic versioning asks; the README pins a release that exists; and tools/release.py refuses a version that the
changelog does not have, saying what to run.
"""

import importlib.util
import re
import shutil

import yaml

from tests.paths import COLLECTION_ROOT

CHANGELOG_YAML = COLLECTION_ROOT / "changelogs" / "changelog.yaml"
# The sections that break playbooks written for the release before (changelogs/config.yaml).
BREAKING = ("breaking_changes", "removed_features")


def release_tool():
    spec = importlib.util.spec_from_file_location("release", str(COLLECTION_ROOT / "tools" / "release.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def version_key(version):
    return tuple(int(part) for part in version.split("."))


def releases():
    return yaml.safe_load(CHANGELOG_YAML.read_text(encoding="utf-8"))["releases"]


def galaxy_version():
    return str(yaml.safe_load((COLLECTION_ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"])


def test_galaxy_version_is_the_newest_release_with_a_changelog_heading():
    version = galaxy_version()
    assert max(releases(), key=version_key) == version, "galaxy.yml says %s; run make changelog" % version
    heading = "## v%s" % version.replace(".", "\\.")
    assert heading in (COLLECTION_ROOT / "CHANGELOG.md").read_text(encoding="utf-8").splitlines(), heading


def test_a_release_that_breaks_playbooks_bumps_the_major_version_or_below_1_0_the_minor():
    ordered = sorted(releases(), key=version_key)
    for before, after in zip(ordered, ordered[1:]):
        if any(releases()[after]["changes"].get(section) for section in BREAKING):
            old, new = version_key(before), version_key(after)
            assert new[0] > old[0] or (old[0] == 0 and new[:2] > old[:2]), "%s breaks playbooks of %s: a major release" % (after, before)


def test_the_readme_pins_a_released_version():
    readme = (COLLECTION_ROOT / "README.md").read_text(encoding="utf-8")
    pinned = re.findall(r"dmpilot\.cloud\.git,(\S+)", readme) + re.findall(r"^\s+version: (\S+)$", readme, re.MULTILINE)
    assert pinned and set(pinned) <= set(releases()), pinned


def test_make_release_accepts_this_version_and_refuses_one_the_changelog_lacks(tmp_path):
    tool = release_tool()
    assert not tool.changelog_problems(COLLECTION_ROOT)

    for name in ("CHANGELOG.md", "changelogs/changelog.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(str(COLLECTION_ROOT / name), str(tmp_path / name))
    galaxy = yaml.safe_load((COLLECTION_ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    galaxy["version"] = "%d.0.0" % (version_key(galaxy_version())[0] + 1)
    (tmp_path / "galaxy.yml").write_text(yaml.safe_dump(galaxy), encoding="utf-8")
    problems = tool.changelog_problems(tmp_path)
    assert len(problems) == 1 and galaxy["version"] in problems[0] and "make changelog" in problems[0], problems
