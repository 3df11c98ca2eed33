"""The dmpilot notification-handlers API simulator: a werkzeug WSGI app and its in-memory state.

Part A of the API description is always on; each part B behaviour sits behind a switch
(see docs/dev/simulator-contract.md). The app is independent of the collection's code on purpose:
it has its own table of types so that it can catch the collection's mistakes.
"""

import bisect
import copy
import datetime
import json
import math
import re
import secrets
import socket
import threading
import time
import urllib.parse

from werkzeug.wrappers import Request, Response

API_PREFIX = "/api/"
CONTROL_PREFIX = "/__sim__/"
# What /__sim__/take-log hands out: everything but the form values and the API key, which may be secrets.
SECRET_FREE_LOG_KEYS = ("method", "path", "query", "form_keys", "status", "api_key_present", "content_type", "client_port")
RESOURCE = "notification-handlers"
RESOURCE_PATH = API_PREFIX + RESOURCE

# The nine types and the form fields each one stores under `settings`.
TYPES = {
    "email": ("email",),
    "webhook": ("webhook",),
    "slack": ("slack",),
    "discord": ("discord",),
    "telegram": ("telegram", "telegram_chat_id"),
    "microsoft_teams": ("microsoft_teams",),
    "google_chat": ("google_chat",),
    "x": ("x_consumer_key", "x_consumer_secret", "x_access_token", "x_access_token_secret"),
    "internal_notification": (),
}

ALLOWED_RESULTS_PER_PAGE = (10, 25, 50, 100, 250, 500, 1000)
MAX_VALUE_LENGTH = 512
MAX_NAME_LENGTH = 128
HTML_TAG = re.compile(r"<[^>]*>")
# Rule 10: a `<` opens a tag that runs to the next `>`, or to the end of the value where no `>` follows.
CONFIRMATION_KEYS = ("activation_code", "email_is_confirmed")  # what an email handler's settings carry besides `email`
OPEN_TAG = re.compile(r"<[^>]*>?")
PHP_TRIM = " \t\n\r\0\x0b"  # the blanks PHP's trim() removes (Python's strip() would remove more)
DEFAULT_KEYS = {"test-key": 1, "other-key": 2}
DROPPED = "dmpilot.dropped"  # environ flag: the app closed the client socket, the server must not answer

BOOL_SWITCHES = (
    "b3_rate_limit", "b4_total_results", "b4_altum_links", "b5_int_enabled", "b6_php_int_cast", "b7_email_confirmation",
    "b12_settings_string", "b12_create_full", "b12_string_id", "b12_user_id", "b2_delete_empty_body", "b10_sanitize",
    "api_disabled", "ignore_results_per_page", "b14_filters", "b16_internal_notification_setting", "b16_unknown_path_html",
)
LANGUAGES = ("en", "fr", "ru")
ORDERS = ("asc", "desc")  # b14_default_order
UPDATE_MODES = ("faithful", "mangled", "ignored")  # b13_update_mode
UPDATE_ANSWERS = ("id", "old_enabled", "stored")  # b12_update_answer

# The starting switches of each profile (docs/dev/simulator-contract.md has the table). Each measured profile is what
# the transcripts in tests/data/real-server/ show; tests/unit/simulator/test_replay.py replays them against it.
DOCUMENTED = {name: False for name in BOOL_SWITCHES}
DOCUMENTED.update(
    rate_limit=60, rate_window=60, plan_limit=None, disabled_types=[], disabled_users=[], b1_language="en", b14_default_order="asc",
    b4_results_per_page_default=25, b12_update_answer="id", b13_update_mode="faithful",
)
# Both measured versions: the AltumCode controller as run (rules 2, 3, 4, 10, 12, 16).
MEASURED = dict(
    DOCUMENTED, b2_delete_empty_body=True, b3_rate_limit=True, b4_total_results=True, b4_altum_links=True,
    b4_results_per_page_default=100, b6_php_int_cast=True, b10_sanitize=True, b12_create_full=True, b12_user_id=True,
    b14_default_order="desc", b16_internal_notification_setting=True, b16_unknown_path_html=True,
)
PUSHER_18 = dict(MEASURED, b12_settings_string=True, b13_update_mode="ignored")
BIOLINKS_67 = dict(
    MEASURED, b5_int_enabled=True, b7_email_confirmation=True, b12_update_answer="stored", b13_update_mode="mangled",
    b14_filters=True,
)
BIOLINKS_67_PATCHED = dict(BIOLINKS_67, b13_update_mode="faithful", b1_language="fr")
PROFILES = {
    "documented": DOCUMENTED,
    "pusher-18": PUSHER_18,
    "biolinks-67": BIOLINKS_67,
    "biolinks-67-patched": BIOLINKS_67_PATCHED,
}
PROFILE_ALIASES = {"realistic": "biolinks-67-patched"}  # the old name of the patched profile
PROFILE_NAMES = tuple(PROFILES) + tuple(PROFILE_ALIASES)


def canonical_profile(profile):
    """The profile a name stands for (an alias resolves to its profile); ValueError for an unknown name."""
    if profile not in PROFILE_NAMES:
        raise ValueError("unknown profile %r: one of %s" % (profile, ", ".join(PROFILE_NAMES)))
    return PROFILE_ALIASES.get(profile, profile)


def profile_switches(profile):
    """The default switches of a profile (a copy)."""
    return copy.deepcopy(PROFILES[canonical_profile(profile)])


def _parse_bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "on", "yes"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "off", "no"):
        return False
    if isinstance(value, int):
        return bool(value)
    raise ValueError("not a boolean: %r" % (value,))


