"""Build the collection's docsite as community collections build theirs: antsibull-docs sphinx-init, then its build.

    python tools/docsite.py    # writes build/docsite/ (then tools/check_docsite.py reads it in Chromium)
    python tools/docsite.py --collections DIR --site DIR    # another collections path (a staged tree), another output

The collection is found through build/collections (the symlink to this source tree, `make source-tree`), so the site
documents the files of this checkout. The build is offline: the one intersphinx target the generated pages link to,
the Ansible docsite, is read from a small inventory written here instead of fetched. Any warning fails the build,
Sphinx's (-W) and antsibull-docs' own.

The modules read DMPILOT_API_URL and DMPILOT_API_KEY, but a module's docs cannot declare an environment variable (only
other plugins' options can), so antsibull-docs' index of environment variables would say there is none. The guide
defines both (`.. envvar::`, listed in docs/docsite/config.yml), and the index gets a line for each that it lacks.
"""

import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import zlib

import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
COLLECTIONS = BUILD / "collections"
SITE = BUILD / "docsite"
COLLECTION = "dmpilot.cloud"
GUIDES = ("notification_handlers_guide", "awx_guide")
BIN = pathlib.Path(sys.executable).parent

# The labels of the Ansible docsite that antsibull-docs' pages refer to, with their pages and titles there. A page that
# starts to refer to another one fails the build with "undefined label", and it gets a line here.
ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
ANSIBLE_LABELS = {
    "common_return_values": ("reference_appendices/common_return_values.html#common-return-values", "Return Values"),
    "ansible_configuration_settings": ("reference_appendices/config.html#ansible-configuration-settings", "Ansible Configuration Settings"),
}

INDEX = """\
.. _docsite_root_index:

dmpilot.cloud
=============

The Ansible collection that manages the notification handlers of the dmpilot service through its REST API.
Start with the :ref:`guide <ansible_collections.dmpilot.cloud.docsite.notification_handlers_guide>`, and
:ref:`its AWX part <ansible_collections.dmpilot.cloud.docsite.awx_guide>` to run it from AWX or Automation Controller;
the :ref:`collection's page <plugins_in_dmpilot.cloud>` lists its modules, its lookup and its role, and the
:ref:`changelog <changelog_for_dmpilot.cloud>` what changed between releases.

.. toctree::
   :maxdepth: 2
   :caption: Collection:

   collections/index

.. toctree::
   :maxdepth: 1
   :caption: Indexes:
   :glob:

   collections/index_*
   collections/environment_variables
"""


def fail(message):
    sys.exit("docsite: %s" % message)


def check_extra_docs(collection):
    """A guide is published only if extra-docs.yml lists it: say so here rather than build a site without it."""
    extra_docs = collection / "docs" / "docsite" / "extra-docs.yml"
    if not extra_docs.is_file():
        fail("%s is missing; it declares the guides docs/docsite/rst/%s.rst" % (extra_docs, ".rst, ".join(GUIDES)))
    listed = [entry for section in yaml.safe_load(extra_docs.read_text())["sections"] for entry in section.get("toctree", [])]
    for guide in GUIDES:
        if guide not in listed:
            fail("%s does not list %s in a toctree, so the docsite would leave that guide out" % (extra_docs, guide))


def write_inventory(path):
    """An intersphinx inventory (Sphinx's objects.inv format, version 2) of the Ansible docsite labels we refer to."""
    entries = "".join("%s std:label -1 %s %s\n" % (label, page, title) for label, (page, title) in sorted(ANSIBLE_LABELS.items()))
    head = "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n# The remainder of this file is compressed using zlib.\n"
    path.write_bytes(head.encode() + zlib.compress(entries.encode()))


ENVVARS_NONE = "No environment variables have been defined."
ENVVARS_INTRO = """\
The modules of dmpilot.cloud read these environment variables where their connection options are not set; the guide's
:ref:`Connecting <ansible_collections.dmpilot.cloud.docsite.connecting>` describes them:

"""


