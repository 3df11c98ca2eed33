# The commands are `make demo`, `make test` and `make quick`; the other targets serve them.
# Everything installs from this repository's own pinned files, into virtualenvs under build/, so a fresh machine gets
# what CI got. build/ is left out of the collection tarball, of git and of the linters, and `make clean` removes it.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# The development Python: 3.12 or newer, as ansible-core 2.20 and later need. tools/find_python.sh looks on PATH, then
# among pyenv's versions; `make PYTHON=/path/to/python3.12` names one.
DEV_PYTHONS := 3.12 3.13 3.14
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell tools/find_python.sh $(DEV_PYTHONS) 2>/dev/null)
endif
ifneq ($(filter-out clean help,$(or $(MAKECMDGOALS),demo)),)
ifeq ($(PYTHON),)
$(error $(shell tools/find_python.sh $(DEV_PYTHONS) 2>&1 >/dev/null) Or name one: make PYTHON=/path/to/python3.12)
endif
ifneq ($(shell $(PYTHON) -c 'import sys; print(sys.version_info >= (3, 12))' 2>/dev/null),True)
$(error PYTHON=$(PYTHON) is not a working Python 3.12 or newer, which ansible-core 2.21 needs)
endif
endif

VENV ?= build/venv-dev
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_VENV ?= build/venv-demo
DEMO_BIN := $(CURDIR)/$(DEMO_VENV)/bin
DEMO_STAMP := $(DEMO_VENV)/.installed
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := build/dmpilot-cloud-$(VERSION).tar.gz
SOURCE_TREE := build/collections/ansible_collections/dmpilot/cloud
INSTALLED := build/installed
# Each stage of make test: a banner with what it runs, "still running" after 30 s without output, and its time.
STAGE := @$(PYTHON) tools/stage.py
STAGE_TIMES_FILE := $(CURDIR)/build/stage-times.txt
# Where each stage of make test and make quick writes its output (tools/stage.py).
STAGE_LOGS := $(CURDIR)/build/stage-logs
PIP_INSTALL := -m pip install --disable-pip-version-check --quiet

export ANSIBLE_NOCOLOR := 1
export PATH := $(BIN):$(PATH)
export PY_COLORS := 0

.PHONY: help demo test test-stages quick venv demo-venv source-tree tarball install pytest unit units integration smoke nox ee docs \
	docs-check docs-lint docsite docsite-deps lint sanity line-venvs changelog changelog-lint release bench bench-quick live soak clean

demo: demo-venv ## Build and install the collection in build/venv-demo, start the simulator, run the demo playbook
	@rm -rf build/demo
	$(DEMO_BIN)/ansible-galaxy collection build --force --output-path build/demo .
	@# Into the demo virtualenv's own site-packages, where its ansible-doc and ansible-playbook find it.
	ANSIBLE_COLLECTIONS_PATH="$$($(DEMO_BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
		$(DEMO_BIN)/ansible-galaxy collection install --force build/demo/dmpilot-cloud-$(VERSION).tar.gz
	$(DEMO_BIN)/python tools/demo.py

# What the demo needs only (ansible-core, requests, werkzeug), so that a cold `make demo` stays quick.
demo-venv: $(DEMO_STAMP)

$(DEMO_STAMP): requirements-demo.txt
	rm -rf $(DEMO_VENV)
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_BIN)/python $(PIP_INSTALL) -r requirements-demo.txt
	touch $@

