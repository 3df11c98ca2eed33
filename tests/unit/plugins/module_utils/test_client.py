"""The API client against the simulator, over real HTTP. Faults come from the simulator's control surface."""

import socket
import threading
import time

import certifi
import pytest

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import PAGE_SIZE, DmpilotClient, DmpilotError
from ansible_collections.dmpilot.cloud.plugins.module_utils._name_search import NameSearchClient
from tests.simulator.control import start_simulator

API_KEY = "test-key"


class RecordedSleep:
    """Stands in for time.sleep so that waits are asserted exactly and tests stay fast; HTTP stays real."""

    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)


@pytest.fixture
def waits():
    return RecordedSleep()


@pytest.fixture
def client(simulator, waits):
    return NameSearchClient(simulator.api_url, API_KEY, timeout=2, retries=2, rate_limit_timeout=10, sleep=waits)


def api_requests(simulator, method=None):
    return [entry for entry in simulator.log() if method is None or entry["method"] == method]


def create(client, name="Ops", handler_type="webhook", **settings):
    settings = settings or {"webhook": "https://hooks.example.com/secret-token"}
    return client.create_handler(dict(name=name, type=handler_type, **settings))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The happy paths.

def test_every_call_sends_the_bearer_key(simulator, client):
    handler_id = create(client)
    client.get_handler(handler_id)
    client.update_handler(handler_id, {"name": "Ops 2"})
    client.list_handlers()
    client.delete_handler(handler_id)
    log = api_requests(simulator)
    assert [entry["method"] for entry in log] == ["POST", "GET", "POST", "GET", "DELETE"]
    assert all(entry["api_key_present"] for entry in log)
    assert all(entry["status"] < 400 for entry in log)


def test_api_url_works_with_and_without_trailing_slash(simulator, waits):
    for api_url in (simulator.api_url, simulator.api_url + "/"):
        assert DmpilotClient(api_url, API_KEY, sleep=waits).list_handlers() == []
    assert [entry["path"] for entry in api_requests(simulator)] == ["/api/notification-handlers/"] * 2


def test_booleans_go_as_one_and_zero(simulator, client):
    handler_id = create(client)
    client.update_handler(handler_id, {"is_enabled": False})
    assert simulator.handler(handler_id)["is_enabled"] == 0
    client.update_handler(handler_id, {"is_enabled": True})
    assert simulator.handler(handler_id)["is_enabled"] == 1
    sent = [entry["form"]["is_enabled"] for entry in api_requests(simulator, "POST")[1:]]
    assert sent == ["0", "1"]


def test_booleans_survive_the_php_int_cast(simulator, client):
    simulator.config(b6_php_int_cast=True)
    handler_id = create(client)
    client.update_handler(handler_id, {"is_enabled": False})
    client.update_handler(handler_id, {"is_enabled": True})
    assert simulator.handler(handler_id)["is_enabled"] == 1


@pytest.mark.parametrize("profile", ["documented", "realistic"])
def test_2500_handlers_cost_three_list_requests_read_twice(simulator, client, profile):
    """Three pages of 1,000, read twice: a list of several pages is read again against page drift (rule 14)."""
    simulator.reset(profile, switches={"b3_rate_limit": False})
    ids = simulator.seed(count=2500)
    handlers = client.list_handlers()
    assert [handler["id"] for handler in handlers] == ids
    lists = api_requests(simulator, "GET")
    ordered_by_id = {"results_per_page": str(PAGE_SIZE), "order_by": "notification_handler_id", "order_type": "ASC"}
    assert [entry["query"] for entry in lists] == [dict(ordered_by_id, page=str(page)) for page in (1, 2, 3) * 2]


def test_a_server_that_ignores_results_per_page_is_followed_to_the_end(simulator, client):
    simulator.config(ignore_results_per_page=True)
    ids = simulator.seed(count=60)
    assert [handler["id"] for handler in client.list_handlers()] == ids
    assert len(api_requests(simulator, "GET")) == 6  # three pages of 25, read twice


def test_pages_reuse_one_connection(simulator, client):
    simulator.seed(count=2500)
    client.list_handlers()
    ports = {entry["client_port"] for entry in api_requests(simulator, "GET")}
    assert len(ports) == 1


def test_find_by_name_reports_every_exact_match(simulator, client):
    first = create(client, name="Ops")
    create(client, name="Ops 2")
    third = create(client, name="Ops")
    create(client, name="ops")
    assert [handler["id"] for handler in client.find_by_name("Ops")] == [first, third]
    assert client.find_by_name("nobody") == []