def _parse_number(value, kind):
    if isinstance(value, bool):
        raise ValueError("not a number: %r" % (value,))
    number = kind(value)
    if number <= 0:
        raise ValueError("must be positive: %r" % (value,))
    return number


def _parse_plan_limit(value):
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "null", "none")):
        return None
    if isinstance(value, bool):
        raise ValueError("not a number: %r" % (value,))
    return int(value)


def _parse_types(value):
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("not a list of types: %r" % (value,))
    return value


def _parse_users(value):
    if isinstance(value, str):
        value = [int(item) for item in value.split(",") if item.strip()]
    if not isinstance(value, list) or not all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        raise ValueError("not a list of user ids: %r" % (value,))
    return value


def _parse_language(value):
    if value not in LANGUAGES:
        raise ValueError("language must be one of %s" % ", ".join(LANGUAGES))
    return value


def _parse_order(value):
    lowered = value.strip().lower() if isinstance(value, str) else value
    if lowered not in ORDERS:
        raise ValueError("order must be one of %s, not %r" % (", ".join(ORDERS), value))
    return lowered


def _parse_choice(choices, what):
    def parse(value):
        if value not in choices:
            raise ValueError("%s must be one of %s, not %r" % (what, ", ".join(choices), value))
        return value
    return parse


def _parse_page_size(value):
    if isinstance(value, bool) or int(value) not in ALLOWED_RESULTS_PER_PAGE:
        raise ValueError("the default page size must be one of %s, not %r" % (", ".join(map(str, ALLOWED_RESULTS_PER_PAGE)), value))
    return int(value)


def parse_switch(name, value):
    """Check and convert one switch value (JSON values or command-line strings)."""
    if name in BOOL_SWITCHES:
        return _parse_bool(value)
    parsers = {
        "rate_limit": lambda v: _parse_number(v, int),
        "rate_window": lambda v: _parse_number(v, float),
        "plan_limit": _parse_plan_limit,
        "disabled_types": _parse_types,
        "disabled_users": _parse_users,
        "b1_language": _parse_language,
        "b14_default_order": _parse_order,
        "b4_results_per_page_default": _parse_page_size,
        "b12_update_answer": _parse_choice(UPDATE_ANSWERS, "the update answer"),
        "b13_update_mode": _parse_choice(UPDATE_MODES, "the update mode"),
    }
    if name not in parsers:
        raise ValueError("unknown switch %r" % (name,))
    return parsers[name](value)


def parse_switches(values):
    if not isinstance(values, dict):
        raise ValueError("switches must be an object")
    return {name: parse_switch(name, value) for name, value in values.items()}


def php_int_cast(value):
    """PHP's (int) cast of a string: optional leading blanks and sign, then the leading digits, else 0."""
    match = re.match(r"\s*([+-]?\d+)", value)
    return int(match.group(1)) if match else 0


def boolish_enabled(value):
    """The documented reading of is_enabled: a boolean. Anything unrecognised falls back to the PHP cast."""
    lowered = value.strip().lower()
    if lowered in ("1", "true", "on", "yes"):
        return 1
    if lowered in ("0", "false", "off", "no", ""):
        return 0
    return php_int_cast(value)


def quote_entities(value):
    """Rule 10's one mapping that can be undone: `'` and `"` as HTML entities."""
    return value.replace("'", "&#39;").replace('"', "&#34;")


def clean_text(value):
    """Rule 10's cleaning, without the cut: NUL removed; a `<` up to the next `>` (or to the end) removed; `'` and `"`
    as HTML entities; any tag left stripped; PHP's trim."""
    value = quote_entities(OPEN_TAG.sub("", value.replace("\0", "")))
    return HTML_TAG.sub("", value).strip(PHP_TRIM)


def sanitize(value, limit):
    """Rule 10: a stored field, cleaned then cut to `limit` characters (512, the name 128)."""
    return clean_text(value)[:limit]


def now_string():
    return datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def sample_settings(handler_type, number):
    """Plausible settings for a seeded handler."""
    settings = {}
    for field in TYPES[handler_type]:
        if field == "email":
            settings[field] = "seed%d@example.com" % number
        elif field == "telegram_chat_id":
            settings[field] = str(100000 + number)
        elif field.startswith("x_"):
            settings[field] = "%s-%d" % (field, number)
        else:
            settings[field] = "https://hooks.example.com/%s/%d" % (field, number)
    return settings


# Error titles, as the translated site would give them (rule 1); the English ones are the measured versions' own (rule 16).
TITLES = {
    "no_bearer": {
        "en": "The request is missing the Bearer Authentication header.",
        "fr": "Nous n'avons pas trouve l'en-tete Authorization: Bearer.",
        "ru": "Заголовок Authorization: Bearer не найден.",
    },
    "no_access": {
        "en": "You do not have access to the API.",
        "fr": "Vous n'avez pas acces a l'API.",
        "ru": "У вас нет доступа к API.",
    },
    "not_found": {
        "en": "The resource you are looking for does not exist.",
        "fr": "La ressource est introuvable.",
        "ru": "Ресурс не найден.",
    },
    "empty_fields": {
        "en": "You must fill all the required fields.",
        "fr": "Veuillez remplir tous les champs obligatoires.",
        "ru": "Пожалуйста, заполните все обязательные поля.",
    },
    "bad_type": {
        "en": "Your have exceeded the limits of your current plan.",  # sic, as the site says it for an unknown type too
        "fr": "Vous avez dépassé les limites de votre forfait actuel.",
        "ru": "Вы превысили лимиты вашего текущего тарифа.",
    },
    "plan_limit": {
        "en": "Your have exceeded the limits of your current plan.",
        "fr": "Vous avez dépassé les limites de votre forfait actuel.",
        "ru": "Вы превысили лимиты вашего текущего тарифа.",
    },
    "rate_limited": {
        "en": "You reached the limit of requests in one minute, please wait.",
        "fr": "Trop de requetes, veuillez reessayer plus tard.",
        "ru": "Слишком много запросов, попробуйте позже.",
    },
    "fault": {
        "en": "Simulated server error.",
        "fr": "Erreur simulee du serveur.",
        "ru": "Имитация ошибки сервера.",
    },
}

