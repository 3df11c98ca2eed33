"""The AWX / Automation Controller credential type (extensions/awx/credential_type.yml): a job gets exactly the
environment that its injectors set, and with that alone the modules, the role and the lookup work.

The environment is rendered from the file, as the controller renders injectors (tests/awx_credential_type.py), never
written out here; the playbook (playbooks/awx_credential.yml) sets no connection option, and the run has no connection
variable. The simulator's log says which key every request carried.
"""

import yaml

from ansible_collections.dmpilot.cloud.plugins.doc_fragments.connection import ModuleDocFragment as Connection
from tests.awx_credential_type import credential_inputs, credential_type, injected_environment
from tests.handler_data import CANARIES
from tests.integration.runner import PLAYBOOKS, run_playbook

PLAYBOOK = "awx_credential.yml"
# What would give the playbook a connection other than the environment: the options, module_defaults, the role's inputs.
CONNECTION_KEYS = ("api_url", "api_key", "module_defaults", "environment", "dmpilot_api_url", "dmpilot_api_key")


def keys_and_strings(data):
    """Every mapping key and every string of a YAML document."""
    if isinstance(data, dict):
        return [found for key, value in data.items() for found in [key] + keys_and_strings(value)]
    if isinstance(data, list):
        return [found for item in data for found in keys_and_strings(item)]
    return [data] if isinstance(data, str) else []


def test_the_credential_type_injects_the_variables_that_the_collection_documents():
    shipped = credential_type()
    fields = dict((field["id"], field) for field in shipped["inputs"]["fields"])
    documented = yaml.safe_load(Connection.PLUGIN)["options"]
    variable = dict((option, spec["env"][0]["name"]) for option, spec in documented.items())
    assert shipped["kind"] == "cloud"
    assert list(shipped["injectors"]) == ["env"], "environment variables only: no extra_vars, which a play's vars would not override"
    injected = injected_environment(credential_inputs(api_url="the URL", api_key="the key"))
    assert injected == {variable["api_url"]: "the URL", variable["api_key"]: "the key"}
    assert fields["api_key"].get("secret") is True, "the controller encrypts the key and never shows it again"
    assert not fields["api_url"].get("secret")
    assert sorted(shipped["inputs"]["required"]) == ["api_key", "api_url"]
    assert fields["api_url"]["default"] == yaml.safe_load(Connection.DOCUMENTATION)["options"]["api_url"]["default"]
    assert credential_inputs(api_key="the key")["api_url"] == "https://dmpilot.ru/api"
    assert [name for name in variable.values() if name.startswith("ANSIBLE_")] == [], "the controller reserves ANSIBLE_*"


def test_the_modules_the_role_and_the_lookup_work_with_the_injected_environment_alone(simulator):
    profile = "realistic"
    simulator.reset(profile, keys={CANARIES["api_key"]: 1})
    environment = injected_environment(credential_inputs(api_url=simulator.api_url, api_key=CANARIES["api_key"]))
    playbook = yaml.safe_load((PLAYBOOKS / PLAYBOOK).read_text(encoding="utf-8"))
    given = keys_and_strings(playbook)
    assert [key for key in CONNECTION_KEYS if key in given] == [], "the playbook gives a connection option"
    assert [text for text in given if "api_" in text and "=" in text] == [], "a lookup in the playbook gives a connection option"

    run = run_playbook(PLAYBOOK, simulator, profile, unset=("dmpilot_api_url", "dmpilot_api_key"), environment=environment)

    assert run.rc == 0, str(run)
    assert run.leaked_secrets() == [], str(run)
    assert "TASK [Check what each did]" in run.output and run.recap()["localhost"]["failed"] == 0
    assert sorted(handler["name"] for handler in simulator.handlers()) == ["On-call Slack", "Ops email", "Ops webhook"]
    log = simulator.log()
    assert len(log) >= 5 and set(entry["api_key"] for entry in log) == {CANARIES["api_key"]}, "each request carried the injected key"
