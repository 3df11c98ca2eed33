"""The examples of the documentation, found where users read them, and each source's wrapped into one playbook.

Sources: the ```yaml blocks of README.md, the `.. code-block:: yaml` (or yaml+jinja) blocks of the docsite guides, and
the EXAMPLES string of every module and lookup. Nothing is copied: a new example, or a changed one, is run as it is
written.

Each block is, by its shape, one of:
- plays (a list of mappings with `hosts`): run as they are; a group they name is mapped to localhost in the inventory;
- tasks (a list of other mappings): the tasks of a play on localhost whose module_defaults give the API key;
- vars (a mapping): a vars file, such as the list of handlers that the README keeps in group_vars/all, so it lands
  in group_vars/all beside the playbook and every play sees it;
- requirements (a mapping of only `collections` and `roles`): an ansible-galaxy requirements file, not run;
- credential type (a mapping with `inputs` and `injectors`): the AWX credential type the collection ships, not run;
- controller (tasks of the awx.awx or ansible.controller collection): the setup of AWX or Automation Controller, which
  the tests have neither, not run.
"""

import ast
import pathlib
import re
import textwrap

import yaml

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import DEFAULT_API_URL
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import FIELDS, SECRET_FIELDS
from tests.handler_data import CANARIES
from tests.paths import COLLECTION_ROOT

MODULE_DEFAULTS_GROUP = "group/dmpilot.cloud.dmpilot"
# The variable the examples hold the API key in, as a reader keeps it in a vault.
API_KEY_VARIABLE = "vault_dmpilot_api_key"
REQUIREMENTS_KEYS = frozenset(("collections", "roles"))
CONTROLLER_COLLECTIONS = ("awx.awx.", "ansible.controller.")
# The kinds of example that are checked, not run (test_examples.py).
NOT_RUN = ("requirements", "credential type", "controller")
LOCAL_HOSTS = ("localhost", "all", "127.0.0.1")

