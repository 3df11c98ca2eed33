#!/usr/bin/env bash
# The live test against a real dmpilot account (tests/integration/live.py). ansible-test copies
# tests/integration/integration_config.yml, which git ignores, two directories up from this target's.
# From the collection's root, with the directory that holds ansible_collections/ (ansible-test's
# ANSIBLE_COLLECTIONS_PATH) on PYTHONPATH; "$@" passes ansible-test's -v on.
set -eu
config="$PWD/../../integration_config.yml"
collections_path=${ANSIBLE_COLLECTIONS_PATH%%:*}
cd "$collections_path/ansible_collections/dmpilot/cloud"
export PYTHONPATH="$collections_path${PYTHONPATH:+:$PYTHONPATH}"
exec python -m tests.integration.live --config "$config" "$@"
