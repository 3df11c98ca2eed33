"""The simulator's application called in-process: a requests transport adapter, no socket and no subprocess.

The client under test keeps its own requests.Session and sends real requests (method, URL, query, form body, headers);
this adapter hands each one to the SimulatorApp as a WSGI call and turns the WSGI answer into a requests.Response. So the
in-process tests of the logic above the client run against the very model the integration tests use, and through the
client itself.

A test may put an interceptor between the client and the application (`InProcessSimulator(app, intercept=...)`): it is
called with the prepared request and a function that serves it, and returns the response, or raises what requests
raises (a ReadTimeout for an answer that never came, whether or not the application served the request).
"""

import copy
import io

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tests.simulator.app import SimulatorApp, parse_switches

BASE_URL = "http://simulator.invalid"
API_URL = BASE_URL + "/api"


def served(app, prepared):
    """The application's answer to a prepared request, as a requests.Response."""
    builder = EnvironBuilder(method=prepared.method, base_url=BASE_URL, path=prepared.path_url.split("?")[0],
                             query_string=prepared.path_url.partition("?")[2], headers=dict(prepared.headers),
                             data=prepared.body if prepared.body is not None else b"")
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    app_iter, status, headers = run_wsgi_app(app, environ)
    try:
        body = b"".join(app_iter)
    finally:
        if hasattr(app_iter, "close"):
            app_iter.close()
    response = requests.Response()
    response.status_code = int(status.split(" ", 1)[0])
    response.reason = status.partition(" ")[2]
    response.headers = CaseInsensitiveDict(headers.to_wsgi_list())
    response.raw = io.BytesIO(body)
    response._content = body  # pylint: disable=protected-access
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    response.url = prepared.url
    response.request = prepared
    return response


class InProcessSimulator(BaseAdapter):
    """A transport adapter that serves every request with a SimulatorApp in this process."""

    def __init__(self, app, intercept=None):
        super().__init__()
        self.app = app
        self.intercept = intercept

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # pylint: disable=unused-argument,too-many-arguments
        def serve():
            return served(self.app, request)
        if self.intercept is None:
            return serve()
        return self.intercept(request, serve)

    def close(self):
        pass


def attach(session, app, intercept=None):
    """Route the session's requests to API_URL to the application; answers the adapter."""
    adapter = InProcessSimulator(app, intercept)
    session.mount(BASE_URL + "/", adapter)
    return adapter


class Account:
    """One account (the key "test-key") on an in-process simulator, with a clock of the test's own.

    The clock stands still until the test, or a client's sleep, moves it: the rate limiter's windows follow it, so a
    test waits out a 429 window without waiting.
    """

    API_KEY = "test-key"

    def __init__(self, profile="documented", switches=None, start=1000000.0):
        self.now = start
        self.app = SimulatorApp(profile, switches, clock=self.clock)

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += max(0.0, seconds)

    def connect(self, session, intercept=None):
        """Serve a client's requests.Session from this account's application; answers the adapter."""
        return attach(session, self.app, intercept)

    def switch(self, **switches):
        """Change the server's ways from now on (an upgrade, a site setting), as the control surface does."""
        self.app.switches.update(parse_switches(switches))

    def seed(self, name, handler_type, settings=None, is_enabled=1):
        """A handler stored as it is, without the cleaning: odd values too (the server validates nothing, rule 10)."""
        spec = {"api_key": self.API_KEY, "name": name, "type": handler_type, "is_enabled": is_enabled}
        if settings is not None:
            spec["settings"] = dict(settings)
        with self.app.lock:
            return self.app.seed_one(spec)["id"]

    def stored(self):
        """id -> the handler as the server keeps it (a copy): name, type, is_enabled, settings."""
        with self.app.lock:
            return dict((handler["id"], dict((key, copy.deepcopy(handler[key])) for key in ("id", "name", "type", "is_enabled", "settings")))
                        for handler in self.app.store.all())

    def confirm_all(self):
        """The owners of the pending email addresses click their confirmation links."""
        for handler_id, handler in self.stored().items():
            if handler["is_enabled"] == 2:
                with self.app.lock:
                    self.app.control_confirm({}, str(handler_id))
