"""Run ``ansible-test units`` or ``ansible-test integration`` on this collection as a maintainer would, offline.

    PYTHON tools/run_ansible_test.py units                        every unit test (tests/unit/)
    PYTHON tools/run_ansible_test.py integration                  every integration target, one after another
    PYTHON tools/run_ansible_test.py integration smoke/           the smoke set (targets with the alias `smoke`)
    PYTHON tools/run_ansible_test.py integration --lanes          every target, the CI groups (azp/posix/N) side by side
    PYTHON tools/run_ansible_test.py integration info -v          ansible-test's own arguments pass through
    PYTHON tools/run_ansible_test.py integration --lanes --home DIR   the same, as on a new machine: HOME is DIR, emptied

PYTHON is the interpreter of the virtualenv whose ansible-test runs (build/venv-dev/bin/python for the development line,
build/ansible-<line>/bin/python for the others that tools/sanity.py makes, ...). Its X.Y is the --python given to
ansible-test (--venv: ansible-test makes its own virtualenv from it and installs the collection's
tests/{unit,integration}/requirements.txt there), and its bin/ directory comes first on PATH.

--home DIR empties DIR and runs with HOME=DIR, so that nothing an earlier run left in ~/.ansible reaches this one: the
way a new machine meets the tests. pip's cache stays the real one (PIP_CACHE_DIR), so packages are not downloaded again.
`make test` runs the integration lanes so.

ansible-test needs the collection at .../ansible_collections/dmpilot/cloud. We stage the files that git knows about
(tracked, plus untracked files that are not ignored) into build/ansible-test/<command>-<ansible-core>-py<X.Y>/, as
tools/sanity.py does, so that virtualenvs and build artefacts never reach the tests; the staged tree keeps only
ansible-test's virtualenvs (tests/output/.tmp/delegation) from one run to the next. What ansible-test would create
lazily in ~/.ansible/test/, its SSH key pair and its get-pip.py, is made first, once (tools/ansible_test_home.py): two
lanes starting together on a new machine would race to create the key.

--lanes runs one ansible-test per CI group alias (azp/posix/1, azp/posix/2, ...), each from its own staged tree and
with its output prefixed by the group, then prints each lane's result and time. Each target starts its own simulator
on a free port, so groups never share anything.
"""

import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading
import time

from ansible_test_home import prepare  # tools/ is this script's directory, so first on sys.path

REPO = pathlib.Path(__file__).resolve().parent.parent
STAGING = REPO / "build" / "ansible-test"
TARGETS = REPO / "tests" / "integration" / "targets"
KEPT = pathlib.Path("tests") / "output" / ".tmp" / "delegation"  # ansible-test's --venv virtualenvs
LANE_ALIAS = re.compile(r"^azp/posix/([0-9]+)$")
OUTPUT_LOCK = threading.Lock()  # the lanes' lines never interleave


def say(text):
    print("tools/run_ansible_test.py: %s" % text, flush=True)


def ansible_test_package():
    try:
        import ansible_test  # pylint: disable=import-outside-toplevel
    except ImportError:
        sys.exit("tools/run_ansible_test.py: %s has no ansible-test (ansible-core); run this script with the Python of the "
                 "virtualenv whose ansible-test should run" % sys.executable)
    return pathlib.Path(ansible_test.__file__).parent


def ansible_core_version():
    from ansible.release import __version__  # pylint: disable=import-outside-toplevel

    return __version__


def collection_files():
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=str(REPO),
                             check=True, stdout=subprocess.PIPE).stdout.decode().split("\0")
    return [name for name in listing if name and (REPO / name).is_file()]


def stage_collection(name):
    """A fresh copy of the collection at build/ansible-test/<name>/ansible_collections/dmpilot/cloud.

    Only ansible-test's virtualenvs survive from an earlier run, and only when the Python that made them is the same.
    """
    target = STAGING / name / "ansible_collections" / "dmpilot" / "cloud"
    kept = None
    stamp_text = "%s %s\n" % (sys.executable, ansible_core_version())
    stamp = STAGING / name / "venvs-made-by"
    if (target / KEPT).is_dir() and stamp.exists() and stamp.read_text(encoding="utf-8") == stamp_text:
        kept = STAGING / name / "delegation"
        shutil.rmtree(str(kept), ignore_errors=True)
        (target / KEPT).rename(kept)
    shutil.rmtree(str(target), ignore_errors=True)
    for file_name in collection_files():
        destination = target / file_name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(str(REPO / file_name), str(destination))
    if kept is not None:
        (target / KEPT).parent.mkdir(parents=True, exist_ok=True)
        kept.rename(target / KEPT)
    stamp.write_text(stamp_text, encoding="utf-8")
    # ansible-test (and tests/unit's own check of the files git knows) list the files of a git checkout with git.
    subprocess.run(["git", "init", "-q"], cwd=str(target), check=True)
    subprocess.run(["git", "add", "-A"], cwd=str(target), check=True)
    return target


