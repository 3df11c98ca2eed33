"""Run the antsibull-nox sessions of antsibull-nox.toml that work on this network (what `make test` runs).

    PYTHON tools/nox_sessions.py             the sessions below, one after another
    PYTHON tools/nox_sessions.py -e lint     nox's own arguments instead
    PYTHON tools/nox_sessions.py --list      what the sessions are (nox -l)

PYTHON is any Python 3.11 or newer (.venv/bin/python): nox and antsibull-nox run from build/nox-venv/, made with it from
the pinned tests/nox/requirements.txt whenever that file changes, and the sessions' own virtualenvs live in build/nox/
(reused from one run to the next; nox installs into them again each time). antsibull-nox.toml says why the sanity
matrix and ee-check are not among them.
"""

import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
VENV = BUILD / "nox-venv"
ENVDIR = BUILD / "nox"
REQUIREMENTS = REPO / "tests" / "nox" / "requirements.txt"
# The sessions that run offline (antsibull-nox.toml says why the others do not). docs-check is not among them: it runs
# antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck --validate-collection-refs all --check-extra-docs-refs,
# which `make docs-lint` runs too, without --skip-rstcheck, so the docs are linted once (`nox -e docs-check` still works).
SESSIONS = ("lint", "license-check", "extra-checks", "build-import-check")


def say(text):
    print("tools/nox_sessions.py: %s" % text, flush=True)


def ensure_venv():
    wanted = "%s %s\n" % (hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest(), sys.executable)
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return VENV
    say("creating %s from %s" % (VENV.relative_to(REPO), REQUIREMENTS.relative_to(REPO)))
    shutil.rmtree(str(VENV), ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-r",
                    str(REQUIREMENTS)], check=True)
    stamp.write_text(wanted, encoding="utf-8")
    return VENV


def nox(venv, arguments):
    command = [str(venv / "bin" / "nox"), "--envdir", str(ENVDIR), "--reuse-venv", "yes"] + list(arguments)
    print("+ " + " ".join(command), flush=True)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    env.pop("PYENV_VERSION", None)
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    return subprocess.run(command, cwd=str(REPO), env=env, check=False).returncode


def main():
    venv = ensure_venv()
    arguments = sys.argv[1:]
    if arguments == ["--list"]:
        return nox(venv, ["-l"])
    if arguments:
        return nox(venv, arguments)
    results = []
    for session in SESSIONS:
        started = time.monotonic()
        print("\n--- nox -e %s" % session, flush=True)
        results.append((session, time.monotonic(), nox(venv, ["-e", session])))
        results[-1] = (session, time.monotonic() - started, results[-1][2])
    print("\nantsibull-nox sessions:")
    for session, seconds, returncode in results:
        print("  %-20s %4d s  %s" % (session, seconds, "passed" if returncode == 0 else "FAILED"))
    return 1 if any(result[2] for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
