"""Every failure carries a reason a playbook can act on (issue 24, section 5): REASONS is the one table of them.

One table, PROVOKED, provokes each reason through a module's runner in this process, against the in-process simulator
(the client's reasons, which need real HTTP, are checked in test_client.py, and the checks of the options in
tests/unit/plugins/modules/test_module_process.py). The reason expected is written here, from what the server did,
never computed by the code under test. A reading of the plugins' source checks that every exception raised, and every
fail_json called, gives a reason of the table, and that the table has no reason that nothing gives.
"""

import ast

import pytest

from ansible_collections.dmpilot.cloud.plugins.module_utils import _update_probe
from ansible_collections.dmpilot.cloud.plugins.module_utils._failures import REASONS, Failure
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_info import run as run_info
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_list import run as run_list
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_lookup import LookupProblem, find_handlers
from ansible_collections.dmpilot.cloud.plugins.module_utils._update_probe import IGNORED, MANGLED
from tests.paths import COLLECTION_ROOT
from tests.unit.plugins.module_utils.test_handler_state import (
    EMAIL,
    HOOK,
    HOOK2,
    SALT,
    FakeModule,
    RecordingClient,
    finished,
    list_item,
    list_module,
)

PLUGINS = COLLECTION_ROOT / "plugins"
# A mask of the right form that no stored secret has: as an export made with another API key gives it.
FOREIGN_MASK = "********#0123456789ab"
# The reasons only the client's real HTTP gives (test_client.py), and only a module process (test_module_process.py).
CLIENT_REASONS = {"auth_failed", "server_refused", "not_the_api", "host_not_found", "connection_failed", "timeout", "tls_failed",
                  "list_changing"}
PROCESS_REASONS = {"missing_requirement"}


@pytest.fixture(autouse=True)
def no_shared_probe_outcome(monkeypatch):
    monkeypatch.setattr(_update_probe, "playbook_run", lambda: None)


def single(client, **params):
    return finished(FakeModule(client, **params))


def seeded(*names, **switches):
    client = RecordingClient(**switches)
    for name in names:
        client.seed(name)
    return client


def created_then_cut(client):
    """The server stores a created handler's URL cut short: read back, it is not what was sent."""
    client.on("find_by_name", lambda _name: client.other.update_handler(max(client.stored), {"webhook": HOOK[:20]}),
              when=lambda _name: client.stored)
    return single(client, name="Ops", type="webhook", webhook=HOOK)


def created_then_deleted(client):
    """Someone deletes the created handler before it is read back."""
    client.on("find_by_name", lambda _name: client.other.delete_handler(max(client.stored)), when=lambda _name: client.stored)
    return single(client, name="Ops", type="webhook", webhook=HOOK)


def confirmed_email(client):
    """66biolinks 67 shows the address confirmed (rule 17): a change that replaces the handler is refused before writing."""
    single(client, name="Ops mail", type="email", email=EMAIL)
    client.account.confirm_all()
    return single(client, id=1, name="Ops mail (on call)", email=EMAIL)


def replacement_whose_old_handler_stays(client):
    client.fail("delete_handler", 403, when=lambda handler_id: handler_id == 1)
    return single(client, name="Ops", type="webhook", webhook=HOOK2)


def broken_by_the_update_bug(client):
    client.mangle(1)
    return single(client, name="Ops", webhook=HOOK2)


def probe_refused(client):
    client.fail("create_handler", 401)
    return single(client, name="Ops", type="webhook", webhook=HOOK2)


def info(client, **params):
    return finished(FakeModule(client, **dict(dict(reveal_secrets=False), **params)), run_info)


def rate_limited_read(client):
    client.fail("list_handlers", 429)
    return info(client)


def server_failed_read(client):
    client.fail("find_by_name", 500)
    return single(client, name="Ops", type="webhook", webhook=HOOK)


# Two items that would end with one name.
TWO_ITEMS_ONE_NAME = [list_item(name="A", type="webhook", webhook=HOOK), list_item(id=1, name="A")]
# (reason, the account's switches and handlers, what provokes it).
PROVOKED = [
    ("invalid_option", seeded, lambda client: single(client, name="   ", type="webhook", webhook=HOOK)),
    ("invalid_option", seeded, lambda client: finished(list_module(client, [list_item(type="webhook")]), run_list)),
    ("masked_value_unknown", lambda: seeded("Ops"), lambda client: single(client, name="Ops", type="webhook", webhook=FOREIGN_MASK)),
    ("masked_value_unknown", seeded, lambda client: single(client, name="New", type="webhook", webhook=FOREIGN_MASK)),
    ("not_found", seeded, lambda client: single(client, id=42, name="Ops")),
    ("name_shared", lambda: seeded("Ops", "Ops"), lambda client: single(client, name="Ops", type="webhook", webhook=HOOK)),
    ("name_conflict", lambda: seeded("Ops", "Other"), lambda client: single(client, id=1, name="Other")),
    ("name_conflict", seeded, lambda client: finished(list_module(client, TWO_ITEMS_ONE_NAME), run_list)),
    ("id_name_mismatch", lambda: seeded("Ops"), lambda client: single(client, id=1, name="Other", state="absent")),
    ("would_delete_all", lambda: seeded("Ops"), lambda client: finished(list_module(client, [], purge=True), run_list)),
    ("cannot_disable", lambda: seeded("Ops", update_mode=MANGLED), lambda client: single(client, name="Ops", enabled=False)),
    ("cannot_disable", lambda: seeded(update_mode=IGNORED),
     lambda client: single(client, name="New", type="webhook", webhook=HOOK, enabled=False)),
    ("pending_confirmation", lambda: RecordingClient(email_confirmation=True),
     lambda client: (client.seed("Mail", "email", {"email": EMAIL}, is_enabled=2), single(client, name="Mail", enabled=False))[1]),
    ("confirmed_email", lambda: RecordingClient(update_mode=MANGLED, email_confirmation=True), confirmed_email),
    ("server_breaks_updates", lambda: seeded("Ops", update_mode=IGNORED),
     lambda client: single(client, name="Ops", type="webhook", webhook=HOOK2, update_strategy="update")),
    ("handler_broken", lambda: seeded("Ops"), broken_by_the_update_bug),
    ("update_test_failed", lambda: seeded("Ops"), probe_refused),
    ("not_stored_as_sent", seeded, created_then_cut),
    ("deleted_meanwhile", seeded, created_then_deleted),
    ("replaced_but_kept", lambda: seeded("Ops", update_mode=MANGLED), replacement_whose_old_handler_stays),
    ("rate_limited", seeded, rate_limited_read),
    ("server_error", seeded, server_failed_read),
]


