"""The notification_handlers role: idempotency, purge with and without check mode, and its inputs as users give them.

Provisioning over 20 hosts with forks 10, under the linear and the free strategy, is a rule of the reliability suite
(tests/reliability/test_concurrency.py).

Each step is a real ansible-playbook run at -vvv --diff; its PLAY RECAP and the simulator's state and request
log say what happened, and no canary secret may appear in its output. After the role, the role's playbooks check that
it left neither a secret nor the API key in the host's variables or facts (role/left_by_role.yml).
"""

import re

import pytest

from tests.integration.runner import CANARIES, CHANGED_CANARIES, REPO, one_of_every_type, run_playbook

ROLE_PLAYS = REPO / "tests" / "integration" / "role"
CONVERGE = ROLE_PLAYS / "converge.yml"
# The canaries that the role's playbooks look for in what the role left in the host's variables and facts.
EVERY_CANARY = list(CANARIES.values()) + list(CHANGED_CANARIES.values())
CONNECTION_VARIABLES = ("dmpilot_api_url", "dmpilot_api_key")
HANDLERS = "/api/notification-handlers"
LIST_REQUEST = ("GET", HANDLERS + "/")
CREATE_REQUEST = ("POST", HANDLERS)
# Every list is asked in id order, 1,000 handlers a page (rule 14).
LIST_ORDER = {"order_by": "notification_handler_id", "order_type": "ASC", "results_per_page": "1000"}
PROBE_PREFIX = "dmpilot.cloud update probe"

EVERY_TYPE = one_of_every_type("Role")


def request_of(entry):
    """(method, path) of a logged request; a list searched by name reads (GET, ".../?search=<text>")."""
    search = entry["query"].get("search")
    return entry["method"], entry["path"] + ("?search=" + search if search is not None else "")


def check_list_queries(log):
    for entry in log:
        if (entry["method"], entry["path"]) == LIST_REQUEST:
            query = dict(entry["query"])
            assert re.fullmatch(r"[1-9][0-9]*", query.pop("page")), entry
            if "search" in query:
                assert query.pop("search_by") == "name", entry
                query.pop("search")
            assert query == LIST_ORDER, entry


def run_role(simulator, profile, playbook=CONVERGE, extra_vars=None, **options):
    """Run one of the role's playbooks, which may fail; answer the run, the (method, path) of each request and their form
    field names. options go to run_playbook (options, unset, environment)."""
    simulator.clear_log()
    run = run_playbook(playbook, simulator, profile, extra_vars=dict(extra_vars or {}, canaries=EVERY_CANARY), **options)
    assert run.leaked_secrets() == [], str(run)
    log = simulator.log()
    check_list_queries(log)
    return run, [request_of(entry) for entry in log], [entry["form_keys"] for entry in log]


def converge(simulator, profile, handlers, purge=False, options=(), playbook=CONVERGE, extra_vars=None, **run_options):
    """Run the role, which must succeed; answer as run_role does."""
    run, requests, forms = run_role(simulator, profile, playbook, dict(extra_vars or {}, wanted_handlers=handlers, purge=purge),
                                    options=options, **run_options)
    assert run.rc == 0, str(run)
    return run, requests, forms


def probe_at(requests, forms, start, handler_ids):
    """The four requests of the update probe, expected at requests[start:]: its throwaway handler is created with a name and
    a type, renamed, read back with a search and deleted. Its id is not known in advance, and is none of handler_ids."""
    method, path = requests[start + 1]
    match = re.fullmatch(re.escape(HANDLERS) + r"/([0-9]+)", path)
    assert method == "POST" and match, requests
    probe_id = int(match.group(1))
    assert probe_id not in handler_ids
    assert sorted(forms[start]) == ["name", "type"] and forms[start + 1] == ["name"], forms
    return [CREATE_REQUEST, ("POST", "%s/%d" % (HANDLERS, probe_id)), ("GET", HANDLERS + "/?search=" + PROBE_PREFIX),
            ("DELETE", "%s/%d" % (HANDLERS, probe_id))]


def reset(simulator, profile):
    simulator.reset(profile, keys={CANARIES["api_key"]: 1})


def stored(simulator):
    return dict((handler["name"], handler) for handler in simulator.handlers())


