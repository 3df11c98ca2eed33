"""An in-process dmpilot server at DmpilotClient's interface (above HTTP), for the model-based test of the state logic.

It keeps raw handlers as the server does and behaves like the versions that were run (docs/dev/api-behaviour.md,
/work/shared/dmpilot-api.md part B): updates stored as sent, ignored (66pusher 18: nothing stored) or mangled
(66biolinks 67: type None, settings {"": ""}); the cleaning of every name and setting (rule 10); email confirmation
on or off (rules 5, 7, 8); ids that only grow (rule 11); create ignores is_enabled (rule 7).

Faults can be injected at any request (by its index in the task): a timeout after the server applied the write, a 5xx
before applying, a 404 because another client deleted the target first, another client creating or deleting a handler
between two requests, a racing run of the same declaration creating the same handler, and a page shift (another client
deletes a handler of page 1 and creates one while the pages are read, so the total stays: the client reads such a list
twice and unites the reads, so the state logic gets every handler and one that is gone already).

The server also records what the test checks afterwards: every write it applied and for whom, every form it was sent,
and which faults fired. Rule 10's cleaning is written here again, apart from _handlers.server_cleaned, on purpose: the
fake must not share a mistake with the code it tests.
"""

import re

from ansible_collections.dmpilot.cloud.plugins.module_utils import _client
from ansible_collections.dmpilot.cloud.plugins.module_utils._client import DmpilotError
from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import TYPE_NAMES, field_names
from ansible_collections.dmpilot.cloud.plugins.module_utils._handlers import normalize_handler

FAITHFUL, IGNORED, MANGLED = "faithful", "ignored", "mangled"
# The server versions: (how updates are stored, email confirmation). 66pusher 18 confirms no address; 66biolinks 67
# may; a patched server stores updates, and then rule 8's confirmation rules run.
SERVERS = ((FAITHFUL, False), (FAITHFUL, True), (IGNORED, False), (MANGLED, False), (MANGLED, True))

# The faults, by what another party does at a request.
TIMEOUT = "timeout"  # the server applies the write, the answer never comes: DmpilotError with status None
SERVER_ERROR = "5xx"  # the server fails before applying anything
GONE = "404"  # another client deletes the handler this request targets, just before it
OTHER_CREATES = "other client creates"  # an unrelated handler appears
OTHER_DELETES = "other client deletes"  # an unrelated handler goes
RACING_CREATE = "racing run creates"  # a run of the same declaration creates one of the handlers this task may create
PAGE_SHIFT = "page shift"  # pages shift under a whole-list read: the client's two reads list a handler deleted meanwhile
FAULTS = (TIMEOUT, SERVER_ERROR, GONE, OTHER_CREATES, OTHER_DELETES, RACING_CREATE, PAGE_SHIFT)

WRITES = ("create_handler", "update_handler", "delete_handler")
PHP_BLANKS = " \t\n\r\x00\x0b"
TAG_OR_REST = re.compile(r"<[^>]*>?")
NAME_LIMIT, VALUE_LIMIT = 128, 512


def cleaned(value, limit=VALUE_LIMIT):
    """Rule 10: NULs and tags (or a '<' to the end) removed, quotes to HTML entities, trimmed, cut."""
    value = TAG_OR_REST.sub("", value.replace("\x00", ""))
    value = value.replace("'", "&#39;").replace('"', "&#34;")
    return value.strip(PHP_BLANKS)[:limit]