# Normalising what each server version sends.

@pytest.mark.parametrize("switches", [{}, {"b5_int_enabled": True}, {"b12_settings_string": True, "b12_create_full": True},
                                      {"b4_total_results": True, "b5_int_enabled": True, "b12_settings_string": True}])
def test_handlers_normalise_the_same_whatever_the_version(simulator, client, switches):
    simulator.config(**switches)
    handler_id = create(client)
    client.update_handler(handler_id, {"is_enabled": False})
    expected = {"id": handler_id, "name": "Ops", "type": "webhook", "enabled": False, "pending_confirmation": False,
                "settings": {"webhook": "https://hooks.example.com/secret-token"}}
    assert isinstance(handler_id, int)
    assert client.get_handler(handler_id) == expected
    assert client.list_handlers() == [expected]


def test_a_pending_email_confirmation_counts_as_enabled(simulator, client):
    simulator.config(b7_email_confirmation=True, b5_int_enabled=True)
    handler_id = create(client, name="Mail", handler_type="email", email="ops@example.com")
    handler = client.get_handler(handler_id)
    assert (handler["enabled"], handler["pending_confirmation"]) == (True, True)
    assert handler["settings"] == {"email": "ops@example.com"}, "the activation code is not a setting"
    simulator.confirm(handler_id)
    assert client.get_handler(handler_id)["pending_confirmation"] is False


# Failures: one exception type with the status, the server's words and a hint, and never the key.

def assert_no_key(error):
    for text in (str(error), repr(error), repr(error.args), str(error.hint), str(error.title)):
        assert API_KEY not in text


def assert_readable(error):
    """One sentence ending per sentence, and the brackets of a wrapped error's words balanced."""
    message = str(error)
    assert ".." not in message
    assert message.count("(") == message.count(")"), message


def test_a_bad_key_is_a_401_with_the_servers_title_and_a_hint(simulator, waits):
    with pytest.raises(DmpilotError) as caught:
        DmpilotClient(simulator.api_url, "wrong-key", sleep=waits).list_handlers()
    assert (caught.value.status, caught.value.reason) == (401, "auth_failed")
    assert caught.value.title
    assert caught.value.title in str(caught.value)
    assert "api_key" in caught.value.hint
    # A read is refused for the key alone: the causes of a refused create would mislead.
    assert "plan" not in caught.value.hint and "missing name" not in caught.value.hint
    assert "wrong-key" not in str(caught.value)


def test_a_validation_failure_is_a_401_that_says_so(simulator, client):
    with pytest.raises(DmpilotError) as caught:
        client.create_handler({"name": "", "type": "email", "email": "a@example.com"})
    assert (caught.value.status, caught.value.reason) == (401, "auth_failed")
    assert "missing name or type" in caught.value.hint
    assert_no_key(caught.value)
    assert simulator.handlers() == []


def test_a_401_on_a_write_after_the_key_was_accepted_is_the_servers_refusal(simulator, client):
    """The key served this client's read, so a 401 on its create is the server refusing the request, not the key."""
    client.list_handlers()
    with pytest.raises(DmpilotError) as caught:
        client.create_handler({"name": "", "type": "email", "email": "a@example.com"})
    assert (caught.value.status, caught.value.reason) == (401, "server_refused")
    assert "accepted api_key" in caught.value.hint and "missing name or type" in caught.value.hint


def test_an_unknown_id_reads_as_none_and_fails_a_write(simulator, client):
    assert client.get_handler(999) is None
    with pytest.raises(DmpilotError) as caught:
        client.update_handler(999, {"name": "x"})
    assert (caught.value.status, caught.value.reason) == (404, "not_found")
    assert "another account" in caught.value.hint


def test_another_users_handler_is_not_found(simulator, client, waits):
    other = DmpilotClient(simulator.api_url, "other-key", sleep=waits)
    handler_id = create(other)
    assert client.get_handler(handler_id) is None
    assert client.list_handlers() == []


def test_an_html_page_points_at_api_url(simulator, client):
    simulator.config(api_disabled=True)
    with pytest.raises(DmpilotError) as caught:
        client.list_handlers()
    assert (caught.value.status, caught.value.reason) == (404, "not_the_api")
    assert "HTML page" in str(caught.value) and "api_url" in caught.value.hint


