"""The real transcripts are the simulator's oracle: every exchange measured on a real server version is replayed, in
order, against the simulator started in that version's profile, and the answers must be the same.

Dates and the port are set aside, as they differ from run to run (a date must still be a date, and null stay null);
ids are compared as they are, since each section of a transcript starts from an empty database (ids 1, 2, ...) and the
simulator is reset at each section start. What cannot be replayed is listed below, each with its reason; a line of a
transcript that is neither replayed nor listed fails the test.
"""

import json
import re

import pytest
import requests

from tests.paths import COLLECTION_ROOT
from tests.simulator.control import start_simulator
from tests.unit.simulator.transcript import CountLine, Exchange, Note, Table, read_transcript

DATA = COLLECTION_ROOT / "tests" / "data" / "real-server"
PROFILES = {"pusher-18": "pusher-18.txt", "biolinks-67": "biolinks-67.txt"}  # profile -> its transcript

# The transcripts' users: user 2 runs the exchanges, user 3 is "the other key", the admin is user 1 (rule 16: an
# administrator's key is never rate limited); a disabled user's key is a key of a user the simulator knows as disabled.
USER_KEY = "user-2-key"
KEYS = {USER_KEY: 2, "user-3-key": 3, "admin-key": {"user_id": 1, "admin": True}, "disabled-user-key": 4}
SWITCHES = {"disabled_users": [4]}

# The transcripts leave the Authorization header out: the exchanges that did not send user 2's key.
AUTHORIZATION = {
    "create as user 3": "Bearer user-3-key",
    "same IP, other key (user 3)": "Bearer user-3-key",
    "wrong key while limited": "Bearer wrong-key",
    "wrong key": "Bearer wrong-key",
    "admin key (type 1)": "Bearer admin-key",
    "disabled user (status 0)": "Bearer disabled-user-key",
    "no Authorization header": None,
    "no key, unknown path": None,
    "Authorization: Basic": "Basic dXNlcjpwYXNzd29yZA==",
    "Authorization: Bearer (empty)": "Bearer ",
}

# Steps done in the database between exchanges, done here through the control surface just before the exchange named.
# The real server had user 2 disabled before "user 2 just disabled in DB (cache not cleared)" too, but still answered
# from its cache; the simulator has no cache, so the step comes where the real server saw it: once the cache was cleared.
DATABASE_STEPS = {"user 2 disabled, cache cleared": {"disabled_users": [2, 4]}}

# Request lines the transcript cut (its lines stop at 333 characters): the whole form, as the label and the answer
# describe it (the other fields as in the exchange before it); the replay checks that the transcript's text is its start.
TRUNCATED_REQUESTS = {
    "name 600 chars": [("name", "n" * 600), ("type", "webhook"), ("webhook", "https://example.com/a")],
    "600-char webhook": [("name", "long"), ("type", "webhook"), ("webhook", "https://example.com/" + "a" * 580)],
}

# Rule 3's measurement: the transcript prints request #1 and request #61 of a run of identical requests, and one line
# for request #60; the replay sends requests #2 to #60 as the same request (their answers are not printed, but
# #60's headers are, and each request counts).
RUN_OF_REQUESTS = {"first non-200 at request #61": "first request (fresh counter)"}
# Headers an exchange did not print: request #61 was printed as its status and rate headers only (the next exchange,
# "request after 429, same key", shows that a 429 has Content-Type: application/json).
UNPRINTED_HEADERS = {"first non-200 at request #61": ("content-type",)}

# Notes (lines that are not an exchange, a table or a count line) and what the replay does with them.
SITE_SETTING = re.compile(r'^"email_confirmation":(?P<value>true|false)$')  # checked against the profile's b7 switch
NOT_REPLAYED = {
    "the site's mail log directory (ls -l), printed after section d; the simulator sends no mail":
        re.compile(r"^(total \d+|[-d][rwx-]{9}\s+\d+ \w+ \w+ +\d+ .+)$"),
    "a stray word the measuring script printed at the end of section f; no exchange":
        re.compile(r"^Files$"),
}
# The site's HTML 404 page is its theme's (title, scripts, 35 kB): only its status, Content-Type, no rate headers and
# its start (an HTML document) are compared; the simulator serves a page of its own.
HTML_START = "<!DOCTYPE html>"

