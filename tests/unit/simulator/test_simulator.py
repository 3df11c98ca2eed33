"""The simulator keeps the API description (parts A and B): tested over real HTTP against the subprocess."""

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.simulator.app import TYPES, sample_settings
from tests.simulator.control import Simulator, SimulatorError, start_simulator

# Every type the simulator knows, with plausible settings: from its own table, which is independent of the collection's.
ALL_TYPES = dict((handler_type, sample_settings(handler_type, 42)) for handler_type in TYPES)


def call(simulator, method, path="", key="test-key", **kwargs):
    """One API request to /api/notification-handlers<path>, with `Authorization: Bearer <key>` unless key is None."""
    headers = dict(kwargs.pop("headers", {}))
    if key is not None:
        headers["Authorization"] = "Bearer " + key
    return requests.request(method, simulator.api_url + "/notification-handlers" + path, headers=headers, timeout=10, **kwargs)


def create(simulator, key="test-key", **fields):
    """Create a handler with urlencoded fields; answer the new id."""
    response = call(simulator, "POST", key=key, data=fields)
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["id"])


def update(simulator, handler_id, **fields):
    return call(simulator, "POST", "/%d" % handler_id, data=fields)


def get(simulator, handler_id, key="test-key"):
    return call(simulator, "GET", "/%d" % handler_id, key=key)


def stored(simulator, handler_id):
    handler = simulator.handler(handler_id)
    assert handler is not None, "handler %d is not stored" % handler_id
    return handler


def assert_error(response, status, status_value=None):
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["status"] == (status if status_value is None else status_value)
    assert isinstance(errors[0]["title"], str) and errors[0]["title"]


# ----- part A: authentication -----

def test_missing_auth_header_answers_401_with_string_status(simulator):
    assert_error(call(simulator, "GET", key=None), 401, "401")


def test_bad_key_answers_401_with_numeric_status(simulator):
    assert_error(call(simulator, "GET", key="wrong-key"), 401, 401)


def test_valid_key_is_accepted(simulator):
    assert call(simulator, "GET").status_code == 200


# ----- part A: list -----

def test_list_defaults_to_page_1_of_25_with_meta_and_links(simulator):
    simulator.seed(30)
    response = call(simulator, "GET", "/")
    assert response.status_code == 200
    body = response.json()
    assert [handler["id"] for handler in body["data"]] == list(range(1, 26))
    assert body["meta"] == {"page": 1, "results_per_page": 25, "total": 30, "total_pages": 2}
    links = body["links"]
    assert links["first"].endswith("/api/notification-handlers?page=1&results_per_page=25")
    assert links["last"].endswith("?page=2&results_per_page=25")
    assert links["next"].endswith("?page=2&results_per_page=25")
    assert links["prev"] is None
    assert links["self"].endswith("?page=1&results_per_page=25")


def test_list_page_and_results_per_page(simulator):
    simulator.seed(30)
    body = call(simulator, "GET", params={"page": 3, "results_per_page": 10}).json()
    assert [handler["id"] for handler in body["data"]] == list(range(21, 31))
    assert body["meta"] == {"page": 3, "results_per_page": 10, "total": 30, "total_pages": 3}
    assert body["links"]["next"] is None
    assert body["links"]["prev"].endswith("?page=2&results_per_page=10")


def test_list_page_beyond_the_last_is_empty(simulator):
    simulator.seed(3)
    body = call(simulator, "GET", params={"page": 5}).json()
    assert body["data"] == []
    assert body["meta"]["total"] == 3


@pytest.mark.parametrize("results_per_page", ["7", "2000", "abc", "0", "-10"])
def test_list_invalid_results_per_page_falls_back_to_25(simulator, results_per_page):
    simulator.seed(30)
    body = call(simulator, "GET", params={"results_per_page": results_per_page}).json()
    assert body["meta"]["results_per_page"] == 25
    assert len(body["data"]) == 25


@pytest.mark.parametrize("results_per_page", [10, 25, 50, 100, 250, 500, 1000])
def test_list_accepts_each_allowed_results_per_page(simulator, results_per_page):
    simulator.seed(60)
    body = call(simulator, "GET", params={"results_per_page": results_per_page}).json()
    assert body["meta"]["results_per_page"] == results_per_page
    assert len(body["data"]) == min(60, results_per_page)


def test_list_is_in_id_order_and_only_the_callers_handlers(simulator):
    mine = [create(simulator, name="a", type="email", email="a@x.y"), create(simulator, name="b", type="slack", slack="s")]
    create(simulator, key="other-key", name="theirs", type="email", email="t@x.y")
    mine.append(create(simulator, name="c", type="webhook", webhook="w"))
    call(simulator, "DELETE", "/%d" % mine.pop(1))
    body = call(simulator, "GET").json()
    assert [handler["id"] for handler in body["data"]] == mine == [1, 4]
    assert body["meta"]["total"] == 2


def test_list_of_a_user_without_handlers(simulator):
    body = call(simulator, "GET").json()
    assert body["data"] == []
    assert body["meta"] == {"page": 1, "results_per_page": 25, "total": 0, "total_pages": 0}


# ----- part A: get, create, update, delete -----

def test_get_answers_the_documented_handler(simulator):
    handler_id = create(simulator, name="Work email", type="email", email="hey@example.com")
    response = get(simulator, handler_id)
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"id", "type", "name", "settings", "is_enabled", "last_datetime", "datetime"}
    assert data["id"] == handler_id
    assert (data["type"], data["name"], data["settings"]) == ("email", "Work email", {"email": "hey@example.com"})
    assert data["is_enabled"] is True
    assert data["last_datetime"] is None
    assert time.strptime(data["datetime"], "%Y-%m-%d %H:%M:%S")


def test_create_with_multipart_form_data(simulator):
    fields = {"name": (None, "Multi"), "type": (None, "telegram"), "telegram": (None, "1:tok"), "telegram_chat_id": (None, "55")}
    response = call(simulator, "POST", files=fields)
    assert response.status_code == 201
    assert response.json() == {"data": {"id": 1}}
    handler = stored(simulator, 1)
    assert (handler["name"], handler["type"], handler["settings"]) == ("Multi", "telegram", {"telegram": "1:tok", "telegram_chat_id": "55"})
    assert handler["user_id"] == 1
    assert simulator.log()[-1]["content_type"].startswith("multipart/form-data")