@pytest.mark.parametrize("body, words", [("malformed", "not valid JSON"), ("empty", "empty body"), ("html", "HTML page")])
def test_unreadable_answers_are_clear_errors(simulator, client, body, words):
    simulator.fault(method="GET", path="/api/notification-handlers/", status=200, body=body, times=1)
    with pytest.raises(DmpilotError) as caught:
        client.list_handlers()
    assert words in str(caught.value)
    assert caught.value.hint and caught.value.reason == "not_the_api"
    assert_no_key(caught.value)


@pytest.mark.parametrize("body", [{"data": [{"name": "no id"}]}, {"data": ["not a handler"]}, {"data": {"handlers": []}}, ["a list"]])
def test_json_that_holds_no_handlers_is_a_clear_error(simulator, client, body):
    simulator.fault(method="GET", status=200, body=body, times=1)
    with pytest.raises(DmpilotError) as caught:
        client.list_handlers()
    assert "Could not list the notification handlers" in str(caught.value)
    assert caught.value.hint and caught.value.reason == "not_the_api"


def test_a_handler_without_an_id_is_a_clear_error(simulator, client):
    handler_id = create(client)
    simulator.fault(method="GET", path="/api/notification-handlers/%d" % handler_id, status=200, body={"data": {"name": "x"}}, times=1)
    with pytest.raises(DmpilotError, match="not a notification handler"):
        client.get_handler(handler_id)


def test_an_empty_delete_answer_is_success(simulator, client):
    simulator.config(b2_delete_empty_body=True)
    handler_id = create(client)
    client.delete_handler(handler_id)
    assert simulator.handlers() == []


def test_a_timeout_is_a_clear_error(simulator, waits):
    client = DmpilotClient(simulator.api_url, API_KEY, timeout=1, retries=0, sleep=waits)
    simulator.fault(method="GET", delay=2.5, times=1)
    with pytest.raises(DmpilotError) as caught:
        client.list_handlers()
    assert "no answer within timeout=1 seconds" in str(caught.value)
    assert (caught.value.status, caught.value.reason) == (None, "timeout")


def test_a_refused_connection_names_the_url(waits):
    api_url = "http://127.0.0.1:%d/api" % free_port()
    client = DmpilotClient(api_url, API_KEY, retries=2, sleep=waits)
    with pytest.raises(DmpilotError) as caught:
        client.list_handlers()
    assert "connection was refused" in str(caught.value) and caught.value.reason == "connection_failed"
    assert api_url in str(caught.value)
    assert len(waits.waits) == 2, "a refused connection never reached the server, so it is retried"
    assert_no_key(caught.value)


def test_a_host_that_cannot_be_resolved_is_said_so(waits):
    """A DNS failure names the host; nothing was sent, so it is tried again. .invalid never resolves (RFC 6761)."""
    client = DmpilotClient("http://dmpilot.invalid/api", API_KEY, retries=1, sleep=waits)
    with pytest.raises(DmpilotError) as caught:
        client.list_handlers()
    assert "the host dmpilot.invalid could not be resolved" in str(caught.value), str(caught.value)
    assert "connection was lost" not in str(caught.value)
    assert (caught.value.reason, len(waits.waits)) == ("host_not_found", 1)
    assert_no_key(caught.value)


@pytest.fixture
def tls_simulator():
    """Function-scoped: under ansible-test each test runs in a fork of its own, where a wider fixture is never stopped."""
    with start_simulator(tls=True) as simulator:
        yield simulator


def test_a_self_signed_certificate_is_refused_then_accepted_on_request(tls_simulator, waits, monkeypatch):
    # Set as on many machines: requests would let it override a Session's verify=False (psf/requests#3829).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    tls_simulator.reset("documented")
    with pytest.raises(DmpilotError) as caught:
        DmpilotClient(tls_simulator.api_url, API_KEY, retries=0, sleep=waits).list_handlers()
    assert "TLS" in str(caught.value) and "validate_certs" in caught.value.hint
    assert "certificate verify failed" in str(caught.value) and caught.value.reason == "tls_failed"
    assert_readable(caught.value)
    assert DmpilotClient(tls_simulator.api_url, API_KEY, validate_certs=False, sleep=waits).list_handlers() == []
    assert [entry["status"] for entry in tls_simulator.log()] == [200]


