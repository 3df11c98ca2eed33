"""The lookup's logic (plugins/module_utils/_handler_lookup.py): names and ids to handlers, through the real client,
against the simulator in this process (tests/simulator/inprocess.py), on every server profile it models.

- each term gives the handler it names, in order, as the info module returns it (the info module, run on the same
  account, is the oracle of the shape and of the masks);
- a name is the user's exact words, or the server's stored form with its quotes as entities: what the server stored is
  read from the simulator, and every expected name and message is written out, never computed with the plugins' rules;
- a term that names no handler, or a name several handlers share, fails, naming it and the ids; a bad term fails before
  any request;
- the cost: one search for one name, one read for one id, one read of the whole list for several terms;
- nothing is written, and no secret appears in clear in a result or an error.
"""

import json

import pytest

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import DmpilotError
from ansible_collections.dmpilot.cloud.plugins.module_utils._name_search import NameSearchClient
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_info import run as run_info
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_lookup import LookupProblem, find_handlers
from tests.fake_module import FakeModule, ModuleExit
from tests.simulator.inprocess import API_URL, Account

PROFILES = ("documented", "pusher-18", "biolinks-67", "biolinks-67-patched")
# The profiles whose server cleans names (rule 10), and those that know the list's search (rule 14).
CLEANING = ("pusher-18", "biolinks-67", "biolinks-67-patched")
SEARCHING = ("biolinks-67", "biolinks-67-patched")
SLACK = "https://hooks.slack.com/services/T000/B000/lookup-secret-one"
SLACK2 = "https://hooks.slack.com/services/T000/B000/lookup-secret-two"
TOKEN = "123456789:lookup-secret-token"
LIST = "/api/notification-handlers/"
MASK = r"^\*{8}#[0-9a-f]{12}$"


class Server:
    """An account on a server profile, a client of it as the lookup gets one, and another for setting the account up."""

    def __init__(self, profile, **switches):
        self.account = Account(profile, dict({"b3_rate_limit": False}, **switches))
        self.client = self.connected()
        self.setup = self.connected()

    def connected(self, api_key=Account.API_KEY):
        client = NameSearchClient(API_URL, api_key, sleep=self.account.sleep, clock=self.account.clock)
        self.account.connect(client.session)
        return client

    def create(self, name, handler_type="internal_notification", **settings):
        """A handler created through the API, so that the server cleans its name as it does (rule 10)."""
        return self.setup.create_handler(dict(name=name, type=handler_type, **settings))

    def stored_name(self, handler_id):
        return self.account.stored()[handler_id]["name"]

    def requests(self):
        """The requests served since the last look, as (method, path, search), and forget them."""
        taken = [(entry["method"], entry["path"], entry["query"].get("search")) for entry in self.account.app.log]
        self.account.app.log = []
        return taken

    def lookup(self, *terms):
        self.requests()
        try:
            return find_handlers(self.client, list(terms), salt=Account.API_KEY)
        finally:
            self.check_only_reads()

    def failure(self, *terms):
        with pytest.raises(LookupProblem) as raised:
            self.lookup(*terms)
        return str(raised.value)

    def check_only_reads(self):
        """The lookup writes nothing: every request it sent is a GET."""
        assert [entry["method"] for entry in self.account.app.log if entry["method"] != "GET"] == []

    def info(self):
        """What the info module returns for the whole account, with the same API key: the oracle of the lookup's shape."""
        module = FakeModule(self.client, dict(id=None, name=None, type=None, enabled=None, reveal_secrets=False, api_key=Account.API_KEY),
                            Account.API_KEY)
        with pytest.raises(ModuleExit):
            run_info(module)
        return dict((handler["id"], handler) for handler in module.exited["notification_handlers"])


@pytest.mark.parametrize("profile", PROFILES)
def test_names_and_ids_give_the_handlers_in_order_as_the_info_module_returns_them(profile):
    server = Server(profile)
    email = server.create("Ops email", "email", email="ops@example.com")
    slack = server.create("On-call Slack", "slack", slack=SLACK)
    telegram = server.create("Ops Telegram", "telegram", telegram=TOKEN, telegram_chat_id="-1001234567890")
    info = server.info()

    found = server.lookup("On-call Slack", email, "Ops Telegram", "Ops email")

    assert found == [info[slack], info[email], info[telegram], info[email]]
    assert [handler["id"] for handler in found] == [slack, email, telegram, email]
    assert found[0]["settings"]["slack"] != SLACK and found[0]["settings"]["slack"] == info[slack]["settings"]["slack"]
    shown = json.dumps(found)
    assert SLACK not in shown and TOKEN not in shown and "lookup-secret" not in shown
    assert found[2]["settings"]["telegram_chat_id"] == "-1001234567890", "a setting that is no secret is shown"


