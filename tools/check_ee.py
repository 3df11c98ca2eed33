"""Validate meta/execution-environment.yml with ansible-builder and create an execution environment's build context.

    PYTHON tools/check_ee.py [TARBALL]

PYTHON is a virtualenv's Python with ansible-core (.venv/bin/python): its ansible-galaxy builds the collection.
AWX and Automation Controller run collections in execution environments that ansible-builder makes: it reads each
collection's meta/execution-environment.yml and installs the Python and system requirements that the file names. Offline,
this script:

1. makes build/ansible-builder/ from tests/ee/requirements.txt (ansible-builder, pinned) when that file changed;
2. checks meta/execution-environment.yml against ansible-builder's own schema, that it names only the python and system
   files (all that ansible-builder reads from a collection), and that those are relative paths of the collection;
3. builds the collection as users get it (ansible-galaxy collection build), or takes the TARBALL that `make install`
   built, installs the tarball into build/ee/collections, and checks that the metadata and the files it names are in it;
4. runs `ansible-builder introspect` on that collection, as an image build does, and checks that it finds every line
   of those files, that pip's parser reads each Python requirement and bindep's parser the system ones;
5. runs `ansible-builder create` for an execution environment (build/ee/execution-environment.yml, version 3) that
   installs the tarball and the ansible-core that meta/runtime.yml requires: the Containerfile and build context, in
   build/ee/context, that `ansible-builder build` would give a container engine. Nothing is pulled or built here: that
   needs a container engine.

Any failure says what is wrong and exits 1.
"""

import hashlib
import json
import pathlib
import shutil
import subprocess
import sys
import textwrap

REPO = pathlib.Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
VENV = BUILD / "ansible-builder"
REQUIREMENTS = REPO / "tests" / "ee" / "requirements.txt"
WORK = BUILD / "ee"
META = pathlib.Path("meta") / "execution-environment.yml"
# The base image that the definition names, and its Python: CentOS Stream 10's python3 is 3.12, which ansible-core
# 2.20 and later need on the controller (stream9's 3.9, ansible-builder's default, is too old). create pulls nothing.
BASE_IMAGE = "quay.io/centos/centos:stream10"
PYTHON_PACKAGE, PYTHON_PATH = "python3", "/usr/bin/python3"

# Runs in build/ansible-builder's Python: ansible-builder's schema for the metadata, pip's and bindep's parsers.
VALIDATE = r"""
import json, sys
import yaml
from ansible_builder.ee_schema import validate_schema
from ansible_builder.exceptions import DefinitionError
from bindep.depends import Depends
from packaging.requirements import InvalidRequirement, Requirement

meta_path, python_path, system_path = sys.argv[1:4]
problems = []
with open(meta_path, encoding="utf-8") as handle:
    meta = yaml.safe_load(handle)
try:
    validate_schema(meta)
except DefinitionError as error:
    problems.append("%s does not follow ansible-builder's schema: %s" % (meta_path, error))
if python_path != "-":
    with open(python_path, encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#")[0].strip()
            if line:
                try:
                    Requirement(line)
                except InvalidRequirement as error:
                    problems.append("%s: pip cannot read %r: %s" % (python_path, line, error))
if system_path != "-":
    with open(system_path, encoding="utf-8") as handle:
        try:
            Depends(handle.read())
        except Exception as error:  # bindep's parser raises its own errors
            problems.append("%s: bindep cannot read it: %s" % (system_path, error))
print(json.dumps(problems))
"""


def say(text):
    print("tools/check_ee.py: %s" % text, flush=True)


def fail(problems):
    for problem in problems:
        print("tools/check_ee.py: ERROR: %s" % problem, file=sys.stderr, flush=True)
    sys.exit(1)


