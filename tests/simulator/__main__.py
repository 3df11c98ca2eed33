"""Command line: python -m tests.simulator --port 0 --profile documented --ready-file PATH."""

import argparse
import os
import signal
import socket
import sys
import traceback

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wsgi import LimitedStream

from .app import DROPPED, SimulatorApp, parse_switch


class KeepAliveRequestHandler(WSGIRequestHandler):
    """Serves several requests per connection, like the real site does.

    werkzeug's own handler always answers `Connection: close`; the collection's client is meant to reuse one
    connection for all pages, and the tests check that, so this handler runs the app itself and keeps the
    connection open (HTTP/1.1, Content-Length on every answer). Quiet unless --verbose.
    """

    protocol_version = "HTTP/1.1"
    verbose = False

    def setup(self):
        super().setup()
        # Headers and body go out in two writes; without this, delayed ACKs stall every small answer by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def run_wsgi(self):
        environ = self.make_environ()
        body_stream = self.limit_request_body(environ)
        if environ.get("HTTP_EXPECT", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        status, headers, body = self.call_app(environ)
        if environ.get(DROPPED):  # the app closed the socket on purpose: no answer at all
            self.close_connection = True
            return
        if body_stream is None:
            self.close_connection = True  # a chunked body may not have been read to its end
        else:
            body_stream.exhaust()  # leave the connection at the start of the next request
        self.send_answer(status, headers, body)

    def limit_request_body(self, environ):
        """Answer a stream limited to Content-Length, or None for a chunked body."""
        if environ.get("wsgi.input_terminated"):
            return None
        stream = LimitedStream(self.rfile, int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = stream
        environ["wsgi.input_terminated"] = True
        return stream

    def call_app(self, environ):
        started = {}
        chunks = []

        def start_response(status, headers, exc_info=None):  # pylint: disable=unused-argument
            started["status"], started["headers"] = status, headers
            return chunks.append

        try:
            result = self.server.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except Exception:  # pylint: disable=broad-exception-caught
            traceback.print_exc()
            return "500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")], b"simulator error, see its stderr"
        return started["status"], started["headers"], b"".join(chunks)

    def send_answer(self, status, headers, body):
        code, _space, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        # parse_request() has already decided from the request (HTTP/1.0, `Connection: close`).
        self.send_header("Connection", "close" if self.close_connection else "keep-alive")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_request(self, code="-", size="-"):
        if self.verbose:
            super().log_request(code, size)


def name_value(text):
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError("expected NAME=VALUE, got %r" % (text,))
    return name, value


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m tests.simulator", description="dmpilot notification-handlers API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--profile", choices=("documented", "realistic"), default="documented")
    parser.add_argument("--switch", type=name_value, action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="start with N email handlers of test-key")
    parser.add_argument("--key", type=name_value, action="append", default=[], metavar="KEY=USER_ID")
    parser.add_argument("--ready-file", help="write the base URL into this file once listening")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    try:
        args.switches = {name: parse_switch(name, value) for name, value in args.switch}
        args.keys = {key: int(user_id) for key, user_id in args.key}
    except ValueError as error:
        parser.error(str(error))
    return args


def write_ready_file(path, base_url):
    """Write then rename, so that a reader never sees half a URL."""
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as ready:
        ready.write(base_url)
    os.replace(partial, path)


def stop(_signum, _frame):
    raise KeyboardInterrupt  # serve_forever() ends quietly on it


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = SimulatorApp(args.profile, args.switches, args.keys)
    if args.seed:
        app.control_seed({"count": args.seed}, "")
    KeepAliveRequestHandler.verbose = args.verbose
    server = make_server(args.host, args.port, app, threaded=True, request_handler=KeepAliveRequestHandler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, stop)
    base_url = "http://%s:%d" % (args.host, server.server_port)
    print("dmpilot-simulator listening on %s" % base_url, flush=True)
    if args.ready_file:
        write_ready_file(args.ready_file, base_url)
    server.serve_forever()


if __name__ == "__main__":
    main()