def test_a_tls_failure_says_what_to_do(simulator, waits):
    client = DmpilotClient(simulator.api_url.replace("http://", "https://"), API_KEY, retries=0, sleep=waits)
    with pytest.raises(DmpilotError) as caught:
        client.list_handlers()
    assert "TLS" in str(caught.value) and "validate_certs" in caught.value.hint


# Retries and waits.

def within_spread(waits, expected):
    """Each wait is the one expected, plus at most a tenth more (the spread that keeps jobs on one key from waking together)."""
    return len(waits) == len(expected) and all(wanted <= wait <= wanted * 1.1 for wait, wanted in zip(waits, expected))


def test_waits_on_one_key_are_spread_not_synchronised(simulator, client, waits):
    simulator.fault(method="GET", status=429, headers={"X-RateLimit-Reset": "10"}, times=None)
    for _attempt in range(8):
        with pytest.raises(DmpilotError):
            DmpilotClient(simulator.api_url, API_KEY, rate_limit_timeout=11, sleep=waits).list_handlers()
    assert within_spread(waits.waits, [10.0] * 8) and len(set(waits.waits)) > 1, waits.waits


def test_a_429_waits_out_x_ratelimit_reset(simulator, client, waits):
    simulator.fault(method="GET", status=429, headers={"X-RateLimit-Reset": "2"}, times=1)
    assert client.list_handlers() == []
    assert within_spread(waits.waits, [2.0])
    assert [entry["status"] for entry in api_requests(simulator)] == [429, 200]


def test_a_429_falls_back_to_retry_after_then_backoff(simulator, client, waits):
    simulator.fault(method="GET", status=429, headers={"Retry-After": "3"}, times=1)
    simulator.fault(method="GET", status=429, times=2)
    assert client.list_handlers() == []
    assert within_spread(waits.waits, [3.0, 1.0, 2.0]), "the backoff doubles with each 429 in a row: %s" % waits.waits


def test_a_create_waits_out_a_429_too(simulator, client):
    simulator.fault(method="POST", status=429, headers={"X-RateLimit-Reset": "1"}, times=1)
    create(client)
    assert len(simulator.handlers()) == 1


def test_the_real_rate_limit_is_waited_out(simulator):
    simulator.config(b3_rate_limit=True, rate_limit=3, rate_window=1)
    client = DmpilotClient(simulator.api_url, API_KEY, rate_limit_timeout=10)
    for _attempt in range(5):
        client.list_handlers()
    statuses = [entry["status"] for entry in api_requests(simulator)]
    assert statuses.count(200) == 5 and 429 in statuses


def test_rate_limit_timeout_bounds_the_total_wait(simulator, client, waits):
    simulator.fault(method="GET", status=429, headers={"X-RateLimit-Reset": "4"}, times=5)
    with pytest.raises(DmpilotError) as caught:
        client.list_handlers()
    assert (caught.value.status, caught.value.reason) == (429, "rate_limited")
    assert "rate_limit_timeout=10" in str(caught.value)
    assert sum(waits.waits) <= 10
    assert within_spread(waits.waits, [4.0, 4.0])


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_on_a_read_is_retried(simulator, client, waits, status):
    simulator.fault(method="GET", status=status, times=1)
    assert client.list_handlers() == []
    assert [entry["status"] for entry in api_requests(simulator)] == [status, 200]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_on_a_delete_is_retried(simulator, client, status):
    handler_id = create(client)
    simulator.fault(method="DELETE", status=status, body="none", times=1)
    client.delete_handler(handler_id)
    assert simulator.handlers() == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_on_a_create_is_never_retried(simulator, client, waits, status):
    simulator.fault(method="POST", status=status, times=1, body={"errors": [{"title": "Erreur du serveur.", "status": status}]})
    with pytest.raises(DmpilotError) as caught:
        create(client)
    assert (caught.value.status, caught.value.reason) == (status, "server_error")
    assert "HTTP %d: Erreur du serveur. The dmpilot server failed." % status in str(caught.value)
    assert_readable(caught.value)
    assert "not retried" in caught.value.hint
    assert len(api_requests(simulator, "POST")) == 1
    assert waits.waits == []


def test_a_dropped_connection_on_a_read_is_retried(simulator, client):
    simulator.fault(method="GET", drop=True, times=1)
    assert client.list_handlers() == []


