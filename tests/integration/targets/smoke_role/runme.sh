#!/usr/bin/env bash
# The notification_handlers role: the scenarios of tests/integration/test_role.py on the realistic profile, for the smoke
# set (-k leaves out the documented runs of its two scenarios on both profiles).
# From the collection's root, with the directory that holds ansible_collections/ (ansible-test's
# ANSIBLE_COLLECTIONS_PATH) on PYTHONPATH; "$@" passes ansible-test's -v on.
set -eu
collections_path=${ANSIBLE_COLLECTIONS_PATH%%:*}
cd "$collections_path/ansible_collections/dmpilot/cloud"
export PYTHONPATH="$collections_path${PYTHONPATH:+:$PYTHONPATH}"
exec python -m pytest -v tests/integration/test_role.py -k "not documented" "$@"
