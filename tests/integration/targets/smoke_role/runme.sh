#!/usr/bin/env bash
# The notification_handlers role for the smoke set: the scenarios of tests/integration/test_role.py whose outcome rests on
# ansible-core (the role's argument spec converting its inputs, module_defaults of the action group, the environment,
# extra variables from the command line, no_log of the role's variables), on the realistic profile. -k leaves out the
# documented runs and the scenarios of the role's own logic (purge's preview and refusals), which the development
# line runs in its lane (role_notification_handlers).
# From the collection's root, with the directory that holds ansible_collections/ (ansible-test's
# ANSIBLE_COLLECTIONS_PATH) on PYTHONPATH; "$@" passes ansible-test's -v on.
set -eu
collections_path=${ANSIBLE_COLLECTIONS_PATH%%:*}
cd "$collections_path/ansible_collections/dmpilot/cloud"
export PYTHONPATH="$collections_path${PYTHONPATH:+:$PYTHONPATH}"
exec python -m pytest -v tests/integration/test_role.py -k "not documented and not previews and not no_present_item and not empty_list" "$@"
