"""A name with an apostrophe or a double quote, on every server profile, by every module and the role (issue 17).

The server stores ' as &#39; and " as &#34; (rule 10). The collection compares names as given and as the server stores
them, so each handler is created once, and the later runs (the single module, the list module, the role, and the
info module's declaration given back) write nothing. A quote in a setting is refused before any request.
"""

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
