"""The simulator's application called in-process: a requests transport adapter, no socket and no subprocess.

The client under test keeps its own requests.Session and sends real requests (method, URL, query, form body, headers);
this adapter hands each one to the SimulatorApp as a WSGI call and turns the WSGI answer into a requests.Response. So the
in-process tests of the logic above the client run against the very model the integration tests use, and through the
client itself.

A test may put an interceptor between the client and the application (`InProcessSimulator(app, intercept=...)`): it is
called with the prepared request and a function that serves it, and returns the response, or raises what requests
raises (a ReadTimeout for an answer that never came, whether or not the application served the request).
"""

import io

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from werkzeug.test import EnvironBuilder, run_wsgi_app

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
