"""What ansible-test keeps in ~/.ansible/test/ and that tools/sanity.py and tools/run_ansible_test.py prepare before it runs.

ansible-test creates both lazily, without a lock, on first use; two ansible-test processes started side by side on a
machine where ~/.ansible/test/ is new race for them:
- its SSH key pair, id_rsa: the second `ssh-keygen -f ~/.ansible/test/id_rsa` finds the file the first one is writing
  and stops at its "Overwrite (y/n)?" prompt, so the run fails (tools/run_ansible_test.py --lanes met it);
- get_pip_<version>.py, which it downloads from a host outside the package index (ansible/ansible#77304): we write our
  offline stand-in, tools/get_pip_offline.py, under the name of the pip version that this ansible-test asks for.
Both are made here once, under a lock, before any ansible-test starts. Standard library only.
"""

import fcntl
import os
import pathlib
import re
import subprocess

REPO = pathlib.Path(__file__).resolve().parent.parent
# ansible-test's own names (ansible_test/_internal/core_ci.py, SshKey): an RSA key pair, so that paramiko can read it.
KEY_NAME = "id_rsa"


def test_home():
    return pathlib.Path.home() / ".ansible" / "test"


class _Locked:
    """An exclusive lock on ~/.ansible/test/.lock, between processes as between threads (each opens its own file)."""

    def __enter__(self):
        test_home().mkdir(parents=True, exist_ok=True)
        self.handle = open(str(test_home() / ".lock"), "w", encoding="utf-8")  # pylint: disable=consider-using-with
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *_exc_info):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def ensure_ssh_key(say):
    """ansible-test's SSH key pair, made as ansible-test makes it, where it is missing."""
    key = test_home() / KEY_NAME
    public = test_home() / (KEY_NAME + ".pub")
    with _Locked():
        if key.is_file() and public.is_file():
            return key
        for path in (key, public):
            if path.exists():
                path.unlink()  # half of a pair, from a run that was killed: ssh-keygen would ask before overwriting it
        subprocess.run(["ssh-keygen", "-m", "PEM", "-q", "-t", "rsa", "-N", "", "-f", str(key)], check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # As ansible-test does: paramiko reads only the "RSA PRIVATE KEY" form of the PEM header.
        key.write_text(re.sub(r"(BEGIN|END) PRIVATE KEY", r"\1 RSA PRIVATE KEY", key.read_text(encoding="ascii")), encoding="ascii")
        say("made ansible-test's SSH key pair, %s" % key)
    return key


def seed_get_pip_cache(ansible_test_package, say):
    """ansible-test's get-pip cache for the pip version that this ansible-test (its package directory) bootstraps."""
    source = pathlib.Path(ansible_test_package) / "_internal" / "python_requirements.py"
    match = re.search(r"pip='([0-9.]+)'", source.read_text(encoding="utf-8"))
    if not match:
        raise RuntimeError("cannot find the pip version in %s; update tools/ansible_test_home.py" % source)
    cache = test_home() / "cache" / ("get_pip_%s.py" % match.group(1).replace(".", "_"))
    offline = (REPO / "tools" / "get_pip_offline.py").read_bytes()
    with _Locked():
        if cache.exists() and cache.read_bytes() == offline:
            return cache
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(cache.name + ".partial")
        partial.write_bytes(offline)
        os.replace(str(partial), str(cache))
        say("seeded %s" % cache)
    return cache


def prepare(ansible_test_package, say):
    """Everything ansible-test would otherwise create lazily and racily in ~/.ansible/test/."""
    ensure_ssh_key(say)
    seed_get_pip_cache(ansible_test_package, say)
