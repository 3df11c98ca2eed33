# The two commands are `make demo` and `make test`; the other targets serve them.
# Everything installs from this repository's own files, into .venv, so a fresh machine gets what CI got.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := build/dmpilot-cloud-$(VERSION).tar.gz
SOURCE_TREE := build/collections/ansible_collections/dmpilot/cloud
INSTALLED := build/installed

export ANSIBLE_NOCOLOR := 1
export PATH := $(BIN):$(PATH)
export PY_COLORS := 0

.PHONY: demo test venv source-tree tarball install pytest docs docs-check docs-lint lint sanity changelog changelog-lint bench bench-quick clean

demo: install ## Build and install the collection, start the simulator, run the demo playbook
	$(BIN)/python tools/demo.py

test: venv source-tree install docs-check docs-lint changelog-lint lint pytest sanity bench-quick ## Every check, as CI runs it

venv: $(STAMP)

$(STAMP): requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "python3 3.11 or newer is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	touch $@

# The source tree seen as an installed collection, for the unit tests and the integration playbooks.
source-tree: $(SOURCE_TREE)

$(SOURCE_TREE):
	mkdir -p $(@D)
	ln -sfn ../../../.. $@

tarball: venv
	rm -f build/dmpilot-cloud-*.tar.gz
	$(BIN)/ansible-galaxy collection build --force --output-path build .

install: tarball
	rm -rf $(INSTALLED)
	$(BIN)/ansible-galaxy collection install --force -p $(INSTALLED) $(TARBALL)

# Unit tests, the simulator's tests and the integration playbooks, on both cores.
pytest: venv source-tree
	$(BIN)/python -m pytest -n 2 --dist loadgroup

docs: venv
	$(BIN)/python tools/render_docs.py

docs-check: venv
	$(BIN)/python tools/render_docs.py --check

# The docsite guide and every plugin's docs, as the Ansible docsite would build them.
docs-lint: venv source-tree
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs $(SOURCE_TREE)

lint: venv source-tree
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/collections $(BIN)/ansible-lint

sanity: venv
	$(BIN)/python tools/sanity.py

# Fold new fragments into the (unreleased) current version and regenerate CHANGELOG.md.
changelog: venv
	$(BIN)/antsibull-changelog release --version $(VERSION) --update-existing --refresh-fragments

changelog-lint: venv
	$(BIN)/antsibull-changelog lint
	$(BIN)/python tools/check_changelog.py

# The benchmarks against the installed tarball; the full run writes docs/benchmarks.md.
bench: install source-tree
	$(BIN)/python -m tests.bench.run

# One repetition at small sizes, so that the benchmarks cannot rot; a missed target only warns.
bench-quick: install source-tree
	$(BIN)/python -m tests.bench.run --quick

clean:
	rm -rf build tests/output .pytest_cache .hypothesis
