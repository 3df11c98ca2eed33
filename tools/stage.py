"""Run one stage of `make test`, so that it is never silent for long and its time is known.

    tools/stage.py NAME -m "what it checks" -- COMMAND [ARG...]
    tools/stage.py --report FILE

A stage prints a banner with what it runs, passes the command's output through, prints "still running NAME, N s"
after every 30 s without output (STAGE_QUIET=N changes that), and ends with its status and duration. With
STAGE_TIMES=FILE in the environment it also appends "NAME<TAB>SECONDS<TAB>STATUS<TAB>STARTED<TAB>CPU SECONDS" to FILE,
which --report prints as a table at the end of `make test`, with the wall time from the first start to the last end.
The CPU seconds are those of the command and every process it waited for: what a stage costs the cores.

With STAGE_LOGS=DIR the command's output goes to DIR/NAME.log instead, so that stages running side by side (make -j2)
keep their outputs apart: the terminal gets the banner, "still running" every 30 s and the result, and the whole log
when the stage fails.
Standard library only: it runs before any virtualenv exists.
"""

import argparse
import fcntl
import os
import resource
import shlex
import subprocess
import sys
import threading
import time

QUIET_INTERVAL = int(os.environ.get("STAGE_QUIET", "30"))


def say(text):
    """One write of whole lines to the terminal, so that the lines of stages running side by side never mix."""
    with Console():
        sys.stdout.write(text)
        sys.stdout.flush()


class Console:
    """The terminal, held by one stage at a time: a lock on STAGE_LOGS/.console, between the stages' processes."""

    def __enter__(self):
        logs = os.environ.get("STAGE_LOGS")
        self.handle = open(os.path.join(logs, ".console"), "a", encoding="utf-8") if logs else None  # pylint: disable=consider-using-with
        if self.handle:
            fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *_exc_info):
        if self.handle:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()


class Relay:
    """Copies the command's output to ours (or to the stage's log), and says so when the terminal has heard nothing from
    the stage for QUIET_INTERVAL seconds."""

    def __init__(self, name, started, log):
        self.name = name
        self.started = started
        self.log = log
        self.lock = threading.Lock()
        self.last_output = started
        self.at_line_start = True
        self.done = threading.Event()

    def write(self, data):
        with self.lock:
            if self.log:
                self.log.write(data)
                self.log.flush()
                return
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
                    say("%s... still running %s, %d s\n" % (prefix, self.name, now - self.started))
                    self.last_output = now
                    self.at_line_start = True


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_stage(name, description, command):
    started = time.monotonic()
    cpu_before = cpu_seconds()
    started_at = time.time()
    shown = " ".join(shlex.quote(part) for part in command)
    logs = os.environ.get("STAGE_LOGS")
    log_path = os.path.join(logs, name + ".log") if logs else None
    say("\n==> [%s] %s%s%s\n" % (name, description + ": " if description else "", shown, " (output in %s)" % log_path if log_path else ""))
    log = open(log_path, "wb") if log_path else None  # pylint: disable=consider-using-with
    relay = Relay(name, started, log)
    ticker = threading.Thread(target=relay.tick, daemon=True)
    ticker.start()
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    except OSError as error:
        relay.done.set()
        say("<== [%s] could not start: %s\n" % (name, error))
        return record(name, time.monotonic() - started, 127, started_at, 0.0)
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
    ending = "" if relay.at_line_start else "\n"
    if log:
        log.close()
        if returncode != 0:
            with open(log_path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
            ending = "---- %s, the output of the failed stage %s ----\n%s%s---- end of %s ----\n" % (
                log_path, name, text, "" if text.endswith("\n") or not text else "\n", log_path)
    say("%s<== [%s] %s in %s\n" % (ending, name, "passed" if returncode == 0 else "FAILED (exit %d)" % returncode, duration(elapsed)))
    return record(name, elapsed, returncode, started_at, cpu_seconds() - cpu_before)


def record(name, elapsed, returncode, started_at, cpu):
    times = os.environ.get("STAGE_TIMES")
    if times:
        with open(times, "a", encoding="utf-8") as handle:
            handle.write("%s\t%.1f\t%s\t%.1f\t%.1f\n" % (name, elapsed, "passed" if returncode == 0 else "FAILED", started_at, cpu))
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
    width = max([len(row[0]) for row in rows] + [len("wall time")])
    print("\n==> Stage times (wall, and CPU: what the stage cost the cores)")
    for name, seconds, status, _started, cpu in rows:
        print("  %-*s %12s %12s CPU  %s" % (width, name, duration(float(seconds)), duration(float(cpu)), status))
    print("  %-*s %12s %12s CPU" % (width, "total", duration(sum(float(row[1]) for row in rows)), duration(sum(float(row[4]) for row in rows))))
    # Stages run side by side: the time they took from the first start to the last end is less than their sum.
    wall = max(float(row[3]) + float(row[1]) for row in rows) - min(float(row[3]) for row in rows)
    print("  %-*s %12s" % (width, "wall time", duration(wall)), flush=True)
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
