"""Run ``ansible-test sanity`` on this collection, offline, with no ignore file.

ansible-test needs the collection at ``ansible_collections/dmpilot/cloud``; we stage the files git knows
about (tracked, plus untracked ones that are not ignored) in a fresh temporary tree, so that build
artefacts and virtualenvs never reach the checks. It also seeds ansible-test's get-pip cache with
tools/get_pip_offline.py, because the real script lives on a host this network cannot reach.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
SANITY_PYTHON = "3.11"
# The oldest Python the modules support (ansible-core 2.16 to 2.19 run modules on 3.8 and later): the compile and
# import tests also run there, so that code which only works on newer Pythons cannot slip in.
OLDEST_MODULE_PYTHON = "3.8"


def ansible_test_pip_version():
    """The pip version ansible-test bootstraps, read from its own source (24.2 for ansible-core 2.19)."""
    import ansible_test  # pylint: disable=import-outside-toplevel

    source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
    match = re.search(r"pip='([0-9.]+)'", source.read_text(encoding="utf-8"))
    if not match:
        sys.exit("tools/sanity.py: cannot find the pip version in %s; update this script" % source)
    return match.group(1)


def seed_get_pip_cache():
    cache = pathlib.Path.home() / ".ansible" / "test" / "cache" / ("get_pip_%s.py" % ansible_test_pip_version().replace(".", "_"))
    if not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / "tools" / "get_pip_offline.py", cache)
        print("seeded %s" % cache)


def collection_files():
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    return [name for name in listing if name and (REPO / name).is_file()]


def stage_collection(root):
    target = pathlib.Path(root) / "ansible_collections" / "dmpilot" / "cloud"
    for name in collection_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, destination)
    # ansible-test lists the files of a git checkout with git; give it one so it sees the same set.
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    subprocess.run(["git", "add", "-A"], cwd=target, check=True)
    return target


def interpreter_directory(version):
    """The directory of a working pythonX.Y: on PATH, or else one that pyenv installed. Missing is an error, not a skip."""
    name = "python" + version
    candidates = [shutil.which(name)]
    pyenv_root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip() if shutil.which("pyenv") else ""
    if pyenv_root:
        candidates.extend(sorted(str(path) for path in pathlib.Path(pyenv_root).glob("versions/%s.*/bin/%s" % (version, name))))
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True, check=False).returncode == 0:
            return str(pathlib.Path(candidate).parent)
    sys.exit("tools/sanity.py: no working %s found (on PATH or installed by pyenv); the modules' oldest Python must be tested" % name)


def run_ansible_test(collection, arguments, path_prefix=""):
    command = [str(pathlib.Path(sys.executable).parent / "ansible-test"), "sanity", "--requirements", "--color", "no"] + arguments
    print("+ " + " ".join(command), flush=True)
    env = dict(os.environ, ANSIBLE_TEST_PREFER_PODMAN="0")
    if path_prefix:
        env["PATH"] = path_prefix + os.pathsep + env["PATH"]
    return subprocess.run(command, cwd=collection, env=env, check=False).returncode


def main():
    if list((REPO / "tests" / "sanity").glob("ignore-*.txt")):
        sys.exit("tools/sanity.py: tests/sanity has an ignore file; fix the cause instead")
    seed_get_pip_cache()
    with tempfile.TemporaryDirectory(prefix="dmpilot-sanity-") as root:
        collection = stage_collection(root)
        if sys.argv[1:]:
            sys.exit(run_ansible_test(collection, ["--python", SANITY_PYTHON] + sys.argv[1:]))
        failed = run_ansible_test(collection, ["--python", SANITY_PYTHON])
        failed |= run_ansible_test(collection, ["--python", OLDEST_MODULE_PYTHON, "--test", "compile", "--test", "import"],
                                   interpreter_directory(OLDEST_MODULE_PYTHON))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
