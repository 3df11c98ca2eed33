#!/usr/bin/env bash
# tests/integration/playbooks/live.yml against the simulator in every profile that models a server version, and live.py
# (make live) against a stand-in account: tests/integration/test_live.py.
# From the collection's root, with the directory that holds ansible_collections/ (ansible-test's
# ANSIBLE_COLLECTIONS_PATH) on PYTHONPATH; "$@" passes ansible-test's -v on.
set -eu
collections_path=${ANSIBLE_COLLECTIONS_PATH%%:*}
cd "$collections_path/ansible_collections/dmpilot/cloud"
export PYTHONPATH="$collections_path${PYTHONPATH:+:$PYTHONPATH}"
exec python -m pytest -v tests/integration/test_live.py "$@"
