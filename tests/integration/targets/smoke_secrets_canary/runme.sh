#!/usr/bin/env bash
# tests/integration/playbooks/handler_list_export.yml on the realistic profile (tests/integration/target.py), for the smoke set.
# From the collection's root, with the directory that holds ansible_collections/ (ansible-test's
# ANSIBLE_COLLECTIONS_PATH) on PYTHONPATH; "$@" passes ansible-test's -v on.
set -eu
collections_path=${ANSIBLE_COLLECTIONS_PATH%%:*}
cd "$collections_path/ansible_collections/dmpilot/cloud"
export PYTHONPATH="$collections_path${PYTHONPATH:+:$PYTHONPATH}"
exec python -m tests.integration.target handler_list_export.yml --profile realistic "$@"
