#!/usr/bin/env bash
# The smoke set: tests/integration/playbooks/lookup.yml on the realistic profile (tests/integration/target.py).
# From the collection's root, with the directory that holds ansible_collections/ (ansible-test's
# ANSIBLE_COLLECTIONS_PATH) on PYTHONPATH; "$@" passes ansible-test's -v on.
set -eu
collections_path=${ANSIBLE_COLLECTIONS_PATH%%:*}
cd "$collections_path/ansible_collections/dmpilot/cloud"
export PYTHONPATH="$collections_path${PYTHONPATH:+:$PYTHONPATH}"
exec python -m tests.integration.target lookup.yml --profile realistic "$@"
