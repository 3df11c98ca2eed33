"""The collection as users get it: built into a tarball (make install's, in make test), installed into a fresh collections
path, then used."""

import pathlib
import subprocess
import sys

from tests.integration.runner import CANARIES, REPO, collection_tarball, run_playbook


def galaxy(*arguments):
    command = [str(pathlib.Path(sys.executable).parent / "ansible-galaxy")] + list(arguments)
    completed = subprocess.run(command, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert completed.returncode == 0, completed.stdout
    return completed.stdout


def test_a_playbook_runs_from_the_installed_tarball(simulator, tmp_path):
    tarball = collection_tarball(tmp_path)
    listing = subprocess.run(["tar", "-tzf", str(tarball)], stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.split()
    assert "plugins/modules/dmpilot_notification_handler.py" in listing
    assert "roles/notification_handlers/tasks/main.yml" in listing
    assert "plugins/lookup/notification_handler.py" in listing
    # The AWX credential type, which the guide reads from where the collection is installed.
    assert "extensions/awx/credential_type.yml" in listing
    assert not [name for name in listing if name.startswith((".venv", "build/", "tests/output", ".git/"))]

    collections = tmp_path / "collections"
    # --force: a dmpilot.cloud in the default collections path (ansible-lint puts one there) must not stop this install.
    galaxy("collection", "install", "--force", "-p", str(collections), str(tarball))
    installed = collections / "ansible_collections" / "dmpilot" / "cloud"
    assert (installed / "MANIFEST.json").exists()
    assert (installed / "extensions" / "awx" / "credential_type.yml").read_text() == (REPO / "extensions" / "awx" / "credential_type.yml").read_text()

    simulator.reset("realistic", keys={CANARIES["api_key"]: 1})
    run = run_playbook(REPO / "tests" / "integration" / "role" / "converge.yml", simulator, "realistic", collections_path=collections,
                       extra_vars={"wanted_handlers": [{"name": "From the tarball", "type": "webhook", "webhook": CANARIES["webhook"]}],
                                   "canaries": list(CANARIES.values())})
    assert run.rc == 0, str(run)
    assert str(installed / "plugins" / "modules" / "dmpilot_notification_handlers.py") in run.output
    assert str(REPO / "plugins") not in run.output
    assert [handler["name"] for handler in simulator.handlers()] == ["From the tarball"]
    assert run.leaked_secrets() == []