def test_the_result_has_the_info_modules_fields_and_a_masked_secret():
    server = Server("biolinks-67")
    slack = server.create("On-call Slack", "slack", slack=SLACK)
    found, = server.lookup("On-call Slack")
    assert sorted(found) == ["enabled", "id", "name", "pending_confirmation", "settings", "type"]
    assert (found["id"], found["name"], found["type"], found["enabled"], found["pending_confirmation"]) == (slack, "On-call Slack", "slack", True, False)
    assert found["settings"]["slack"].startswith("********#") and len(found["settings"]["slack"]) == 21


@pytest.mark.parametrize("profile", PROFILES)
def test_a_list_among_the_terms_counts_as_its_items(profile):
    server = Server(profile)
    first, second = server.create("First"), server.create("Second")
    assert [handler["id"] for handler in server.lookup(["Second", "First"], first)] == [second, first, first]


# Names: the user's exact words, or the stored form with quotes as entities.

@pytest.mark.parametrize("profile", PROFILES)
def test_a_name_with_a_quote_finds_the_handler_whichever_form_the_server_stored(profile):
    server = Server(profile)
    team = server.create("Équipe d'astreinte")
    quoted = server.create('The "night" shift')
    assert server.stored_name(team) == ("Équipe d&#39;astreinte" if profile in CLEANING else "Équipe d'astreinte")
    assert server.stored_name(quoted) == ("The &#34;night&#34; shift" if profile in CLEANING else 'The "night" shift')

    found = server.lookup("Équipe d'astreinte", "Équipe d&#39;astreinte", 'The "night" shift', "The &#34;night&#34; shift")

    assert [handler["id"] for handler in found] == [team, team, quoted, quoted]
    assert [handler["name"] for handler in found] == ["Équipe d'astreinte"] * 2 + ['The "night" shift'] * 2, "names are shown plain"
    assert server.lookup("Équipe d'astreinte")[0]["id"] == team, "one name alone (a search) finds it too"


@pytest.mark.parametrize("profile", CLEANING)
def test_a_name_that_the_cleaning_would_change_names_no_handler_on_a_cleaning_server(profile):
    server = Server(profile)
    ops = server.create("Ops")
    staging = server.create("Ops <staging>")
    assert server.stored_name(staging) == "Ops", "the server stored the second as Ops, beside the first"

    assert server.failure("Ops <staging>") == (
        "No notification handler is named 'Ops <staging>'. A server that cleans names (it removes a NUL, what looks like an HTML "
        "tag and the blanks at both ends) would have stored it as 'Ops', which is another name.")
    assert server.failure("  Ops  ", "Ops") == (
        "No notification handler is named '  Ops  '. A server that cleans names (it removes a NUL, what looks like an HTML tag "
        "and the blanks at both ends) would have stored it as 'Ops', which is another name. "
        "2 notification handlers are named 'Ops', ids %d, %d: names need not be unique. Give the id of the one you mean, or "
        "rename or delete the others." % (ops, staging))


def test_a_name_that_a_server_stored_as_given_is_found_as_given():
    server = Server("documented")
    staging = server.create("Ops <staging>")
    padded = server.create("  Ops  ")
    assert server.stored_name(staging) == "Ops <staging>" and server.stored_name(padded) == "  Ops  "
    assert [handler["id"] for handler in server.lookup("Ops <staging>")] == [staging]
    assert [handler["id"] for handler in server.lookup("  Ops  ", "Ops <staging>")] == [padded, staging]
    assert server.failure("Ops") == "No notification handler is named 'Ops'."


@pytest.mark.parametrize("profile", PROFILES)
def test_a_name_is_compared_exactly_though_the_search_ignores_case(profile):
    server = Server(profile)
    server.create("Ops email", "email", email="ops@example.com")
    assert server.failure("ops email") == "No notification handler is named 'ops email'."
    # The search (or a server without it, the whole list) answers "Ops email", which is not the name: the whole list
    # confirms that no handler has it (rule 14).
    assert server.requests() == [("GET", LIST, "ops email"), ("GET", LIST, None)]


def test_what_the_search_reads_as_an_escape_or_a_wildcard_finds_the_name_it_is():
    server = Server("biolinks-67")
    backslash = server.create("ops\\team")
    server.create("OpsTeam")
    percent = server.create("50% off")
    server.create("50 off")
    assert [handler["id"] for handler in server.lookup("ops\\team")] == [backslash]
    assert [handler["id"] for handler in server.lookup("50% off")] == [percent]


# Failures: each term that does not name exactly one handler is named, with what to do.

