"""A name with an apostrophe or a double quote, on every server profile, by every module and the role (issue 17).

The server stores ' as &#39; and " as &#34; (rule 10). The collection compares names with each quote read as its
entity, so each handler is created once, and the later runs (the single module, the list module, the role, and the
info module's declaration given back) write nothing; every name it returns is shown plain, as given (exact identity).
A name with a tag, which a cleaning server would store as the handler's own name, is refused before any write, and a
quote in a setting before any request.
"""

import json

import pytest

from tests.integration.runner import CANARIES
from tests.reliability.harness import run_checked_playbook
from tests.simulator.app import PROFILES

# What each profile stores for the names of playbooks/quotes.yml: the documented API cleans nothing.
STORED = {True: ["Say &#34;hi&#34;", "Équipe d&#39;astreinte"], False: ['Say "hi"', "Équipe d'astreinte"]}


def unchanged(result):
    return not result.get("failed") and not result.get("changed")


def assert_quotes_converge(run, results, stored, log, cleans):
    assert run.rc == 0, str(run)[-3000:]
    assert sorted(handler["name"] for handler in stored) == STORED[cleans], "stored: %s" % [handler["name"] for handler in stored]
    for step in ("single_again", "list_again", "role", "declared"):
        assert unchanged(results[step]), "%s: %s" % (step, results[step])
    # Exact identity: every name returned is plain, whatever the server stores.
    plain = ['Say "hi"', "Équipe d'astreinte"]
    assert results["single_again"]["notification_handler"]["name"] == "Équipe d'astreinte", results["single_again"]
    assert sorted(handler["name"] for handler in results["list_again"]["notification_handlers"]) == plain
    assert sorted(handler["name"] for handler in results["export"]["notification_handlers"]) == plain
    assert sorted(item["name"] for item in results["export"]["declaration"]) == plain
    for step in ("single_again", "list_again", "role", "export", "declared"):
        assert "&#" not in json.dumps(results[step], ensure_ascii=False), "%s shows a stored form: %s" % (step, results[step])
    tagged = results["tagged_name"]
    assert tagged.get("failed") and not tagged.get("changed"), tagged
    assert tagged["msg"].startswith("name \"Équipe d'astreinte <staging>\" holds '<'"), tagged
    assert "the server would store it as \"Équipe d'astreinte\"" in tagged["msg"] and "Nothing was sent" in tagged["msg"], tagged
    refused = results["quoted_setting"]
    assert refused.get("failed") and refused["msg"].startswith("email holds a quote"), refused
    writes = ["%s %s" % (entry["method"], entry["path"]) for entry in log if entry["method"] != "GET"]
    assert writes == ["POST /api/notification-handlers"] * 2, "the writes: %s (2 creates, nothing else)" % writes


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_a_quoted_name_is_created_once_and_found_by_every_module_and_the_role(simulator, ledger, profile):
    simulator.reset(profile, switches={"b3_rate_limit": False}, keys={CANARIES["api_key"]: 1})
    run, results = run_checked_playbook(ledger, "quotes.yml", simulator, profile=profile)
    cleans = simulator.config()["switches"]["b10_sanitize"]
    ledger.check("safe writes", "rule 10, %s: quoted names created once, then unchanged by every module and the role" % profile,
                 assert_quotes_converge, run, results or {}, simulator.handlers(), simulator.log(), cleans)
    ledger.assert_all_passed()