def list_guide_envvars(index, collection):
    """Add to antsibull-docs' index of environment variables each one that the guide defines and the index lacks."""
    config = yaml.safe_load((collection / "docs" / "docsite" / "config.yml").read_text()) or {}
    text = index.read_text()
    missing = [name for name in config.get("envvar_directives", []) if ".. envvar:: %s\n" % name not in text]
    if not missing:
        return
    listed = ENVVARS_INTRO + "".join("- :envvar:`%s`\n" % name for name in missing)
    index.write_text(text.replace(ENVVARS_NONE, listed) if ENVVARS_NONE in text else text.rstrip("\n") + "\n\n" + listed)


def run(*command, cwd, collections):
    """Runs a command, shows its output, and fails on its exit status or on any warning it printed."""
    # antsibull-docs runs ansible-doc and ansible from the PATH: this virtualenv's.
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1", PATH="%s%s%s" % (BIN, os.pathsep, os.environ["PATH"]))
    completed = subprocess.run(command, cwd=str(cwd), env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, check=False)
    sys.stdout.write(completed.stdout)
    # Sphinx writes "WARNING: ..." and antsibull-docs' log "WARNING:antsibull:...": the level, in capitals.
    warnings = [line for line in completed.stdout.splitlines() if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line)]
    if completed.returncode != 0:
        fail("%s exited with %d" % (command[0], completed.returncode))
    if warnings:
        fail("%s warned, and a warning fails the docsite:\n  %s" % (command[0], "\n  ".join(warnings)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", type=pathlib.Path, default=COLLECTIONS, help="the collections path (default: build/collections)")
    parser.add_argument("--site", type=pathlib.Path, default=SITE, help="where the HTML goes (default: build/docsite)")
    arguments = parser.parse_args()
    collections, site = arguments.collections.resolve(), arguments.site.resolve()
    source = site.parent / (site.name + "-src")
    collection = collections / "ansible_collections" / "dmpilot" / "cloud"
    if not (collection / "galaxy.yml").exists():
        fail("%s does not hold dmpilot.cloud; run `make source-tree` first" % collections)
    check_extra_docs(collection)
    for directory in (source, site):
        shutil.rmtree(str(directory), ignore_errors=True)
    # antsibull-docs writes only into a directory that no one else may write to.
    source.mkdir(mode=0o700, parents=True)
    index = source / "index.rst"
    index.write_text(INDEX)
    run(str(BIN / "antsibull-docs"), "sphinx-init", "--use-current", "--fail-on-error", "--dest-dir", str(source),
        "--index-rst-source", str(index), "--project", COLLECTION, "--copyright", "dmpilot.cloud contributors",
        "--title", COLLECTION, "--html-short-title", COLLECTION, "--extra-conf", "html_title=%s" % COLLECTION, COLLECTION,
        cwd=source, collections=collections)
    write_inventory(source / "ansible_devel.inv")
    with (source / "conf.py").open("a") as conf:
        conf.write("\n# Offline: the Ansible docsite's labels come from a local inventory (tools/docsite.py), nothing is fetched.\n"
                   "intersphinx_mapping = {'ansible_devel': (%r, %r)}\n" % (ANSIBLE_DOCS, str(source / "ansible_devel.inv")))
    # The two steps of the build.sh that sphinx-init wrote, with the HTML going straight to the site's directory.
    (source / "rst").chmod(0o700)
    run(str(BIN / "antsibull-docs"), "--config-file", "antsibull-docs.cfg", "collection", "--cleanup", "everything", "--fail-on-error",
        "--use-current", "--dest-dir", "rst", COLLECTION, cwd=source, collections=collections)
    list_guide_envvars(source / "rst" / "collections" / "environment_variables.rst", collection)
    run(str(BIN / "sphinx-build"), "-b", "html", "-d", str(source / "doctrees"), "-c", ".", "-W", "--keep-going", "-n", "rst", str(site),
        cwd=source, collections=collections)
    print("docsite: %s" % (site / "index.html"))


if __name__ == "__main__":
    main()