def run(command, **kwargs):
    completed = subprocess.run([str(part) for part in command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, check=False, **kwargs)
    if completed.returncode != 0:
        fail(["%s exited with %d:\n%s" % (" ".join(str(part) for part in command), completed.returncode, completed.stdout)])
    return completed.stdout


def ensure_venv():
    """build/ansible-builder/, made again whenever tests/ee/requirements.txt or this Python changes."""
    wanted = "%s %s\n" % (hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest(), sys.executable)
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return VENV
    say("creating %s from %s" % (VENV.relative_to(REPO), REQUIREMENTS.relative_to(REPO)))
    shutil.rmtree(str(VENV), ignore_errors=True)
    run([sys.executable, "-m", "venv", VENV])
    run([VENV / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-r", REQUIREMENTS])
    stamp.write_text(wanted, encoding="utf-8")
    return VENV


def ansible_galaxy():
    beside = pathlib.Path(sys.executable).parent / "ansible-galaxy"
    found = str(beside) if beside.exists() else shutil.which("ansible-galaxy")
    if not found:
        fail(["no ansible-galaxy beside %s or on PATH: run this script with a Python that has ansible-core" % sys.executable])
    return found


def read_yaml(venv, path):
    """YAML read by the builder venv's PyYAML (this Python may have none)."""
    text = run([venv / "bin" / "python", "-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", path])
    return json.loads(text)


def dependency_files(meta, root):
    """{"python": path or None, "system": path or None} named by the metadata; problems when a path is not a relative
    path of the collection or names no file."""
    problems = []
    files = {}
    dependencies = meta.get("dependencies") if isinstance(meta, dict) else None
    if not isinstance(dependencies, dict):
        return files, ["%s has no dependencies mapping" % META]
    # ansible-builder's schema allows more keys, but from a collection's metadata it reads these two alone.
    ignored = sorted(set(dependencies) - {"python", "system"})
    if ignored:
        problems.append("%s: ansible-builder reads only dependencies.python and dependencies.system of a collection, not %s"
                        % (META, ", ".join(ignored)))
    for kind in ("python", "system"):
        name = dependencies.get(kind)
        if name is None:
            files[kind] = None
            continue
        if not isinstance(name, str):
            problems.append("%s: dependencies.%s must be the name of a file, not %r" % (META, kind, name))
            continue
        path = (root / name).resolve()
        if pathlib.PurePath(name).is_absolute() or root.resolve() not in path.parents:
            problems.append("%s: dependencies.%s must be a path relative to the collection's root, not %s" % (META, kind, name))
        elif not path.is_file():
            problems.append("%s: dependencies.%s names %s, which is not in %s" % (META, kind, name, root))
        else:
            files[kind] = path
    return files, problems


def validate(venv, meta_path, files):
    output = run([venv / "bin" / "python", "-c", VALIDATE, meta_path, files.get("python") or "-", files.get("system") or "-"])
    return json.loads(output.strip().splitlines()[-1])


def requirement_lines(path):
    if path is None:
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def build_and_install(built=None):
    """The collection as users get it: built into a tarball (unless `built` is one already), installed into
    build/ee/collections."""
    shutil.rmtree(str(WORK), ignore_errors=True)
    (WORK / "dist").mkdir(parents=True)
    galaxy = ansible_galaxy()
    if built is None:
        run([galaxy, "collection", "build", "--output-path", WORK / "dist", REPO], cwd=str(REPO))
    elif pathlib.Path(built).is_file():
        shutil.copy2(str(built), str(WORK / "dist"))  # where the definition of create() takes it from
    tarballs = sorted((WORK / "dist").glob("dmpilot-cloud-*.tar.gz"))
    if len(tarballs) != 1:
        fail(["no single collection tarball: %s (given: %s)" % (tarballs, built)])
    run([galaxy, "collection", "install", "--offline", "--force", "-p", WORK / "collections", tarballs[0]], cwd=str(REPO))
    return tarballs[0], WORK / "collections" / "ansible_collections" / "dmpilot" / "cloud"


def introspect(venv, installed, files):
    """ansible-builder introspect, as an image build runs it: every requirement of the collection must come out."""
    output = run([venv / "bin" / "ansible-builder", "introspect", "--sanitize", installed.parents[2]])
    found = read_yaml(venv, write(WORK / "introspect.yml", output.split("---", 1)[-1]))
    problems = []
    for kind in ("python", "system"):
        wanted = requirement_lines(files.get(kind))
        got = (found.get(kind) or {})
        # --sanitize answers {kind: [line  # from collection dmpilot.cloud, ...]}; without, {kind: {collection: [lines]}}.
        lines = got.get("dmpilot.cloud", []) if isinstance(got, dict) else [entry.split("#")[0].strip() for entry in got]
        missing = [line for line in wanted if line not in lines]
        if missing:
            problems.append("ansible-builder introspect did not find these %s requirements of dmpilot.cloud: %s (it found %s)"
                            % (kind, missing, lines))
    return problems, found


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def requires_ansible():
    for line in (REPO / "meta" / "runtime.yml").read_text(encoding="utf-8").splitlines():
        if line.startswith("requires_ansible:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    fail(["meta/runtime.yml has no requires_ansible"])
    return None


def create(venv, tarball):
    """ansible-builder create for an execution environment that installs the tarball: build/ee/context."""
    definition = write(WORK / "execution-environment.yml", textwrap.dedent("""\
        ---
        # Written by tools/check_ee.py: an execution environment with dmpilot.cloud, as AWX would run it.
        version: 3
        images:
          base_image:
            name: {base_image}
        dependencies:
          python_interpreter:
            package_system: {python_package}
            python_path: {python_path}
          ansible_core:
            package_pip: ansible-core{requires}
          ansible_runner:
            package_pip: ansible-runner
          galaxy:
            collections:
              - name: /build/{tarball}
                type: file
        additional_build_files:
          - src: dist/{tarball}
            dest: .
        """).format(base_image=BASE_IMAGE, python_package=PYTHON_PACKAGE, python_path=PYTHON_PATH,
                    requires=requires_ansible(), tarball=tarball.name))
    context = WORK / "context"
    # _build/ of the context goes to /build in the image, where the galaxy stage installs requirements.yml.
    run([venv / "bin" / "ansible-builder", "create", "--file", definition, "--context", context, "--output-filename", "Containerfile"],
        cwd=str(WORK))
    containerfile = context / "Containerfile"
    problems = []
    if not containerfile.is_file():
        problems.append("ansible-builder create wrote no %s" % containerfile)
    elif "introspect" not in containerfile.read_text(encoding="utf-8"):
        problems.append("%s does not introspect the collections: ansible-builder changed, check this script" % containerfile)
    if not (context / "_build" / tarball.name).is_file():
        problems.append("the build context has no %s" % (context / "_build" / tarball.name))
    return problems, context


def main():
    venv = ensure_venv()
    say("checking %s with %s" % (META, run([venv / "bin" / "ansible-builder", "--version"]).strip()))

    files, problems = dependency_files(read_yaml(venv, REPO / META), REPO)
    problems += validate(venv, REPO / META, files) if not problems else []
    if problems:
        fail(problems)

    tarball, installed = build_and_install(sys.argv[1] if len(sys.argv) > 1 else None)
    installed_files, problems = dependency_files(read_yaml(venv, installed / META), installed) if (installed / META).is_file() \
        else ({}, ["%s is not in the built collection (galaxy.yml's build_ignore?)" % META])
    for kind, path in files.items():
        if path is not None and installed_files.get(kind) is None:
            problems.append("%s (dependencies.%s) is not in the built collection" % (path.relative_to(REPO), kind))
    if problems:
        fail(problems)

    problems, found = introspect(venv, installed, installed_files)
    if problems:
        fail(problems)
    say("ansible-builder introspect finds, from the built collection: %s" % json.dumps(found, sort_keys=True))

    problems, context = create(venv, tarball)
    if problems:
        fail(problems)
    say("build context for an execution environment with %s: %s" % (tarball.name, context.relative_to(REPO)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
