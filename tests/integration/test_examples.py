"""Every example of the documentation runs, as written, against every simulator profile (issue 17).

The examples are extracted from the README, the docsite guides and each module's and lookup's EXAMPLES
(tests/integration/examples.py says how, and what each block becomes); each source's examples, in their order, make one
playbook, run once per profile with the canary secrets as the vault_* variables it uses. So an example that a server
version cannot run, or that prints a secret, fails here before it ships. A source that shows the AWX credential type
runs with the environment that a credential of that type gives a job, and nothing else: its playbooks set no
connection option.
"""

import sys

import pytest
import yaml

from tests.awx_credential_type import credential_inputs, credential_type, injected_environment
from tests.handler_data import CANARIES
from tests.integration.examples import NOT_RUN, ExamplePlaybook, sources
from tests.integration.runner import leaked_secrets, run_playbook
from tests.paths import COLLECTION_ROOT
from tests.simulator.app import PROFILES

SOURCES = sources()
# Another account's key (the simulator's second user): its handlers fill the ids below those the examples name.
FILLER_KEY = "other-key"


def seed_ids(simulator, ids):
    """Make the handlers the examples refer to by id exist in the account, of the plainest type, under those ids."""
    for handler_id in ids:
        fillers = handler_id - len(simulator.handlers()) - 1
        assert fillers >= 0, "the examples' ids must be seeded in order: %s" % ids
        simulator.seed(handlers=[{"api_key": FILLER_KEY, "type": "internal_notification", "name": "Another account's"}] * fillers
                       + [{"api_key": CANARIES["api_key"], "type": "internal_notification", "name": "Seeded as id %d" % handler_id}])
        assert simulator.handler(handler_id)["name"] == "Seeded as id %d" % handler_id


def check_requirements(examples):
    """A requirements file among the examples is not run (its install needs the network): it installs this collection."""
    repository = yaml.safe_load((COLLECTION_ROOT / "galaxy.yml").read_text(encoding="utf-8"))["repository"]
    for example in examples:
        for item in example.data.get("collections") or []:
            assert item["name"].startswith(repository) and item.get("type") == "git", "%s does not install %s" % (example.where, repository)


def check_controller_setup(examples):
    """The credential type a guide shows is the file the collection ships, and its AWX tasks name that type."""
    shipped = credential_type()
    for example in examples:
        if example.kind == "credential type":
            assert example.data == shipped, "%s is not extensions/awx/credential_type.yml" % example.where
        elif example.kind == "controller":
            assert shipped["name"] in example.text or "credential_type.yml" in example.text, \
                "%s names neither the credential type nor its file" % example.where


def environment_of(examples, simulator):
    """A source that shows the credential type runs with what a credential of it injects; the others with the API's
    address alone (each example gives the key its own way: module_defaults, or api_key)."""
    if any(example.kind == "credential type" for example in examples):
        return injected_environment(credential_inputs(api_url=simulator.api_url, api_key=CANARIES["api_key"]))
    return {"DMPILOT_API_URL": simulator.api_url}


def failed_plays(output):
    """The plays (named after their example's place) in which a task failed."""
    failed, play = [], None
    for line in output.splitlines():
        if line.startswith("PLAY ["):
            play = line
        elif line.startswith("fatal: ") and play not in failed:
            failed.append(play)
    return failed


# Sources whose examples do nothing that differs between servers: the README's (a list converged, an export, a dry run)
# and the AWX guide's (the connection from a credential's environment, which the modules, the role and the lookup read
# alike on every server). They run on the server as the simulator models it by default.
SERVER_INDEPENDENT = {"README.md": "biolinks-67-patched", "docs/docsite/rst/awx_guide.rst": "biolinks-67-patched"}


def runs():
    """(source, profile): every server the simulator models (its aliases aside), the documented API and each server
    version as run, for each source whose examples depend on the server."""
    return [(source, profile) for source in sorted(SOURCES) for profile in sorted(PROFILES)
            if SERVER_INDEPENDENT.get(source, profile) == profile]


@pytest.mark.parametrize("source,profile", runs())
def test_examples_run_on_every_profile(simulator, tmp_path, source, profile):
    examples = SOURCES[source]()
    assert [example for example in examples if example.kind not in NOT_RUN], "no example found in %s" % source
    check_requirements(example for example in examples if example.kind == "requirements")
    check_controller_setup(examples)
    simulator.reset(profile, keys={CANARIES["api_key"]: 1})
    book = ExamplePlaybook(examples, tmp_path, simulator.api_url).write(python=sys.executable)
    seed_ids(simulator, book.handler_ids())

    run = run_playbook(book.playbook, simulator, profile, extra_vars=book.vault_values(), inventory=str(book.inventory),
                       unset=("dmpilot_api_url", "dmpilot_api_key"), environment=environment_of(examples, simulator))

    assert run.rc == 0, "failed: %s\n%s" % (failed_plays(run.output), run)
    assert [name for name in book.play_names if "PLAY [%s]" % name not in run.output] == [], "plays that did not run\n%s" % run
    assert run.leaked_secrets() == [], str(run)
    for path in book.written_by_examples():
        assert leaked_secrets(path.read_text(encoding="utf-8")) == [], "%s holds a secret in clear" % path