HTML_404_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Page introuvable - dmpilot</title>
    <link rel="stylesheet" href="/themes/altum/assets/css/bootstrap.min.css">
</head>
<body class="bg-light">
    <nav class="navbar navbar-expand-lg navbar-light bg-white"><a class="navbar-brand" href="/">dmpilot</a></nav>
    <main class="container py-6 text-center">
        <h1 class="display-3">404</h1>
        <p class="lead">La page que vous recherchez n'existe pas ou a ete deplacee.</p>
        <a href="/" class="btn btn-primary">Retour a l'accueil</a>
    </main>
    <footer class="text-muted small text-center py-4">&copy; dmpilot</footer>
</body>
</html>
"""

HTML_ERROR_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>%(status)d Error</title></head>
<body><h1>%(status)d</h1><p>The server encountered an error and could not complete your request.</p></body></html>
"""


class ApiError(Exception):
    """An API error answer: `{"errors": [{"title", "status"}]}` with the same HTTP status."""

    def __init__(self, status, title_key, string_status=False, headers=None):
        super().__init__(title_key)
        self.status = status
        self.title_key = title_key
        self.string_status = string_status  # rule 1: a missing auth header answers "status": "401"
        self.headers = headers or {}


class ControlError(Exception):
    """A bad control-surface call (400)."""


def json_response(payload, status=200, headers=None):
    return Response(json.dumps(payload), status=status, headers=headers, content_type="application/json")


class RateLimiter:
    """Fixed-window request counter per API key; `clock` is time.monotonic, or a test's own time."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.windows = {}  # api key -> [window start (clock), request count]

    def clear(self):
        self.windows.clear()

    def hit(self, api_key, limit, window):
        """Count one request; answer (allowed, remaining, seconds until the window resets)."""
        now = self.clock()
        current = self.windows.get(api_key)
        if current is None or now - current[0] >= window:
            current = self.windows[api_key] = [now, 0]
        current[1] += 1
        reset = max(1, math.ceil(current[0] + window - now))
        return current[1] <= limit, max(0, limit - current[1]), reset


class HandlerStore:
    """The stored handlers: a dict by id plus, per user, the ordered list of that user's ids."""

    def __init__(self):
        self.by_id = {}
        self.ids_by_user = {}
        self.next_id = 1

    def clear(self):
        self.by_id.clear()
        self.ids_by_user.clear()
        self.next_id = 1

    def add(self, user_id, handler_type, name, settings, is_enabled):
        handler = {
            "id": self.next_id, "user_id": user_id, "type": handler_type, "name": name, "settings": settings,
            "is_enabled": is_enabled, "last_datetime": None, "datetime": now_string(),
        }
        self.by_id[handler["id"]] = handler
        # Ids only grow, so appending keeps each user's list sorted.
        self.ids_by_user.setdefault(user_id, []).append(handler["id"])
        self.next_id += 1
        return handler

    def owned(self, handler_id, user_id):
        handler = self.by_id.get(handler_id)
        if handler is None or handler["user_id"] != user_id:
            raise ApiError(404, "not_found")
        return handler

    def delete(self, handler):
        del self.by_id[handler["id"]]
        ids = self.ids_by_user[handler["user_id"]]
        del ids[bisect.bisect_left(ids, handler["id"])]

    def count(self, user_id):
        return len(self.ids_by_user.get(user_id, ()))

    def user_ids(self, user_id):
        """The user's ids, ascending (the store's own list: do not change it)."""
        return self.ids_by_user.get(user_id, [])

    def discard(self, handler_ids):
        """Delete these handlers, whoever owns them, as another client would; ids not stored are ignored."""
        for handler_id in handler_ids:
            handler = self.by_id.get(handler_id)
            if handler is not None:
                self.delete(handler)

    def all(self):
        return [self.by_id[handler_id] for handler_id in sorted(self.by_id)]


def like_pattern(text):
    """MySQL's `LIKE '%text%'` under a case-insensitive collation: `%` is any run of characters, `_` any one, and a
    backslash makes the next character literal (rule 14, section i of the transcripts: `ops\\team` finds `OpsTeam`,
    `ops\\\\team` finds `ops\\team`). A pattern that ends in a lone backslash matches nothing."""
    parts = []
    escaped = False
    for char in text:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    if escaped:
        return re.compile(r"(?!)")  # measured: search=ops%5C answers no handler
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _null_first(value):
    """A sort key that puts NULL before any value, as MySQL does in ascending order."""
    return (0, "") if value is None else (1, value)


# Rule 14: the list's order_by values and the sort key of each one (None: the id order).
ORDER_KEYS = {
    "notification_handler_id": None,
    "datetime": lambda handler: handler["datetime"],
    "last_datetime": lambda handler: _null_first(handler["last_datetime"]),
    "name": lambda handler: handler["name"].casefold(),  # MySQL's default collation ignores case
}


