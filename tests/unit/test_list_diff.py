"""The list module's diff is one diff per handler (issue 24, part 4), in check mode and in the real run alike.

With purge, a delete and a create used to share one before/after pair keyed by handler, which ansible-core printed as
one hunk that read as a rename. Each change is now a diff of its own, named by before_header and after_header: a delete
has no after and prints only removed lines, a create has no before and prints only added lines, an update prints its
changed fields as the only lines it marks.

Through the real client and the list module's runner against the simulator in this process. The expected diffs are
written from what the simulator holds (names, types, ids): none is computed with the collection's diff or masking;
a secret is checked by the mask's written-out form. What ansible-core prints of them comes from its own callback: controller code, so this file is not among the
module_utils tests, which ansible-test units runs without it.
"""

import copy
import json
import re

import pytest
from ansible.plugins.callback import CallbackBase

from ansible_collections.dmpilot.cloud.plugins.module_utils import _update_probe
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_list import run as run_list
from tests.unit.plugins.module_utils.test_handler_state import (
    EMAIL,
    HOOK,
    HOOK2,
    RecordingClient,
    finished,
    list_item,
    list_module,
)

# A secret as the collection shows it: eight stars, '#', twelve hex digits (the guide's Secrets).
MASK = re.compile(r"^[*]{8}#[0-9a-f]{12}$")
COLOUR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def no_shared_probe_outcome(monkeypatch):
    monkeypatch.setattr(_update_probe, "playbook_run", lambda: None)


def without_masks(diffs):
    """The diffs with each webhook mask checked and put aside: (the diffs with "<mask>" in its place, the masks in order)."""
    diffs = copy.deepcopy(diffs)
    masks = []
    for diff in diffs:
        for side in ("before", "after"):
            settings = (diff[side] or {}).get("settings", {})
            if "webhook" in settings:
                assert MASK.match(settings["webhook"]), settings["webhook"]
                masks.append(settings["webhook"])
                settings["webhook"] = "<mask>"
    return diffs, masks


def printed(diffs):
    """The diff as ansible-core's callbacks print it at --diff, without colour."""
    return COLOUR.sub("", CallbackBase()._get_diff(copy.deepcopy(diffs)))


def test_a_purge_shows_the_delete_the_create_and_the_update_as_one_diff_each_in_check_mode_and_in_the_real_run():
    client = RecordingClient()
    stray = client.seed("Stray", settings={"webhook": HOOK})
    hook = client.seed("Ops hook", settings={"webhook": HOOK})
    held = client.stored
    items = [list_item(name="Ops hook", type="webhook", webhook=HOOK2), list_item(name="Ops email", type="email", email=EMAIL)]

    predicted = finished(list_module(client, items, purge=True, check_mode=True), run_list)
    assert isinstance(predicted.exited["diff"], list)
    assert predicted.failed is None, predicted.failed
    assert client.writes() == [] and client.stored == held
    result = finished(list_module(client, items, purge=True), run_list)
    assert result.failed is None, result.failed
    after = client.stored
    assert sorted(handler["name"] for handler in after.values()) == ["Ops email", "Ops hook"] and stray not in after

    def as_held(handler_id):
        handler = held[handler_id]
        assert handler["is_enabled"] == 1
        return dict(name=handler["name"], type=handler["type"], enabled=True, settings={"webhook": "<mask>"})

    created = next(handler for handler in after.values() if handler["name"] == "Ops email")
    expected = [
        # The items' changes in their order, then the purge.
        dict(before_header="Ops hook (id %d)" % hook, after_header="Ops hook (id %d)" % hook, before=as_held(hook), after=as_held(hook)),
        dict(before_header="Ops email (new)", after_header="Ops email (new)", before=None,
             after=dict(name=created["name"], type=created["type"], enabled=True, settings={"email": created["settings"]["email"]})),
        dict(before_header="Stray (id %d)" % stray, after_header="Stray (id %d, deleted)" % stray, before=as_held(stray), after=None),
    ]
    assert predicted.exited["diff"] == result.exited["diff"]
    diffs, masks = without_masks(result.exited["diff"])
    assert diffs == expected
    # The update's webhook changed, and the stray's is the hook's old one: the masks tell values apart, the same alike.
    hook_before, hook_after, stray_before = masks
    assert hook_before != hook_after and stray_before == hook_before
    assert HOOK not in json.dumps(result.exited) and HOOK2 not in json.dumps(result.exited)

    # As ansible-core prints it: three diffs, each under its own headers; the create only adds, the delete only removes,
    # the update marks its webhook alone.
    text = printed(result.exited["diff"])
    parts = text.split("--- before: ")[1:]
    assert [part.splitlines()[0] for part in parts] == ["Ops hook (id %d)" % hook, "Ops email (new)", "Stray (id %d)" % stray]
    update, create, delete = [[line for line in part.splitlines()[3:] if line] for part in parts]
    assert [line for line in update if line[0] in "+-"] == ['-        "webhook": "%s"' % masks[0], '+        "webhook": "%s"' % masks[1]]
    assert create and all(line.startswith("+") for line in create)
    assert delete and all(line.startswith("-") for line in delete)
    assert parts[2].splitlines()[1] == "+++ after: Stray (id %d, deleted)" % stray


def test_a_list_that_changes_nothing_has_an_empty_diff():
    client = RecordingClient()
    client.seed("Ops hook", settings={"webhook": HOOK})
    module = finished(list_module(client, [list_item(name="Ops hook", type="webhook", webhook=HOOK)], purge=True), run_list)
    assert module.exited["changed"] is False and module.exited["diff"] == []
    assert printed(module.exited["diff"]) == ""