@pytest.mark.parametrize("profile", ["documented", "realistic"])
def test_the_role_converges_then_costs_one_request(simulator, profile):
    reset(simulator, profile)
    first, requests, forms = converge(simulator, profile, EVERY_TYPE)
    assert first.changed() > 0
    handlers = stored(simulator)
    assert sorted(handlers) == sorted(item["name"] for item in EVERY_TYPE)
    assert handlers["Role slack"]["is_enabled"] == 0
    assert handlers["Role telegram"]["settings"]["telegram"] == CANARIES["telegram"]
    slack_id = handlers["Role slack"]["id"]
    # One list; the probe, since a disabled handler is created, then disabled; the creates in the list's order, the slack one
    # disabled right after its create; one list reads every new handler back.
    creates = [CREATE_REQUEST] * 9
    creates.insert([item["type"] for item in EVERY_TYPE].index("slack") + 1, ("POST", "%s/%d" % (HANDLERS, slack_id)))
    assert requests == [LIST_REQUEST] + probe_at(requests, forms, 1, [handler["id"] for handler in handlers.values()]) + creates + [LIST_REQUEST]
    assert forms[requests.index(("POST", "%s/%d" % (HANDLERS, slack_id)))] == ["is_enabled"]
    assert not any(name.startswith(PROBE_PREFIX) for name in stored(simulator))

    second, requests, _forms = converge(simulator, profile, EVERY_TYPE)
    assert second.changed() == 0, str(second)
    assert requests == [LIST_REQUEST]

    rotated = [dict(item, slack=CHANGED_CANARIES["slack"]) if item["type"] == "slack" else item for item in EVERY_TYPE]
    third, requests, forms = converge(simulator, profile, rotated)
    assert third.changed() == 1
    # The list holds every handler, so no handler is read again before the write: the probe, then only the changed field
    # of the one handler that differs, then one list reads it back.
    assert requests == ([LIST_REQUEST] + probe_at(requests, forms, 1, [handler["id"] for handler in handlers.values()])
                        + [("POST", "%s/%d" % (HANDLERS, slack_id)), LIST_REQUEST])
    assert forms[5] == ["slack"]
    after = stored(simulator)
    assert after["Role slack"]["settings"]["slack"] == CHANGED_CANARIES["slack"]
    assert after["Role slack"]["id"] == slack_id
    assert sorted(after) == sorted(handlers)


@pytest.mark.parametrize("profile", ["documented", "realistic"])
def test_purge_previews_in_check_mode_then_deletes(simulator, profile):
    reset(simulator, profile)
    kept = EVERY_TYPE[:2]
    converge(simulator, profile, kept)
    simulator.seed(handlers=[{"name": "Stray one", "type": "email", "settings": {"email": "a@example.com"}, "api_key": CANARIES["api_key"]},
                             {"name": "Stray two", "type": "slack", "settings": {"slack": CANARIES["slack"]}, "api_key": CANARIES["api_key"]}])
    before = stored(simulator)

    preview, requests, _forms = converge(simulator, profile, kept, purge=True, options=["--check"])
    assert requests == [LIST_REQUEST]
    assert stored(simulator) == before
    assert "Stray one (id %d)" % before["Stray one"]["id"] in preview.output
    assert "Stray two (id %d)" % before["Stray two"]["id"] in preview.output
    assert preview.changed() == 1, "one task, the list module, reports the two deletes as one change"

    purged, requests, _forms = converge(simulator, profile, kept, purge=True)
    assert sorted(stored(simulator)) == sorted(item["name"] for item in kept)
    # Deletes need no probe and no read back.
    assert requests == [LIST_REQUEST] + [("DELETE", "%s/%d" % (HANDLERS, before[name]["id"])) for name in ("Stray one", "Stray two")]
    assert purged.changed() == 1

    again, requests, _forms = converge(simulator, profile, kept, purge=True)
    assert again.changed() == 0 and requests == [LIST_REQUEST]


def seed_strays(simulator):
    """Two handlers that no list of these tests names; answer the stored handlers by name."""
    simulator.seed(handlers=[{"name": "Stray one", "type": "email", "settings": {"email": "a@example.com"}, "api_key": CANARIES["api_key"]},
                             {"name": "Stray two", "type": "slack", "settings": {"slack": CANARIES["slack"]}, "api_key": CANARIES["api_key"]}])
    return stored(simulator)


def test_purge_false_on_the_command_line_deletes_nothing(simulator):
    profile = "realistic"
    reset(simulator, profile)
    kept = EVERY_TYPE[:2]
    converge(simulator, profile, kept)
    before = seed_strays(simulator)
    # The string "false" that -e gives is false; the play itself asks for a purge, which -e overrides.
    run, requests, _forms = converge(simulator, profile, kept, purge=True, options=["-e", "dmpilot_notification_handlers_purge=false"])
    assert requests == [LIST_REQUEST]
    assert run.changed() == 0, str(run)
    assert stored(simulator) == before


NO_PRESENT_ITEM = {
    "an empty list": (CONVERGE, []),
    "a misspelt variable": (ROLE_PLAYS / "misspelt.yml", EVERY_TYPE[:2]),
    "absent items only": (CONVERGE, [dict(item, state="absent") for item in EVERY_TYPE[:2]]),
}


@pytest.mark.parametrize("case", sorted(NO_PRESENT_ITEM))
def test_purge_with_no_present_item_fails_before_any_request(simulator, case):
    profile = "realistic"
    reset(simulator, profile)
    converge(simulator, profile, EVERY_TYPE[:2])
    before = seed_strays(simulator)
    playbook, handlers = NO_PRESENT_ITEM[case]
    run, requests, _forms = run_role(simulator, profile, playbook, {"wanted_handlers": handlers, "purge": True})
    assert run.rc != 0, str(run)
    assert requests == []
    assert "every handler of the account would be deleted" in run.output, str(run)
    assert stored(simulator) == before