def test_create_with_urlencoded_form(simulator):
    response = call(simulator, "POST", data={"name": "Url", "type": "slack", "slack": "https://hooks.slack.com/x"})
    assert response.status_code == 201
    assert response.json() == {"data": {"id": 1}}
    assert stored(simulator, 1)["settings"] == {"slack": "https://hooks.slack.com/x"}
    assert simulator.log()[-1]["content_type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize("handler_type", sorted(ALL_TYPES))
def test_create_stores_the_fields_of_each_type(simulator, handler_type):
    handler_id = create(simulator, name="t", type=handler_type, **ALL_TYPES[handler_type])
    data = get(simulator, handler_id).json()["data"]
    assert data["type"] == handler_type
    assert data["settings"] == ALL_TYPES[handler_type]


def test_create_ignores_is_enabled(simulator):
    handler_id = create(simulator, name="n", type="slack", slack="s", is_enabled="0")
    assert stored(simulator, handler_id)["is_enabled"] == 1


def test_create_does_not_need_unique_names(simulator):
    first = create(simulator, name="same", type="email", email="a@x.y")
    second = create(simulator, name="same", type="email", email="a@x.y")
    assert first != second
    assert [handler["name"] for handler in simulator.handlers()] == ["same", "same"]


@pytest.mark.parametrize("fields", [
    {"type": "email", "email": "a@x.y"},
    {"name": "", "type": "email"},
    {"name": "   ", "type": "email"},
    {"name": "n"},
    {"name": "n", "type": ""},
    {"name": "n", "type": "  "},
])
def test_create_without_name_or_type_answers_401(simulator, fields):
    assert_error(call(simulator, "POST", data=fields), 401)
    assert simulator.handlers() == []


def test_create_with_an_unknown_type_answers_401(simulator):
    assert_error(call(simulator, "POST", data={"name": "n", "type": "pager"}), 401)
    assert simulator.handlers() == []


def test_create_with_a_disabled_type_answers_401(simulator):
    simulator.config(disabled_types=["slack"])
    assert_error(call(simulator, "POST", data={"name": "n", "type": "slack", "slack": "s"}), 401)
    assert create(simulator, name="n", type="discord", discord="d") == 1


def test_create_beyond_the_plan_limit_answers_401(simulator):
    simulator.config(plan_limit=2)
    create(simulator, name="1", type="email", email="a@x.y")
    create(simulator, name="2", type="email", email="a@x.y")
    assert_error(call(simulator, "POST", data={"name": "3", "type": "email", "email": "a@x.y"}), 401)
    assert len(simulator.handlers()) == 2
    assert create(simulator, key="other-key", name="theirs", type="email", email="a@x.y") == 3


def test_update_answers_200_and_keeps_fields_not_sent(simulator):
    handler_id = create(simulator, name="tg", type="telegram", telegram="1:tok", telegram_chat_id="5")
    response = update(simulator, handler_id, telegram_chat_id="6")
    assert response.status_code == 200
    assert response.json() == {"data": {"id": handler_id}}
    handler = stored(simulator, handler_id)
    assert handler["name"] == "tg"
    assert handler["settings"] == {"telegram": "1:tok", "telegram_chat_id": "6"}
    assert handler["last_datetime"] is not None


def test_update_changes_the_name_and_keeps_settings(simulator):
    handler_id = create(simulator, name="old", type="x", **ALL_TYPES["x"])
    assert update(simulator, handler_id, name="new").status_code == 200
    handler = stored(simulator, handler_id)
    assert handler["name"] == "new"
    assert handler["settings"] == ALL_TYPES["x"]


def test_update_with_an_unknown_type_answers_401_and_changes_nothing(simulator):
    handler_id = create(simulator, name="n", type="slack", slack="s")
    assert_error(update(simulator, handler_id, type="pager", name="changed", is_enabled="0"), 401)
    handler = stored(simulator, handler_id)
    assert (handler["type"], handler["name"], handler["is_enabled"]) == ("slack", "n", 1)


def test_update_can_change_the_type(simulator):
    handler_id = create(simulator, name="n", type="slack", slack="s")
    assert update(simulator, handler_id, type="telegram", telegram="1:t").status_code == 200
    data = get(simulator, handler_id).json()["data"]
    assert (data["type"], data["settings"]) == ("telegram", {"telegram": "1:t", "telegram_chat_id": ""})


@pytest.mark.parametrize("value, expected", [
    ("1", 1), ("true", 1), ("on", 1), ("yes", 1), ("0", 0), ("false", 0), ("off", 0), ("no", 0), ("", 0),
])
def test_update_reads_is_enabled_as_a_boolean_in_the_documented_profile(simulator, value, expected):
    handler_id = create(simulator, name="n", type="slack", slack="s")
    update(simulator, handler_id, is_enabled="0" if expected else "1")
    assert update(simulator, handler_id, is_enabled=value).status_code == 200
    assert stored(simulator, handler_id)["is_enabled"] == expected


def test_delete_answers_200_with_the_id_and_removes_the_handler(simulator):
    handler_id = create(simulator, name="n", type="slack", slack="s")
    response = call(simulator, "DELETE", "/%d" % handler_id)
    assert response.status_code == 200
    assert response.json() == {"data": {"id": handler_id}}
    assert simulator.handlers() == []
    assert_error(get(simulator, handler_id), 404)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("path", ["", "/1"])
def test_other_methods_answer_json_404(simulator, method, path):
    create(simulator, name="n", type="slack", slack="s")
    response = call(simulator, method, path, data={"name": "changed"})
    assert_error(response, 404)
    assert response.headers["Content-Type"] == "application/json"
    assert stored(simulator, 1)["name"] == "n"


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_an_unknown_id_or_another_users_id_answers_404(simulator, method):
    theirs = create(simulator, key="other-key", name="theirs", type="slack", slack="s")
    assert_error(call(simulator, method, "/%d" % theirs, data={"name": "mine now"}), 404)
    assert_error(call(simulator, method, "/999", data={"name": "x"}), 404)
    assert_error(call(simulator, method, "/abc"), 404)
    assert stored(simulator, theirs)["name"] == "theirs"


def test_unknown_api_paths_answer_json_404(simulator):
    response = requests.get(simulator.api_url + "/users", headers={"Authorization": "Bearer test-key"}, timeout=10)
    assert_error(response, 404)


# ----- part B switches -----

def rate_headers(response):
    return {name: response.headers.get(name) for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")}


def test_b3_off_has_no_rate_limit_or_headers(simulator):
    simulator.config(rate_limit=3)
    responses = [call(simulator, "GET") for _request in range(6)]
    assert [response.status_code for response in responses] == [200] * 6
    assert rate_headers(responses[-1]) == {"X-RateLimit-Limit": None, "X-RateLimit-Remaining": None, "X-RateLimit-Reset": None}


def test_b3_the_61st_request_in_a_window_answers_429(simulator):
    simulator.config(b3_rate_limit=True)
    responses = [call(simulator, "GET") for _request in range(61)]
    assert [response.status_code for response in responses[:60]] == [200] * 60
    assert [rate_headers(response)["X-RateLimit-Remaining"] for response in responses[:60]] == [str(n) for n in range(59, -1, -1)]
    assert all(rate_headers(response)["X-RateLimit-Limit"] == "60" for response in responses)
    limited = responses[60]
    assert_error(limited, 429)
    assert "X-RateLimit-Remaining" not in limited.headers, "rule 16 (run): a 429 carries the limit and the reset only"
    assert limited.headers["X-RateLimit-Limit"] == "60"
    assert 1 <= int(limited.headers["X-RateLimit-Reset"]) <= 60
    assert "Retry-After" not in limited.headers
    assert "X-RateLimit-Reset" not in responses[0].headers


def test_b3_headers_are_on_every_authenticated_api_response(simulator):
    """Rules 3 and 16 (run): the key is checked first; an answer to a known key carries the headers, whatever its status."""
    simulator.config(b3_rate_limit=True)
    responses = [
        call(simulator, "GET"), call(simulator, "GET", "/999"), call(simulator, "PUT", "/1"), call(simulator, "POST", data={"name": ""}),
    ]
    assert [response.status_code for response in responses] == [200, 404, 404, 401]
    assert [response.headers["X-RateLimit-Remaining"] for response in responses] == ["59", "58", "57", "56"]
    assert all(response.headers["X-RateLimit-Limit"] == "60" for response in responses)


def test_b3_auth_failures_are_not_counted_and_carry_no_rate_headers(simulator):
    simulator.config(b3_rate_limit=True, rate_limit=2)
    refused = [call(simulator, "GET", key="bad-key"), call(simulator, "GET", key=None),
               call(simulator, "GET", key=None, headers={"Authorization": "Basic eDp5"})]
    assert [response.status_code for response in refused] == [401] * 3
    assert all(rate_headers(response) == {"X-RateLimit-Limit": None, "X-RateLimit-Remaining": None, "X-RateLimit-Reset": None}
               for response in refused)
    assert [call(simulator, "GET").status_code for _request in range(3)] == [200, 200, 429]
    assert_error(call(simulator, "GET", key="bad-key"), 401, 401)  # a wrong key while limited: still 401, not 429


def test_b16_an_admin_key_is_never_rate_limited_and_has_no_rate_headers(simulator):
    simulator.reset(switches={"b3_rate_limit": True, "rate_limit": 2}, keys={"admin-key": {"user_id": 9, "admin": True}})
    assert simulator.config()["admin_keys"] == ["admin-key"]
    answers = [call(simulator, "GET", key="admin-key") for _request in range(4)]
    assert [response.status_code for response in answers] == [200] * 4
    assert all("X-RateLimit-Limit" not in response.headers for response in answers)
    assert "X-RateLimit-Limit" in call(simulator, "GET").headers


def test_b16_a_disabled_users_key_answers_401_no_access(simulator):
    assert call(simulator, "GET").status_code == 200
    simulator.config(disabled_users=[1])
    assert_error(call(simulator, "GET"), 401, 401)
    assert call(simulator, "GET", key="other-key").status_code == 200


@pytest.mark.parametrize("authorization", ["Basic eDp5", "bearer test-key", "Bearer ", "Bearer"])
def test_b16_a_malformed_authorization_header_counts_as_missing(simulator, authorization):
    assert_error(call(simulator, "GET", key=None, headers={"Authorization": authorization}), 401, "401")


def test_b3_counts_per_key_and_the_window_resets(simulator):
    simulator.config(b3_rate_limit=True, rate_limit=2, rate_window=1)
    statuses = [call(simulator, "GET").status_code for _request in range(3)]
    assert statuses == [200, 200, 429]
    assert call(simulator, "GET", key="other-key").status_code == 200
    time.sleep(1.1)
    response = call(simulator, "GET")
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "1"


def test_b3_the_control_surface_is_not_limited_nor_logged(simulator):
    simulator.config(b3_rate_limit=True, rate_limit=1)
    for _request in range(5):
        simulator.handlers()
    assert call(simulator, "GET").status_code == 200
    assert [entry["path"] for entry in simulator.log()] == ["/api/notification-handlers"]


def test_b4_total_results_and_page_echoed_as_a_string(simulator):
    simulator.seed(30)
    simulator.config(b4_total_results=True)
    meta = call(simulator, "GET", params={"page": "2"}).json()["meta"]
    assert meta == {"page": "2", "results_per_page": 25, "total_results": 30, "total_pages": 2}
    assert call(simulator, "GET").json()["meta"]["page"] == 1
    simulator.config(b4_total_results=False)
    meta = call(simulator, "GET", params={"page": "2"}).json()["meta"]
    assert meta == {"page": 2, "results_per_page": 25, "total": 30, "total_pages": 2}


def test_b5_is_enabled_as_int_0_1_2(simulator):
    simulator.seed(handlers=[{"name": "off", "type": "slack", "is_enabled": 0}, {"name": "on", "type": "slack", "is_enabled": 1},
                             {"name": "pending", "type": "email", "is_enabled": 2}])
    simulator.config(b5_int_enabled=True)
    assert [get(simulator, n).json()["data"]["is_enabled"] for n in (1, 2, 3)] == [0, 1, 2]
    assert [handler["is_enabled"] for handler in call(simulator, "GET").json()["data"]] == [0, 1, 2]
    simulator.config(b5_int_enabled=False)
    assert [get(simulator, n).json()["data"]["is_enabled"] for n in (1, 2, 3)] == [False, True, True]


def test_b5_hides_the_activation_code(simulator):
    simulator.config(b7_email_confirmation=True)
    handler_id = create(simulator, name="e", type="email", email="a@x.y")
    code = stored(simulator, handler_id)["settings"]["activation_code"]
    shown = {"email": "a@x.y", "activation_code": code, "email_is_confirmed": False}
    assert get(simulator, handler_id).json()["data"]["settings"] == shown
    simulator.config(b5_int_enabled=True)
    assert get(simulator, handler_id).json()["data"]["settings"] == {"email": "a@x.y", "email_is_confirmed": False}


@pytest.mark.parametrize("value, expected", [("1", 1), ("0", 0), ("true", 0), ("on", 0), ("yes", 0), ("2abc", 2), (" 1", 1), ("", 0)])
def test_b6_php_int_cast_on_update(simulator, value, expected):
    simulator.config(b6_php_int_cast=True)
    handler_id = create(simulator, name="n", type="slack", slack="s")
    update(simulator, handler_id, is_enabled="0" if expected else "1")
    assert update(simulator, handler_id, is_enabled=value).status_code == 200
    assert stored(simulator, handler_id)["is_enabled"] == expected


def test_b6_off_reads_true_as_enabled(simulator):
    handler_id = create(simulator, name="n", type="slack", slack="s")
    update(simulator, handler_id, is_enabled="0")
    update(simulator, handler_id, is_enabled="true")
    assert stored(simulator, handler_id)["is_enabled"] == 1


def test_b7_new_email_handler_waits_for_confirmation(simulator):
    simulator.config(b7_email_confirmation=True)
    email_id = create(simulator, name="e", type="email", email="a@x.y")
    slack_id = create(simulator, name="s", type="slack", slack="s")
    email = stored(simulator, email_id)
    assert email["is_enabled"] == 2
    assert len(email["settings"]["activation_code"]) >= 16
    assert stored(simulator, slack_id)["is_enabled"] == 1
    assert simulator.confirm(email_id) == {"id": email_id, "is_enabled": 1}
    assert stored(simulator, email_id)["is_enabled"] == 1


def test_b7_update_without_or_with_a_new_email_restarts_the_confirmation(simulator):
    simulator.config(b7_email_confirmation=True)
    handler_id = create(simulator, name="e", type="email", email="a@x.y")
    simulator.confirm(handler_id)
    update(simulator, handler_id, name="same email", email="a@x.y")
    assert stored(simulator, handler_id)["is_enabled"] == 1
    update(simulator, handler_id, name="no email")
    assert stored(simulator, handler_id)["is_enabled"] == 2
    simulator.confirm(handler_id)
    update(simulator, handler_id, email="b@x.y")
    handler = stored(simulator, handler_id)
    assert handler["is_enabled"] == 2
    assert handler["settings"]["email"] == "b@x.y"


def test_b7_off_email_handlers_are_enabled_at_once(simulator):
    handler_id = create(simulator, name="e", type="email", email="a@x.y")
    update(simulator, handler_id, name="no email")
    handler = stored(simulator, handler_id)
    assert handler["is_enabled"] == 1
    assert "activation_code" not in handler["settings"]
    with pytest.raises(SimulatorError):
        simulator.confirm(handler_id)


def test_b8_an_update_of_a_pending_email_handler_restarts_the_confirmation(simulator):
    simulator.config(b7_email_confirmation=True)
    handler_id = create(simulator, name="e", type="email", email="a@x.y")
    first_code = stored(simulator, handler_id)["settings"]["activation_code"]
    response = update(simulator, handler_id, email="a@x.y", is_enabled="0")
    assert response.status_code == 200
    handler = stored(simulator, handler_id)
    assert handler["is_enabled"] == 2, "a pending email handler cannot be disabled"
    assert handler["settings"]["activation_code"] != first_code
    update(simulator, handler_id, name="renamed", email="a@x.y", is_enabled="1")
    assert stored(simulator, handler_id)["is_enabled"] == 2


def test_b8_a_confirmed_email_handler_can_still_be_disabled(simulator):
    simulator.config(b7_email_confirmation=True)
    handler_id = create(simulator, name="e", type="email", email="a@x.y")
    simulator.confirm(handler_id)
    assert update(simulator, handler_id, email="a@x.y", is_enabled="0").status_code == 200
    handler = stored(simulator, handler_id)
    assert handler["is_enabled"] == 0
    assert "activation_code" not in handler["settings"]
    update(simulator, handler_id, email="a@x.y", is_enabled="1")
    assert stored(simulator, handler_id)["is_enabled"] == 1


def test_b8_without_b7_a_pending_email_handler_can_be_disabled(simulator):
    [handler_id] = simulator.seed(handlers=[{"name": "e", "type": "email", "settings": {"email": "a@x.y"}, "is_enabled": 2}])
    update(simulator, handler_id, email="a@x.y", is_enabled="0")
    assert stored(simulator, handler_id)["is_enabled"] == 0


def test_b12_update_answer_old_enabled_with_the_settings_string(simulator):
    """Rule 12 (version 57): the update answer is the handler with the settings as a JSON string and the old is_enabled."""
    handler_id = create(simulator, name="n", type="telegram", telegram="1:t", telegram_chat_id="5")
    assert update(simulator, handler_id, name="m").json() == {"data": {"id": handler_id}}
    simulator.config(b12_settings_string=True, b12_update_answer="old_enabled")
    data = update(simulator, handler_id, is_enabled="0", name="renamed").json()["data"]
    assert data["settings"] == '{"telegram":"1:t","telegram_chat_id":"5"}'
    assert json.loads(data["settings"]) == {"telegram": "1:t", "telegram_chat_id": "5"}
    assert data["is_enabled"] is True
    assert (data["id"], data["name"], data["type"]) == (handler_id, "renamed", "telegram")
    assert stored(simulator, handler_id)["is_enabled"] == 0
    simulator.config(b12_update_answer="stored")
    data = update(simulator, handler_id, is_enabled="1").json()["data"]
    assert (data["is_enabled"], data["name"]) == (True, "renamed"), "rule 17: the handler as stored"


def test_b12_user_id_in_get_answers(simulator):
    handler_id = create(simulator, name="n", type="slack", slack="s")
    assert "user_id" not in get(simulator, handler_id).json()["data"]
    simulator.config(b12_user_id=True)
    data = get(simulator, handler_id).json()["data"]
    assert data["user_id"] == 1
    assert data["settings"] == {"slack": "s"}
    assert create(simulator, name="m", type="slack", slack="s") == 2
    assert call(simulator, "POST", data={"name": "m", "type": "slack"}).json() == {"data": {"id": 3}}


def test_b12_create_full_answers_the_handler(simulator):
    simulator.config(b12_create_full=True)
    data = call(simulator, "POST", data={"name": "n", "type": "slack", "slack": "s"}).json()["data"]
    assert data["id"] == 1
    assert (data["name"], data["type"], data["settings"], data["is_enabled"]) == ("n", "slack", {"slack": "s"}, True)
    simulator.config(b12_settings_string=True, b5_int_enabled=True, b12_string_id=True, b12_user_id=True)
    data = call(simulator, "POST", data={"name": "n", "type": "slack", "slack": "https://h/é"}).json()["data"]
    assert (data["id"], data["user_id"]) == ("2", 1), "rule 12: the id may come back as a string (version 57)"
    assert data["settings"] == '{"slack":"https:\\/\\/h\\/\\u00e9"}', "PHP's json_encode: / escaped, non-ASCII as \\u"
    assert data["is_enabled"] == 1


def test_b2_delete_answers_an_empty_body_with_a_json_content_type(simulator):
    simulator.config(b2_delete_empty_body=True)
    handler_id = create(simulator, name="n", type="slack", slack="s")
    response = call(simulator, "DELETE", "/%d" % handler_id)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Content-Type"] == "application/json"
    assert simulator.handlers() == []


@pytest.mark.parametrize("sent, kept", [
    ("<b>bold</b><script>alert(1)</script>", "boldalert(1)"),  # transcripts, h. strings
    ("5<6", "5"),  # a `<` with no `>` after it: cut to the end
    ("a < b > c", "a  c"),
    ("  padded  ", "padded"),
    ("a&b \"q\" 'x'", "a&b &#34;q&#34; &#39;x&#39;"),
    ("Équipe d'astreinte", "Équipe d&#39;astreinte"),
    ("o'brien@example.com", "o&#39;brien@example.com"),
    ("line1\nline2\tx", "line1\nline2\tx"),
    ("nul\x00byte", "nulbyte"),
    ("back\\slash &amp; \u2019typographic\u2019 😀", "back\\slash &amp; \u2019typographic\u2019 😀"),
    ("\t\n trimmed \r\n", "trimmed"),
    ("<<b>>", ">"),
])
def test_b10_rule_10_cleaning_in_order(simulator, sent, kept):
    """Rule 10: NUL out; `<` to the next `>` (or the end) out; quotes as entities; tags stripped; PHP trim."""
    simulator.config(b10_sanitize=True)
    handler_id = create(simulator, name=sent, type="webhook", webhook=sent)
    handler = stored(simulator, handler_id)
    assert (handler["name"], handler["settings"]["webhook"]) == (kept, kept)


def test_b10_rule_10_cuts_after_cleaning_to_512_and_the_name_to_128(simulator):
    simulator.config(b10_sanitize=True)
    name = "  <b>Bold</b> " + "n" * 200
    handler_id = create(simulator, name=name, type="webhook", webhook=" <i>https://x.y/</i>" + "w" * 600 + " ")
    handler = stored(simulator, handler_id)
    assert handler["name"] == ("Bold " + "n" * 200)[:128]
    assert handler["settings"]["webhook"] == ("https://x.y/" + "w" * 600)[:512]
    quoted = create(simulator, name="n" * 126 + "'", type="webhook", webhook="'" * 200)
    handler = stored(simulator, quoted)
    assert handler["name"] == "n" * 126 + "&#", "the entity counts in the cut"
    assert handler["settings"]["webhook"] == ("&#39;" * 200)[:512]
    update(simulator, handler_id, webhook="<script>x</script>  spaced  ")
    assert stored(simulator, handler_id)["settings"]["webhook"] == "x  spaced"


def test_b10_off_stores_values_as_sent(simulator):
    name = " <b>Bold</b> " + "n" * 200
    value = " <i>not a url</i>" + "w" * 600
    handler_id = create(simulator, name=name, type="webhook", webhook=value)
    handler = stored(simulator, handler_id)
    assert (handler["name"], handler["settings"]["webhook"]) == (name, value)


def test_b13_update_mode_mangled_nulls_the_type_and_settings(simulator):
    """Rule 13, mangled (66biolinks 67): 200, type null and settings {"": ""}; name and is_enabled (PHP int) applied."""
    simulator.config(b13_update_mode="mangled", b12_update_answer="stored", b5_int_enabled=True, b6_php_int_cast=True)
    handler_id = create(simulator, name="n", type="slack", slack="s")
    response = update(simulator, handler_id, name="renamed", slack="t", type="carrier_pigeon")
    assert response.status_code == 200, "an unknown type is never checked"
    data = response.json()["data"]
    assert (data["type"], data["settings"], data["name"], data["is_enabled"]) == (None, {"": ""}, "renamed", 1)
    assert data["last_datetime"] is not None
    assert get(simulator, handler_id).json()["data"] == data
    for sent, kept in (("7", 7), ("abc", 0), ("true", 0), ("1", 1)):
        assert update(simulator, handler_id, is_enabled=sent).json()["data"]["is_enabled"] == kept
    other = create(simulator, name="m", type="slack", slack="s")
    update(simulator, other, type="slack")
    assert stored(simulator, other)["type"] is None


def test_b13_update_mode_ignored_stores_nothing_and_answers_nulls(simulator):
    """Rule 13, ignored (66pusher 18): 200 with a body of nulls, the name sent and a last_datetime; nothing stored."""
    simulator.config(b13_update_mode="ignored", b12_settings_string=True, b12_user_id=True, b10_sanitize=True)
    handler_id = create(simulator, name="n", type="slack", slack="s")
    before = stored(simulator, handler_id)
    response = update(simulator, handler_id, name=" it's <b>new</b> ", slack="t", is_enabled="0", type="carrier_pigeon")
    assert response.status_code == 200
    data = response.json()["data"]
    last_datetime = data.pop("last_datetime")
    assert data == {"id": None, "user_id": 1, "type": None, "name": "it&#39;s new", "settings": '{"":""}', "is_enabled": None,
                    "datetime": None}
    assert isinstance(last_datetime, str) and len(last_datetime) == 19
    assert update(simulator, handler_id).json()["data"]["name"] == "", "no name sent: an empty one"
    assert stored(simulator, handler_id) == before
    assert_error(update(simulator, 999, name="x"), 404)


def test_b13_update_mode_faithful_keeps_type_and_settings(simulator):
    handler_id = create(simulator, name="n", type="slack", slack="s")
    update(simulator, handler_id, name="renamed")
    data = get(simulator, handler_id).json()["data"]
    assert (data["type"], data["settings"], data["name"]) == ("slack", {"slack": "s"}, "renamed")
    assert_error(update(simulator, handler_id, type="carrier_pigeon"), 401)


def test_b13_a_broken_handler_can_be_repaired_once_updates_are_faithful(simulator):
    simulator.config(b13_update_mode="mangled")
    handler_id = create(simulator, name="n", type="slack", slack="s")
    update(simulator, handler_id, name="broken")
    simulator.config(b13_update_mode="faithful")
    assert update(simulator, handler_id, name="still broken").status_code == 200
    assert stored(simulator, handler_id)["settings"] == {"": ""}
    assert update(simulator, handler_id, type="slack", slack="s").status_code == 200
    handler = stored(simulator, handler_id)
    assert (handler["type"], handler["settings"], handler["name"]) == ("slack", {"slack": "s"}, "still broken")


def test_b13_update_mode_is_validated_and_the_old_switch_is_gone(simulator):
    for value in ("broken", True, None):
        with pytest.raises(SimulatorError):
            simulator.config(b13_update_mode=value)
    with pytest.raises(SimulatorError, match="unknown switch"):
        simulator.config(b13_update_bug=True)


def test_b16_internal_notification_stores_its_own_setting(simulator):
    create(simulator, name="i", type="internal_notification")
    assert stored(simulator, 1)["settings"] == {}
    simulator.config(b16_internal_notification_setting=True)
    create(simulator, name="i", type="internal_notification")
    create(simulator, name="i", type="internal_notification", internal_notification="foo")
    assert [stored(simulator, n)["settings"] for n in (2, 3)] == [{"internal_notification": ""}, {"internal_notification": "foo"}]


def test_b16_a_json_body_lacks_the_required_fields(simulator):
    response = call(simulator, "POST", json={"name": "json", "type": "webhook", "webhook": "https://example.com/j"})
    assert_error(response, 401)
    assert response.json()["errors"][0]["title"] == "You must fill all the required fields."
    assert simulator.handlers() == []


def test_b16_an_unknown_api_path_answers_the_html_404_page(simulator):
    simulator.config(b16_unknown_path_html=True, b3_rate_limit=True)
    for key in ("test-key", None):
        response = requests.get(simulator.api_url + "/nothing-here/", headers={"Authorization": "Bearer test-key"} if key else {}, timeout=10)
        assert response.status_code == 404
        assert response.headers["Content-Type"].startswith("text/html")
        assert "X-RateLimit-Limit" not in response.headers
    assert_error(call(simulator, "GET", "/abc"), 404)


# ----- rules 14 and 15: the list's filter and order options -----

def listed(simulator, key="test-key", **params):
    """The ids a list answers for these query options, and its body."""
    body = call(simulator, "GET", key=key, params=params).json()
    return [handler["id"] for handler in body["data"]], body


NAMES = ["Work email", "work-2", "Home", "Network ops", "w_rk", "100% uptime", "Homework"]


def seed_names(simulator, names=None, handler_type="slack"):
    return simulator.seed(handlers=[{"name": name, "type": handler_type} for name in (NAMES if names is None else names)])


@pytest.mark.parametrize("search, expected", [
    ("work", ["Work email", "work-2", "Network ops", "Homework"]),
    ("WORK", ["Work email", "work-2", "Network ops", "Homework"]),
    ("home", ["Home", "Homework"]),
    ("w_rk", ["Work email", "work-2", "Network ops", "w_rk", "Homework"]),
    ("h%w", ["Homework"]),
    ("%", NAMES),
    ("0% u", ["100% uptime"]),
    ("work-", ["work-2"]),
    ("nothing", []),
])
def test_b14_search_by_name_is_a_case_insensitive_like_with_wildcards(simulator, search, expected):
    seed_names(simulator)
    simulator.config(b14_filters=True)
    ids, body = listed(simulator, search=search, search_by="name")
    assert [simulator.handler(handler_id)["name"] for handler_id in ids] == expected
    assert body["meta"]["total"] == len(expected)


def test_b14_search_text_is_cleaned_like_any_input(simulator):
    seed_names(simulator)
    simulator.config(b14_filters=True, b10_sanitize=True)
    assert listed(simulator, search="  <b>home</b> ", search_by="name")[0] == [3, 7]
    everything = listed(simulator)[0]
    assert listed(simulator, search=" <i></i> ", search_by="name")[0] == everything, "empty after cleaning: no filter"
    simulator.config(b10_sanitize=False)
    assert listed(simulator, search="  <b>home</b> ", search_by="name")[0] == []
    assert listed(simulator, search="home ", search_by="name")[0] == []


@pytest.mark.parametrize("params", [
    {"search": "home"}, {"search": "home", "search_by": "email"}, {"search": "home", "search_by": "Name"},
    {"search": "", "search_by": "name"},
])
def test_b14_search_without_search_by_name_is_ignored(simulator, params):
    seed_names(simulator)
    simulator.config(b14_filters=True)
    ids, body = listed(simulator, **params)
    assert ids == list(range(1, len(NAMES) + 1))
    assert body["meta"]["total"] == len(NAMES)


def test_b14_type_filter_is_exact(simulator):
    simulator.seed(handlers=[{"type": "slack"}, {"type": "email"}, {"type": "webhook"}, {"type": "email"}])
    simulator.seed(1, api_key="other-key", type="email")
    simulator.config(b14_filters=True)
    assert listed(simulator, type="email")[0] == [2, 4]
    assert listed(simulator, type="slack")[0] == [1]
    assert listed(simulator, type="Email")[0] == [2, 4], "rule 14 (run): exact but case-insensitive"
    assert listed(simulator, type="emai")[0] == []
    assert listed(simulator, type="")[0] == [1, 2, 3, 4]
    assert listed(simulator, type="email", search="seed-4", search_by="name")[0] == [4]


ORDER_SEED = [
    {"name": "b", "datetime": "2025-01-03 10:00:00", "last_datetime": None},
    {"name": "C", "datetime": "2025-01-01 10:00:00", "last_datetime": "2025-02-03 00:00:00"},
    {"name": "a", "datetime": "2025-01-04 10:00:00", "last_datetime": None},
    {"name": "D", "datetime": "2025-01-02 10:00:00", "last_datetime": "2025-02-01 00:00:00"},
]


@pytest.mark.parametrize("order_by, order_type, expected", [
    ("notification_handler_id", "ASC", [1, 2, 3, 4]),
    ("notification_handler_id", "DESC", [4, 3, 2, 1]),
    ("name", "ASC", [3, 1, 2, 4]),  # case-insensitive: a b C D (a binary order would be C D a b)
    ("name", "DESC", [4, 2, 1, 3]),
    ("datetime", "ASC", [2, 4, 1, 3]),
    ("datetime", "DESC", [3, 1, 4, 2]),
    ("last_datetime", "ASC", [1, 3, 4, 2]),  # NULL first; ties by id
    ("last_datetime", "DESC", [2, 4, 3, 1]),
    ("name", "desc", [3, 1, 2, 4]),  # rule 14 (run): a lower-case order_type is ASC
    ("name", "Desc", [3, 1, 2, 4]),
    ("name", None, [3, 1, 2, 4]),  # a missing order_type is ASC
    ("name", "down", [3, 1, 2, 4]),  # so is an unknown one
])
@pytest.mark.parametrize("default_order", ["asc", "desc"])
def test_b14_order_by_and_order_type(simulator, order_by, order_type, expected, default_order):
    simulator.seed(handlers=[dict(spec, type="slack") for spec in ORDER_SEED])
    simulator.config(b14_filters=True, b14_default_order=default_order)
    params = {"order_by": order_by} if order_type is None else {"order_by": order_by, "order_type": order_type}
    assert listed(simulator, **params)[0] == expected


@pytest.mark.parametrize("params", [{}, {"order_by": "type"}, {"order_by": "Name", "order_type": "ASC"}, {"order_type": "ASC"},
                                    {"order_type": "DESC"}])
@pytest.mark.parametrize("default_order, expected", [("asc", [1, 2, 3, 4]), ("desc", [4, 3, 2, 1])])
def test_b14_without_a_known_order_by_the_default_order_applies(simulator, params, default_order, expected):
    simulator.seed(handlers=[dict(spec, type="slack") for spec in ORDER_SEED])
    simulator.config(b14_filters=True, b14_default_order=default_order)
    ids, body = listed(simulator, **params)
    assert ids == expected
    assert "order_by" not in body["links"]["self"]


def test_b14_default_order_desc_in_the_realistic_profile(simulator):
    config = simulator.reset("realistic")
    assert config["switches"]["b14_default_order"] == "desc"
    simulator.seed(30)
    first, body = listed(simulator, results_per_page=25)
    assert first == list(range(30, 5, -1))
    assert listed(simulator, page=2, results_per_page=25)[0] == [5, 4, 3, 2, 1]
    assert body["meta"]["total_results"] == 30
    assert listed(simulator, order_by="notification_handler_id", order_type="ASC", results_per_page=25)[0] == list(range(1, 26))
    simulator.config(b14_filters=False)
    assert listed(simulator, order_by="notification_handler_id", order_type="ASC", results_per_page=25)[0] == first, "an older server"
    assert simulator.reset("documented")["switches"]["b14_default_order"] == "asc"


def test_b14_totals_and_links_count_and_carry_the_filters(simulator):
    simulator.seed(handlers=[{"name": "alpha-%d" % number, "type": "slack" if number % 3 else "email"} for number in range(1, 31)])
    simulator.seed(handlers=[{"name": "beta-%d" % number, "type": "slack"} for number in range(1, 6)])
    simulator.config(b14_filters=True, b4_total_results=True)
    options = {"type": "slack", "search": "ALP%a-", "search_by": "name", "order_by": "name", "order_type": "DESC"}
    expected = sorted((h["id"] for h in simulator.handlers() if h["type"] == "slack" and h["name"].startswith("alpha-")),
                      key=lambda handler_id: "alpha-%d" % handler_id, reverse=True)
    assert len(expected) == 20
    ids, body = listed(simulator, results_per_page=10, **options)
    assert ids == expected[:10]
    assert (body["meta"]["total_results"], body["meta"]["total_pages"]) == (20, 2)
    carried = {"type": ["slack"], "search": ["ALP%a-"], "search_by": ["name"], "order_by": ["name"], "order_type": ["DESC"]}
    for name, page in (("first", "1"), ("last", "2"), ("next", "2"), ("self", "1")):
        query = parse_qs(urlsplit(body["links"][name]).query)
        assert query == dict(carried, page=[page], results_per_page=["10"]), name
    assert body["links"]["prev"] is None
    following = requests.get(body["links"]["next"], headers={"Authorization": "Bearer test-key"}, timeout=10).json()
    assert [handler["id"] for handler in following["data"]] == expected[10:]
    assert following["links"]["next"] is None
    assert parse_qs(urlsplit(following["links"]["prev"]).query) == dict(carried, page=["1"], results_per_page=["10"])
    simulator.config(b4_total_results=False)
    meta = listed(simulator, results_per_page=10, **options)[1]["meta"]
    assert (meta["total"], meta["total_pages"]) == (20, 2)
    assert listed(simulator, type="internal_notification")[1]["meta"] == {"page": 1, "results_per_page": 25, "total": 0,
                                                                          "total_pages": 0}


def test_b14_off_the_options_are_ignored(simulator):
    seed_names(simulator)
    simulator.seed(handlers=[{"name": "Home", "type": "email"}])
    options = {"type": "email", "search": "home", "search_by": "name", "order_by": "name", "order_type": "DESC"}
    ids, body = listed(simulator, results_per_page=10, **options)
    assert ids == list(range(1, 9))
    assert body["meta"]["total"] == 8
    assert body["links"]["self"].endswith("?page=1&results_per_page=10")
    simulator.config(b14_default_order="desc")
    assert listed(simulator, **options)[0] == list(range(8, 0, -1))
    simulator.config(b14_filters=True)
    assert listed(simulator, **options)[0] == [8]


def test_b14_default_order_is_validated(simulator):
    assert simulator.config(b14_default_order=" DESC ")["switches"]["b14_default_order"] == "desc"
    for value in ("sideways", "", 1, None, True):
        with pytest.raises(SimulatorError):
            simulator.config(b14_default_order=value)
    assert simulator.config()["switches"]["b14_default_order"] == "desc"


def test_seed_datetimes_are_checked(simulator):
    with pytest.raises(SimulatorError):
        simulator.seed(handlers=[{"datetime": "yesterday"}])
    with pytest.raises(SimulatorError):
        simulator.seed(handlers=[{"datetime": None}])
    [handler_id] = simulator.seed(handlers=[{"datetime": "2024-05-06 07:08:09", "last_datetime": "2024-05-07 00:00:00"}])
    data = get(simulator, handler_id).json()["data"]
    assert (data["datetime"], data["last_datetime"]) == ("2024-05-06 07:08:09", "2024-05-07 00:00:00")


def test_api_disabled_answers_the_html_404_page(simulator):
    create(simulator, name="n", type="slack", slack="s")
    simulator.config(api_disabled=True)
    for response in (call(simulator, "GET"), get(simulator, 1), call(simulator, "POST", data={"name": "n", "type": "slack"})):
        assert response.status_code == 404
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.text.lstrip().startswith("<!DOCTYPE html>")
        assert "</html>" in response.text
    assert len(simulator.handlers()) == 1
    simulator.config(api_disabled=False)
    assert get(simulator, 1).status_code == 200


def test_ignore_results_per_page_always_uses_25(simulator):
    simulator.seed(30)
    simulator.config(ignore_results_per_page=True)
    body = call(simulator, "GET", params={"results_per_page": 10}).json()
    assert (body["meta"]["results_per_page"], len(body["data"])) == (25, 25)


def test_b1_language_translates_titles(simulator):
    english = call(simulator, "GET", key="bad").json()["errors"][0]["title"]
    simulator.config(b1_language="fr")
    french = call(simulator, "GET", key="bad").json()["errors"][0]["title"]
    assert english != french
    assert "API" in french


# ----- profiles: each measured version as a set of switches (the replay in test_replay.py checks them on the transcripts) -----

PROFILE_SWITCHES = {
    # switch: (documented, pusher-18, biolinks-67, biolinks-67-patched)
    "b1_language": ("en", "en", "en", "fr"),
    "b2_delete_empty_body": (False, True, True, True),
    "b3_rate_limit": (False, True, True, True),
    "b4_total_results": (False, True, True, True),
    "b4_altum_links": (False, True, True, True),
    "b4_results_per_page_default": (25, 100, 100, 100),
    "b5_int_enabled": (False, False, True, True),
    "b6_php_int_cast": (False, True, True, True),
    "b7_email_confirmation": (False, False, True, True),
    "b10_sanitize": (False, True, True, True),
    "b12_settings_string": (False, True, False, False),
    "b12_create_full": (False, True, True, True),
    "b12_string_id": (False, False, False, False),
    "b12_user_id": (False, True, True, True),
    "b12_update_answer": ("id", "id", "stored", "stored"),
    "b13_update_mode": ("faithful", "ignored", "mangled", "faithful"),
    "b14_filters": (False, False, True, True),
    "b14_default_order": ("asc", "desc", "desc", "desc"),
    "b16_internal_notification_setting": (False, True, True, True),
    "b16_unknown_path_html": (False, True, True, True),
    "api_disabled": (False, False, False, False),
    "ignore_results_per_page": (False, False, False, False),
    "rate_limit": (60, 60, 60, 60),
    "rate_window": (60, 60, 60, 60),
    "plan_limit": (None, None, None, None),
    "disabled_types": ([], [], [], []),
    "disabled_users": ([], [], [], []),
}
PROFILE_NAMES = ("documented", "pusher-18", "biolinks-67", "biolinks-67-patched")


@pytest.mark.parametrize("column, profile", list(enumerate(PROFILE_NAMES)))
def test_each_profile_sets_every_switch(simulator, column, profile):
    config = simulator.reset(profile)
    assert config["profile"] == profile
    assert config["switches"] == {name: values[column] for name, values in PROFILE_SWITCHES.items()}


def test_realistic_is_another_name_of_biolinks_67_patched(simulator):
    realistic = simulator.reset("realistic")
    assert realistic["profile"] == "biolinks-67-patched"
    assert realistic["switches"] == simulator.reset("biolinks-67-patched")["switches"]
    with pytest.raises(SimulatorError, match="unknown profile"):
        simulator.reset("biolinks-57")


def test_pusher_18_profile_answers_like_66pusher_18(simulator):
    """Rules 12, 13 (ignored), 14 and 16 as measured on 66pusher 18.0.0."""
    simulator.reset("pusher-18", switches={"b3_rate_limit": False})
    data = call(simulator, "POST", data={"name": "e", "type": "email", "email": "a@x.y"}).json()["data"]
    assert (data["id"], data["user_id"], data["is_enabled"], data["settings"]) == (1, 1, True, '{"email":"a@x.y"}')
    assert update(simulator, 1, name="renamed", is_enabled="0").json()["data"]["id"] is None
    assert get(simulator, 1).json()["data"]["name"] == "e"
    create(simulator, name="f", type="slack", slack="s")
    body = call(simulator, "GET", params={"type": "email", "order_by": "name", "order_type": "ASC"}).json()
    assert [handler["id"] for handler in body["data"]] == [2, 1], "filters ignored, descending"
    assert body["meta"] == {"page": 1, "total_pages": 1, "results_per_page": 100, "total_results": 2}
    assert body["links"]["self"] == simulator.url + "/api/notification-handlers?&page=1"


def test_biolinks_67_profile_answers_like_the_66biolinks_67_controller(simulator):
    """Rules 12, 13 (mangled), 14, 15 and 17 as measured on the 66biolinks 67.0.0 controller."""
    simulator.reset("biolinks-67", switches={"b3_rate_limit": False})
    data = call(simulator, "POST", data={"name": "e", "type": "email", "email": "a@x.y"}).json()["data"]
    assert (data["id"], data["user_id"], data["is_enabled"]) == (1, 1, 2)
    assert data["settings"] == {"email": "a@x.y", "email_is_confirmed": False}, "the activation code is stored, not shown"
    assert len(stored(simulator, 1)["settings"]["activation_code"]) == 32
    data = update(simulator, 1, is_enabled="0").json()["data"]
    assert (data["type"], data["settings"], data["is_enabled"]) == (None, {"": ""}, 0), "rule 8 never runs on a mangling server"
    create(simulator, name="f", type="slack", slack="s")
    body = call(simulator, "GET", params={"type": "slack", "results_per_page": "10", "page": "abc"}).json()
    assert [handler["id"] for handler in body["data"]] == [2]
    assert body["meta"] == {"page": "abc", "total_pages": 1, "results_per_page": 10, "total_results": 1}
    base = simulator.url + "/api/notification-handlers"
    assert body["links"] == {"first": base + "?type=slack&results_per_page=10&page=1", "last": base + "?type=slack&results_per_page=10&page=1",
                             "next": None, "prev": None, "self": base + "?type=slack&results_per_page=10&page=0"}
    assert call(simulator, "GET", params={"search": "O'Brien", "search_by": "name"}).json()["meta"]["total_results"] == 0
    simulator.seed(handlers=[{"name": "O&#39;Brien", "type": "slack"}])
    found = call(simulator, "GET", params={"search": "O'Brien", "search_by": "name"}).json()
    assert [handler["name"] for handler in found["data"]] == ["O&#39;Brien"], "rule 14: the search text is cleaned like any input"


def test_biolinks_67_patched_profile_runs_rule_8_and_speaks_french(simulator):
    simulator.reset("biolinks-67-patched", switches={"b3_rate_limit": False})
    create(simulator, name="e", type="email", email="a@x.y")
    data = update(simulator, 1, email="a@x.y", is_enabled="0").json()["data"]
    assert (data["type"], data["is_enabled"]) == ("email", 2), "a pending email handler cannot be disabled"
    assert "Vous" in call(simulator, "GET", key="bad").json()["errors"][0]["title"]
    assert call(simulator, "GET").json()["meta"]["results_per_page"] == 100


# ----- faults -----

def test_fault_status_with_a_json_body_does_not_touch_state(simulator):
    simulator.fault(method="POST", path="/api/notification-handlers", status=500)
    response = call(simulator, "POST", data={"name": "n", "type": "slack", "slack": "s"})
    assert_error(response, 500)
    assert simulator.handlers() == []
    entry = simulator.log()[-1]
    assert (entry["fault"], entry["status"], entry["form"]["name"]) == (True, 500, "n")
    assert create(simulator, name="n", type="slack", slack="s") == 1


def test_fault_without_a_body(simulator):
    simulator.fault(status=502, body="none")
    response = call(simulator, "GET")
    assert (response.status_code, response.content) == (502, b"")
    assert "Content-Type" not in response.headers


def test_fault_with_an_empty_json_body(simulator):
    simulator.fault(status=200, body="empty")
    response = call(simulator, "GET")
    assert (response.status_code, response.content, response.headers["Content-Type"]) == (200, b"", "application/json")


def test_fault_with_an_html_body(simulator):
    simulator.fault(status=503, body="html")
    response = call(simulator, "GET")
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html" in response.text


def test_fault_with_a_malformed_json_body(simulator):
    simulator.fault(status=200, body="malformed")
    response = call(simulator, "GET")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        response.json()


def test_fault_with_a_custom_json_body_and_headers(simulator):
    simulator.fault(status=429, body={"errors": [{"title": "slow down", "status": 429}]}, headers={"X-RateLimit-Reset": "7"})
    response = call(simulator, "GET")
    assert response.status_code == 429
    assert response.json() == {"errors": [{"title": "slow down", "status": 429}]}
    assert response.headers["X-RateLimit-Reset"] == "7"


def test_fault_delay_alone_serves_the_request_after_the_delay(simulator):
    simulator.fault(method="POST", delay=0.4)
    started = time.monotonic()
    response = call(simulator, "POST", data={"name": "n", "type": "slack", "slack": "s"})
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 201
    assert len(simulator.handlers()) == 1
    assert simulator.log()[-1]["status"] == 201


def test_fault_delay_with_a_status(simulator):
    simulator.fault(delay=0.3, status=504)
    started = time.monotonic()
    response = call(simulator, "GET")
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 504


def test_fault_drop_closes_the_connection_without_an_answer(simulator):
    simulator.fault(method="POST", drop=True)
    with pytest.raises(requests.ConnectionError):
        call(simulator, "POST", data={"name": "n", "type": "slack", "slack": "s"})
    assert simulator.handlers() == []
    entry = simulator.log()[-1]
    assert (entry["fault"], entry["status"], entry["method"]) == (True, None, "POST")
    assert create(simulator, name="n", type="slack", slack="s") == 1


def test_fault_times_is_honoured(simulator):
    simulator.fault(status=500, times=2)
    assert [call(simulator, "GET").status_code for _request in range(3)] == [500, 500, 200]
    assert simulator.faults() == []


def test_fault_times_null_lasts_until_cleared(simulator):
    simulator.fault(status=500, times=None)
    assert [call(simulator, "GET").status_code for _request in range(3)] == [500, 500, 500]
    simulator.clear_faults()
    assert call(simulator, "GET").status_code == 200


def test_fault_matches_method_and_exact_path(simulator):
    handler_id = create(simulator, name="n", type="slack", slack="s")
    simulator.fault(method="POST", path="/api/notification-handlers", match="exact", status=500)
    assert call(simulator, "GET").status_code == 200
    assert update(simulator, handler_id, name="m").status_code == 200
    assert call(simulator, "POST", "/", data={"name": "n", "type": "slack"}).status_code == 500


def test_fault_matches_a_path_prefix(simulator):
    create(simulator, name="n", type="slack", slack="s")
    simulator.fault(path="/api/notification-handlers/1", status=500, times=None)
    assert get(simulator, 1).status_code == 500
    assert update(simulator, 1, name="m").status_code == 500
    assert call(simulator, "GET").status_code == 200
    assert stored(simulator, 1)["name"] == "n"


def test_fault_paths_ignore_a_trailing_slash(simulator):
    simulator.fault(method="GET", path="/api/notification-handlers/", status=500)
    simulator.fault(method="GET", path="/api/notification-handlers", match="exact", status=502)
    assert [call(simulator, "GET").status_code, call(simulator, "GET", "/").status_code, call(simulator, "GET").status_code] == [500, 502, 200]


def test_fault_spec_is_checked(simulator):
    with pytest.raises(SimulatorError):
        simulator.fault(body="weird", status=500)
    with pytest.raises(SimulatorError):
        simulator.fault(path="/api/")


def test_fault_matches_the_query_string(simulator):
    simulator.seed(30)
    simulator.fault(method="GET", path="/api/notification-handlers", query={"page": "2"}, status=500, times=None)
    statuses = [call(simulator, "GET", params=params).status_code for params in (
        {}, {"page": "1"}, {"page": "2"}, {"page": "2", "results_per_page": "10"}, {"page": "3"}, {"results_per_page": "2"})]
    assert statuses == [200, 200, 500, 500, 200, 200]
    assert get(simulator, 1, key="test-key").status_code == 200
    simulator.clear_faults()
    simulator.fault(method="GET", query={"page": 2, "type": "slack"}, status=502)
    assert call(simulator, "GET", params={"page": "2"}).status_code == 200
    assert call(simulator, "GET", params={"type": "slack", "page": "2", "order_by": "name"}).status_code == 502
    assert simulator.faults() == []


def test_fault_with_a_query_delays_only_the_matching_page(simulator):
    simulator.seed(30)
    fault = simulator.fault(method="GET", path="/api/notification-handlers", query={"page": "2"}, delay=0.5)
    assert fault["query"] == {"page": "2"}
    started = time.monotonic()
    assert call(simulator, "GET", params={"page": "1"}).status_code == 200
    assert time.monotonic() - started < 0.5
    started = time.monotonic()
    response = call(simulator, "GET", params={"page": "2"})
    assert time.monotonic() - started >= 0.5
    assert [handler["id"] for handler in response.json()["data"]] == [26, 27, 28, 29, 30]


def test_fault_remove_moves_a_handler_across_a_page_boundary(simulator):
    simulator.seed(30)
    simulator.config(b3_rate_limit=True)
    fault = simulator.fault(method="GET", path="/api/notification-handlers", query={"page": "2"}, remove=[3, 999])
    assert (fault["remove"], fault["status"], fault["times"]) == ([3, 999], None, 1)
    first = call(simulator, "GET", params={"page": "1", "results_per_page": "10"})
    assert [handler["id"] for handler in first.json()["data"]] == list(range(1, 11))
    second = call(simulator, "GET", params={"page": "2", "results_per_page": "10"})
    assert second.status_code == 200
    assert [handler["id"] for handler in second.json()["data"]] == list(range(12, 22)), "handler 11 moved to page 1"
    assert second.json()["meta"]["total"] == 29
    assert simulator.handler(3) is None
    assert [first.headers["X-RateLimit-Remaining"], second.headers["X-RateLimit-Remaining"]] == ["59", "58"]
    entries = simulator.log()
    assert [(entry["method"], entry["query"].get("page"), entry["status"]) for entry in entries] == [("GET", "1", 200), ("GET", "2", 200)]
    assert all("fault" not in entry for entry in entries)
    assert simulator.faults() == []
    assert call(simulator, "GET", params={"page": "2", "results_per_page": "10"}).json()["meta"]["total"] == 29


def test_fault_remove_with_a_status_removes_then_answers_the_fault(simulator):
    simulator.seed(3)
    theirs = simulator.seed(1, api_key="other-key")[0]
    simulator.fault(method="POST", status=503, remove=[1, theirs])
    response = call(simulator, "POST", "/2", data={"name": "renamed"})
    assert response.status_code == 503
    assert [handler["id"] for handler in simulator.handlers()] == [2, 3]
    assert stored(simulator, 2)["name"] == "seed-2"
    assert simulator.log()[-1]["fault"] is True
    simulator.fault(method="DELETE", remove=[2])
    assert_error(call(simulator, "DELETE", "/2"), 404)
    assert [handler["id"] for handler in simulator.handlers()] == [3]


@pytest.mark.parametrize("spec", [
    {"query": ["page", "2"], "status": 500}, {"query": {"page": ["2"]}, "status": 500}, {"query": {"page": True}, "status": 500},
    {"remove": 3}, {"remove": ["3"]}, {"remove": [True]}, {"remove": []}, {"query": {"page": "2"}},
])
def test_fault_query_and_remove_are_checked(simulator, spec):
    with pytest.raises(SimulatorError):
        simulator.fault(**spec)


# ----- log, seed, reset, command line -----

def test_log_entries_carry_method_path_query_form_and_status(simulator):
    handler_id = create(simulator, name="n", type="slack", slack="s")
    call(simulator, "GET", params={"page": "2", "results_per_page": "10"})
    call(simulator, "GET", key=None)
    entries = simulator.log()
    assert [(entry["method"], entry["path"], entry["status"]) for entry in entries] == [
        ("POST", "/api/notification-handlers", 201), ("GET", "/api/notification-handlers", 200), ("GET", "/api/notification-handlers", 401),
    ]
    assert entries[0]["form"] == {"name": "n", "type": "slack", "slack": "s"}
    assert entries[1]["query"] == {"page": "2", "results_per_page": "10"}
    assert [entry["api_key_present"] for entry in entries] == [True, True, False]
    assert entries[0]["api_key"] == "test-key"
    assert all("fault" not in entry for entry in entries)
    simulator.clear_log()
    assert simulator.log() == []
    get(simulator, handler_id)
    assert len(simulator.log()) == 1


def test_take_log_hands_out_field_names_without_values_and_clears(simulator):
    create(simulator, name="n", type="slack", slack="https://hooks.slack.com/services/very-secret")
    taken = requests.get(simulator.url + "/__sim__/take-log", timeout=10).json()["requests"]
    assert [(entry["method"], entry["path"], entry["form_keys"]) for entry in taken] == [
        ("POST", "/api/notification-handlers", ["name", "type", "slack"])]
    assert "very-secret" not in json.dumps(taken) and "test-key" not in json.dumps(taken)
    assert simulator.log() == []


def test_one_session_reuses_one_connection(simulator):
    with requests.Session() as session:
        session.headers["Authorization"] = "Bearer test-key"
        responses = [session.get(simulator.api_url + "/notification-handlers", timeout=10) for _request in range(3)]
    assert [response.headers["Connection"] for response in responses] == ["keep-alive"] * 3
    ports = [entry["client_port"] for entry in simulator.log()]
    assert len(ports) == 3 and len(set(ports)) == 1 and isinstance(ports[0], int)


def test_connection_close_is_honoured(simulator):
    response = call(simulator, "GET", headers={"Connection": "close"})
    assert (response.status_code, response.headers["Connection"]) == (200, "close")


def test_unread_request_bodies_do_not_spill_into_the_next_request(simulator):
    url = simulator.api_url + "/notification-handlers"
    with requests.Session() as session:
        session.headers["Authorization"] = "Bearer test-key"
        first = session.get(url, data=b"GET /api/notification-handlers/999 HTTP/1.1\r\n\r\n" * 500, timeout=10,
                            headers={"Content-Type": "application/octet-stream"})
        second = session.put(url + "/1", data=b"x" * 70000, timeout=10, headers={"Content-Type": "application/octet-stream"})
        third = session.post(url, data={"name": "n", "type": "slack", "slack": "s"}, timeout=10)
    assert [response.status_code for response in (first, second, third)] == [200, 404, 201]
    assert [entry["path"] for entry in simulator.log()] == ["/api/notification-handlers", "/api/notification-handlers/1", "/api/notification-handlers"]
    assert len({entry["client_port"] for entry in simulator.log()}) == 1


def test_a_chunked_request_body_is_read(simulator):
    body = (part for part in (b"name=chunked", b"&type=slack", b"&slack=s"))
    response = call(simulator, "POST", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 201
    assert stored(simulator, 1)["name"] == "chunked"
    assert call(simulator, "GET").json()["meta"]["total"] == 1


def test_seeding_10000_handlers_is_fast(simulator):
    started = time.monotonic()
    ids = simulator.seed(10000)
    assert time.monotonic() - started < 3
    assert ids == list(range(1, 10001))
    body = call(simulator, "GET", params={"page": 10, "results_per_page": 1000}).json()
    assert [handler["id"] for handler in body["data"]] == list(range(9001, 10001))
    assert body["meta"] == {"page": 10, "results_per_page": 1000, "total": 10000, "total_pages": 10}


def test_seed_options(simulator):
    ids = simulator.seed(2, api_key="other-key", type="telegram", name_prefix="tg-", enabled=False)
    handlers = simulator.handlers()
    assert [handler["name"] for handler in handlers] == ["tg-1", "tg-2"]
    assert {(handler["user_id"], handler["type"], handler["is_enabled"]) for handler in handlers} == {(2, "telegram", 0)}
    assert set(handlers[0]["settings"]) == {"telegram", "telegram_chat_id"}
    assert call(simulator, "GET", key="other-key").json()["meta"]["total"] == len(ids) == 2


def test_seed_explicit_handlers(simulator):
    ids = simulator.seed(handlers=[
        {"name": "a", "type": "webhook", "settings": {"webhook": "https://h"}, "is_enabled": False},
        {"name": "b", "type": "email", "settings": {"email": "b@x.y"}, "is_enabled": 2, "api_key": "other-key"},
    ])
    assert ids == [1, 2]
    first, second = simulator.handlers()
    assert (first["name"], first["settings"], first["is_enabled"], first["user_id"]) == ("a", {"webhook": "https://h"}, 0, 1)
    assert (second["user_id"], second["is_enabled"]) == (2, 2)
    assert "activation_code" in second["settings"]


def test_reset_clears_state_and_restarts_ids(simulator):
    simulator.seed(3)
    simulator.fault(status=500)
    simulator.config(b5_int_enabled=True)
    call(simulator, "GET")
    config = simulator.reset(switches={"b4_total_results": True}, keys={"third-key": 3})
    assert config["switches"]["b4_total_results"] is True
    assert config["switches"]["b5_int_enabled"] is False
    assert (simulator.handlers(), simulator.log(), simulator.faults()) == ([], [], [])
    assert create(simulator, key="third-key", name="n", type="slack", slack="s") == 1
    assert create(simulator, name="n", type="slack", slack="s") == 2


def test_control_surface_rejects_unknown_switches(simulator):
    with pytest.raises(SimulatorError):
        simulator.config(no_such_switch=True)
    with pytest.raises(SimulatorError):
        simulator.config(plan_limit="many")


@pytest.mark.parametrize("profile, canonical", [("realistic", "biolinks-67-patched"), ("pusher-18", "pusher-18")])
def test_command_line_profile_switches_keys_and_seed(profile, canonical):
    extra_args = ["--switch", "b13_update_mode=mangled", "--switch", "disabled_types=x,slack", "--key", "cli-key=7", "--seed", "3",
                  "--admin-key", "root-key=1"]
    with start_simulator(profile=profile, extra_args=extra_args) as started:
        assert isinstance(started, Simulator)
        assert started.api_url == started.url + "/api"
        config = started.config()
        assert config["profile"] == canonical
        assert config["switches"]["b13_update_mode"] == "mangled"
        assert config["switches"]["disabled_types"] == ["x", "slack"]
        assert (config["keys"]["cli-key"], config["keys"]["root-key"], config["admin_keys"]) == (7, 1, ["root-key"])
        assert len(started.handlers()) == 3
        assert call(started, "GET", key="cli-key").json()["meta"]["total_results"] == 0
        assert "X-RateLimit-Limit" not in call(started, "GET", key="root-key").headers


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # verify=False, on purpose
def test_tls_serves_https_with_a_certificate_generated_at_start():
    with start_simulator(tls=True) as started:
        assert started.url.startswith("https://127.0.0.1:")
        assert started.reset()["profile"] == "documented"  # the control calls trust the certificate the simulator wrote
        # verify is given on each request: requests prefers REQUESTS_CA_BUNDLE from the environment to a session's.
        with requests.Session() as session:
            for _number in range(2):
                response = session.get(started.api_url + "/notification-handlers", headers={"Authorization": "Bearer test-key"}, timeout=10,
                                       verify=started.ca_file)
                assert response.status_code == 200 and response.json()["data"] == []
        assert len(set(entry["client_port"] for entry in started.log())) == 1, "keep-alive works over TLS too"
        with pytest.raises(requests.exceptions.SSLError, match="self-signed certificate"):
            requests.get(started.api_url + "/notification-handlers", timeout=10, verify=requests.certs.where())
        insecure = requests.get(started.api_url + "/notification-handlers", headers={"Authorization": "Bearer test-key"}, timeout=10,
                                verify=False)
        assert insecure.status_code == 200


def test_cert_file_needs_tls():
    with pytest.raises(SimulatorError, match="--cert-file needs --tls"):
        with start_simulator(extra_args=["--cert-file", "cert.pem"]):
            pass


def test_command_line_b14_default_order():
    with start_simulator(extra_args=["--switch", "b14_default_order=DESC", "--seed", "3"]) as started:
        assert started.config()["switches"]["b14_default_order"] == "desc"
        assert [handler["id"] for handler in call(started, "GET").json()["data"]] == [3, 2, 1]
    with pytest.raises(SimulatorError, match="order must be one of asc, desc"):
        with start_simulator(extra_args=["--switch", "b14_default_order=up"]):
            pass