class ListQuery:
    """Rule 14: the filter and order options of one list request, as the server applies them.

    `args` is the query string (an empty dict when the server does not know these options), `clean` the input
    cleaning (rule 10), `descending` the account's default order by id. `carried` lists the (option, value) pairs that
    the list's links carry on to the other pages (rule 15).
    """

    def __init__(self, args, clean, descending):
        self.carried = []
        self.type = clean(args.get("type", "")) or None
        if self.type is not None:
            self.carried.append(("type", self.type))
        text = clean(args.get("search", "")) if args.get("search_by") == "name" else ""
        self.search = like_pattern(text) if text not in ("", "0") else None  # PHP's empty(): "" and "0" filter nothing
        if self.search is not None:
            # Measured (section i): the links carry the text with each backslash doubled, as PHP's addslashes() leaves it
            # (quotes are entities by then, and NULs gone).
            self.carried += [("search", text.replace("\\", "\\\\")), ("search_by", "name")]
        self.order_by = args.get("order_by") if args.get("order_by") in ORDER_KEYS else None
        self.descending = descending
        if self.order_by is not None:  # order_type counts only with a known order_by; missing, lower-case or unknown: ASC
            self.descending = args.get("order_type", "") == "DESC"
            self.carried += [("order_by", self.order_by), ("order_type", "DESC" if self.descending else "ASC")]

    def keeps(self, handler):
        if self.type is not None and (handler["type"] or "").casefold() != self.type.casefold():  # exact, case-insensitive
            return False
        return self.search is None or self.search.search(handler["name"]) is not None

    def select(self, store, user_id):
        """The ids of the user's handlers that the query keeps, in its order (ties: by id, in the same direction)."""
        ids = store.user_ids(user_id)
        if self.type is not None or self.search is not None:
            ids = [handler_id for handler_id in ids if self.keeps(store.by_id[handler_id])]
        key = ORDER_KEYS.get(self.order_by)
        if key is not None:
            return sorted(ids, key=lambda handler_id: (key(store.by_id[handler_id]), handler_id), reverse=self.descending)
        return ids[::-1] if self.descending else ids


class Fault:
    """A queued fault for the next `times` matching API requests.

    `query` narrows the match to requests whose query string has those options with those values; `remove` deletes
    handlers from the store just before the request is served or answered (another client's doing).
    """

    BODIES = ("json", "none", "html", "malformed", "empty")
    FIELDS = ("method", "path", "match", "query", "times", "status", "body", "delay", "drop", "headers", "remove")

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ControlError("a fault must be an object")
        unknown = set(spec) - set(self.FIELDS)
        if unknown:
            raise ControlError("unknown fault fields: %s" % ", ".join(sorted(unknown)))
        self.method = spec.get("method")
        self.method = self.method.upper() if self.method else None
        self.path = spec.get("path") or API_PREFIX
        self.match = spec.get("match", "prefix")
        self.query = self._query(spec.get("query"))
        self.remove = self._ids(spec.get("remove"))
        self.times = spec.get("times", 1)
        self.status = spec.get("status")
        self.body = spec.get("body")
        self.delay = float(spec.get("delay") or 0)
        self.drop = bool(spec.get("drop", False))
        self.headers = spec.get("headers") or {}
        self._check()
        if self.status is None and not (self.body is not None or self.drop or self.delay or self.remove):
            raise ControlError("a fault needs a status, a body, drop, delay or remove")
        if self.status is None and self.body is not None:
            self.status = 500

    @staticmethod
    def _query(query):
        """query: option -> value; a number is taken as its text (page 2 and "2" are the same)."""
        if query is None:
            return {}
        if not isinstance(query, dict):
            raise ControlError("query must be an object of option -> string value")
        for option, value in query.items():
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise ControlError("query value of %r must be a string, not %r" % (option, value))
        return {option: str(value) for option, value in query.items()}

    @staticmethod
    def _ids(ids):
        if ids is None:
            return []
        if not isinstance(ids, list) or not all(isinstance(item, int) and not isinstance(item, bool) for item in ids):
            raise ControlError("remove must be a list of handler ids")
        return list(ids)

    def _check(self):
        if self.match not in ("prefix", "exact"):
            raise ControlError("match must be prefix or exact")
        if self.times is not None and (not isinstance(self.times, int) or self.times < 1):
            raise ControlError("times must be a positive integer or null (forever)")
        if self.body is not None and not isinstance(self.body, (dict, list)) and self.body not in self.BODIES:
            raise ControlError("body must be one of %s, or a JSON object or list" % ", ".join(self.BODIES))
        if self.status is not None and not isinstance(self.status, int):
            raise ControlError("status must be an integer")
        if not isinstance(self.headers, dict):
            raise ControlError("headers must be an object")

    @property
    def serves_normally(self):
        """A fault that only delays and/or removes handlers: the request is then served normally."""
        return self.status is None and not self.drop

    def matches(self, method, path, args):
        if self.method is not None and self.method != method:
            return False
        if any(value not in args.getlist(option) for option, value in self.query.items()):
            return False
        same_path = path.rstrip("/") == self.path.rstrip("/")  # a trailing slash never matters
        return same_path or (self.match == "prefix" and path.startswith(self.path))

    def consume(self):
        """Use the fault once; answer True when it is used up."""
        if self.times is None:
            return False
        self.times -= 1
        return self.times <= 0

    def response(self, title):
        if self.body is None or self.body == "json":
            return json_response({"errors": [{"title": title, "status": self.status}]}, self.status, self.headers)
        if isinstance(self.body, (dict, list)):
            return json_response(self.body, self.status, self.headers)
        if self.body == "html":
            return Response(HTML_ERROR_PAGE % {"status": self.status}, self.status, self.headers, content_type="text/html; charset=utf-8")
        if self.body == "malformed":
            return Response('{"errors": [{"title": "Interna', self.status, self.headers, content_type="application/json")
        if self.body == "empty":
            return Response(b"", self.status, self.headers, content_type="application/json")
        response = Response(b"", self.status, self.headers)  # "none": no body and no Content-Type at all
        del response.headers["Content-Type"]
        return response

    def describe(self):
        return {
            "method": self.method, "path": self.path, "match": self.match, "query": self.query, "times": self.times,
            "status": self.status, "body": self.body, "delay": self.delay, "drop": self.drop, "headers": self.headers,
            "remove": self.remove,
        }