def level(value):
    """is_enabled as PHP's (int) cast reads a form value (rule 6)."""
    if isinstance(value, bool):
        return int(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class Fault:
    """What happens at request number `at` of a task (or at the first call of the method named `at`); pick chooses a
    handler where the fault needs one."""

    def __init__(self, at, kind, pick=0):
        self.at = at
        self.kind = kind
        self.pick = pick

    def __repr__(self):
        return "Fault(%r, %r, %d)" % (self.at, self.kind, self.pick)


class Write:
    """A write the server applied: by this run ("run") or by another party ("other")."""

    def __init__(self, op, handler_id, name, handler_type, by, timed_out=False):
        self.op = op
        self.handler_id = handler_id
        self.name = name
        self.type = handler_type
        self.by = by
        self.timed_out = timed_out

    def __repr__(self):
        return "%s %d %r%s%s" % (self.op, self.handler_id, self.name, " by another client" if self.by != "run" else "",
                                 " (timed out)" if self.timed_out else "")


class FakeServer:
    """The account, the server's ways, and DmpilotClient's interface over them."""

    api_url = "https://dmpilot.example.com/api"

    def __init__(self, update_mode=FAITHFUL, email_confirmation=False):
        self.update_mode = update_mode
        self.email_confirmation = email_confirmation
        self.stored = {}  # id -> the raw handler as the server keeps it
        self.next_id = 1
        self.start_task()

    def start_task(self, faults=(), protected=(), racing=(), before=()):
        """Forget the last task's records; arm the faults of the next one.

        protected: the ids the task names, which the unrelated other clients leave alone. racing: the handlers (name,
        type, settings) a racing run of the same declaration may create.
        """
        self.faults = dict((fault.at, fault) for fault in faults)
        self.protected = set(protected)
        self.racing = list(racing)
        self.requests = 0
        self.writes = []
        self.forms = []
        self.fired = []
        self.others_ids = set()  # ids another party created or deleted during the task
        self.racer_ids = []
        self.before_ids = set(before)  # the ids when the task started, for the racing run's read-back

    def copy(self):
        """The same account and server, with no fault armed: for check mode's dry run."""
        twin = FakeServer(self.update_mode, self.email_confirmation)
        twin.stored = self.snapshot()
        twin.next_id = self.next_id
        return twin

    # Setting the account up, and what the test reads (no request).

    def seed(self, name, handler_type, settings, is_enabled=1):
        """A handler stored as it is: odd values too (the server validates nothing, rule 10)."""
        handler_id = self.new_id()
        self.stored[handler_id] = {"id": handler_id, "name": name, "type": handler_type, "is_enabled": is_enabled,
                                   "settings": dict(settings)}
        return handler_id

    def snapshot(self):
        return dict((handler_id, raw_copy(handler)) for handler_id, handler in self.stored.items())

    def confirm_all(self):
        """The owners of the pending email addresses click their confirmation links."""
        for handler in self.stored.values():
            if handler["is_enabled"] == 2:
                handler["is_enabled"] = 1

    def new_id(self):
        handler_id = self.next_id  # rule 11: auto-increment, never reused
        self.next_id += 1
        return handler_id

    # DmpilotClient's interface.

    def list_handlers(self, handler_type=None, search=None):
        shift = self.enter("list_handlers")
        handlers = self.normalized()
        if shift is not None and handler_type is None and search is None:
            handlers = shift
        return [handler for handler in handlers
                if (handler_type is None or handler["type"] == handler_type)
                and (search is None or search.lower() in (handler["name"] or "").lower())]

    def find_by_name(self, name):
        self.enter("find_by_name")
        forms = (name, cleaned(name, NAME_LIMIT))
        return [handler for handler in self.normalized() if handler["name"] in forms]

    def find_by_name_prefix(self, prefix):
        self.enter("find_by_name_prefix")
        return [handler for handler in self.normalized() if (handler["name"] or "").startswith(prefix)]

    def get_handler(self, handler_id):
        self.enter("get_handler", handler_id)
        return self.normalized_one(handler_id) if handler_id in self.stored else None

    def create_handler(self, form):
        timeout = self.enter("create_handler", form=form)
        name = cleaned(str(form.get("name") or ""), NAME_LIMIT)
        handler_type = form.get("type")
        if not name or handler_type not in TYPE_NAMES:
            raise DmpilotError("Could not create notification handler %r: HTTP 401" % form.get("name"), status=401,
                               title="You must fill all the required fields.")
        handler_id = self.new_id()
        # Rule 7: is_enabled is ignored; an email handler waits for its owner's confirmation where that is switched on.
        is_enabled = 2 if handler_type == "email" and self.email_confirmation else 1
        settings = dict((key, cleaned(str(form.get(key, "")))) for key in field_names(handler_type))
        self.stored[handler_id] = {"id": handler_id, "name": name, "type": handler_type, "is_enabled": is_enabled, "settings": settings}
        self.applied("create", handler_id, timeout)
        return handler_id

    def update_handler(self, handler_id, form):
        timeout = self.enter("update_handler", handler_id, form=form)
        if handler_id not in self.stored:
            raise self.not_found("update", handler_id)
        if self.update_mode == IGNORED:
            return  # rule 13, 66pusher 18: 200, and nothing stored
        handler = self.stored[handler_id]
        if "name" in form:
            handler["name"] = cleaned(str(form["name"]), NAME_LIMIT)
        is_enabled = level(form["is_enabled"]) if "is_enabled" in form else handler["is_enabled"]
        if self.update_mode == MANGLED:
            # Rule 13, 66biolinks 67: the type check always fails; name and is_enabled are still written.
            handler.update(type=None, settings={"": ""}, is_enabled=is_enabled)
        else:
            old_type = handler["type"]
            handler_type = form.get("type", old_type)
            settings = dict(handler["settings"]) if handler_type == old_type else dict((key, "") for key in field_names(handler_type))
            settings.update((key, cleaned(str(form[key]))) for key in field_names(handler_type) if key in form)
            if handler_type == "email" and self.email_confirmation and (
                    form.get("email") is None or cleaned(str(form["email"])) != handler["settings"].get("email")
                    or handler["is_enabled"] == 2):
                is_enabled = 2  # rule 8: the confirmation restarts, whatever is_enabled was sent
            handler.update(type=handler_type, settings=settings, is_enabled=is_enabled)
        self.applied("update", handler_id, timeout)

    def delete_handler(self, handler_id):
        timeout = self.enter("delete_handler", handler_id)
        if handler_id not in self.stored:
            raise self.not_found("delete", handler_id)
        self.applied("delete", handler_id, timeout)
        del self.stored[handler_id]
        if timeout:
            raise self.timed_out("delete notification handler %d" % handler_id)

    # The plumbing.

    def normalized(self):
        return [self.normalized_one(handler_id) for handler_id in sorted(self.stored)]

    def normalized_one(self, handler_id):
        return normalize_handler(raw_copy(self.stored[handler_id]))

    def enter(self, method, handler_id=None, form=None):
        """Count the request and play its fault: before it, or instead of its answer.

        Answers True where a write must time out after being applied, and the shifted list for a page shift.
        """
        index = self.requests
        self.requests += 1
        if form is not None:
            self.forms.append(dict(form))
        fault = self.faults.get(index) or self.faults.pop(method, None)
        if fault is None:
            return None
        kind = fault.kind
        if kind == SERVER_ERROR:
            self.fire(fault, method)
            raise DmpilotError("Could not %s: HTTP 503" % method, status=503, title="Service Unavailable",
                               hint="The server failed: try again later.")
        if kind == TIMEOUT:
            self.fire(fault, method)
            if method in WRITES:
                return True
            raise self.timed_out(method)
        if kind == GONE and handler_id is not None and handler_id in self.stored:
            self.fire(fault, method)
            self.other_delete(handler_id)
        elif kind == OTHER_CREATES:
            self.fire(fault, method)
            self.other_create("elsewhere %d" % fault.pick, "webhook", {"webhook": "https://hooks.example.com/canary-elsewhere-%d" % fault.pick})
        elif kind == OTHER_DELETES:
            unrelated = self.unrelated()
            if unrelated:
                self.fire(fault, method)
                self.other_delete(unrelated[fault.pick % len(unrelated)])
        elif kind == RACING_CREATE and self.racing:
            name, handler_type, settings = self.racing[fault.pick % len(self.racing)]
            self.fire(fault, method)
            self.racer_ids.append(self.other_create(name, handler_type, settings))
        elif kind == PAGE_SHIFT and method == "list_handlers":
            return self.page_shift(fault)
        return None

    def page_shift(self, fault):
        """Page 1 is read; another client deletes a handler of page 1 and creates one; page 2 starts one handler later.

        The client reads a list of several pages twice and unites the reads (since 8c3b486), so what reaches the state
        logic holds every handler, the one that moved included, and also the one the other client deleted meanwhile: a
        handler that is listed but gone. Only where the list has a second page (of the client's PAGE_SIZE), and an
        unrelated handler on page 1 to delete.
        """
        handlers = self.normalized()
        page_size = _client.PAGE_SIZE
        lower = [handler_id for handler_id in self.unrelated() if handler_id in [handler["id"] for handler in handlers[:page_size]]]
        if len(handlers) <= page_size or not lower:
            return None
        self.fire(fault, "list_handlers")
        self.other_delete(lower[fault.pick % len(lower)])
        new_id = self.other_create("elsewhere %d" % fault.pick, "webhook", {"webhook": "https://hooks.example.com/canary-elsewhere-%d" % fault.pick})
        return handlers + [self.normalized_one(new_id)]

    def unrelated(self):
        """The handlers an unrelated other client may delete: not named by the task, not created during it."""
        return [handler_id for handler_id in sorted(self.stored) if handler_id not in self.protected
                and handler_id not in self.created_ids() and handler_id not in self.others_ids]

    def created_ids(self):
        return set(write.handler_id for write in self.writes if write.op == "create")

    def other_create(self, name, handler_type, settings):
        handler_id = self.new_id()
        is_enabled = 2 if handler_type == "email" and self.email_confirmation else 1
        self.stored[handler_id] = {"id": handler_id, "name": cleaned(name, NAME_LIMIT), "type": handler_type, "is_enabled": is_enabled,
                                   "settings": dict((key, settings.get(key, "")) for key in field_names(handler_type))}
        self.others_ids.add(handler_id)
        self.writes.append(Write("create", handler_id, name, handler_type, "other"))
        return handler_id

    def other_delete(self, handler_id):
        handler = self.stored.pop(handler_id)
        self.others_ids.add(handler_id)
        self.writes.append(Write("delete", handler_id, handler["name"], handler["type"], "other"))

    def applied(self, op, handler_id, timeout):
        handler = self.stored[handler_id]
        self.writes.append(Write(op, handler_id, handler["name"], handler["type"], "run", bool(timeout)))
        if timeout and op != "delete":
            raise self.timed_out("%s notification handler %s" % (op, handler["name"] if op == "create" else handler_id))

    def wait(self, _seconds):
        """The run waits for a racing run to settle (instead of sleeping): the racing run's read-back happens now."""
        self.racers_settle()

    def racers_settle(self):
        """The racing run's own read-back: where an older handler of its name that it did not see exists, it deletes its own."""
        for racer_id in list(self.racer_ids):
            racer = self.stored.get(racer_id)
            if racer is not None and any(handler_id < racer_id and handler["name"] == racer["name"] and handler_id not in self.before_ids
                                         for handler_id, handler in self.stored.items()):
                self.other_delete(racer_id)

    def fire(self, fault, method):
        self.fired.append("%s at request %d (%s)" % (fault.kind, self.requests - 1, method))

    @staticmethod
    def timed_out(what):
        return DmpilotError("Could not %s: no answer within timeout=30 seconds" % what, status=None,
                            hint="The server is slow or overloaded: raise timeout, or try again later.")

    @staticmethod
    def not_found(what, handler_id):
        return DmpilotError("Could not %s notification handler %d: HTTP 404" % (what, handler_id), status=404,
                            title="Not found", hint="The handler does not exist.")


def raw_copy(handler):
    return dict(handler, settings=dict(handler["settings"]))