@pytest.mark.parametrize("profile", PROFILES)
def test_a_name_several_handlers_share_fails_naming_their_ids(profile):
    server = Server(profile)
    first = server.create("Slack", "slack", slack=SLACK)
    second = server.create("Slack", "slack", slack=SLACK2)
    other = server.create("Other")
    expected = ("2 notification handlers are named 'Slack', ids %d, %d: names need not be unique. Give the id of the one you "
                "mean, or rename or delete the others." % (first, second))
    assert server.failure("Slack") == expected
    assert server.failure("Other", "Slack") == expected, "from the whole list as well as from a search"
    assert [handler["id"] for handler in server.lookup(second, "Other")] == [second, other], "the id tells them apart"
    assert SLACK not in expected and SLACK2 not in expected


@pytest.mark.parametrize("profile", PROFILES)
def test_every_term_that_names_no_handler_is_named_once(profile):
    server = Server(profile)
    ops = server.create("Ops")
    message = server.failure("Nope", ops, 999999, "42", "Nope")
    assert message == ("No notification handler is named 'Nope'. No notification handler has id 999999 for this API key. "
                       "No notification handler is named '42'. To look a handler up by its id, give the id as a number (42), "
                       "not as a string.")
    assert server.failure(999999) == "No notification handler has id 999999 for this API key."


def test_another_accounts_handler_is_not_found_by_id():
    server = Server("biolinks-67")
    theirs = server.connected("other-key").create_handler({"name": "Theirs", "type": "internal_notification"})
    assert server.failure(theirs) == "No notification handler has id %d for this API key." % theirs
    assert server.failure("Theirs") == "No notification handler is named 'Theirs'."


@pytest.mark.parametrize("terms, message", [
    ([], "No term was given: give the name or the id of at least one notification handler."),
    ([[]], "No term was given: give the name or the id of at least one notification handler."),
    (["Ops", None], "Term 2 is null, which is neither a handler's name (a string) nor its id (a number)."),
    ([True], "Term 1 is a boolean, which is neither a handler's name (a string) nor its id (a number)."),
    (["Ops", 4.0], "Term 2 is a float, which is neither a handler's name (a string) nor its id (a number)."),
    ([{"name": "Ops"}], "Term 1 is a dict, which is neither a handler's name (a string) nor its id (a number)."),
    ([["Ops", ""]], "Term 2 is an empty name: give the name or the id of a notification handler."),
])
def test_a_bad_term_fails_before_any_request(terms, message):
    server = Server("biolinks-67")
    server.create("Ops")
    assert server.failure(*terms) == message
    assert server.requests() == []


def test_a_server_failure_gives_the_servers_words_and_a_hint_and_never_the_key():
    server = Server("biolinks-67")
    server.create("Ops")
    server.client = server.connected("wrong-key-6f2d")
    with pytest.raises(DmpilotError) as raised:
        server.lookup("Ops")
    assert raised.value.status == 401 and raised.value.title == "You do not have access to the API."
    assert str(raised.value).startswith("Could not list the notification handlers: HTTP 401: You do not have access to the API. "
                                        "Check api_key (or DMPILOT_API_KEY): the server answers 401 to a wrong key")
    assert "wrong-key-6f2d" not in str(raised.value)


# The cost.

@pytest.mark.parametrize("profile", PROFILES)
def test_one_name_is_one_search_one_id_one_read_and_several_terms_one_list(profile):
    server = Server(profile)
    ops = server.create("Ops")
    server.create("Other")
    server.lookup("Ops")
    # A server without the search answers the whole list to the search, which is recognised as such: one request too.
    assert server.requests() == [("GET", LIST, "Ops")]
    server.lookup(ops)
    assert server.requests() == [("GET", "/api/notification-handlers/%d" % ops, None)]
    server.lookup("Ops", "Other", ops, "Ops")
    assert server.requests() == [("GET", LIST, None)]


def test_several_terms_read_a_list_of_two_pages_twice():
    server = Server("biolinks-67")
    for number in range(1500):
        server.account.seed("Seeded %d" % number, "internal_notification")
    found = server.lookup("Seeded 3", "Seeded 1499")
    assert [handler["name"] for handler in found] == ["Seeded 3", "Seeded 1499"]
    assert server.requests() == [("GET", LIST, None)] * 4


def test_the_rate_limit_is_waited_out():
    server = Server("biolinks-67", b3_rate_limit=True, rate_limit=2, rate_window=60)
    ops = server.create("Ops")
    started = server.account.now
    assert [handler["id"] for handler in server.lookup("Ops", ops)] == [ops, ops]
    assert [handler["id"] for handler in server.lookup(ops)] == [ops]
    assert [entry["status"] for entry in server.account.app.log] == [429, 200]
    assert server.account.now - started >= 55, "the second lookup waited for the window to end"