def ansible_test_command(command, arguments):
    python = "%d.%d" % sys.version_info[:2]
    executable = pathlib.Path(sys.executable).parent / "ansible-test"
    result = [str(executable), command, "--venv", "--python", python, "--requirements", "--color", "no"]
    if command == "units":
        result += ["--num-workers", os.environ.get("ANSIBLE_TEST_WORKERS", "2")]
    return result + list(arguments)


def environment():
    env = dict(os.environ, ANSIBLE_TEST_PREFER_PODMAN="0")
    env.pop("PYENV_VERSION", None)
    env.pop("PYTHONPATH", None)
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run(command, arguments, name):
    tree = stage_collection(name)
    full = ansible_test_command(command, arguments)
    print("+ (cd %s && %s)" % (tree, " ".join(full)), flush=True)
    return subprocess.run(full, cwd=str(tree), env=environment(), check=False).returncode


def lanes():
    """{group number: [target names]} from the azp/posix/N aliases of the targets."""
    found = {}
    for aliases in sorted(TARGETS.glob("*/aliases")):
        for line in aliases.read_text(encoding="utf-8").splitlines():
            match = LANE_ALIAS.match(line.split("#")[0].strip())
            if match:
                found.setdefault(int(match.group(1)), []).append(aliases.parent.name)
    return found


class Lane(threading.Thread):
    def __init__(self, group, arguments, name):
        super().__init__(daemon=True)
        self.group = group
        self.arguments = arguments
        self.name_of_tree = name
        self.returncode = None
        self.seconds = 0.0

    def run(self):
        started = time.monotonic()
        tree = stage_collection(self.name_of_tree)
        command = ansible_test_command("integration", self.arguments)
        with OUTPUT_LOCK:
            print("[lane %d] + (cd %s && %s)" % (self.group, tree, " ".join(command)), flush=True)
        process = subprocess.Popen(command, cwd=str(tree), env=environment(), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        for raw in iter(process.stdout.readline, b""):
            with OUTPUT_LOCK:
                sys.stdout.write("[lane %d] %s" % (self.group, raw.decode("utf-8", "replace")))
                sys.stdout.flush()
        self.returncode = process.wait()
        self.seconds = time.monotonic() - started


def run_lanes(arguments, name):
    groups = lanes()
    if not groups:
        sys.exit("tools/run_ansible_test.py: no target has an azp/posix/N alias")
    for group, names in sorted(groups.items()):
        say("lane %d: %s" % (group, " ".join(names)))
    threads = [Lane(group, ["azp/posix/%d/" % group] + list(arguments), "%s-lane%d" % (name, group))
               for group in sorted(groups)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("\nansible-test integration, by lane:", flush=True)
    for thread in threads:
        print("  azp/posix/%d  %4d s  %s" % (thread.group, thread.seconds, "passed" if thread.returncode == 0 else "FAILED"))
    return 1 if any(thread.returncode != 0 for thread in threads) else 0


def use_empty_home(home):
    """HOME=home, emptied first, with pip's cache still the real one."""
    cache = os.environ.get("PIP_CACHE_DIR") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pip")
    shutil.rmtree(str(home), ignore_errors=True)
    home.mkdir(parents=True)
    os.environ.update(HOME=str(home), PIP_CACHE_DIR=cache)
    os.environ.pop("XDG_CACHE_HOME", None)
    say("HOME=%s (empty), PIP_CACHE_DIR=%s" % (home, cache))


def main():
    parser = argparse.ArgumentParser(usage=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("command", choices=("units", "integration"))
    parser.add_argument("--lanes", action="store_true", help="integration: one ansible-test per azp/posix/N group, side by side")
    parser.add_argument("--home", help="run with HOME set to this directory, emptied first, as on a new machine")
    options, arguments = parser.parse_known_args()
    if options.home:
        use_empty_home(pathlib.Path(options.home).resolve())
    prepare(ansible_test_package(), say)
    if options.lanes and options.command != "integration":
        parser.error("--lanes is for integration")
    name = "%s-%s-py%d.%d" % ((options.command, ansible_core_version()) + tuple(sys.version_info[:2]))
    started = time.monotonic()
    if options.lanes:
        returncode = run_lanes(arguments, name)
    else:
        returncode = run(options.command, arguments, name)
    say("ansible-test %s %s in %d s" % (options.command, "passed" if returncode == 0 else "FAILED", time.monotonic() - started))
    return returncode


if __name__ == "__main__":
    sys.exit(main())
