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


def main():
    if list((REPO / "tests" / "sanity").glob("ignore-*.txt")):
        sys.exit("tools/sanity.py: tests/sanity has an ignore file; fix the cause instead")
    seed_get_pip_cache()
    ansible_test = pathlib.Path(sys.executable).parent / "ansible-test"
    with tempfile.TemporaryDirectory(prefix="dmpilot-sanity-") as root:
        collection = stage_collection(root)
        command = [str(ansible_test), "sanity", "--requirements", "--python", SANITY_PYTHON, "--color", "no"] + sys.argv[1:]
        print("+ " + " ".join(command), flush=True)
        result = subprocess.run(command, cwd=collection, env=dict(os.environ, ANSIBLE_TEST_PREFER_PODMAN="0"), check=False)
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
