"""A simulator of the dmpilot notification-handlers API, for tests (see docs/dev/simulator-contract.md)."""