def test_purge_with_an_empty_list_and_delete_all_deletes_every_handler(simulator):
    profile = "realistic"
    reset(simulator, profile)
    converge(simulator, profile, EVERY_TYPE[:2])
    before = seed_strays(simulator)
    run, requests, _forms = converge(simulator, profile, [], purge=True, extra_vars={"dmpilot_notification_handlers_delete_all": True})
    assert run.changed() == 1
    ids = sorted(handler["id"] for handler in before.values())
    assert requests == [LIST_REQUEST] + [("DELETE", "%s/%d" % (HANDLERS, handler_id)) for handler_id in ids]
    assert stored(simulator) == {}


def test_enabled_false_as_a_string_and_an_unquoted_chat_id(simulator):
    """role/inputs.yml asks for a Telegram handler with enabled: "false" and telegram_chat_id: -1001234567890, unquoted."""
    profile = "realistic"
    reset(simulator, profile)
    inputs = ROLE_PLAYS / "inputs.yml"
    created, requests, forms = converge(simulator, profile, None, playbook=inputs)
    handler = stored(simulator)["Role telegram"]
    assert handler["settings"]["telegram_chat_id"] == "-1001234567890"
    assert handler["settings"]["telegram"] == CANARIES["telegram"]
    assert handler["is_enabled"] == 0
    assert created.changed() == 1
    # Created enabled (the API ignores is_enabled on create), then disabled: so the update probe runs first.
    assert requests == ([LIST_REQUEST] + probe_at(requests, forms, 1, [handler["id"]])
                        + [CREATE_REQUEST, ("POST", "%s/%d" % (HANDLERS, handler["id"])), LIST_REQUEST])
    assert forms[6] == ["is_enabled"]

    again, requests, _forms = converge(simulator, profile, None, playbook=inputs)
    assert again.changed() == 0, str(again)
    assert requests == [LIST_REQUEST]

    enabled = [{"name": "Role telegram", "type": "telegram", "telegram": CANARIES["telegram"], "telegram_chat_id": "-1001234567890",
                "enabled": True}]
    converge(simulator, profile, enabled)
    assert stored(simulator)["Role telegram"]["is_enabled"] == 1

    disabled, requests, forms = converge(simulator, profile, None, playbook=inputs)
    assert disabled.changed() == 1, str(disabled)
    assert requests == [LIST_REQUEST] + probe_at(requests, forms, 1, [handler["id"]]) + [("POST", "%s/%d" % (HANDLERS, handler["id"])), LIST_REQUEST]
    assert forms[5] == ["is_enabled"], "the chat id, given as a number, is sent again: %s" % forms
    assert stored(simulator)["Role telegram"]["is_enabled"] == 0


def test_the_connection_from_the_groups_module_defaults_alone(simulator):
    profile = "realistic"
    reset(simulator, profile)
    plays = ROLE_PLAYS / "module_defaults.yml"
    group = {"group_api_url": simulator.api_url, "group_api_key": CANARIES["api_key"]}
    run, requests, _forms = converge(simulator, profile, EVERY_TYPE[:2], playbook=plays, extra_vars=group, unset=CONNECTION_VARIABLES)
    assert run.changed() == 1
    assert requests == [LIST_REQUEST, CREATE_REQUEST, CREATE_REQUEST, LIST_REQUEST]
    assert sorted(stored(simulator)) == sorted(item["name"] for item in EVERY_TYPE[:2])

    # The role's own inputs, where they are set, win over the group's defaults: here the group's would fail.
    wrong_group = {"group_api_url": "http://127.0.0.1:9/api", "group_api_key": "wrong-key"}
    again, requests, _forms = converge(simulator, profile, EVERY_TYPE[:2], playbook=plays, extra_vars=wrong_group)
    assert again.changed() == 0, str(again)
    assert requests == [LIST_REQUEST]


def test_the_connection_from_the_environment_alone(simulator):
    profile = "realistic"
    reset(simulator, profile)
    environment = {"DMPILOT_API_URL": simulator.api_url, "DMPILOT_API_KEY": CANARIES["api_key"]}
    run, requests, _forms = converge(simulator, profile, EVERY_TYPE[:2], unset=CONNECTION_VARIABLES, environment=environment)
    assert run.changed() == 1
    assert requests == [LIST_REQUEST, CREATE_REQUEST, CREATE_REQUEST, LIST_REQUEST]
    assert sorted(stored(simulator)) == sorted(item["name"] for item in EVERY_TYPE[:2])


def test_the_role_leaves_no_secret_in_the_hosts_variables_or_facts(simulator):
    profile = "realistic"
    reset(simulator, profile)
    run, _requests, _forms = converge(simulator, profile, EVERY_TYPE)
    # converge.yml ends with role/left_by_role.yml, whose assert must have run and passed.
    assert re.search(r"TASK \[Check that the role left only its registered result, and no secret nor the API key\] \*+\n"
                     r"task path: .*\nok: \[localhost\]", run.output), str(run)