test: ## Every check, as CI runs it; each stage says what it runs, and the stage times come at the end
	@mkdir -p $(STAGE_LOGS) && rm -f $(STAGE_TIMES_FILE) $(STAGE_LOGS)/*.log
	@status=0; STAGE_TIMES=$(STAGE_TIMES_FILE) STAGE_LOGS=$(STAGE_LOGS) $(MAKE) -j2 --no-print-directory PYTHON=$(PYTHON) test-stages \
		|| status=$$?; $(PYTHON) tools/stage.py --report $(STAGE_TIMES_FILE); exit $$status

# make -j2 runs two stages at a time, each with its output in build/stage-logs/ (printed when it fails). A stage starts
# once those it needs are done; the longest come first, so that the short ones fill the cores at the end.
TEST_STAGES := venv source-tree line-venvs install integration pytest smoke sanity units nox bench-quick lint docsite ee \
	docs-check docs-lint changelog-lint
test-stages: $(TEST_STAGES)

# Within make test, every stage after install waits for it, so that the two longest stages, integration and pytest,
# take the two job slots first: make starts what is ready in the order above, and while it waits for a slot it holds
# on to the next stage it found ready (a first run started smoke and sanity first, a second one units). Only here:
# make smoke or make units alone need no tarball. line-venvs, mostly downloads, runs beside venv.
ifneq ($(filter test-stages,$(MAKECMDGOALS)),)
$(filter-out venv source-tree line-venvs install,$(TEST_STAGES)): | install
endif

quick: ## The quick path while developing: docs-check, lint and the unit tests
	@mkdir -p $(STAGE_LOGS) && rm -f $(STAGE_TIMES_FILE) $(STAGE_LOGS)/*.log
	@status=0; STAGE_TIMES=$(STAGE_TIMES_FILE) STAGE_LOGS=$(STAGE_LOGS) $(MAKE) -j2 --no-print-directory PYTHON=$(PYTHON) venv source-tree \
		docs-check lint unit \
		|| status=$$?; \
		$(PYTHON) tools/stage.py --report $(STAGE_TIMES_FILE); exit $$status

venv: $(STAMP) ## The development virtualenv, build/venv-dev, from requirements-dev.txt

$(STAMP): requirements-dev.txt
	$(STAGE) venv -m "create $(VENV) with $(PYTHON), install requirements-dev.txt" -- bash -c \
		'rm -rf $(VENV) && $(PYTHON) -m venv $(VENV) && $(BIN)/python $(PIP_INSTALL) -r requirements-dev.txt'
	touch $@

# The source tree seen as an installed collection, for the unit tests and the integration playbooks.
source-tree: $(SOURCE_TREE)

$(SOURCE_TREE):
	mkdir -p $(@D)
	ln -sfn ../../../.. $@

tarball: venv
	rm -f build/dmpilot-cloud-*.tar.gz
	$(BIN)/ansible-galaxy collection build --force --output-path build .

install: venv ## Build the tarball and install it in build/installed, for the tests and make bench
	$(STAGE) install -m "build the collection tarball, install it in $(INSTALLED)" -- bash -c \
		'rm -f build/dmpilot-cloud-*.tar.gz && $(BIN)/ansible-galaxy collection build --force --output-path build . && \
		rm -rf $(INSTALLED) && $(BIN)/ansible-galaxy collection install --force -p $(INSTALLED) $(TARBALL)'

# What ansible-test does not run: the tarball as users install it (make install's: DMPILOT_CLOUD_TARBALL), the examples
# on every server profile, the demo on a server that can disable a handler and one that cannot, and the reliability
# suite, on both cores.
pytest: venv source-tree install ## The tarball test, the examples, the demo and the reliability suite (ansible-test runs the unit and integration tiers)
	$(STAGE) pytest -m "the installed tarball, the tombstones, every documentation example on every server profile, the demo on two, and the reliability suite (faults, safe writes, bad and random inputs, concurrency)" -- \
		env DMPILOT_CLOUD_TARBALL=$(CURDIR)/$(TARBALL) $(BIN)/python -m pytest -n 2 --dist loadgroup tests/integration/test_installed.py tests/integration/test_tombstones.py \
		tests/integration/test_examples.py tests/integration/test_demo.py tests/reliability

# ansible-test as a maintainer runs it, from a staged ansible_collections/dmpilot/cloud tree (tools/run_ansible_test.py).
units: venv ## ansible-test units
	$(STAGE) units -m "ansible-test units: the unit tests, the client against the simulator, the simulator's own tests" -- \
		$(BIN)/python tools/run_ansible_test.py units

# The lanes run with HOME set to an emptied build/home-integration, as on a new machine: nothing an earlier run left in
# ~/.ansible can hide a missing step (tools/run_ansible_test.py --home).
integration: venv ## ansible-test integration, every target, on the development line, two lanes at once, from an empty HOME
	$(STAGE) integration -m "ansible-test integration: every playbook target against the simulator, ansible-core 2.21, two lanes, empty HOME" -- \
		$(BIN)/python tools/run_ansible_test.py integration --lanes --home build/home-integration

# The smoke targets on the oldest supported line and on the release candidate, from the virtualenvs of tools/sanity.py, side by
# side (each is one process at a time, so the two cores serve both); each line's output is prefixed with its version.
SMOKE_LINE = ( set -o pipefail; build/ansible-$(1)/bin/python tools/run_ansible_test.py integration smoke/ 2>&1 | sed -u "s/^/[$(1)] /" )
smoke: line-venvs ## ansible-test integration of the smoke targets on ansible-core 2.19 and 2.22
	$(STAGE) smoke -m "ansible-test integration, the smoke targets (lifecycle, secrets canary, role), ansible-core 2.19 and 2.22 side by side" -- \
		bash -c '$(call SMOKE_LINE,2.19) & oldest=$$!; $(call SMOKE_LINE,2.22) & newest=$$!; status=0; \
		wait $$oldest || { status=1; echo "smoke: ansible-core 2.19 FAILED"; }; \
		wait $$newest || { status=1; echo "smoke: ansible-core 2.22 FAILED"; }; exit $$status'

nox: venv ## The antsibull-nox sessions that run offline (antsibull-nox.toml says why the others do not)
	$(STAGE) nox -m "antsibull-nox: lint, license-check, extra-checks, build-import-check (Galaxy importer); docs-lint runs docs-check's lint" -- \
		$(BIN)/python tools/nox_sessions.py

ee: install ## The execution environment definition, checked with ansible-builder, on the tarball of make install
	$(STAGE) ee -m "meta/execution-environment.yml: schema, files, introspection, ansible-builder create" -- \
		$(BIN)/python tools/check_ee.py $(TARBALL)

unit: venv source-tree ## The unit tests alone
	$(STAGE) unit -m "the unit tests, on both cores" -- $(BIN)/python -m pytest -n 2 --dist loadgroup tests/unit

docs: venv
	$(BIN)/python tools/render_docs.py

docs-check: venv
	$(STAGE) docs-check -m "the generated option docs and argument spec match _handler_types.py" -- \
		$(BIN)/python tools/render_docs.py --check

# The docsite guide and every plugin's docs, as the Ansible docsite would build them, with the checks of antsibull-nox's
# docs-check session (every collection reference, the references of the guide), which make nox leaves out for this.
# antsibull-docs lints a copy of the collection in a temporary directory. With ANSIBLE_COLLECTIONS_PATH naming the source
# tree too, it took the plugins' "edit on GitHub" paths relative to the source tree, so that they ran through the copy's
# random name, and a name that ended in "_" read as an unknown rst target (about one run in 37): the copy alone, always.
docs-lint: venv source-tree
	$(STAGE) docs-lint -m "the docsite guide and plugin docs, as the Ansible docsite builds them, every collection reference" -- \
		env -u ANSIBLE_COLLECTIONS_PATH $(BIN)/antsibull-docs lint-collection-docs --plugin-docs \
		--validate-collection-refs all --check-extra-docs-refs $(SOURCE_TREE)

# The docsite as community collections build theirs (antsibull-docs, Sphinx), offline, then read in a headless Chromium.
# Chromium and its driver are system packages (bindep.txt, profile test), installed only when asked: make docsite-deps,
# or DOCSITE_INSTALL=1, which CI's .ci/run sets for make test. Without them, make docsite stops first and says what to run.
docsite: venv source-tree $(if $(filter 1,$(DOCSITE_INSTALL)),docsite-deps) ## Build the docsite in build/docsite and check every page in a headless Chromium
	$(STAGE) docsite -m "the docsite (antsibull-docs, Sphinx, no warning), checked in headless Chromium: options, links, search, screenshots" -- \
		bash -c '$(BIN)/python tools/check_docsite.py --browser && $(BIN)/python tools/docsite.py && $(BIN)/python tools/check_docsite.py'

docsite-deps: venv ## Install Chromium and its driver for make docsite with apt-get (as root), printing the packages and commands
	$(STAGE) docsite-deps -m "the docsite check's system packages (bindep.txt, profile test), installed with apt-get unless there" -- \
		$(BIN)/python tools/check_docsite.py --install-browser

lint: venv source-tree
	$(STAGE) lint -m "ansible-lint, production profile" -- \
		env ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/collections $(BIN)/ansible-lint

# ansible-test sanity on every supported ansible-core line, each from its own virtualenv: `tools/sanity.py --list`.
SANITY_WHAT := ansible-test sanity, every test, on ansible-core 2.19, 2.20, 2.21 and 2.22 (two at once), and compile and \
	import on Python 3.8
sanity: line-venvs ## ansible-test sanity, every test, on ansible-core 2.19, 2.20, 2.21 and 2.22
	$(STAGE) sanity -m "$(SANITY_WHAT)" -- $(PYTHON) tools/sanity.py

# The virtualenv of each ansible-core line, build/ansible-<line>/, for sanity and smoke.
line-venvs:
	$(STAGE) line-venvs -m "a virtualenv for each ansible-core line, from tests/sanity/requirements-ansible-<line>.txt" -- \
		$(PYTHON) tools/sanity.py --venvs

# Fold new fragments into the (unreleased) current version and regenerate CHANGELOG.md.
changelog: venv
	$(BIN)/antsibull-changelog release --version $(VERSION) --update-existing --refresh-fragments

changelog-lint: venv
	$(STAGE) changelog-lint -m "changelog fragments, and CHANGELOG.md up to date" -- bash -c \
		'$(BIN)/antsibull-changelog lint && $(BIN)/python tools/check_changelog.py'

# A release of galaxy.yml's version (tools/release.py): the tarball in build/release/, Galaxy's importer on it, then the
# git tag and ansible-galaxy publish commands, printed and not run. It refuses where the changelog is stale or has no
# entry for that version.
release: venv changelog-lint ## Build the release tarball, import it with Galaxy's importer, print the tag and publish commands
	$(BIN)/python tools/release.py

# The benchmarks against the installed tarball; the full run writes docs/benchmarks.md.
bench: install source-tree
	$(BIN)/python -m tests.bench.run

# One repetition at small sizes, so that the benchmarks cannot rot; a missed target only warns.
bench-quick: install source-tree
	$(STAGE) bench-quick -m "the benchmarks, one repetition at small sizes" -- $(BIN)/python -m tests.bench.run --quick

# The live test against a real dmpilot account: DMPILOT_API_URL and DMPILOT_API_KEY, or tests/integration/integration_config.yml
# (copy its .template). Never part of make test, whose integration lanes run the same playbook against every simulator
# profile (the `live` target). Without credentials it prints one "not run" line. LIVE_ARGS=--remove-leftovers first deletes,
# by id, the handlers that an earlier run left (named exactly "dmpilot.cloud live STAMP TAG TYPE").
live: venv source-tree ## The live test against a real account (DMPILOT_API_URL, DMPILOT_API_KEY); says "not run" without them
	PYTHONPATH=$(CURDIR)/build/collections $(BIN)/python -m tests.integration.live $(LIVE_ARGS)

# The model-based test of the state logic (tests/reliability/test_model_based.py) with fresh seeds until the time is up;
# make test runs it with a fixed seed. SOAK_SECONDS=600 make soak. SOAK_CENSUS=build/census.json makes it the proof of
# power: a violation does not stop it; each kind is counted, with the examples drawn until it was first met.
soak: venv source-tree ## The model-based test of the state logic, fresh seeds, for SOAK_SECONDS (default 600)
	$(BIN)/python tools/soak.py

clean: ## Remove build/ (the virtualenvs too) and the test outputs
	rm -rf build tests/output .pytest_cache .hypothesis

help: ## This list
	@sed -n 's/^\([a-z-]*\):.*## /  make \1\t/p' Makefile | expand -t 24
