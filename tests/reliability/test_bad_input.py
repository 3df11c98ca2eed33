"""Bad input: every option of both modules, given a value it must refuse.

One table, BAD_INPUTS, runs as one playbook (playbooks/bad_input.yml). Each row must fail with a message that names
its option, and the simulator's log must show no write: no request at all, unless the module has to read the
handlers to know that the input is bad (a create without its fields, an id that does not exist, a shared name), or the
value is of a form that cannot be right (an email without @): that is checked only where the value will be sent, after
the read, so that a value the server stores already is given back unchanged without a word (issue 18).
"""

import dataclasses
import json
import os
import subprocess
import sys

from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import FIELD_TYPE, HANDLER_TYPES
from tests.handler_data import VALID, settings_of
from tests.integration.runner import CANARIES, REPO, SOURCE_COLLECTIONS
from tests.reliability.harness import names_option, run_checked_playbook

HANDLER = "dmpilot_notification_handler"
INFO = "dmpilot_notification_handler_info"
# Options that have no bad value: the info module's name is a filter, and any text is a name to look for.
NO_BAD_VALUE = {(INFO, "name")}


@dataclasses.dataclass(frozen=True)
class BadInput:
    option: str  # the option the message must name
    args: dict  # the module's options; api_url and api_key default to the simulator's
    module: str = HANDLER
    seed: tuple = ()  # handlers stored before the module runs
    reads: bool = False  # whether the module must read the handlers to know; else it sends nothing
    words: tuple = ()  # what else the message must say
    reason: str = "invalid_option"  # the reason the failure returns

    @property
    def task_file(self):
        return "info" if self.module == INFO else "handler"

    @property
    def name(self):
        """The row as the summary shows it, without secrets or long values."""
        shown = dict((key, "(secret)" if key in CANARIES and value.strip() else value if len(str(value)) <= 20 else "%d characters" % len(value))
                     for key, value in self.args.items())
        return "%s %s: %s" % (self.task_file, self.option, json.dumps(shown, ensure_ascii=False))


def twins():
    return tuple({"name": "Twin", "type": "email", "settings": {"email": "twin%d@example.com" % number}} for number in (1, 2))


X_KEYS = settings_of("x")
LONG = "a" * 600


def foreign_fields():
    """Every settings field of the table, given with a type it does not belong to (one of the rows of each field)."""
    rows = []
    for field_name, field_type in FIELD_TYPE.items():
        other = next(type_name for type_name in HANDLER_TYPES if type_name != field_type)
        value = CANARIES.get(field_name, VALID[field_name])
        rows.append(BadInput(field_name, dict(settings_of(other), name="A", type=other, **{field_name: value})))
    return tuple(rows)


# A password in api_url is a secret too: the canary scan looks for it in every output.
URL_WITH_PASSWORD = "http://ops:%s@127.0.0.1:9/api" % CANARIES["x_access_token_secret"]

