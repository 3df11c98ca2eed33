"""Run ``ansible-test sanity`` on this collection on every supported ansible-core line, offline, with no ignore file.

    tools/sanity.py                          every test on every line of the matrix below (what `make sanity` runs)
    tools/sanity.py --jobs 1                 the same, one line after another
    tools/sanity.py --line 2.19              every test on one line
    tools/sanity.py --line 2.22 --test pep8  one line, with ansible-test sanity's own options instead
    tools/sanity.py --list                   print the matrix
    tools/sanity.py --venvs                  only make each line's virtualenv (for make smoke, which runs from them too)

Each line runs from its own virtualenv, build/ansible-<line>/, made from the pinned
tests/sanity/requirements-ansible-<line>.txt with that line's controller Python (found on PATH, else among pyenv's
versions, by tools/find_python.sh). A missing interpreter is an error, never a skip.

Two lines run at once, one per core, each prefixing its output with its name: the lines on Python 3.12 one after
another, beside the lines on Python 3.13. ansible-test keeps its test virtualenvs in ~/.ansible/test/venv by Python
version and requirements, and creates them without a lock, so two lines on the same Python never run at the same time.
Measured on 2 cores: 131 s with nothing cached and 41 s with ansible-test's virtualenvs in place, where one line after
another took 248 s and 100 s (ansible-test sanity keeps mostly to one core).

ansible-test needs the collection at ``ansible_collections/dmpilot/cloud``; we stage the files git knows about
(tracked, plus untracked ones that are not ignored) in a fresh temporary tree for each queue of lines, so that build
artefacts and virtualenvs never reach the checks. ansible-test bootstraps pip in its test virtualenvs with a
get-pip.py from a host this network cannot reach, so we seed its cache with tools/get_pip_offline.py under the pip
version that each line's ansible-test asks for; that and ansible-test's SSH key pair are made under a lock before the
lines start (tools/ansible_test_home.py), since two ansible-tests started together would race to create them.
"""

import argparse
import collections
import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from ansible_test_home import ensure_ssh_key  # tools/ is this script's directory, so first on sys.path
from ansible_test_home import seed_get_pip_cache as seed_get_pip_cache_for

REPO = pathlib.Path(__file__).resolve().parent.parent
BUILD = REPO / "build"

# Every line runs every sanity test. The tests that can differ between lines are also the slow ones (pylint,
# validate-modules, ansible-doc, import: each line pins its own linters and schemas); the others only read the files
# and take a second or two, so running a subset on some lines saved nothing measurable (21 s of CPU either way, warm).
Line = collections.namedtuple("Line", "name python")
# name: the ansible-core line; python: the controller Python its sanity runs on. 2.20 and 2.21 take 3.12 to 3.14, and
# 2.22 takes 3.13 and newer: two lines on each of 3.12 and 3.13 test both, and split evenly between the two cores.
LINES = (
    Line("2.19", "3.12"),
    Line("2.20", "3.13"),
    Line("2.21", "3.12"),
    Line("2.22", "3.13"),
)
# The oldest Python that the modules support on the oldest line (ansible-core 2.19 runs modules on Python 3.8 and
# newer): compile and import also run there, so that code which only works on newer Pythons cannot slip in.
OLDEST_MODULE_PYTHON = ("2.19", "3.8", ("compile", "import"))

# ansible-test pins some of its test requirements to a source archive on a host that this network cannot reach:
# ansible-core 2.22.0rc1 pins dill to a GitHub commit for Python 3.15 support. The sanity lines run on Python 3.12 and
# 3.13, where the released version from the package index does the same job, so the line's venv gets that pin instead.
RELEASED_INSTEAD_OF_ARCHIVE = {"dill": "dill==0.4.1"}

OUTPUT_LOCK = threading.Lock()


class SanityError(Exception):
    """Something this script needs is missing; the message says what."""


def say(prefix, text):
    with OUTPUT_LOCK:
        for text_line in text.splitlines() or [""]:
            sys.stdout.write("%s%s\n" % (prefix, text_line))
        sys.stdout.flush()


