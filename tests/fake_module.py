"""An AnsibleModule stand-in for the in-process tests of the state logic (tests/unit, tests/reliability): the module's
params and check mode as ansible-core would give them, and what it would print kept for the test to read."""

from ansible_collections.dmpilot.cloud.plugins.module_utils._handler_types import FIELDS


# The handler module's options that a task may leave out, as ansible-core fills them in.
HANDLER_OPTIONS = dict(id=None, name=None, type=None, enabled=None, state="present", update_strategy="auto")


def handler_options(**params):
    """The params of dmpilot_notification_handler: every option present, the given ones (api_key among them) set."""
    options = dict(HANDLER_OPTIONS)
    options.update(params)
    return options


class ModuleExit(Exception):
    """exit_json or fail_json was called: the module's run is over, as it is after sys.exit."""


class FakeModule:
    def __init__(self, client, params, salt, check_mode=False, diff=True):
        self.client = client
        self.params = params
        self.salt = salt
        self.check_mode = check_mode
        self._diff = diff
        self.warned = []
        self.exited = None
        self.failed = None

    def settings_params(self):
        return dict((name, self.params.get(name)) for name in FIELDS)

    def warn(self, warning):
        self.warned.append(warning)

    def exit_json(self, **result):
        self.exited = result
        raise ModuleExit()

    def fail_json(self, **result):
        self.failed = result
        raise ModuleExit()
