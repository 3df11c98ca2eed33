#!/usr/bin/env bash
# The AWX credential type: tests/integration/test_awx_credential.py, as pytest runs it (a line each).
# From the collection's root, with the directory that holds ansible_collections/ (ansible-test's
# ANSIBLE_COLLECTIONS_PATH) on PYTHONPATH; "$@" passes ansible-test's -v on.
set -eu
collections_path=${ANSIBLE_COLLECTIONS_PATH%%:*}
cd "$collections_path/ansible_collections/dmpilot/cloud"
export PYTHONPATH="$collections_path${PYTHONPATH:+:$PYTHONPATH}"
exec python -m pytest -v tests/integration/test_awx_credential.py "$@"