BAD_INPUTS = (
    # name: missing, empty, blank, too long (as given, and once the server turns each quote into an entity, rule 10), one
    # the server would store as another name (a tag, blanks at an end: refused after the read, where it would be sent,
    # by a create or a rename; exact identity), shared by two handlers.
    BadInput("name", {"type": "email", "email": "a@example.com"}),
    BadInput("name", {"name": "", "type": "email", "email": "a@example.com"}),
    BadInput("name", {"name": "   ", "type": "email", "email": "a@example.com"}),
    BadInput("name", {"name": "n" * 129, "type": "email", "email": "a@example.com"}),
    BadInput("name", {"name": "O'" * 30, "type": "email", "email": "a@example.com"}, words=("&#39;",)),
    BadInput("name", {"name": "<b class=x>", "type": "email", "email": "a@example.com"}, reads=True,
             words=("holds '<'", "would store it as ''", "Nothing was sent")),
    BadInput("name", {"name": "Other <staging>", "type": "email", "email": "a@example.com"}, seed=({"name": "Other", "type": "email"},),
             reads=True, words=("holds '<'", "would store it as 'Other', which is another name", "Nothing was sent")),
    BadInput("name", {"name": " Padded ", "type": "email", "email": "a@example.com"}, reads=True,
             words=("holds blanks at its start or end", "would store it as 'Padded'")),
    BadInput("name", {"id": 1, "name": "Twin <b>"}, seed=twins(), reads=True, words=("holds '<'", "Nothing was sent")),
    # A NUL character: refused by the module, naming the option, before ansible-core's syslog would choke on it.
    BadInput("name", {"name": "nul\x00inside", "type": "email", "email": "a@example.com"}),
    BadInput("name", {"name": "Twin", "enabled": False}, seed=twins(), reads=True, words=("ids 1, 2",), reason="name_shared"),
    BadInput("name", {"name": "Twin", "state": "absent"}, seed=twins(), reads=True, words=("ids 1, 2",), reason="name_shared"),
    # id and name that name two different handlers: nothing is deleted.
    BadInput("name", {"id": 1, "name": "Not twin", "state": "absent"}, seed=twins(), reads=True, words=("not deleted",),
             reason="id_name_mismatch"),
    # A rename to the name another handler has.
    BadInput("name", {"id": 1, "name": "Other"}, seed=twins() + ({"name": "Other", "type": "email"},), reads=True, words=("handler 3",),
             reason="name_conflict"),
    # id: the wrong type, or one that does not exist.
    BadInput("id", {"id": "not-a-number", "name": "A"}),
    BadInput("id", {"id": 424242, "name": "New", "type": "email", "email": "a@example.com"}, reads=True, reason="not_found"),
    # type: unknown, or missing for a create.
    BadInput("type", {"name": "A", "type": "pager"}),
    BadInput("type", {"name": "A", "type": "telgram"}, words=("Did you mean telegram?",)),
    BadInput("type", {"name": "New", "email": "a@example.com"}, reads=True),
    BadInput("enabled", {"name": "A", "enabled": "maybe"}),
    BadInput("state", {"name": "A", "state": "gone"}),
    BadInput("update_strategy", {"name": "A", "update_strategy": "sideways"}),
    # Each setting: a value the server would store differently (a tag, a quote: rule 10; too long), refused before any
    # request; a value of a form that cannot be right, refused where it would be sent (after the read); a field of
    # another type; a missing field; a mask that is not one, or that is not a secret's.
    BadInput("email", {"name": "A", "type": "email", "email": "not-an-email"}, reads=True),
    BadInput("email", {"name": "A", "type": "email", "email": "ops@example.com<script>"}),
    BadInput("email", {"name": "A", "type": "email", "email": "o'brien@example.com"}, words=("quote",)),
    BadInput("email", {"name": "A", "type": "email", "email": "********#0123456789ab"}, words=("not a secret",)),
    BadInput("webhook", {"name": "A", "type": "webhook", "webhook": "hooks.example.com/x"}, reads=True),
    BadInput("webhook", {"name": "A", "type": "webhook", "webhook": "https://hooks.example.com/" + LONG}),
    BadInput("webhook", {"name": "A", "type": "webhook", "webhook": 'https://hooks.example.com/?q="x"'}, words=("quote",)),
    BadInput("discord", {"name": "A", "type": "discord", "discord": "   "}, reads=True),
    BadInput("telegram", {"name": "A", "type": "telegram", "telegram": "not a token", "telegram_chat_id": "-100"}, reads=True),
    BadInput("telegram", {"name": "A", "type": "telegram", "telegram": "********#08F4775C3AAE", "telegram_chat_id": "-100"},
             words=("lower case",)),
    BadInput("telegram_chat_id", {"name": "A", "type": "telegram", "telegram": CANARIES["telegram"], "telegram_chat_id": "my chat"},
             reads=True),
    BadInput("telegram_chat_id", {"name": "New", "type": "telegram", "telegram": CANARIES["telegram"]}, reads=True),
    BadInput("microsoft_teams", {"name": "A", "type": "microsoft_teams", "microsoft_teams": "ftp://example.webhook.office.com/x"},
             reads=True),
    *foreign_fields(),
    BadInput("x_consumer_key", {"name": "A", "type": "x", **dict(X_KEYS, x_consumer_key="<i>key</i>")}),
    BadInput("x_consumer_secret", {"name": "New", "type": "x", "x_consumer_key": CANARIES["x_consumer_key"]}, reads=True),
    BadInput("x_consumer_secret", {"name": "A", "type": "x", **dict(X_KEYS, x_consumer_secret="********")}, words=("mask",)),
    BadInput("x_consumer_secret", {"name": "A", "type": "x", **dict(X_KEYS, x_consumer_secret="********#8408d")}, words=("mask",)),
    BadInput("x_access_token", {"name": "A", "type": "x", **dict(X_KEYS, x_access_token=" ")}, reads=True),
    BadInput("x_access_token_secret", {"name": "A", "type": "x", **dict(X_KEYS, x_access_token_secret=LONG)}),
    # The connection options.
    BadInput("api_url", {"name": "A", "api_url": "dmpilot.example/api"}),
    BadInput("api_key", {"name": "A", "api_key": ""}),
    # Characters a header cannot carry: they must fail cleanly, naming api_key and never showing it.
    BadInput("api_key", {"name": "A", "api_key": CANARIES["api_key"] + "\u043a\u043b\u044e\u0447"}),
    BadInput("api_key", {"name": "A", "api_key": CANARIES["api_key"] + "\nsecond-line"}),
    BadInput("api_key", {"name": "A", "api_key": CANARIES["api_key"] + " " + CANARIES["api_key"]}),
    # Credentials in api_url, with a good and a bad scheme, and with none.
    BadInput("api_url", {"name": "A", "api_url": URL_WITH_PASSWORD}, words=("user name or password",)),
    BadInput("api_url", {"name": "A", "api_url": URL_WITH_PASSWORD.replace("http://", "ftp://")}),
    BadInput("api_url", {"name": "A", "api_url": URL_WITH_PASSWORD.replace("http://", "")}),
    BadInput("api_url", {"name": "A", "api_url": "http://127.0.0.1:9/api?token=" + CANARIES["x_consumer_secret"]}),
    # A host name DNS cannot take (a label of 300 characters): a message, never an exception's text.
    BadInput("api_url", {"name": "A", "api_url": "http://%s.example/api" % ("a" * 300)}, words=("valid host",)),
    BadInput("validate_certs", {"name": "A", "validate_certs": "perhaps"}),
    BadInput("timeout", {"name": "A", "timeout": "soon"}),
    BadInput("timeout", {"name": "A", "timeout": 0}),
    # A number the socket layer cannot take ("timestamp too large to convert to C _PyTime_t").
    BadInput("timeout", {"name": "A", "timeout": 99999999999}),
    BadInput("retries", {"name": "A", "retries": 10 ** 12}),
    BadInput("rate_limit_timeout", {"name": "A", "rate_limit_timeout": 10 ** 12}),
    BadInput("retries", {"name": "A", "retries": -1}),
    BadInput("rate_limit_timeout", {"name": "A", "rate_limit_timeout": "a minute"}),
    # The info module.
    BadInput("id", {"id": "first"}, module=INFO),
    BadInput("type", {"type": "pager"}, module=INFO),
    BadInput("enabled", {"enabled": "maybe"}, module=INFO),
    BadInput("reveal_secrets", {"reveal_secrets": "sometimes"}, module=INFO),
    BadInput("api_url", {"api_url": "dmpilot.example/api"}, module=INFO),
    BadInput("api_key", {"api_key": "   "}, module=INFO),
    BadInput("api_key", {"api_key": CANARIES["api_key"] + "\u20ac"}, module=INFO),
    BadInput("api_url", {"api_url": URL_WITH_PASSWORD}, module=INFO, words=("user name or password",)),
    BadInput("validate_certs", {"validate_certs": "perhaps"}, module=INFO),
    BadInput("timeout", {"timeout": -1}, module=INFO),
    BadInput("retries", {"retries": "many"}, module=INFO),
    BadInput("rate_limit_timeout", {"rate_limit_timeout": -5}, module=INFO),
)


