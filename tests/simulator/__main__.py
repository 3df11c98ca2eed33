"""Command line: python -m tests.simulator --port 0 --profile documented|pusher-18|biolinks-67|biolinks-67-patched|realistic
--ready-file PATH [--tls --cert-file PATH]."""

import argparse
import datetime
import ipaddress
import os
import signal
import socket
import ssl
import sys
import tempfile
import traceback

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wsgi import LimitedStream

from .app import DROPPED, PROFILE_NAMES, SimulatorApp, parse_switch


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
    parser.add_argument("--profile", choices=PROFILE_NAMES, default="documented",
                        help="realistic is another name of biolinks-67-patched")
    parser.add_argument("--switch", type=name_value, action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="start with N email handlers of test-key")
    parser.add_argument("--key", type=name_value, action="append", default=[], metavar="KEY=USER_ID")
    parser.add_argument("--admin-key", type=name_value, action="append", default=[], metavar="KEY=USER_ID",
                        help="an administrator's key: never rate limited, no rate-limit headers (rule 16)")
    parser.add_argument("--ready-file", help="write the base URL into this file once listening")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a self-signed certificate generated at start")
    parser.add_argument("--cert-file", help="with --tls, write the certificate (PEM) into this file, for clients that trust it")
    args = parser.parse_args(argv)
    if args.cert_file and not args.tls:
        parser.error("--cert-file needs --tls")
    try:
        args.switches = {name: parse_switch(name, value) for name, value in args.switch}
        args.keys = {key: int(user_id) for key, user_id in args.key}
        args.keys.update((key, {"user_id": int(user_id), "admin": True}) for key, user_id in args.admin_key)
    except ValueError as error:
        parser.error(str(error))
    return args


def write_then_rename(path, text):
    """Write then rename, so that a reader never sees half of the file."""
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(partial, path)


def self_signed_certificate(host):
    """A new key and a self-signed certificate (PEM) for host, 127.0.0.1 and localhost, valid for a day either side of now.

    Like `openssl req -x509`: its own issuer, CA:TRUE, so a client trusts it only when told to (requests' verify=PATH).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dmpilot-simulator")])
    names = {x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))}
    try:
        names.add(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.add(x509.DNSName(host))
    now = datetime.datetime.now(datetime.timezone.utc)
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(sorted(names, key=str)), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, crl_sign=False, encipher_only=False,
                                     decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"), key_pem.decode("ascii")


def tls_context(certificate_pem, key_pem):
    """A server SSLContext; the PEMs pass through a private temporary directory, as load_cert_chain reads only files."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory(prefix="dmpilot-sim-tls-") as directory:
        certificate_path = os.path.join(directory, "cert.pem")
        key_path = os.path.join(directory, "key.pem")
        for path, text in ((certificate_path, certificate_pem), (key_path, key_pem)):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w", encoding="ascii") as handle:
                handle.write(text)
        context.load_cert_chain(certificate_path, key_path)
    return context


def stop(_signum, _frame):
    raise KeyboardInterrupt  # serve_forever() ends quietly on it


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = SimulatorApp(args.profile, args.switches, args.keys)
    if args.seed:
        app.control_seed({"count": args.seed}, "")
    KeepAliveRequestHandler.verbose = args.verbose
    context = None
    if args.tls:
        certificate_pem, key_pem = self_signed_certificate(args.host)
        context = tls_context(certificate_pem, key_pem)
        if args.cert_file:
            write_then_rename(args.cert_file, certificate_pem)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=KeepAliveRequestHandler, ssl_context=context)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, stop)
    base_url = "%s://%s:%d" % ("https" if args.tls else "http", args.host, server.server_port)
    print("dmpilot-simulator listening on %s" % base_url, flush=True)
    if args.ready_file:
        write_then_rename(args.ready_file, base_url)
    server.serve_forever()


if __name__ == "__main__":
    main()
