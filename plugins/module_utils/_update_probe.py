# -*- coding: utf-8 -*-
# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The update test (rule 13) and its per-run outcome.

Before the first in-place update of a run, a throwaway handler learns whether the server stores updates as sent, stores
nothing, or empties the type and settings. ServerUpdates learns that at most once per run, and ProbeCache shares it
with the other tasks of the same playbook run. Check mode never tests: it takes an outcome known already, or says what
it cannot know.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import calendar
import hashlib
import json
import os
import re
import stat
import tempfile
import time

from ansible_collections.dmpilot.cloud.plugins.module_utils._client import DmpilotError
from ansible_collections.dmpilot.cloud.plugins.module_utils._failures import guide_link
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_plan import NOTHING_CHANGED, HandlerStateFailure

# The throwaway handler of the update probe: a type that sends nothing and mails nobody, and a name that says what it is.
# A handler is a probe of this collection only where both its type and its whole name are what UpdateProbe writes: the
# prefix, a valid UTC stamp, a random token, and " (updated)" once the test update is stored. Any other handler is the
# user's, whatever its name.
PROBE_PREFIX = "dmpilot.cloud update probe"
PROBE_TYPE = "internal_notification"
PROBE_STAMP = "%Y%m%dT%H%M%SZ"
PROBE_UPDATED = " (updated)"
PROBE_NAME = re.compile(r"^%s (\d{8}T\d{6}Z) [0-9a-f]{8}(?:%s)?$" % (re.escape(PROBE_PREFIX), re.escape(PROBE_UPDATED)))
# A probe older than this was left behind by a killed run (a live probe lasts seconds); a later probe deletes it.
PROBE_LEFTOVER_AGE = 600
# How long the probe's outcome is shared with the other tasks of a run (ProbeCache).
PROBE_CACHE_SECONDS = 300


# What the probe can find (rule 13): the server stores updates as sent, stores nothing, or empties the type and settings.
FAITHFUL, IGNORED, MANGLED = "faithful", "ignored", "mangled"
# What each kind of server does to an update, in words that fit "this dmpilot server ...".
SERVER_DOES = {
    IGNORED: "ignores updates: it answered a test update of a throwaway handler with success but stored nothing (the bug of "
             "the published 66pusher server code)",
    MANGLED: "breaks the handlers it updates: a test update of a throwaway handler emptied its type and settings (the bug of "
             "the published 66biolinks server code)",
}
# Why a replacement was needed, for the warning that names the new id.
REPLACED_BECAUSE = {
    IGNORED: "this server ignores updates (it stores none of them)",
    MANGLED: "this server cannot update a handler in place without emptying its type and settings",
}
# What a refusal to disable says the server does, briefly: the guide's section tells the rest.
SERVER_DOES_BRIEFLY = {IGNORED: "ignores updates", MANGLED: "breaks the handlers it updates"}
CANNOT_DISABLE = ("this dmpilot server cannot disable a handler through its API: it %s. Disable it in dmpilot's web interface, or "
                  "leave enabled unset (see " + guide_link("disabling-a-handler") + ").")


def probe_stamp(handler):
    """The creation time of a probe of this collection, as seconds since the epoch; None for any other handler."""
    match = PROBE_NAME.match(handler.get("name") or "")
    if handler.get("type") != PROBE_TYPE or match is None:
        return None
    try:
        return calendar.timegm(time.strptime(match.group(1), PROBE_STAMP))
    except ValueError:
        return None


def is_probe(handler):
    return probe_stamp(handler) is not None