def judge(row, record):
    result = record["result"]
    message = result.get("msg") or ""
    failed = bool(result.get("failed"))
    assert failed, "it did not fail: %s" % json.dumps(result)[:2000]
    assert "Traceback" not in json.dumps(result), "a traceback: %s" % json.dumps(result)[:3000]
    assert names_option(message, row.option), "the message does not name %s: %s" % (row.option, message)
    assert result.get("reason") == row.reason, "the reason is %r, not %r: %s" % (result.get("reason"), row.reason, message)
    for word in row.words:
        assert word in message, "the message does not say %r: %s" % (word, message)
    requests = ["%s %s" % (entry["method"], entry["path"]) for entry in record["requests"]]
    writes = [request for request in requests if not request.startswith("GET ")]
    assert writes == [], "it wrote: %s" % writes
    if not row.reads:
        assert requests == [], "it sent requests before refusing: %s" % requests


def as_vars(row):
    return {"module": row.task_file, "args": row.args,
            "seed": [dict(handler, api_key=CANARIES["api_key"]) for handler in row.seed]}


def test_each_bad_input_fails_naming_its_option_and_writes_nothing(simulator, ledger):
    run, records = run_checked_playbook(ledger, "bad_input.yml", simulator, extra_vars={"bad_inputs": [as_vars(row) for row in BAD_INPUTS]})
    records = records or []
    for index, row in enumerate(BAD_INPUTS):
        if index >= len(records):
            ledger.record("bad inputs", row.name, False, "the playbook left no record of it")
            continue
        ledger.check("bad inputs", row.name, judge, row, records[index])
    ledger.assert_all_passed(str(run) if run.rc else "")


