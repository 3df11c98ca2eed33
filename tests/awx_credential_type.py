"""The AWX / Automation Controller credential type that the collection ships (extensions/awx/credential_type.yml), read
as the controller reads it: what a credential of that type holds, and the environment it gives a job."""

import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tests.paths import COLLECTION_ROOT

PATH = COLLECTION_ROOT / "extensions" / "awx" / "credential_type.yml"


def credential_type():
    """The file, as awx.awx.credential_type takes it: name, description, kind, inputs and injectors."""
    return yaml.safe_load(PATH.read_text(encoding="utf-8"))


def credential_inputs(**given):
    """A credential's inputs as the controller's form makes them: the values given, a field's default where none is.
    A required field left without a value is refused, as the form refuses it."""
    fields = credential_type()["inputs"]["fields"]
    inputs = dict((field["id"], field["default"]) for field in fields if "default" in field)
    inputs.update(given)
    unknown = sorted(set(given) - set(field["id"] for field in fields))
    missing = sorted(set(credential_type()["inputs"].get("required", [])) - set(inputs))
    if unknown or missing:
        raise ValueError("the credential type has no field %s, and needs %s" % (unknown, missing))
    return inputs


def injected_environment(inputs):
    """The environment variables that the controller sets for a job with a credential of these inputs: each env injector
    rendered with Jinja's immutable sandbox, the credential's inputs as its variables, as the controller renders them
    (strictly here: a template that names no field fails, where the controller would inject an empty string)."""
    sandbox = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    return dict((name, sandbox.from_string(template).render(**inputs)) for name, template in credential_type()["injectors"]["env"].items())