class SimulatorApp:
    """The WSGI application. All state sits behind one lock."""

    def __init__(self, profile="documented", switches=None, keys=None, clock=time.monotonic):
        self.lock = threading.Lock()
        self.start_profile = profile
        self.start_switches = dict(switches or {})
        self.base_keys = dict(DEFAULT_KEYS)
        self.base_keys.update(keys or {})
        self.store = HandlerStore()
        self.rate_limiter = RateLimiter(clock)
        self.log = []
        self.faults = []
        self.profile = profile
        self.switches = {}
        self.keys = {}
        self.admin_keys = set()
        self.reset(profile, self.start_switches, None)

    # ----- state -----

    def reset(self, profile, switches, keys):
        switches = profile_switches(profile) | parse_switches(switches or {})
        self.profile = canonical_profile(profile)
        self.switches = switches
        self.keys = {}
        self.admin_keys = set()
        for key, kind in list(self.base_keys.items()) + list((keys or {}).items()):
            self.add_key(str(key), kind)
        self.store.clear()
        self.rate_limiter.clear()
        self.log = []
        self.faults = []

    def add_key(self, key, kind):
        """kind: the user id, or {"user_id": N, "admin": true} for an administrator's key (rule 16: never rate limited)."""
        if isinstance(kind, dict):
            unknown = set(kind) - {"user_id", "admin"}
            if unknown or "user_id" not in kind:
                raise ControlError("a key is a user id or {\"user_id\": N, \"admin\": true}, not %r" % (kind,))
            if _parse_bool(kind.get("admin", False)):
                self.admin_keys.add(key)
            kind = kind["user_id"]
        if isinstance(kind, bool):
            raise ControlError("the user id of key %r must be a number, not %r" % (key, kind))
        self.keys[key] = int(kind)

    def title(self, key):
        return TITLES[key][self.switches["b1_language"]]

    # ----- WSGI -----

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith(CONTROL_PREFIX):
            response = self.control(request)
        else:
            response = self.api(request, environ)
        return response(environ, start_response)

    # ----- API -----

    def api(self, request, environ):
        entry = self.log_entry(request)
        with self.lock:
            fault = self.take_fault(request)
            if fault is not None and not fault.serves_normally:
                entry["fault"] = True
            self.log.append(entry)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)  # outside the lock: other requests go on meanwhile
        with self.lock:
            if fault is not None:
                self.store.discard(fault.remove)  # another client's deletes: not logged, not rate limited
            if fault is not None and fault.drop:
                drop_connection(environ)
                return Response(b"", 500)  # never reaches the client: the socket is gone
            if fault is not None and not fault.serves_normally:
                response = fault.response(self.title("fault"))
            else:
                response = self.serve(request)
            entry["status"] = response.status_code
        return response

    def take_fault(self, request):
        for fault in self.faults:
            if fault.matches(request.method, request.path, request.args):
                if fault.consume():
                    self.faults.remove(fault)
                return fault
        return None

    def log_entry(self, request):
        authorization = request.headers.get("Authorization")
        return {
            "method": request.method, "path": request.path, "query": request.args.to_dict(),
            "form": request.form.to_dict(), "form_keys": list(request.form.keys()), "status": None, "api_key_present": authorization is not None,
            "api_key": bearer_key(authorization), "content_type": request.headers.get("Content-Type"),
            "client_port": request.environ.get("REMOTE_PORT"),
        }

    def serve(self, request):
        """Answer one API request (the lock is held)."""
        if self.switches["api_disabled"] or not request.path.startswith(API_PREFIX) or self.unknown_api_path(request):
            return Response(HTML_404_PAGE, 404, content_type="text/html; charset=utf-8")
        api_key = bearer_key(request.headers.get("Authorization"))
        rate_headers = {}
        try:
            user_id = self.authenticate(api_key)
            if self.switches["b3_rate_limit"] and api_key not in self.admin_keys:
                rate_headers = self.count_request(api_key)
            response = self.route(request, user_id)
        except ApiError as error:
            response = self.error_response(error)
        response.headers.extend(rate_headers)
        return response

    def unknown_api_path(self, request):
        """Rule 16: a path under /api/ that names no API controller gets the site's HTML 404 page, key or not."""
        return self.switches["b16_unknown_path_html"] and request.path[len(API_PREFIX):].split("/")[0] != RESOURCE

    def error_response(self, error):
        status = str(error.status) if error.string_status else error.status
        return json_response({"errors": [{"title": self.title(error.title_key), "status": status}]}, error.status, error.headers)

    def count_request(self, api_key):
        """Rule 3: count the request against its key; answer the rate headers, or raise a 429 carrying the limit and the
        seconds until the window resets (no Remaining there, as measured)."""
        limit = self.switches["rate_limit"]
        allowed, remaining, reset = self.rate_limiter.hit(api_key, limit, self.switches["rate_window"])
        if not allowed:
            raise ApiError(429, "rate_limited", headers={"X-RateLimit-Limit": str(limit), "X-RateLimit-Reset": str(reset)})
        return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining)}

    def authenticate(self, api_key):
        if api_key is None:
            raise ApiError(401, "no_bearer", string_status=True)
        if api_key not in self.keys or self.keys[api_key] in self.switches["disabled_users"]:
            raise ApiError(401, "no_access")
        return self.keys[api_key]

    def route(self, request, user_id):
        parts = request.path[len(API_PREFIX):].strip("/").split("/")
        if parts[0] != RESOURCE or len(parts) > 2:
            raise ApiError(404, "not_found")
        if len(parts) == 1:
            actions = {"GET": self.list_handlers, "POST": self.create_handler}
            handler_id = None
        else:
            actions = {"GET": self.get_handler, "POST": self.update_handler, "DELETE": self.delete_handler}
            if not parts[1].isdigit():
                raise ApiError(404, "not_found")
            handler_id = int(parts[1])
        if request.method not in actions:
            raise ApiError(404, "not_found")
        if handler_id is None:
            return actions[request.method](request, user_id)
        return actions[request.method](request, self.store.owned(handler_id, user_id))

    # ----- API views -----

    def view(self, handler, is_enabled=None):
        """A handler as a list shows it (rules 5 and 9)."""
        settings = dict(handler["settings"])
        if self.switches["b5_int_enabled"]:
            settings.pop("activation_code", None)
        is_enabled = handler["is_enabled"] if is_enabled is None else is_enabled
        return {
            "id": handler["id"], "type": handler["type"], "name": handler["name"], "settings": settings,
            "is_enabled": is_enabled if self.switches["b5_int_enabled"] else bool(is_enabled),
            "last_datetime": handler["last_datetime"], "datetime": handler["datetime"],
        }

    def full_view(self, handler, is_enabled=None):
        """A handler as a GET, create or update answer shows it: with its user_id in the measured versions (rule 12)."""
        data = self.view(handler, is_enabled)
        if self.switches["b12_user_id"]:
            data = dict([("id", data.pop("id")), ("user_id", handler["user_id"])] + list(data.items()))
        return data

    def written_view(self, handler, is_enabled=None):
        """The handler carried by a create or update answer: rule 12 may send settings as a JSON string."""
        data = self.full_view(handler, is_enabled)
        if self.switches["b12_settings_string"]:
            data["settings"] = php_json(data["settings"])
        return data

    # ----- API actions -----

    def list_handlers(self, request, user_id):
        raw_page = request.args.get("page")
        page = int(raw_page) if raw_page and raw_page.isdigit() and int(raw_page) >= 1 else 1
        size_text = request.args.get("results_per_page", "")
        size_applied = size_text.isdigit() and int(size_text) in ALLOWED_RESULTS_PER_PAGE and not self.switches["ignore_results_per_page"]
        size = int(size_text) if size_applied else self.switches["b4_results_per_page_default"]  # rule 4: else the default
        # Rule 14: a server that does not know the filter and order options ignores them.
        query = ListQuery(request.args if self.switches["b14_filters"] else {}, self.clean_query,
                          self.switches["b14_default_order"] == "desc")
        ids = query.select(self.store, user_id)
        total = len(ids)  # rule 15: the filtered rows
        total_pages = math.ceil(total / size)
        offset = (page - 1) * size
        data = [self.view(self.store.by_id[handler_id]) for handler_id in ids[offset:offset + size]]
        if self.switches["b4_total_results"]:  # rule 4: page echoes the query string
            meta = {"page": raw_page if raw_page is not None else 1, "total_pages": total_pages, "results_per_page": size,
                    "total_results": total}
        else:
            meta = {"page": page, "results_per_page": size, "total": total, "total_pages": total_pages}
        links = self.list_links(request.host_url.rstrip("/") + RESOURCE_PATH, query.carried, size if size_applied else None, page,
                                raw_page, total_pages)
        return json_response({"data": data, "meta": meta, "links": links})

    def list_links(self, base, carried, size_sent, page, raw_page, total_pages):
        """The list's links (rules 4 and 15). size_sent: the valid results_per_page sent, else None (the default)."""
        if self.switches["b4_altum_links"]:
            # "?<options>&page=N": the options as the server applied them (page size last), "?&page=N" without any;
            # the self link has the page sent, read as PHP's (int): page=abc is page=0.
            options = urllib.parse.urlencode(carried + ([("results_per_page", size_sent)] if size_sent else []))
            self_page = php_int_cast(raw_page) if raw_page is not None else 1

            def link(number):
                return "%s?%s&page=%d" % (base, options, number)
        else:
            size = size_sent or self.switches["b4_results_per_page_default"]
            options = "&" + urllib.parse.urlencode(carried) if carried else ""
            self_page = page

            def link(number):
                return "%s?page=%d&results_per_page=%d%s" % (base, number, size, options)

        return {
            "first": link(1),
            "last": link(total_pages) if total_pages else None,
            "next": link(page + 1) if page < total_pages else None,
            "prev": link(page - 1) if page > 1 else None,
            "self": link(self_page),
        }

    def get_handler(self, _request, handler):
        return json_response({"data": self.full_view(handler)})

    def fields(self, handler_type):
        """The form fields a type stores under settings; rule 16: the measured versions store internal_notification's own."""
        if handler_type == "internal_notification" and self.switches["b16_internal_notification_setting"]:
            return ("internal_notification",)
        return TYPES[handler_type]

    def create_handler(self, request, user_id):
        form = request.form  # rule 16: form fields only, so a JSON body lacks the required fields
        name = self.clean(form.get("name", ""), MAX_NAME_LENGTH)
        handler_type = form.get("type", "").strip()
        if not name.strip() or not handler_type:
            raise ApiError(401, "empty_fields")
        self.check_type(handler_type)
        limit = self.switches["plan_limit"]
        if limit is not None and self.store.count(user_id) >= limit:
            raise ApiError(401, "plan_limit")
        settings = {field: self.clean(form.get(field, ""), MAX_VALUE_LENGTH) for field in self.fields(handler_type)}
        handler = self.store.add(user_id, handler_type, name, settings, 1)  # rule 7: is_enabled is ignored
        if handler_type == "email" and self.switches["b7_email_confirmation"]:
            start_confirmation(handler)
        if not self.switches["b12_create_full"]:
            return json_response({"data": {"id": handler["id"]}}, 201)
        data = self.written_view(handler)
        if self.switches["b12_string_id"]:
            data["id"] = str(handler["id"])
        return json_response({"data": data}, 201)

    def update_handler(self, request, handler):
        """Rule 13's three modes: faithful (the documented update), mangled (66biolinks 67), ignored (66pusher 18)."""
        form = request.form
        mode = self.switches["b13_update_mode"]
        name = self.clean(form.get("name", ""), MAX_NAME_LENGTH)
        if mode == "ignored":
            return self.ignored_update_answer(handler, name)
        new_type = handler["type"]
        if mode == "faithful":  # the buggy versions never get as far as checking the type: 200 whatever was sent
            new_type = form.get("type", "").strip() or handler["type"]
            if new_type != handler["type"]:
                self.check_type(new_type)
        old_is_enabled = handler["is_enabled"]
        if name.strip():  # a blank name keeps the stored one
            handler["name"] = name
        if "is_enabled" in form:
            read = php_int_cast if self.switches["b6_php_int_cast"] else boolish_enabled
            handler["is_enabled"] = read(form["is_enabled"])
        if mode == "mangled":
            handler["type"], handler["settings"] = None, {"": ""}
        elif new_type is not None:  # None: a handler already broken by rule 13, updated without a type
            self.update_settings(handler, new_type, form, old_is_enabled)
        handler["last_datetime"] = now_string()
        answer = self.switches["b12_update_answer"]
        if answer == "id":
            return json_response({"data": {"id": handler["id"]}})
        return json_response({"data": self.written_view(handler, old_is_enabled if answer == "old_enabled" else None)})

    def ignored_update_answer(self, handler, name):
        """Rule 13, ignored: nothing is stored; the answer is the handler the update's SQL did not find, a body of nulls
        with the name sent and the new last_datetime."""
        data = {"id": None, "type": None, "name": name, "settings": {"": ""}, "is_enabled": None, "last_datetime": now_string(),
                "datetime": None}
        if self.switches["b12_user_id"]:
            data = dict([("id", None), ("user_id", handler["user_id"])] + list(data.items()))
        if self.switches["b12_settings_string"]:
            data["settings"] = php_json(data["settings"])
        return json_response({"data": data})

    def update_settings(self, handler, new_type, form, old_is_enabled):
        """Rule 8: fields not sent keep their stored value; an email handler restarts its confirmation when the email
        is missing or new, or when the stored handler is still waiting for confirmation."""
        pending = handler["type"] == "email" and old_is_enabled == 2
        old_settings = handler["settings"] if handler["type"] is not None else {}
        settings = {}
        for field in self.fields(new_type):
            sent = field in form
            settings[field] = self.clean(form[field], MAX_VALUE_LENGTH) if sent else old_settings.get(field, "")
        if new_type == "email":
            settings.update((key, old_settings[key]) for key in CONFIRMATION_KEYS if key in old_settings)
        handler["type"], handler["settings"] = new_type, settings
        email_unchanged = "email" in form and settings.get("email") == old_settings.get("email")
        if new_type == "email" and self.switches["b7_email_confirmation"] and (pending or not email_unchanged):
            start_confirmation(handler)  # overrides an is_enabled sent in the same update

    def delete_handler(self, _request, handler):
        self.store.delete(handler)
        if self.switches["b2_delete_empty_body"]:
            return Response(b"", 200, content_type="application/json")
        return json_response({"data": {"id": handler["id"]}})

    def clean(self, value, limit):
        return sanitize(value, limit) if self.switches["b10_sanitize"] else value

    def clean_query(self, value):
        """A list option cleaned like any input (rule 10), but not cut: `O'Brien` searches for `O&#39;Brien` (rule 14)."""
        return clean_text(value) if self.switches["b10_sanitize"] else value

    def check_type(self, handler_type):
        if handler_type not in TYPES or handler_type in self.switches["disabled_types"]:
            raise ApiError(401, "bad_type")

    # ----- control surface -----

    def control(self, request):
        name, _slash, argument = request.path[len(CONTROL_PREFIX):].strip("/").partition("/")
        routes = {
            ("POST", "reset"): self.control_reset,
            ("GET", "config"): self.control_config,
            ("POST", "config"): self.control_set_config,
            ("POST", "seed"): self.control_seed,
            ("GET", "handlers"): self.control_handlers,
            ("GET", "log"): self.control_log,
            ("DELETE", "log"): self.control_clear_log,
            ("GET", "take-log"): self.control_take_log,
            ("GET", "faults"): self.control_faults,
            ("POST", "faults"): self.control_add_fault,
            ("DELETE", "faults"): self.control_clear_faults,
            ("POST", "confirm"): self.control_confirm,
        }
        action = routes.get((request.method, name))
        if action is None or bool(argument) != (name == "confirm"):
            return json_response({"error": "no such control call: %s %s" % (request.method, request.path)}, 404)
        body = request.get_json(force=True, silent=True) if request.get_data() else {}
        if not isinstance(body, dict):
            return json_response({"error": "the body must be a JSON object"}, 400)
        try:
            with self.lock:
                return json_response(action(body, argument))
        except (ControlError, ValueError, TypeError, KeyError) as error:
            return json_response({"error": str(error)}, 400)

    def control_reset(self, body, _argument):
        self.reset(body.get("profile") or self.start_profile, body.get("switches"), body.get("keys"))
        return self.control_config(body, _argument)

    def control_config(self, _body, _argument):
        return {"profile": self.profile, "switches": copy.deepcopy(self.switches), "keys": dict(self.keys),
                "admin_keys": sorted(self.admin_keys)}

    def control_set_config(self, body, _argument):
        self.switches.update(parse_switches(body.get("switches") or {}))
        return self.control_config(body, _argument)

    def control_seed(self, body, _argument):
        if body.get("handlers") is not None:
            specs = body["handlers"]
        else:
            count = int(body.get("count", 0))
            enabled = 1 if _parse_bool(body.get("enabled", True)) else 0
            spec = {"api_key": body.get("api_key", "test-key"), "type": body.get("type", "email"), "is_enabled": enabled}
            specs = [dict(spec, name_prefix=body.get("name_prefix", "seed-")) for _number in range(count)]
        return {"ids": [self.seed_one(spec)["id"] for spec in specs]}

    def seed_one(self, spec):
        api_key = spec.get("api_key", "test-key")
        if api_key not in self.keys:
            raise ControlError("unknown api_key %r" % (api_key,))
        handler_type = spec.get("type", "email")
        if handler_type not in TYPES:
            raise ControlError("unknown type %r" % (handler_type,))
        number = self.store.next_id
        settings = spec.get("settings")
        settings = dict(settings) if settings is not None else sample_settings(handler_type, number)
        is_enabled = spec.get("is_enabled", 1)
        is_enabled = int(is_enabled) if not isinstance(is_enabled, str) else php_int_cast(is_enabled)
        name = spec.get("name") or "%s%d" % (spec.get("name_prefix", "seed-"), number)
        dates = {field: seed_datetime(spec, field) for field in ("datetime", "last_datetime") if field in spec}
        handler = self.store.add(self.keys[api_key], handler_type, name, settings, is_enabled)
        handler.update(dates)  # so that a test can order by these (rule 14)
        if handler_type == "email" and is_enabled == 2 and "activation_code" not in settings:
            settings["activation_code"] = new_activation_code()
        return handler

    def control_handlers(self, _body, _argument):
        return {"handlers": copy.deepcopy(self.store.all())}

    def control_log(self, _body, _argument):
        return {"requests": copy.deepcopy(self.log)}

    def control_clear_log(self, _body, _argument):
        self.log = []
        return {"requests": []}

    def control_take_log(self, _body, _argument):
        """Hand out the log and clear it in one call, without the values that may be secrets (for playbooks at -vvv)."""
        taken = [dict((key, entry[key]) for key in SECRET_FREE_LOG_KEYS) for entry in self.log]
        self.log = []
        return {"requests": taken}

    def control_faults(self, _body, _argument):
        return {"faults": [fault.describe() for fault in self.faults]}

    def control_add_fault(self, body, _argument):
        fault = Fault(body)
        self.faults.append(fault)
        return {"fault": fault.describe(), "queued": len(self.faults)}

    def control_clear_faults(self, _body, _argument):
        self.faults = []
        return {"faults": []}

    def control_confirm(self, _body, handler_id):
        handler = self.store.by_id.get(int(handler_id)) if handler_id.isdigit() else None
        if handler is None:
            raise ControlError("no handler %s" % handler_id)
        if handler["is_enabled"] != 2:
            raise ControlError("handler %s is not waiting for confirmation (is_enabled=%r)" % (handler_id, handler["is_enabled"]))
        handler["is_enabled"] = 1
        handler["settings"].pop("activation_code", None)
        if "email_is_confirmed" in handler["settings"]:
            handler["settings"]["email_is_confirmed"] = True
        return {"id": handler["id"], "is_enabled": 1}