def documented_options(module):
    """Every option of a module, its doc fragments' included, as ansible-doc shows them."""
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(SOURCE_COLLECTIONS))
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-j", "dmpilot.cloud." + module]
    completed = subprocess.run(command, cwd=str(REPO), env=environment, capture_output=True, text=True, check=True)
    return set(json.loads(completed.stdout)["dmpilot.cloud." + module]["doc"]["options"])


def test_the_table_tries_every_option():
    for module in (HANDLER, INFO):
        tried = set(row.option for row in BAD_INPUTS if row.module == module)
        untried = documented_options(module) - tried - set(option for exempt_module, option in NO_BAD_VALUE if exempt_module == module)
        assert untried == set(), "no bad input of %s tries %s" % (module, ", ".join(sorted(untried)))


def assert_trimmed_key_works(run, result, stored):
    assert run.rc == 0 and not result.get("failed"), "it failed: %s" % result.get("msg")
    assert result.get("changed") and [handler["name"] for handler in stored] == ["Trimmed key"], "stored: %s" % stored


def test_an_api_key_ending_in_a_newline_is_trimmed(simulator, ledger):
    """`echo key | ansible-vault encrypt_string` stores the key with a newline: it is trimmed like any value, never shown."""
    simulator.reset("realistic", keys={CANARIES["api_key"]: 1})
    wanted = {"name": "Trimmed key", "type": "email", "email": "a@example.com", "api_key": CANARIES["api_key"] + "\n"}
    run, result = run_checked_playbook(ledger, "race.yml", simulator, extra_vars={"raced_handler": wanted})
    ledger.check("bad inputs", "handler api_key: a trailing newline is trimmed", assert_trimmed_key_works, run, result or {},
                 simulator.handlers())
    ledger.assert_all_passed()