class ServerUpdates:
    """How this server applies updates (FAITHFUL, IGNORED or MANGLED), learnt at most once per run."""

    def __init__(self, client, update_strategy, warnings, written, clock=time.time, cache=None):
        self.client = client
        self.update_strategy = update_strategy
        self.warnings = warnings
        self.written = written  # the run's record of what it changed: the probe's writes are in it
        self.clock = clock
        self.cache = cache  # shares the outcome with the other tasks of the run, or None
        self.mode = None  # FAITHFUL, IGNORED or MANGLED once the probe has run (or its outcome was shared)

    def known(self):
        """The mode where it is known without a probe: learnt by this task, or shared by an earlier task of the run."""
        if self.mode is None and self.cache is not None:
            self.mode = self.cache.get()
        return self.mode

    def faithful(self, keep=()):
        """Whether this server stores updates as sent; learnt once per run, on a throwaway handler, never on a real one.

        keep: the handlers that the task names, never deleted as a leftover probe.
        """
        if self.known() is None:
            self.mode = UpdateProbe(self.client, self.clock, self.warnings, self.written, self.update_strategy, keep=keep).run()
            if self.cache is not None:
                self.cache.put(self.mode)
        return self.mode == FAITHFUL


class UpdateProbe:
    """Create a throwaway handler, update it, read it back, delete it; delete the probes that killed runs left behind."""

    def __init__(self, client, clock, warnings, written, update_strategy="auto", keep=()):
        self.keep = keep  # the handlers that the task itself names: never deleted as a leftover, whatever they look like
        self.client = client
        self.clock = clock
        self.warnings = warnings
        self.written = written  # the run's record of what it changed: a probe it could not delete is one
        self.update_strategy = update_strategy

    def run(self):
        """FAITHFUL where updates are stored as sent, IGNORED where nothing is stored, MANGLED where the handler is emptied."""
        name = "%s %s %s" % (PROBE_PREFIX, time.strftime(PROBE_STAMP, time.gmtime(self.clock())),
                             binascii.hexlify(os.urandom(4)).decode("ascii"))
        probe_id = self.create(name)
        probes = []
        try:
            updated_name = name + PROBE_UPDATED
            self.client.update_handler(probe_id, {"name": updated_name})
            # One search reads the probe back and finds the ones killed runs left.
            probes = self.client.find_by_name_prefix(PROBE_PREFIX)
            stored = next((handler for handler in probes if handler["id"] == probe_id), None) or self.client.get_handler(probe_id)
        except DmpilotError as error:
            self.delete([probe_id])
            raise HandlerStateFailure("Could not learn how this dmpilot server applies updates: testing it on a throwaway handler "
                                      "failed: %s Nothing else was changed." % error, "update_test_failed")
        self.delete([probe_id])
        self.delete_left_behind(probes, probe_id)
        if stored is None:
            raise HandlerStateFailure("Could not learn how this dmpilot server applies updates: the throwaway handler %d was gone "
                                      "before it could be read back. Run the task again." % probe_id, "update_test_failed")
        if stored["type"] != PROBE_TYPE:
            return MANGLED
        if stored["name"] == updated_name:
            return FAITHFUL
        if stored["name"] == name:
            return IGNORED
        # Neither as sent nor as it was: treat it as a server that breaks updates, the safe side.
        return MANGLED

    def create(self, name):
        """The probe's id. A create that may have reached the server is looked up by its unique name and deleted."""
        try:
            return self.client.create_handler({"name": name, "type": PROBE_TYPE})
        except DmpilotError as error:
            reason = ": ".join(part for part in (error.message, error.title) if part).rstrip(".")  # a title may end with one
            # A create that got no answer, or failed on the server's side, may have happened: looked up, and deleted.
            unanswered = error.status is None or error.status >= 500
            if unanswered:
                self.delete_unanswered(name)
            raise HandlerStateFailure("Could not learn how this dmpilot server applies updates: creating a throwaway %s handler to "
                                      "test it failed: %s.%s %s" % (PROBE_TYPE, reason, "" if unanswered else NOTHING_CHANGED,
                                                                    self.advice(error)), "update_test_failed")

    def advice(self, error):
        """What to do after a refused probe, fitting the update_strategy that was set."""
        if error.status is None or error.status >= 500:
            return "Run the task again once the server answers."
        room = ("If your plan's limit of handlers is reached, delete one handler: every update_strategy needs room for one more "
                "handler to change one (this test, or a replacement).")
        if self.update_strategy == "recreate":
            return room + " update_strategy=recreate tests the server only to create or replace a disabled handler: leave enabled " \
                          "unset (or true) to do without the test."
        return room + " Or set update_strategy: recreate, which needs no test for an enabled handler: it replaces a changed " \
                      "handler with a new one."

    def delete_unanswered(self, name):
        """After a create that timed out or failed on the server's side: delete the probe if it was created after all, and
        record what may have been written (found or not, the create may have landed: the task reports a change)."""
        try:
            created = self.client.find_by_name(name)
        except DmpilotError as error:
            self.written.append("may have created the throwaway handler %r of the update test" % name)
            self.warnings.append("The throwaway handler %r of the update test may have been created, and could not be looked up "
                                 "(%s). The next test removes it; you may also delete it by hand." % (name, error))
            return
        if not created:
            # A write without an answer may still land (the server goes on after the client gave up): not a proof of absence.
            self.written.append("may have created the throwaway handler %r of the update test (its create got no answer, and it "
                                "was not found; if it appears, the next update test removes it)" % name)
            return
        # Found and deleted, it leaves the account as it was; one that cannot be deleted is recorded by delete().
        if self.delete([handler["id"] for handler in created]):
            self.written.append("created and deleted again the throwaway handler %s of the update test (its create got no answer)"
                                % ", ".join(str(handler["id"]) for handler in created))

    def delete_left_behind(self, probes, own_id):
        """Probes of this collection older than PROBE_LEFTOVER_AGE, which killed runs left: deleted, and reported."""
        left_behind = [handler for handler in probes if handler["id"] != own_id and handler["id"] not in self.keep and is_probe(handler)
                       and self.clock() - probe_stamp(handler) > PROBE_LEFTOVER_AGE]
        for handler in left_behind:
            if self.delete([handler["id"]], own=False):
                self.written.append("deleted the throwaway handler %d (%r), left by an earlier update test"
                                    % (handler["id"], handler["name"]))
                self.warnings.append("Deleted notification handler %d (%r): a throwaway handler of an earlier update test of this "
                                     "collection, left behind by a run that was stopped." % (handler["id"], handler["name"]))

    def delete(self, probe_ids, own=True):
        """Delete probes; answer whether all of them were deleted by this call.

        One of this run's own that stays is recorded as a change; a leftover of an earlier run that stays changes nothing,
        but one whose delete got no answer, and which cannot be read afterwards, may be gone: that is recorded too.
        """
        deleted = True
        for probe_id in probe_ids:
            try:
                self.client.delete_handler(probe_id)
            except DmpilotError as error:
                deleted = False
                if error.status == 404:
                    continue  # gone already: someone else deleted it
                there = self.still_there(probe_id) if error.status is None or error.status >= 500 else True
                if there is False:
                    deleted = True  # the delete got no answer, but it was done
                    continue
                if own:
                    self.written.append("left the throwaway handler %d of the update test" % probe_id)
                elif there is None:
                    self.written.append("may have deleted the throwaway handler %d, left by an earlier update test" % probe_id)
                self.warnings.append("The throwaway handler %d of the update test %s (%s). If it is still there, the next test "
                                     "removes it; you may also delete it by hand."
                                     % (probe_id, "could not be deleted" if there else "may not have been deleted", error))
        return deleted

    def still_there(self, probe_id):
        """Whether a probe whose delete got no answer is still on the server: True, False, or None where that cannot be read."""
        try:
            return self.client.get_handler(probe_id) is not None
        except DmpilotError:
            return None