@pytest.mark.parametrize("reason, account, provoke", [pytest.param(*row, id="%s-%d" % (row[0], number)) for number, row in enumerate(PROVOKED)])
def test_each_failure_returns_its_reason(reason, account, provoke):
    module = provoke(account())
    assert module.exited is None, module.exited
    assert module.failed["reason"] == reason, module.failed["msg"]
    assert module.failed["msg"]


def test_every_reason_but_the_clients_and_a_module_process_is_provoked_here():
    assert set(REASONS) - CLIENT_REASONS - PROCESS_REASONS == set(row[0] for row in PROVOKED)


def test_a_mask_of_an_earlier_api_key_says_in_one_sentence_what_to_run():
    """After the API key is rotated, an export's masks match nothing: the failure says how to get masks that do."""
    module = single(seeded("Ops"), name="Ops", type="webhook", webhook=FOREIGN_MASK)
    assert "after a new api_key, export the handlers again with it (dmpilot_notification_handler_info), or give the secrets in clear " \
           "once." in module.failed["msg"]


def test_an_api_failure_returns_its_status_and_the_servers_words_and_its_advice_once():
    module = rate_limited_read(seeded())
    assert (module.failed["reason"], module.failed["status"], module.failed["server_message"]) == ("rate_limited", 429,
                                                                                                   "refused by the test's fault")
    assert "hint" not in module.failed, "the advice is in msg, once"


@pytest.mark.parametrize("terms, reason", [(["Nobody"], "not_found"), (["Ops"], "name_shared"), ([["Ops", None]], "invalid_option")])
def test_the_lookups_problems_carry_a_reason_too(terms, reason):
    client = seeded("Ops", "Ops")
    with pytest.raises(LookupProblem) as raised:
        find_handlers(client, terms, SALT)
    assert raised.value.reason == reason


# Every failure path gives a reason: read from the source.

def plugin_sources():
    return sorted(PLUGINS.rglob("*.py"))


def failure_classes():
    """The exception classes of the plugins that carry a reason, by name: Failure and its subclasses."""
    from ansible_collections.dmpilot.cloud.plugins.module_utils import (  # pylint: disable=import-outside-toplevel
        _client, _handler_lookup, _handler_plan, _handler_writer, _handlers)
    modules = (_client, _handler_lookup, _handler_plan, _handler_writer, _handlers)
    return dict((name, value) for module in modules for name, value in vars(module).items()
                if isinstance(value, type) and issubclass(value, Failure))


def calls(path, names):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in names:
                yield name, node


def given_reason(name, node):
    """The reason a call gives (a literal, an expression, or None): the keyword; a failure's details (error_details(),
    whose reason is the exception's); what DmpilotModule.fail_json passes on to ansible-core's, after it has set one; or the
    second argument of a Failure."""
    for keyword in node.keywords:
        if keyword.arg == "reason":
            return keyword.value
        if keyword.arg is None and (getattr(keyword.value, "id", None) == "kwargs" and is_super_call(node)
                                    or getattr(getattr(keyword.value, "func", None), "id", None) == "error_details"):
            return keyword.value
    if name != "DmpilotError" and name != "fail_json" and len(node.args) > 1:
        return node.args[1]
    return None


def is_super_call(node):
    target = getattr(node.func, "value", None)
    return isinstance(target, ast.Call) and getattr(target.func, "id", None) == "super"


def test_every_failure_raised_and_every_fail_json_gives_a_reason_of_the_table():
    classes = failure_classes()
    missing, unknown = [], []
    for path in plugin_sources():
        for name, node in calls(path, set(classes) | {"fail_json"}):
            where = "%s:%d %s" % (path.relative_to(COLLECTION_ROOT), node.lineno, name)
            reason = given_reason(name, node)
            has_status = any(keyword.arg == "status" for keyword in node.keywords)
            if reason is None and not (name in classes and classes[name].reason) and not (name == "DmpilotError" and has_status):
                missing.append(where)
            if isinstance(reason, ast.Constant) and reason.value not in REASONS:
                unknown.append("%s: %r" % (where, reason.value))
    assert missing == [] and unknown == []


def test_every_reason_of_the_table_is_given_somewhere():
    """A reason documented that no failure gives would mislead a playbook's failed_when."""
    source = "\n".join(path.read_text(encoding="utf-8") for path in plugin_sources())
    given = set(reason for reason in REASONS if ('"%s"' % reason) in source.replace(REASONS_TABLE_SOURCE, ""))
    assert set(REASONS) - given == set()


REASONS_TABLE_SOURCE = (PLUGINS / "module_utils" / "_failures.py").read_text(encoding="utf-8")