def run(prefix, command, **kwargs):
    """Run a command, its output prefixed line by line; answer its exit status."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               universal_newlines=True, errors="replace", **kwargs)
    for output_line in process.stdout:
        say(prefix, output_line.rstrip("\n"))
    return process.wait()


def requirements_file(line):
    return REPO / "tests" / "sanity" / ("requirements-ansible-%s.txt" % line.name)


def venv_path(line):
    return BUILD / ("ansible-%s" % line.name)


def find_python(version):
    """The path of a working pythonX.Y, from tools/find_python.sh."""
    found = subprocess.run(["sh", str(REPO / "tools" / "find_python.sh"), version], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True, check=False)
    if found.returncode != 0:
        raise SanityError("python%s is needed: %s" % (version, found.stderr.strip()))
    return found.stdout.strip()


def ensure_venv(line, prefix):
    """build/ansible-<line>/, made again whenever its requirements file or its Python changes."""
    python = find_python(line.python)
    requirements = requirements_file(line)
    wanted = "%s %s\n" % (hashlib.sha256(requirements.read_bytes()).hexdigest(), python)
    venv = venv_path(line)
    stamp = venv / ".installed"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return venv
    say(prefix, "creating %s with %s from %s" % (venv.relative_to(REPO), python, requirements.relative_to(REPO)))
    shutil.rmtree(str(venv), ignore_errors=True)
    if run(prefix, [python, "-m", "venv", str(venv)]) or run(prefix, [
            str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-r", str(requirements)]):
        raise SanityError("could not create %s" % venv)
    stamp.write_text(wanted, encoding="utf-8")
    return venv


def pin_released_requirements(venv, prefix):
    """Replace ansible-test's requirements on source archives by released versions (RELEASED_INSTEAD_OF_ARCHIVE)."""
    for requirements in venv.glob("lib/python*/site-packages/ansible_test/_data/requirements/*.txt"):
        text = requirements.read_text(encoding="utf-8")
        entries = text.splitlines(True)
        for index, entry in enumerate(entries):
            match = re.match(r"([A-Za-z0-9_.-]+) @ (\S+)", entry)
            if not match:
                continue
            if match.group(1) not in RELEASED_INSTEAD_OF_ARCHIVE:
                raise SanityError("%s installs %s from %s, which this network may not reach; add a released version to "
                                  "RELEASED_INSTEAD_OF_ARCHIVE" % (requirements, match.group(1), match.group(2)))
            entries[index] = RELEASED_INSTEAD_OF_ARCHIVE[match.group(1)] + "\n"
            say(prefix, "%s: %s instead of %s" % (requirements.name, entries[index].strip(), match.group(2)))
        if "".join(entries) != text:
            requirements.write_text("".join(entries), encoding="utf-8")


def seed_get_pip_cache(venv, prefix):
    """Seed ansible-test's get-pip cache for the pip version that this venv's ansible-test bootstraps."""
    packages = list(venv.glob("lib/python*/site-packages/ansible_test"))
    if len(packages) != 1:
        raise SanityError("cannot find ansible_test in %s" % venv)
    seed_get_pip_cache_for(packages[0], lambda text: say(prefix, text))


def collection_files():
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=str(REPO), check=True, stdout=subprocess.PIPE,
    ).stdout.decode().split("\0")
    return [name for name in listing if name and (REPO / name).is_file()]


def stage_collection(root):
    target = pathlib.Path(root) / "ansible_collections" / "dmpilot" / "cloud"
    for name in collection_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(str(REPO / name), str(destination))
    # ansible-test lists the files of a git checkout with git; give it one so it sees the same set.
    subprocess.run(["git", "init", "-q"], cwd=str(target), check=True)
    subprocess.run(["git", "add", "-A"], cwd=str(target), check=True)
    return target


def requested_python(arguments, default):
    """The Python version that ansible-test's --python asks for, and the arguments with --python DEFAULT where none does."""
    for index, argument in enumerate(arguments):
        if argument == "--python" and index + 1 < len(arguments):
            return arguments[index + 1], arguments
        if argument.startswith("--python="):
            return argument.split("=", 1)[1], arguments
    return default, ["--python", default] + arguments


def prepare_line(line, prefix):
    """The line's virtualenv, ready for its ansible-test to run offline."""
    venv = ensure_venv(line, prefix)
    pin_released_requirements(venv, prefix)
    seed_get_pip_cache(venv, prefix)
    return venv