FENCED_YAML = re.compile(r"^(?P<indent>[ \t]*)```ya?ml[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.MULTILINE | re.DOTALL)
RST_YAML = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block::[ \t]+ya?ml(\+jinja)?[ \t]*\n", re.MULTILINE)
VAULT_VARIABLE = re.compile(r"\bvault_\w+")


class Example:
    """One block of YAML, where it was found, and what it is."""

    def __init__(self, source, line, text):
        self.source = source
        self.line = line
        self.text = text
        self.data = yaml.safe_load(text)
        self.kind = kind_of(self.data)

    @property
    def where(self):
        return "%s:%d" % (self.source, self.line)

    def __repr__(self):
        return "<%s example at %s>" % (self.kind, self.where)


def kind_of(data):
    if isinstance(data, dict):
        if set(data) <= REQUIREMENTS_KEYS:
            return "requirements"
        return "credential type" if {"inputs", "injectors"} <= set(data) else "vars"
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        if any(key.startswith(CONTROLLER_COLLECTIONS) for item in data for key in item):
            return "controller"
        return "plays" if all("hosts" in item for item in data) else "tasks"
    raise ValueError("an example is neither a play, a task list nor a vars file: %r" % (data,))


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def markdown_examples(path):
    text = path.read_text(encoding="utf-8")
    source = path.relative_to(COLLECTION_ROOT).as_posix()
    return [Example(source, line_of(text, match.start("body")), textwrap.dedent(match.group("body"))) for match in FENCED_YAML.finditer(text)]


def rst_examples(path):
    """The body of each yaml code-block: the lines after the directive indented deeper than it, blank lines within."""
    text = path.read_text(encoding="utf-8")
    source = path.relative_to(COLLECTION_ROOT).as_posix()
    examples = []
    for match in RST_YAML.finditer(text):
        directive_indent = len(match.group("indent").expandtabs())
        start = match.end()
        lines = text[start:].split("\n")
        body = []
        for line in lines:
            if line.strip() and len(line) - len(line.lstrip()) <= directive_indent:
                break
            body.append(line)
        skipped = len(body) - len(list(_drop_leading_blanks(body)))
        examples.append(Example(source, line_of(text, start) + skipped, textwrap.dedent("\n".join(body)).strip("\n") + "\n"))
    return examples


def _drop_leading_blanks(lines):
    lines = list(lines)
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def module_examples(path):
    """The EXAMPLES string of a module or a lookup, read from its source without importing it, as one block."""
    text = path.read_text(encoding="utf-8")
    source = path.relative_to(COLLECTION_ROOT).as_posix()
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and [getattr(target, "id", None) for target in node.targets] == ["EXAMPLES"]:
            return [Example(source, node.lineno, ast.literal_eval(node.value))]
    raise ValueError("%s has no EXAMPLES" % source)


def sources():
    """Every source of examples, by name: the README, each docsite guide, each module and lookup."""
    found = {"README.md": lambda: markdown_examples(COLLECTION_ROOT / "README.md")}
    for guide in sorted((COLLECTION_ROOT / "docs" / "docsite" / "rst").glob("*.rst")):
        found[guide.relative_to(COLLECTION_ROOT).as_posix()] = lambda guide=guide: rst_examples(guide)
    for module in sorted((COLLECTION_ROOT / "plugins" / "modules").glob("*.py")) + sorted((COLLECTION_ROOT / "plugins" / "lookup").glob("*.py")):
        found[module.relative_to(COLLECTION_ROOT).as_posix()] = lambda module=module: module_examples(module)
    return found


def vault_values(examples):
    """A canary for every vault_* variable the examples use: the API key's, or that of the secret option it names."""
    values = {}
    for name in sorted(set(VAULT_VARIABLE.findall("".join(example.text for example in examples)))):
        values[name] = canary_for(name)
    return values


def canary_for(variable):
    """vault_dmpilot_api_key is the API key; vault_slack_webhook_url names the option slack_webhook_url (slack's alias),
    vault_telegram_token begins with the option telegram: the secret option the name is, or else begins with."""
    rest = variable[len("vault_"):]
    if rest.endswith("api_key"):
        return CANARIES["api_key"]
    options = dict((option, field.name) for field in FIELDS.values() if field.name in SECRET_FIELDS for option in (field.name,) + tuple(field.aliases))
    if rest in options:
        return CANARIES[options[rest]]
    prefixes = sorted((option for option in options if rest.startswith(option + "_")), key=len)
    if not prefixes:
        raise ValueError("the examples use %s, which names no secret option: name it after one (vault_<option>...)" % variable)
    return CANARIES[options[prefixes[-1]]]


def handler_ids(data):
    """Every handler id an example refers to (`id: 42`), so that the test can make them exist."""
    if isinstance(data, dict):
        found = set(value for key, value in data.items() if key == "id" and isinstance(value, int) and not isinstance(value, bool))
        for value in data.values():
            found |= handler_ids(value)
        return found
    if isinstance(data, list):
        return set().union(*(handler_ids(item) for item in data)) if data else set()
    return set()


def pointed_at(data, api_url):
    """The example with the public API's root, where it names it, replaced by the server under test."""
    if isinstance(data, dict):
        return dict((key, pointed_at(value, api_url)) for key, value in data.items())
    if isinstance(data, list):
        return [pointed_at(item, api_url) for item in data]
    if isinstance(data, str):
        return data.replace(DEFAULT_API_URL, api_url)
    return data


class ExamplePlaybook:
    """A source's examples, in their order, as one playbook, an inventory and group_vars in a directory of their own."""

    def __init__(self, examples, directory, api_url):
        self.examples = [example for example in examples if example.kind not in NOT_RUN]
        self.directory = pathlib.Path(directory)
        self.api_url = api_url
        self.playbook = self.directory / "examples.yml"
        self.inventory = self.directory / "inventory.yml"
        self.files = set()  # what write() wrote; anything else in the directory the examples wrote
        self.play_names = []

    def write(self, python):
        plays = []
        groups = set()
        group_vars = self.directory / "group_vars" / "all"
        for example in self.examples:
            data = pointed_at(example.data, self.api_url)
            if example.kind == "vars":
                group_vars.mkdir(parents=True, exist_ok=True)
                self._write(group_vars / ("example-line-%d.yml" % example.line), data)
            elif example.kind == "plays":
                for play in data:
                    hosts = play["hosts"] if isinstance(play["hosts"], list) else re.split(r"[,:]", play["hosts"])
                    groups.update(host.strip() for host in hosts if host.strip() and host.strip() not in LOCAL_HOSTS)
                    plays.append(dict(play, name="[%s] %s" % (example.where, play.get("name", ""))))
            else:
                plays.append({
                    "name": "[%s] the example's tasks" % example.where,
                    "hosts": "localhost",
                    "gather_facts": False,
                    "module_defaults": {MODULE_DEFAULTS_GROUP: {"api_key": "{{ %s }}" % API_KEY_VARIABLE}},
                    "tasks": data,
                })
        localhost = {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": python}}
        inventory = {"all": {"hosts": localhost, "children": dict((group, {"hosts": {"localhost": None}}) for group in sorted(groups))}}
        self._write(self.inventory, inventory)
        self._write(self.playbook, plays)
        self.play_names = [play["name"] for play in plays]
        return self

    def _write(self, path, data):
        path.write_text(yaml.safe_dump(data, sort_keys=False, width=1000), encoding="utf-8")
        self.files.add(path)

    def written_by_examples(self):
        return sorted(path for path in self.directory.rglob("*") if path.is_file() and path not in self.files)

    def handler_ids(self):
        return sorted(set().union(*(handler_ids(example.data) for example in self.examples)))

    def vault_values(self):
        return vault_values(self.examples)