class ProbeCache:
    """The probe's outcome, shared by the tasks of one playbook run that talk to the same api_url with the same api_key.

    A file on the host that runs the modules (the controller, as a rule), private to its user, named by a digest of the
    URL, the key and the run: the ansible-playbook (or ansible) process that the module runs under, with its start time.
    It holds only the outcome and when it was learnt, and expires after PROBE_CACHE_SECONDS however long the run. So five
    tasks of a run that each change a handler probe once, not five times; the next run tests the server again. Where the
    run cannot be told (a module run on a remote host), or the file cannot be read or written, there is no cache: each
    task probes, as before.
    """

    def __init__(self, api_url, api_key, clock=time.time, directory=None, run=None):
        run = run if run is not None else playbook_run()
        self.path = None
        if run is not None:
            digest = hashlib.sha256(("%s\0%s\0%s" % (api_url, api_key, run)).encode("utf-8")).hexdigest()
            self.directory = directory or os.path.join(tempfile.gettempdir(), "dmpilot-cloud-%d" % os.getuid())
            self.path = os.path.join(self.directory, "update-probe-%s.json" % digest)
        self.clock = clock

    def get(self):
        if self.path is None:
            return None
        try:
            if not (private(self.directory, directory=True) and private(self.path)):
                return None
            with open(self.path) as cached:
                outcome = json.load(cached)
            fresh = 0 <= self.clock() - float(outcome["learnt"]) < PROBE_CACHE_SECONDS
            return outcome["mode"] if fresh and outcome["mode"] in (FAITHFUL, IGNORED, MANGLED) else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, mode):
        if self.path is None:
            return
        try:
            if not os.path.lexists(self.directory):
                os.mkdir(self.directory, 0o700)
            if not private(self.directory, directory=True):
                return  # a symlink, someone else's directory, or one others can write: not to be trusted
            partial = "%s.%d" % (self.path, os.getpid())
            with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as cached:
                json.dump({"mode": mode, "learnt": self.clock()}, cached)
            os.rename(partial, self.path)
        except OSError:
            return
        # Then the outcomes of earlier runs, expired; another run may be removing the same files at the same moment.
        for name in os.listdir(self.directory):
            path = os.path.join(self.directory, name)
            try:
                if name.startswith("update-probe-") and self.clock() - os.stat(path).st_mtime > PROBE_CACHE_SECONDS:
                    os.remove(path)
            except OSError:
                continue


