#!/usr/bin/env bash
# One lifecycle: handler_types.yml for the telegram type alone (a secret token, a plain chat id), on the realistic profile.
# From the collection's root, with the directory that holds ansible_collections/ (ansible-test's
# ANSIBLE_COLLECTIONS_PATH) on PYTHONPATH; "$@" passes ansible-test's -v on.
set -eu
collections_path=${ANSIBLE_COLLECTIONS_PATH%%:*}
cd "$collections_path/ansible_collections/dmpilot/cloud"
export PYTHONPATH="$collections_path${PYTHONPATH:+:$PYTHONPATH}"
exec python -m tests.integration.target handler_types.yml --types telegram --profile realistic "$@"
