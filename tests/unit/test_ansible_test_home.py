"""ansible-test's state in ~/.ansible/test/, made once before ansible-test runs, even by processes started together.

On a new machine, two integration lanes started side by side both ran ssh-keygen on ~/.ansible/test/id_rsa, and the
second stopped at "Overwrite (y/n)?". tools/ansible_test_home.py makes the key pair (and the get-pip cache) under a lock
first. These tests start several processes at the same moment against an empty HOME, as `make test` meets a new machine.
"""

import os
import pathlib
import subprocess
import sys
import time

from tests.paths import COLLECTION_ROOT

TOOLS = COLLECTION_ROOT / "tools"
STARTERS = 4
# Each process waits for the go file, so that all of them reach ensure_ssh_key() at the same moment.
RACE = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
from ansible_test_home import ensure_ssh_key
while not os.path.exists(sys.argv[2]):
    time.sleep(0.001)
ensure_ssh_key(print)
"""


def start_together(home, go_file):
    env = dict(os.environ, HOME=str(home))
    processes = [subprocess.Popen([sys.executable, "-c", RACE, str(TOOLS), str(go_file)], env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
                 for _number in range(STARTERS)]
    time.sleep(0.5)  # every interpreter is up and waiting
    go_file.write_text("go", encoding="ascii")
    return [(process.wait(timeout=60), process.stdout.read()) for process in processes]


def assert_usable_key_pair(home):
    key = home / ".ansible" / "test" / "id_rsa"
    public = home / ".ansible" / "test" / "id_rsa.pub"
    assert "BEGIN RSA PRIVATE KEY" in key.read_text(encoding="ascii"), "paramiko needs the RSA PEM header, as ansible-test writes it"
    derived = subprocess.run(["ssh-keygen", "-y", "-f", str(key)], check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    assert derived.split()[:2] == public.read_text(encoding="ascii").split()[:2], "id_rsa.pub is not the public half of id_rsa"


def test_processes_started_together_on_an_empty_home_make_one_key_pair(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    results = start_together(home, tmp_path / "go")
    assert [code for code, _output in results] == [0] * STARTERS, "\n".join(output for _code, output in results)
    made = [output for _code, output in results if "made ansible-test's SSH key pair" in output]
    assert len(made) == 1, "exactly one process makes the pair; the others find it: %r" % [output for _code, output in results]
    assert_usable_key_pair(home)


def test_half_a_key_pair_left_by_a_killed_run_is_made_again(tmp_path):
    home = tmp_path / "home"
    (home / ".ansible" / "test").mkdir(parents=True)
    (home / ".ansible" / "test" / "id_rsa").write_text("half-written", encoding="ascii")
    results = start_together(home, tmp_path / "go")
    assert [code for code, _output in results] == [0] * STARTERS, "\n".join(output for _code, output in results)
    assert_usable_key_pair(home)


def test_the_get_pip_cache_is_seeded_under_the_pip_version_that_ansible_test_asks_for(tmp_path, monkeypatch):
    sys.path.insert(0, str(TOOLS))
    try:
        import ansible_test_home  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.remove(str(TOOLS))
    package = tmp_path / "ansible_test"
    (package / "_internal").mkdir(parents=True)
    (package / "_internal" / "python_requirements.py").write_text("PIP = dict(pip='24.2')\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    said = []
    cache = ansible_test_home.seed_get_pip_cache(package, said.append)
    assert cache == pathlib.Path(tmp_path / "home" / ".ansible" / "test" / "cache" / "get_pip_24_2.py")
    assert cache.read_bytes() == (TOOLS / "get_pip_offline.py").read_bytes()
    assert said == ["seeded %s" % cache]
    ansible_test_home.seed_get_pip_cache(package, said.append)
    assert len(said) == 1, "an up-to-date cache is left as it is"