HEADERS = ("content-type", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after")
DATE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
BASE_URL = re.compile(r"http://127\.0\.0\.1:\d+")


def transcript(profile):
    return read_transcript(DATA / PROFILES[profile])


def section_ids():
    return [(profile, section.name) for profile in PROFILES for section in transcript(profile)]


# Function-scoped, as tests/unit/conftest.py asks: ansible-test runs each test in a fork that ends with os._exit(), where a
# module-scoped simulator would never be stopped (one was left running for every test).
@pytest.fixture(params=list(PROFILES))
def started(request):
    with start_simulator(profile=request.param) as simulator:
        yield request.param, simulator


def normalised(value):
    """A JSON value with its dates set aside (same shape: a date stays a date, null stays null) and the port too."""
    if isinstance(value, dict):
        return {key: normalised(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalised(item) for item in value]
    if isinstance(value, str) and DATE.match(value):
        return "<date>"
    if isinstance(value, str):
        return BASE_URL.sub("<base>", value)
    return value


def list_row(handler):
    return "%s:%s:%s:%s" % (handler["id"], handler["type"], handler["name"], handler["is_enabled"])


class Replay:
    """One section replayed against a reset simulator; differences are collected with the exchange's label."""

    def __init__(self, profile, simulator, section):
        self.profile = profile
        self.simulator = simulator
        self.section = section
        self.differences = []
        self.replayed = 0
        self.unprinted = 0  # requests of a run that the transcript counts but does not print
        self.previous = {}  # label -> request, for a run of requests
        self.last = None  # (exchange, request) of the last exchange: request #1 of a run that a CountLine counts on

    def differ(self, step, what, expected, actual):
        label = step.label if isinstance(step, Exchange) else "line %d" % step.line
        self.differences.append("%s, %s / %s: %s: expected %r, got %r" % (self.profile, self.section.name, label, what, expected, actual))

    def run(self):
        self.simulator.reset(self.profile, switches=SWITCHES, keys=KEYS)
        for step in self.section.steps:
            if isinstance(step, Exchange):
                self.exchange(step)
            elif isinstance(step, Table):
                self.table(step)
            elif isinstance(step, CountLine):
                self.count_line(step)
            else:
                self.note(step)
        return self

    # ----- exchanges -----

    def send(self, step, request):
        authorization = AUTHORIZATION.get(step.label, "Bearer " + USER_KEY)
        headers = {} if authorization is None else {"Authorization": authorization}
        headers.update(request.headers())  # the transcript's own -H headers (lower-case bearer, Content-Type)
        form = request.form()
        if request.truncated:
            form = self.whole_form(step, form)
        body = request.raw_body()
        data = body.encode("utf-8") if body is not None else (form or None)
        return requests.request(request.method, "%s/%s" % (self.simulator.url, request.path), headers=headers, data=data, timeout=30)

    def whole_form(self, step, form):
        if step.label not in TRUNCATED_REQUESTS:
            raise AssertionError("%s: the transcript cut this request line and TRUNCATED_REQUESTS does not say what was sent" % step.label)
        whole = TRUNCATED_REQUESTS[step.label]
        cut_name, cut_value = form[-1]
        assert form[:-1] == whole[:len(form) - 1] and whole[len(form) - 1][0] == cut_name, step.label
        assert whole[len(form) - 1][1].startswith(cut_value), "%s: %r is not the start of what was sent" % (step.label, cut_value)
        return whole

    def exchange(self, step):
        if step.label in DATABASE_STEPS:
            self.simulator.config(**DATABASE_STEPS[step.label])
        request = step.request
        if request is None:
            assert step.label in RUN_OF_REQUESTS, "%s: an exchange without a request line" % step.label
            request = self.previous[RUN_OF_REQUESTS[step.label]]
        self.previous[step.label] = request
        self.last = (step, request)
        response = self.send(step, request)
        self.compare(step, response)
        self.replayed += 1

    def compare(self, step, response):
        if response.status_code != step.status:
            self.differ(step, "status", step.status, response.status_code)
        actual_headers = {name: response.headers.get(name) for name in HEADERS}
        for name in HEADERS:
            if name in UNPRINTED_HEADERS.get(step.label, ()):
                continue
            expected, actual = step.headers.get(name), actual_headers[name]
            if name == "content-type" and expected is not None and actual is not None:
                expected, actual = expected.lower(), actual.lower()
            if name == "x-ratelimit-reset" and expected is not None and actual is not None:
                # seconds until the window resets: time-dependent, a whole number within the window
                expected, actual = "1..60", "1..60" if actual.isdigit() and 1 <= int(actual) <= 60 else actual
            if expected != actual:
                self.differ(step, "header " + name, expected, actual)
        if step.html_head is not None:
            if not step.html_head.startswith(HTML_START) or not response.text.startswith(HTML_START):
                self.differ(step, "HTML page", step.html_head[:40], response.text[:40])
        elif step.list_rows is not None:
            self.compare_list(step, response)
        elif step.body == "":
            if response.content != b"":
                self.differ(step, "body", "", response.text)
        elif step.body is not None:
            expected = normalised(json_loads(step.body))
            actual = normalised(json_loads(response.text))
            if expected != actual:
                self.differ(step, "body", expected, actual)
        else:
            raise AssertionError("%s: the transcript shows no answer body" % step.label)

    def compare_list(self, step, response):
        body = json_loads(response.text)
        if not isinstance(body, dict):
            self.differ(step, "list", "a list answer", body)
            return
        rows = [list_row(handler) for handler in body.get("data", [])]
        for what, expected, actual in (("rows", step.list_rows, rows), ("meta", step.meta, body.get("meta")),
                                       ("links", normalised(step.links), normalised(body.get("links")))):
            if expected != actual:
                self.differ(step, what, expected, actual)

    def count_line(self, step):
        """Request #N of a run that started with the previous exchange (request #1): send #2 to #N, compare #N."""
        response = None
        for _number in range(2, step.number + 1):
            response = self.send(*self.last)
            self.unprinted += 1
        assert response is not None, "line %d: a count line after request #1 of its run" % step.line
        actual = {name: response.headers.get(name) for name in step.headers}
        if response.status_code != 200 or actual != step.headers:
            self.differ(step, "request #%d" % step.number, (200, step.headers), (response.status_code, actual))

    # ----- what the database held -----

    def table(self, step):
        stored = {handler["id"]: handler for handler in self.simulator.handlers()}
        if "notification_handler_id" in step.columns:
            pairs = [(row, stored.get(int(row[step.columns.index("notification_handler_id")]))) for row in step.rows]
        else:  # no id column: the rows of user 2's handlers, in id order
            mine = [handler for handler in stored.values() if handler["user_id"] == 2]
            pairs = list(zip(step.rows, mine)) if len(mine) == len(step.rows) else [(row, None) for row in step.rows]
        for row, handler in pairs:
            if handler is None:
                self.differ(step, "stored row", row, None)
                continue
            expected = dict(zip(step.columns, row))
            actual = {column: stored_value(column, handler) for column in step.columns}
            expected = {column: table_value(column, value) for column, value in expected.items()}
            if expected != actual:
                self.differ(step, "stored row %d" % handler["id"], expected, actual)

    # ----- notes -----

    def note(self, step):
        setting = SITE_SETTING.match(step.text)
        if setting:
            switch = self.simulator.config()["switches"]["b7_email_confirmation"]
            if (setting.group("value") == "true") != switch:
                self.differ(step, "email confirmation (b7_email_confirmation)", setting.group("value"), switch)
            return
        if not any(pattern.match(step.text) for pattern in NOT_REPLAYED.values()):
            raise AssertionError("line %d: %r is neither an exchange nor a line NOT_REPLAYED explains" % (step.line, step.text))


def json_loads(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def table_value(column, value):
    """A cell as the database printed it, set beside what the simulator stores."""
    if column == "settings":
        settings = json_loads(value)
        if isinstance(settings, dict) and re.fullmatch(r"[0-9a-f]{32}", str(settings.get("activation_code", ""))):
            settings["activation_code"] = "<code>"  # random, never shown: only its presence and form count
        return settings
    if column in ("is_enabled", "len", "bytes", "chars"):
        return int(value)
    if column in ("last_datetime", "datetime"):
        return None if value is None else ("<date>" if DATE.match(value) else value)
    if column == "notification_handler_id":
        return int(value)
    return value


def stored_value(column, handler):
    if column == "notification_handler_id":
        return handler["id"]
    if column == "name":
        # the MySQL client printed characters beyond the BMP (the emoji) as "?": compare as it displayed them
        return "".join("?" if ord(char) > 0xFFFF else char for char in handler["name"])
    if column == "settings":
        settings = dict(handler["settings"])
        if re.fullmatch(r"[0-9a-f]{32}", str(settings.get("activation_code", ""))):
            settings["activation_code"] = "<code>"
        return settings
    if column in ("len", "chars"):
        return len(handler["name"])
    if column == "bytes":
        return len(handler["name"].encode("utf-8"))
    if column in ("last_datetime", "datetime"):
        value = handler[column]
        return None if value is None else ("<date>" if DATE.match(value) else value)
    return handler[column]


@pytest.mark.parametrize("section_name", sorted({name for _profile, name in section_ids()}))
def test_each_exchange_of_the_transcript_is_what_the_simulator_answers(started, section_name):
    profile, simulator = started
    [section] = [section for section in transcript(profile) if section.name == section_name]
    replay = Replay(profile, simulator, section).run()
    assert not replay.differences, "\n".join(replay.differences)
    assert replay.replayed == len(section.exchanges()), "every exchange is replayed"
    print("%s %s: %d exchanges replayed (+%d unprinted requests of a run)" % (profile, section.name, replay.replayed, replay.unprinted))


@pytest.mark.parametrize("profile", list(PROFILES))
def test_the_reader_finds_every_exchange_of_the_transcript(profile):
    with open(DATA / PROFILES[profile], encoding="utf-8") as handle:
        labels = [line[4:] for line in handle.read().split("\n") if line.startswith("### ")]
    sections = transcript(profile)
    assert [exchange.label for section in sections for exchange in section.exchanges()] == labels
    assert len(labels) == 138
    assert [section.name for section in sections] == ["a. list", "b. create", "c. update", "d. email", "e. delete", "f. rate limit",
                                                      "g. auth", "h. strings", "i. search escapes"]
    for section in sections:
        for step in section.steps:
            if isinstance(step, Exchange):
                assert step.status is not None and (step.body is not None or step.html_head or step.list_rows is not None), step.label
            if isinstance(step, Note):
                assert SITE_SETTING.match(step.text) or any(pattern.match(step.text) for pattern in NOT_REPLAYED.values()), step


def test_a_replay_difference_fails_with_the_exchanges_label(started):
    """The oracle can fail: a transcript exchange changed by hand (a title) is reported with its label."""
    profile, simulator = started
    [section] = [section for section in transcript(profile) if section.name == "g. auth"]
    wrong = next(step for step in section.steps if isinstance(step, Exchange) and step.label == "wrong key")
    wrong.body = wrong.body.replace("You do not have access", "You have access")
    replay = Replay(profile, simulator, section).run()
    assert len(replay.differences) == 1
    assert "g. auth / wrong key: body" in replay.differences[0]