def seed_datetime(spec, field):
    """A seeded `datetime` or `last_datetime`: "YYYY-MM-DD HH:MM:SS", or null for last_datetime."""
    value = spec[field]
    if value is None and field == "last_datetime":
        return None
    try:
        datetime.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError) as error:
        raise ControlError("%s must be a \"YYYY-MM-DD HH:MM:SS\" string, not %r" % (field, value)) from error
    return value


def new_activation_code():
    return secrets.token_hex(16)


def start_confirmation(handler):
    """Rules 7/8/17: the email handler waits for its owner to confirm the address (the code is stored, never shown)."""
    handler["is_enabled"] = 2
    handler["settings"]["activation_code"] = new_activation_code()
    handler["settings"]["email_is_confirmed"] = False


def php_json(value):
    """PHP's json_encode: no blanks, `/` escaped, non-ASCII as \\u escapes (rule 12's settings string)."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/")


def bearer_key(authorization):
    """The API key of an `Authorization: Bearer KEY` header; None when the header is missing."""
    if authorization is None:
        return None
    scheme, _space, key = authorization.strip().partition(" ")
    if scheme != "Bearer":  # rule 16: `Basic`, a lower-case `bearer`... count as no header at all
        return None
    return key.strip() or None  # like PHP's `if(!$api_key)`, an empty key counts as missing


def drop_connection(environ):
    """Close the client socket without an answer (werkzeug's dev server exposes it)."""
    environ[DROPPED] = True
    connection = environ.get("werkzeug.socket")
    if connection is None:
        return
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()
