"""Run one stage of `make test`, so that it is never silent for long and its time is known.

    tools/stage.py NAME -m "what it checks" -- COMMAND [ARG...]
    tools/stage.py --report FILE

A stage prints a banner with what it runs, passes the command's output through, prints "still running NAME, N s"
after every 30 s without output (STAGE_QUIET=N changes that), and ends with its status and duration. With
STAGE_TIMES=FILE in the environment it also appends "NAME<TAB>SECONDS<TAB>STATUS" to FILE, which --report prints as a
table at the end of `make test`.
Standard library only: it runs before any virtualenv exists.
"""

import argparse
import os
import shlex
import subprocess
import sys
import threading
import time

QUIET_INTERVAL = int(os.environ.get("STAGE_QUIET", "30"))


class Relay:
    """Copies the command's output to ours, and says so when it has been quiet for QUIET_INTERVAL seconds."""

    def __init__(self, name, started):
        self.name = name
        self.started = started
        self.lock = threading.Lock()
        self.last_output = started
        self.at_line_start = True
        self.done = threading.Event()

    def write(self, data):
        with self.lock:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            self.last_output = time.monotonic()
            self.at_line_start = data.endswith(b"\n")

    def tick(self):
        while not self.done.wait(1):
            with self.lock:
                now = time.monotonic()
                if now - self.last_output >= QUIET_INTERVAL:
                    prefix = "" if self.at_line_start else "\n"
                    sys.stdout.write("%s... still running %s, %d s\n" % (prefix, self.name, now - self.started))
                    sys.stdout.flush()
                    self.last_output = now
                    self.at_line_start = True


def run_stage(name, description, command):
    started = time.monotonic()
    shown = " ".join(shlex.quote(part) for part in command)
    print("\n==> [%s] %s%s" % (name, description + ": " if description else "", shown), flush=True)
    relay = Relay(name, started)
    ticker = threading.Thread(target=relay.tick, daemon=True)
    ticker.start()
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    except OSError as error:
        relay.done.set()
        print("<== [%s] could not start: %s" % (name, error), flush=True)
        return record(name, time.monotonic() - started, 127)
    try:
        while True:
            data = os.read(process.stdout.fileno(), 65536)
            if not data:
                break
            relay.write(data)
        returncode = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait()
        returncode = 130
    relay.done.set()
    ticker.join()
    elapsed = time.monotonic() - started
    if not relay.at_line_start:
        print()
    print("<== [%s] %s in %s" % (name, "passed" if returncode == 0 else "FAILED (exit %d)" % returncode, duration(elapsed)),
          flush=True)
    return record(name, elapsed, returncode)


def record(name, elapsed, returncode):
    times = os.environ.get("STAGE_TIMES")
    if times:
        with open(times, "a", encoding="utf-8") as handle:
            handle.write("%s\t%.1f\t%s\n" % (name, elapsed, "passed" if returncode == 0 else "FAILED"))
    return returncode


def duration(seconds):
    seconds = int(round(seconds))
    return "%d s" % seconds if seconds < 60 else "%d min %02d s" % divmod(seconds, 60)


def report(path):
    rows = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            rows = [line.rstrip("\n").split("\t") for line in handle if line.strip()]
    if not rows:
        return 0
    width = max(len(row[0]) for row in rows)
    print("\n==> Stage times")
    for name, seconds, status in rows:
        print("  %-*s %12s  %s" % (width, name, duration(float(seconds)), status))
    print("  %-*s %12s" % (width, "total", duration(sum(float(row[1]) for row in rows))), flush=True)
    return 0


def main():
    if sys.argv[1:2] == ["--report"] and len(sys.argv) == 3:
        return report(sys.argv[2])
    if "--" not in sys.argv:
        sys.exit(__doc__)
    split = sys.argv.index("--")
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument("name")
    parser.add_argument("-m", dest="description", default="")
    options = parser.parse_args(sys.argv[1:split])
    command = sys.argv[split + 1:]
    if not command:
        sys.exit(__doc__)
    return run_stage(options.name, options.description, command)


if __name__ == "__main__":
    sys.exit(main())