def test_a_dropped_connection_on_a_create_is_not_retried(simulator, client):
    simulator.fault(method="POST", drop=True, times=1)
    with pytest.raises(DmpilotError) as caught:
        create(client)
    assert "connection was lost (Remote end closed connection without response)" in str(caught.value)
    assert caught.value.reason == "connection_failed"
    assert_readable(caught.value)
    assert len(api_requests(simulator, "POST")) == 1
    assert simulator.handlers() == []


def test_retries_give_up_with_the_last_error(simulator, client, waits):
    simulator.fault(method="GET", status=502, times=5)
    with pytest.raises(DmpilotError) as caught:
        client.list_handlers()
    assert caught.value.status == 502
    assert len(api_requests(simulator)) == 3
    assert waits.waits == [0.5, 1.0]


# Lists that cannot miss a handler (rule 14), and names found with the server's search.

def list_queries(simulator):
    return [entry["query"] for entry in api_requests(simulator, "GET")]


def test_a_descending_default_order_still_gives_id_order(simulator, client):
    simulator.config(b14_default_order="desc", ignore_results_per_page=True)  # the order option is not honoured here
    ids = simulator.seed(count=60)
    assert [handler["id"] for handler in client.list_handlers()] == ids


def test_a_handler_moved_to_an_earlier_page_while_reading_is_found_by_reading_again(simulator, client):
    simulator.config(ignore_results_per_page=True)  # pages of 25
    ids = simulator.seed(count=60)
    # While page 2 is asked for, handler 3 of page 1 goes: handler 26 moves to page 1, which was read already.
    simulator.fault(method="GET", path="/api/notification-handlers", query={"page": "2"}, remove=[3])
    handlers = client.list_handlers()
    assert [handler["id"] for handler in handlers] == [handler_id for handler_id in ids if handler_id != 3]
    # The first read stops at the changed total; the second is whole, and read once more, as every list of several pages.
    assert [query["page"] for query in list_queries(simulator)] == ["1", "2", "1", "2", "3", "1", "2", "3"]


def test_a_handler_moved_to_a_read_page_with_the_same_total_is_found_by_the_second_read(simulator, client):
    """Issue 18, point 7: one client creates a handler while another deletes one, so the total stays, and a handler moves
    to a page already read. A list of several pages is read twice, and a handler counts where either read saw it."""
    simulator.config(ignore_results_per_page=True)  # pages of 25
    ids = simulator.seed(count=60)
    # While page 2 is asked for, another client creates a handler (id 61) and deletes handler 3: handler 26 moves to
    # page 1, which was read already, and the total stays 60.
    simulator.fault(method="GET", path="/api/notification-handlers", query={"page": "2"}, delay=0.6, remove=[3])
    created = []
    racer = threading.Thread(target=lambda: (time.sleep(0.2), created.extend(simulator.seed(count=1))))
    racer.start()
    handlers = client.list_handlers()
    racer.join()
    found = [handler["id"] for handler in handlers]
    assert created == [61]
    assert 26 in found, "the handler that moved to a page already read was missed"
    # The union holds handler 3 too, which the first read saw before it went: acting on it answers 404, "already gone".
    assert found == ids + created
    assert [query["page"] for query in list_queries(simulator)] == ["1", "2", "3", "1", "2", "3"]


# Redirects (issue 18, point 17): never followed, so that the key goes nowhere else and a POST stays a POST.

def test_a_redirect_to_another_host_is_not_followed_and_names_where_it_points(simulator, client):
    simulator.fault(method="GET", status=301, body="none", headers={"Location": "https://elsewhere.example/api/notification-handlers/"})
    with pytest.raises(DmpilotError) as caught:
        client.list_handlers()
    message = str(caught.value)
    assert "HTTP 301, a redirect to https://elsewhere.example/api/notification-handlers/" in message
    assert "never redirected" in message and "api_url" in message and caught.value.reason == "not_the_api"
    assert len(api_requests(simulator)) == 1


def test_a_redirect_of_a_create_on_the_same_host_never_turns_it_into_a_read(simulator, client):
    simulator.fault(method="POST", status=302, body="none", headers={"Location": simulator.api_url + "/notification-handlers/"})
    with pytest.raises(DmpilotError) as caught:
        create(client)
    assert caught.value.status == 302
    assert [entry["method"] for entry in api_requests(simulator)] == ["POST"]
    assert simulator.handlers() == []


