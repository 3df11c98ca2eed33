"""make release: build the collection tarball of galaxy.yml's version, import it with Galaxy's importer, and print the
commands that tag and publish it. It runs neither of them.

    python tools/release.py    # from make release, with build/venv-dev's Python

It refuses first, saying what to do, where galaxy.yml's version has no entry in CHANGELOG.md and
changelogs/changelog.yaml (`make changelog` folds the fragments into it), or already has its git tag.
The importer is the one antsibull-nox's build-import-check session runs (`make nox`): the galaxy-importer and
ansible-core that antsibull-nox.toml pins, installed in build/venv-release/ (again only when those pins change). It
runs as Galaxy runs it, ansible-lint included, offline; any ERROR line it logs fails the release.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tomllib

import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
OUT = BUILD / "release"
VENV = BUILD / "venv-release"
BIN = pathlib.Path(sys.executable).parent


def fail(message):
    sys.exit("make release: %s" % message)


def galaxy_version(repo=REPO):
    return str(yaml.safe_load((repo / "galaxy.yml").read_text(encoding="utf-8"))["version"])


def changelog_problems(repo=REPO):
    """Why galaxy.yml's version cannot be released as the changelog stands: a list of sentences, empty if it can."""
    version = galaxy_version(repo)
    releases = yaml.safe_load((repo / "changelogs" / "changelog.yaml").read_text(encoding="utf-8")).get("releases") or {}
    # antsibull-changelog's Markdown: each release under "## vX\.Y\.Z".
    headings = re.findall(r"^## v(\S+)$", (repo / "CHANGELOG.md").read_text(encoding="utf-8"), re.MULTILINE)
    problems = []
    if version not in releases or version not in [heading.replace("\\", "") for heading in headings]:
        problems.append("CHANGELOG.md has no entry for %s, galaxy.yml's version: run `make changelog`, which folds the changelog "
                        "fragments into it, and commit the result" % version)
    elif "release_summary" not in releases[version].get("changes", {}):
        problems.append("the changelog's entry for %s has no release summary: add a changelogs/fragments/%s-release.yml with "
                        "release_summary (see 1.0.0-release.yml), then `make changelog`" % (version, version))
    return problems


def pins():
    """The galaxy-importer and ansible-core that antsibull-nox.toml's build-import-check session installs."""
    session = tomllib.loads((REPO / "antsibull-nox.toml").read_text(encoding="utf-8"))["sessions"]["build_import_check"]
    packages = []
    for key in ("galaxy_importer_package", "ansible_core_package"):
        value = session[key]
        packages.extend(value if isinstance(value, list) else [value])
    return packages


def importer_venv():
    packages = pins()
    stamp = VENV / ".installed"
    wanted = "\n".join([sys.executable] + packages) + "\n"
    if not (stamp.exists() and stamp.read_text(encoding="utf-8") == wanted):
        print("make release: installing %s in %s (antsibull-nox.toml's build-import-check)" % (", ".join(packages), VENV.relative_to(REPO)),
              flush=True)
        shutil.rmtree(str(VENV), ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"] + packages, check=True)
        stamp.write_text(wanted, encoding="utf-8")
    return VENV / "bin" / "python"


def git(*arguments):
    return subprocess.run(["git"] + list(arguments), cwd=str(REPO), stdout=subprocess.PIPE, universal_newlines=True, check=False)


def build(version):
    shutil.rmtree(str(OUT), ignore_errors=True)
    OUT.mkdir(parents=True)
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(OUT), str(REPO)], check=True)
    tarball = OUT / ("dmpilot-cloud-%s.tar.gz" % version)
    if not tarball.is_file():
        fail("ansible-galaxy built no %s" % tarball)
    return tarball


def galaxy_import(python, tarball):
    """Galaxy's importer on the tarball, its log shown; fails on its exit status or on any ERROR it logged."""
    # The importer runs ansible-doc and ansible-lint from the PATH: its virtualenv's. It writes importer_result.json here.
    env = dict(os.environ, PATH="%s%s%s" % (python.parent, os.pathsep, os.environ["PATH"]))
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    completed = subprocess.run([str(python), "-m", "galaxy_importer.main", tarball.name], cwd=str(tarball.parent), env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    sys.stdout.write(completed.stdout)
    errors = [line for line in completed.stdout.splitlines() if line.startswith("ERROR")]
    if completed.returncode != 0 or errors:
        fail("Galaxy's importer refused %s (exit %d):\n  %s" % (tarball.name, completed.returncode, "\n  ".join(errors)))


def main():
    version = galaxy_version()
    problems = changelog_problems()
    if git("rev-parse", "-q", "--verify", "refs/tags/%s" % version).returncode == 0:
        problems.append("the tag %s exists: this version is released. Set galaxy.yml's version to the next one first" % version)
    if problems:
        fail("\n  ".join(["dmpilot.cloud %s cannot be released:" % version] + problems))
    python = importer_venv()
    tarball = build(version)
    galaxy_import(python, tarball)
    head = git("rev-parse", "--short", "HEAD").stdout.strip()
    dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    print("\nmake release: dmpilot.cloud %s is built (%s) and Galaxy's importer accepts it." % (version, tarball.relative_to(REPO)))
    if dirty:
        print("The working tree has uncommitted changes, which are in the tarball but not in %s: commit them, then make release again." % head)
    print("To publish it, run (make release runs neither):\n")
    print("  git tag -a %s -m 'dmpilot.cloud %s' %s && git push origin %s" % (version, version, head, version))
    print("  ansible-galaxy collection publish %s --token \"$GALAXY_API_KEY\"" % tarball.relative_to(REPO))
    print("\nThen set galaxy.yml's version to the next one, so that new changelog fragments go to it (CONTRIBUTING.md).")


if __name__ == "__main__":
    main()