def run_line(line, collection, arguments=None):
    """Every sanity test on the line (and the oldest module Python's tests on its line), or the given arguments."""
    prefix = "[%s] " % line.name
    venv = prepare_line(line, prefix)
    if arguments is None:
        runs = [("every sanity test", ["--python", line.python])]
        if OLDEST_MODULE_PYTHON[0] == line.name:
            version, tests = OLDEST_MODULE_PYTHON[1], OLDEST_MODULE_PYTHON[2]
            test_arguments = ["--python", version]
            for test in tests:
                test_arguments += ["--test", test]
            runs.append(("%s, on the modules' oldest Python" % ", ".join(tests), test_arguments))
    else:
        runs = [(" ".join(arguments), list(arguments))]
    failed = False
    for what, run_arguments in runs:
        version, run_arguments = requested_python(run_arguments, line.python)
        say(prefix, "--- %s on Python %s: %s" % (requirements_pin(line), version, what))
        # The line's own Python is its venv's; another one (such as 3.8) comes first on PATH, from tools/find_python.sh.
        path_prefix = [] if version == line.python else [str(pathlib.Path(find_python(version)).parent)]
        command = [str(venv / "bin" / "ansible-test"), "sanity", "--requirements", "--color", "no"] + run_arguments
        say(prefix, "+ " + " ".join(command))
        env = dict(os.environ, ANSIBLE_TEST_PREFER_PODMAN="0")
        env.pop("PYENV_VERSION", None)
        env["PATH"] = os.pathsep.join(path_prefix + [str(venv / "bin"), env.get("PATH", "")])
        failed |= run(prefix, command, cwd=str(collection), env=env) != 0
    return failed


def prepare_queue(queue, results):
    """Make the virtualenvs of a queue of lines, one after another; record (line, seconds, failed) for each."""
    for line in queue:
        started = time.monotonic()
        try:
            prepare_line(line, "[%s] " % line.name)
            failed = False
        except SanityError as error:
            say("[%s] " % line.name, "tools/sanity.py: %s" % error)
            failed = True
        results[line.name] = (time.monotonic() - started, failed)


def run_queue(queue, root, arguments, results):
    """Run a queue of lines one after another, in their own staged tree; record (line, seconds, failed) for each."""
    collection = stage_collection(root)
    for line in queue:
        started = time.monotonic()
        try:
            failed = run_line(line, collection, arguments)
        except SanityError as error:
            say("[%s] " % line.name, "tools/sanity.py: %s" % error)
            failed = True
        results[line.name] = (time.monotonic() - started, failed)


def queues(lines, jobs):
    """Lines grouped so that two lines on the same Python never run at once, in at most `jobs` queues."""
    if jobs <= 1:
        return [list(lines)]
    by_python = collections.OrderedDict()
    for line in lines:
        by_python.setdefault(line.python, []).append(line)
    groups = list(by_python.values())
    while len(groups) > jobs:
        groups[-2:] = [groups[-2] + groups[-1]]
    return groups


def requirements_pin(line):
    match = re.search(r"^ansible-core==(\S+)", requirements_file(line).read_text(encoding="utf-8"), re.MULTILINE)
    return "ansible-core " + (match.group(1) if match else "?")


def print_matrix():
    for line in LINES:
        print("%s  %-26s Python %s  every test" % (line.name, requirements_pin(line), line.python))
    line_name, version, tests = OLDEST_MODULE_PYTHON
    print("%s  %-26s Python %s  %s" % (line_name, "the modules' oldest Python", version, " ".join(tests)))


def main():
    parser = argparse.ArgumentParser(usage=__doc__.split("\n\n")[1])
    parser.add_argument("--line", choices=[line.name for line in LINES])
    parser.add_argument("--jobs", type=int, default=2, help="lines to run at once (2: one per core)")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--venvs", action="store_true", help="only make the lines' virtualenvs")
    options, extra = parser.parse_known_args()
    if options.list:
        print_matrix()
        return 0
    if extra and not options.line:
        parser.error("ansible-test options need --line")
    if list((REPO / "tests" / "sanity").glob("ignore-*.txt")):
        sys.exit("tools/sanity.py: tests/sanity has an ignore file; fix the cause instead")
    lines = [line for line in LINES if options.line in (None, line.name)]
    results = {}
    started = time.monotonic()
    ensure_ssh_key(lambda text: say("", text))  # before two lines start side by side
    with tempfile.TemporaryDirectory(prefix="dmpilot-sanity-") as root:
        if options.venvs:
            workers = [threading.Thread(target=prepare_queue, args=(queue, results)) for queue in queues(lines, options.jobs)]
        else:
            workers = [threading.Thread(target=run_queue, args=(queue, os.path.join(root, str(index)), extra or None, results))
                       for index, queue in enumerate(queues(lines, options.jobs))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    print("\n%s, %d s in all:" % ("the lines' virtualenvs" if options.venvs else "ansible-test sanity", time.monotonic() - started))
    for line in lines:
        seconds, failed = results.get(line.name, (0, True))
        print("  ansible-core %-5s on Python %-5s %4d s  %s" % (line.name, line.python, seconds, "FAILED" if failed else "passed"))
    return 1 if any(results.get(line.name, (0, True))[1] for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
