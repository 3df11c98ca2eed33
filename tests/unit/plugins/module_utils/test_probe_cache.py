"""ProbeCache: the update probe's outcome (rule 13), shared by the tasks of one playbook run (issue 18 point 14).

The cache is a file keyed by a digest of the API URL, the API key and the run; it holds no secret and expires after
PROBE_CACHE_SECONDS. These tests use a directory of their own and an injected clock and run.
"""

import json
import os

import pytest

from ansible_collections.dmpilot.cloud.plugins.module_utils import _update_probe
from ansible_collections.dmpilot.cloud.plugins.module_utils._update_probe import (
    FAITHFUL,
    IGNORED,
    MANGLED,
    PROBE_CACHE_SECONDS,
    ProbeCache,
)

URL = "https://dmpilot.example/api"
KEY = "CANARY-api-key-0c7d5b1e"
RUN = "4242 987654"
NOW = 1748779200


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


def cache(directory, url=URL, key=KEY, run=RUN, clock=None):
    return ProbeCache(url, key, clock=clock or Clock(), directory=str(directory), run=run)


def files(directory):
    return sorted(path for path in directory.rglob("*") if path.is_file())


@pytest.mark.parametrize("mode", [FAITHFUL, IGNORED, MANGLED])
def test_an_outcome_put_by_one_task_is_got_by_the_next(tmp_path, mode):
    cache(tmp_path).put(mode)
    assert cache(tmp_path).get() == mode


def test_nothing_put_is_no_outcome(tmp_path):
    assert cache(tmp_path).get() is None
    assert cache(tmp_path / "missing").get() is None


def test_an_outcome_expires_after_probe_cache_seconds(tmp_path):
    clock = Clock()
    cache(tmp_path, clock=clock).put(IGNORED)
    clock.now = NOW + PROBE_CACHE_SECONDS - 1
    assert cache(tmp_path, clock=clock).get() == IGNORED
    clock.now = NOW + PROBE_CACHE_SECONDS
    assert cache(tmp_path, clock=clock).get() is None
    clock.now = NOW - 60  # a clock set back: an outcome from the future is not trusted either
    assert cache(tmp_path, clock=clock).get() is None


@pytest.mark.parametrize("other", [
    pytest.param(dict(run="4243 987654"), id="another run"),
    pytest.param(dict(run="4242 987655"), id="a reused pid"),
    pytest.param(dict(key="another-key"), id="another key"),
    pytest.param(dict(url="https://other.example/api"), id="another url"),
])
def test_another_run_key_or_url_misses(tmp_path, other):
    cache(tmp_path).put(MANGLED)
    assert cache(tmp_path, **other).get() is None
    assert cache(tmp_path).get() == MANGLED


@pytest.mark.parametrize("content", [
    "",
    "not json",
    "[]",
    "null",
    '"mangled"',
    '{"mode": "mangled"}',
    '{"learnt": %d}' % NOW,
    '{"mode": "broken", "learnt": %d}' % NOW,
    '{"mode": ["mangled"], "learnt": %d}' % NOW,
    '{"mode": "mangled", "learnt": "yesterday"}',
    '{"mode": "mangled", "learnt": null}',
])
def test_a_corrupt_file_is_no_outcome(tmp_path, content):
    cache(tmp_path).put(FAITHFUL)
    (path,) = files(tmp_path)
    path.write_text(content)
    assert cache(tmp_path).get() is None


def test_a_file_of_other_bytes_is_no_outcome(tmp_path):
    cache(tmp_path).put(FAITHFUL)
    (path,) = files(tmp_path)
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert cache(tmp_path).get() is None


def test_where_the_run_cannot_be_told_there_is_no_cache(tmp_path, monkeypatch):
    """A module run on a remote host, or outside ansible-playbook: each task probes, and nothing is written."""
    monkeypatch.setattr(_update_probe, "playbook_run", lambda: None)
    untold = ProbeCache(URL, KEY, clock=Clock(), directory=str(tmp_path), run=None)
    untold.put(IGNORED)
    assert untold.get() is None
    assert files(tmp_path) == []


def test_the_run_is_found_when_not_given(tmp_path, monkeypatch):
    monkeypatch.setattr(_update_probe, "playbook_run", lambda: RUN)
    ProbeCache(URL, KEY, clock=Clock(), directory=str(tmp_path)).put(IGNORED)
    assert cache(tmp_path).get() == IGNORED


def test_the_file_holds_no_api_key_nor_url_and_only_the_outcome(tmp_path):
    cache(tmp_path).put(MANGLED)
    (path,) = files(tmp_path)
    text = path.read_text()
    assert KEY not in text and KEY not in path.name
    assert URL not in text and "dmpilot.example" not in path.name
    assert json.loads(text) == {"mode": MANGLED, "learnt": NOW}


def test_the_directory_it_creates_is_private_to_its_user(tmp_path):
    directory = tmp_path / "dmpilot-cloud"
    cache(directory).put(FAITHFUL)
    assert directory.stat().st_mode & 0o077 == 0
    assert directory.stat().st_uid == os.getuid()


def test_a_directory_that_cannot_be_written_is_no_cache_and_no_failure(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the directory would be")
    unwritable = cache(blocked / "sub")
    unwritable.put(IGNORED)
    assert unwritable.get() is None


def test_expired_outcomes_of_earlier_runs_are_removed_when_one_is_put(tmp_path):
    clock = Clock()
    cache(tmp_path, run="1 1", clock=clock).put(FAITHFUL)
    (old,) = files(tmp_path)
    os.utime(str(old), (NOW - PROBE_CACHE_SECONDS - 1, NOW - PROBE_CACHE_SECONDS - 1))
    cache(tmp_path, run="2 2", clock=clock).put(IGNORED)
    assert old not in files(tmp_path) and len(files(tmp_path)) == 1
    assert cache(tmp_path, run="2 2", clock=clock).get() == IGNORED


def test_an_outcome_is_kept_when_another_run_removes_an_expired_file_at_the_same_moment(tmp_path, monkeypatch):
    """Two runs of one controller (an AWX node) clean the expired outcomes at once: a file listed, then gone, must not
    cost this run its own outcome (found by the benchmarks: the later tasks of the run probed again)."""
    real_listdir = os.listdir
    monkeypatch.setattr(_update_probe.os, "listdir", lambda path: real_listdir(path) + ["update-probe-gone-meanwhile.json"])
    shared = cache(tmp_path)
    shared.put(IGNORED)
    assert shared.get() == IGNORED
