"""Every playbook in playbooks/, run by ansible-playbook against the simulator in both profiles.

The playbooks assert their own expectations (results, diffs, the simulator's request log). Here we
check that they passed, and that no secret appears in clear anywhere in their -vvv --diff output.
"""

import pytest

from tests.integration.runner import PLAYBOOKS, run_playbook

PROFILES = ("documented", "realistic")


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("playbook", sorted(path.name for path in PLAYBOOKS.glob("*.yml")))
def test_playbook(simulator, playbook, profile):
    run = run_playbook(playbook, simulator, profile)
    assert run.rc == 0, str(run)
    assert run.leaked_secrets() == [], str(run)
