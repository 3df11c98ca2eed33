"""The filters removed in 0.2.0 are tombstoned (meta/runtime.yml): a playbook that still uses one fails and is told what
replaced it. Run as users meet it: the collection built into a tarball and installed, then a real ansible-playbook."""

import subprocess

import pytest
import yaml

from tests.integration.runner import REPO, ansible_command, ansible_environment, collection_tarball

# The 0.2.0 changelog's "Removed Features": the filters, and what each playbook must be pointed to instead.
REMOVED = {
    "handlers_to_converge": "dmpilot.cloud.dmpilot_notification_handlers",
    "handlers_to_purge": "purge option of the dmpilot.cloud.dmpilot_notification_handlers",
}

PLAYBOOK = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: A task of 0.1.0's role
      ansible.builtin.debug:
        msg: "{{ [] | dmpilot.cloud.%s([]) }}"
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The collections path where the tarball, built from this tree, is installed."""
    where = tmp_path_factory.mktemp("tombstones")
    tarball = collection_tarball(where)
    subprocess.run([ansible_command("ansible-galaxy"), "collection", "install", "--force", "-p", str(where / "collections"), str(tarball)], cwd=str(REPO),
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=True)
    return where / "collections"


def test_every_removed_filter_has_a_tombstone():
    routing = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["plugin_routing"]["filter"]
    assert sorted(routing) == sorted(REMOVED)
    for name, entry in routing.items():
        assert entry["tombstone"]["removal_version"] == "0.2.0", name
        assert "dmpilot.cloud.dmpilot_notification_handlers" in entry["tombstone"]["warning_text"], name


@pytest.mark.parametrize("name", sorted(REMOVED))
def test_a_playbook_using_a_removed_filter_is_told_what_replaced_it(installed, tmp_path, name):
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(PLAYBOOK % name)
    completed = subprocess.run([ansible_command("ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)], cwd=str(tmp_path),
                               env=ansible_environment(installed), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                               check=False)
    assert completed.returncode == 2, completed.stdout
    message = " ".join(completed.stdout.split())
    assert "The 'dmpilot.cloud.%s' filter plugin has been removed." % name in message, completed.stdout
    assert REMOVED[name] in message, completed.stdout
    assert "removed from collection 'dmpilot.cloud' version 0.2.0" in message, completed.stdout