def test_a_list_that_keeps_changing_fails_clearly_after_three_reads(simulator, client):
    simulator.config(ignore_results_per_page=True)
    simulator.seed(count=60)
    for removed in (1, 2, 3):  # each read of page 2 sees one handler fewer than page 1 did
        simulator.fault(method="GET", path="/api/notification-handlers", query={"page": "2"}, remove=[removed])
    with pytest.raises(DmpilotError) as caught:
        client.list_handlers()
    assert "changed while it was read, 3 times in a row" in str(caught.value) and caught.value.reason == "list_changing"
    assert [query["page"] for query in list_queries(simulator)] == ["1", "2"] * 3


@pytest.mark.parametrize("profile", ["documented", "realistic"])
def test_a_name_is_found_exactly_with_or_without_the_servers_search(simulator, client, profile):
    simulator.reset(profile, switches={"b3_rate_limit": False})
    simulator.seed(handlers=[{"name": "Ops"}, {"name": "ops"}, {"name": "Ops 2"}, {"name": "Dev"}, {"name": "Ops"}])
    assert [handler["id"] for handler in client.find_by_name("Ops")] == [1, 5]
    lists = list_queries(simulator)
    assert len(lists) == 1, "a name that exists costs one request: %s" % lists
    searched = lists[0].get("search") == "Ops" and lists[0].get("search_by") == "name"
    assert searched, lists


def test_a_name_the_search_does_not_find_is_confirmed_with_the_whole_list(simulator, client):
    simulator.reset("realistic", switches={"b3_rate_limit": False})
    simulator.seed(handlers=[{"name": "Dev"}])
    assert client.find_by_name("Ops") == []
    assert [("search" in query) for query in list_queries(simulator)] == [True, False]


def test_a_search_the_server_ignored_is_the_whole_list_already(simulator, client):
    simulator.reset("documented")
    simulator.seed(handlers=[{"name": "Dev"}])
    assert client.find_by_name("Ops") == []
    assert len(list_queries(simulator)) == 1, "the answer holds a name without 'Ops': it was the whole list"


def test_search_wildcards_and_case_are_compared_exactly_by_the_client(simulator, client):
    simulator.reset("realistic", switches={"b3_rate_limit": False})
    simulator.seed(handlers=[{"name": "50% off"}, {"name": "50X off"}, {"name": "50% OFF"}, {"name": "a_b"}, {"name": "axb"}])
    assert [handler["name"] for handler in client.find_by_name("50% off")] == ["50% off"]
    assert [handler["name"] for handler in client.find_by_name("a_b")] == ["a_b"]


# A rate limit whose reset header asks for no wait at all.

@pytest.mark.parametrize("reset", ["0", "-30", "1000000000"])
def test_a_429_with_a_reset_of_no_wait_still_backs_off_and_is_bounded(simulator, waits, reset):
    client = DmpilotClient(simulator.api_url, API_KEY, rate_limit_timeout=5, sleep=waits)
    simulator.fault(method="GET", status=429, headers={"X-RateLimit-Reset": reset}, times=None)
    with pytest.raises(DmpilotError) as caught:
        client.list_handlers()
    assert caught.value.status == 429 and "rate_limit_timeout=5" in str(caught.value)
    assert within_spread(waits.waits, [0.5, 1.0, 2.0]), "each retry waits at least the doubling backoff, within rate_limit_timeout"
    assert len(api_requests(simulator)) == 4


def test_the_rate_limit_wait_is_bounded_by_the_wall_clock_too(simulator):
    """A sleep that returns early (or a slow server) must not stretch rate_limit_timeout."""
    clock = iter(range(0, 1000, 3)).__next__  # every look at the clock, 3 more seconds have passed
    client = DmpilotClient(simulator.api_url, API_KEY, rate_limit_timeout=5, sleep=lambda seconds: None, clock=clock)
    simulator.fault(method="GET", status=429, headers={"X-RateLimit-Reset": "1"}, times=None)
    with pytest.raises(DmpilotError):
        client.list_handlers()
    assert len(api_requests(simulator)) <= 3


def test_a_password_in_api_url_is_never_shown(simulator):
    client = DmpilotClient("http://ops:hunter2-secret@127.0.0.1:%d/api?token=abc" % free_port(), API_KEY, retries=0)
    with pytest.raises(DmpilotError) as caught:
        client.list_handlers()
    assert "hunter2" not in str(caught.value) and "token=abc" not in str(caught.value)
    assert "http://127.0.0.1:" in str(caught.value)
