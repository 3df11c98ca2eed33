#!/usr/bin/env bash
# The smoke set: the playbook run of tests/integration/test_awx_credential.py, as pytest runs it.
# From the collection's root, with the directory that holds ansible_collections/ (ansible-test's
# ANSIBLE_COLLECTIONS_PATH) on PYTHONPATH; "$@" passes ansible-test's -v on.
set -eu
collections_path=${ANSIBLE_COLLECTIONS_PATH%%:*}
cd "$collections_path/ansible_collections/dmpilot/cloud"
export PYTHONPATH="$collections_path${PYTHONPATH:+:$PYTHONPATH}"
exec python -m pytest -v tests/integration/test_awx_credential.py -k "injected_environment_alone" "$@"