def private(path, directory=False):
    """Whether a path is this user's own directory (or regular file), not a symlink, and not open to others (lstat)."""
    info = os.lstat(path)
    right_kind = stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)
    return right_kind and info.st_uid == os.getuid() and not info.st_mode & 0o077


def playbook_run():
    """The ansible-playbook (or ansible) process that runs this task, as "pid start-time"; None where it cannot be told.

    Ansible runs each task in a worker, a fork of the ansible-playbook process: the module's nearest ancestor whose parent
    is the same program with the same command line is that worker, and its parent is the run. Nothing is guessed from
    names: a launcher above the run (make, sudo, a script, AWX) is never taken for it, so two runs started one after the
    other never share an outcome. Linux only (/proc); elsewhere, or on a remote host, each task tests for itself.
    """
    process = process_entry(os.getppid())
    for _depth in range(16):
        if process is None or process[0] <= 1:
            return None
        parent = process_entry(process[0])
        if parent is not None and parent[2] == process[2] and process[2]:
            return "%d %s" % (process[0], parent[1])
        process = parent  # read once: the next step up starts from it
    return None


def process_entry(pid):
    """(parent pid, start time, command line) of a process, from /proc; None where it cannot be read."""
    try:
        with open("/proc/%d/stat" % pid) as stat_file:
            fields = stat_file.read().rpartition(")")[2].split()
        with open("/proc/%d/cmdline" % pid, "rb") as cmdline_file:
            return int(fields[1]), fields[19], cmdline_file.read()
    except (OSError, IOError, IndexError, ValueError):
        return None
