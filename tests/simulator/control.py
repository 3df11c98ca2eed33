"""Drive the simulator from tests: start it as a real subprocess and call its control surface."""

import os
import subprocess
import sys
import tempfile
import time

import requests

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START_TIMEOUT = 20.0


class SimulatorError(Exception):
    """The simulator refused a control call, or did not start."""


class Simulator:
    """A client of the control surface (`/__sim__/`) of a running simulator.

    For a simulator started with --tls, ca_file is the certificate it wrote (--cert-file): the control calls trust it.
    """

    def __init__(self, base_url, ca_file=None):
        self.url = base_url.rstrip("/")
        self.ca_file = ca_file
        self.session = requests.Session()

    @property
    def api_url(self):
        return self.url + "/api"

    def _call(self, method, action, body=None):
        # verify is passed on each call: requests prefers REQUESTS_CA_BUNDLE from the environment to a session's verify.
        response = self.session.request(method, "%s/__sim__/%s" % (self.url, action), json=body, timeout=30, verify=self.ca_file or True)
        if response.status_code != 200:
            raise SimulatorError("%s /__sim__/%s answered %d: %s" % (method, action, response.status_code, response.text))
        return response.json()

    def reset(self, profile="documented", switches=None, keys=None):
        """Back to a profile (documented, pusher-18, biolinks-67, biolinks-67-patched or its other name realistic) with
        no handlers; keys: key -> user id, or {"user_id": N, "admin": True} for an administrator's key."""
        return self._call("POST", "reset", {"profile": profile, "switches": switches or {}, "keys": keys or {}})

    def config(self, **switches):
        """Change switches (state is kept) and answer the whole config; without arguments just read it."""
        if not switches:
            return self._call("GET", "config")
        return self._call("POST", "config", {"switches": switches})

    def seed(self, count=0, handlers=None, api_key="test-key", type="email", name_prefix="seed-", enabled=True):  # pylint: disable=redefined-builtin
        if handlers is not None:
            body = {"handlers": handlers}
        else:
            body = {"count": count, "api_key": api_key, "type": type, "name_prefix": name_prefix, "enabled": enabled}
        return self._call("POST", "seed", body)["ids"]

    def handlers(self):
        return self._call("GET", "handlers")["handlers"]

    def handler(self, handler_id):
        """The stored handler with this id, or None."""
        return next((handler for handler in self.handlers() if handler["id"] == handler_id), None)

    def log(self):
        return self._call("GET", "log")["requests"]

    def clear_log(self):
        self._call("DELETE", "log")

    def fault(self, **spec):
        """Queue a fault (fields in docs/dev/simulator-contract.md), e.g. fault(method="GET", query={"page": "2"}, remove=[3])."""
        return self._call("POST", "faults", spec)["fault"]

    def faults(self):
        return self._call("GET", "faults")["faults"]

    def clear_faults(self):
        self._call("DELETE", "faults")

    def confirm(self, handler_id):
        return self._call("POST", "confirm/%d" % handler_id)

    def close(self):
        self.session.close()


class start_simulator:  # pylint: disable=invalid-name
    """Start `python -m tests.simulator` as a subprocess; a context manager that yields a `Simulator`.

    Also usable without `with`: `running = start_simulator(); sim = running.start(); ...; running.stop()`.
    With tls=True it serves HTTPS with a certificate generated at start; the Simulator's ca_file trusts it.
    """

    def __init__(self, profile="documented", extra_args=None, tls=False):
        self.profile = profile
        self.extra_args = list(extra_args or [])
        self.tls = tls
        self.process = None
        self.simulator = None
        self._workdir = None

    def start(self):
        self._workdir = tempfile.TemporaryDirectory(prefix="dmpilot-sim-")
        ready_file = os.path.join(self._workdir.name, "ready")
        stderr_path = os.path.join(self._workdir.name, "stderr")
        command = [sys.executable, "-m", "tests.simulator", "--port", "0", "--profile", self.profile, "--ready-file", ready_file]
        cert_file = None
        if self.tls:
            cert_file = os.path.join(self._workdir.name, "cert.pem")
            command += ["--tls", "--cert-file", cert_file]
        with open(stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(command + self.extra_args, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
        base_url = self._wait_ready(ready_file, stderr_path)
        self.simulator = Simulator(base_url, ca_file=cert_file)
        return self.simulator

    def _wait_ready(self, ready_file, stderr_path):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if os.path.exists(ready_file):
                with open(ready_file, encoding="utf-8") as ready:
                    return ready.read().strip()
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        with open(stderr_path, encoding="utf-8", errors="replace") as stderr:
            output = stderr.read()
        self.stop()
        raise SimulatorError("the simulator did not start:\n%s" % output)

    def stop(self):
        if self.simulator is not None:
            self.simulator.close()
            self.simulator = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc_info):
        self.stop()
