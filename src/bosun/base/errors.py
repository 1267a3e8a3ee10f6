"""One exception root for everything bosun raises on purpose.

    BosunError                      exit 1 unless a subclass says otherwise
    ├── InvalidInput                exit 2: the caller asked for something malformed
    │   ├── InvalidName
    │   ├── NotFound
    │   ├── IllegalTransition
    │   ├── ConfigError
    │   └── NotAProject
    └── OperationFailed             exit 1: the request was fine, doing it failed
        ├── StoreError
        │   ├── StoreUnavailable    the database cannot be reached or opened
        │   └── CorruptStore        the database file is not a database
        ├── RuntimeFailure          tmux / process / terminal problems
        ├── GitError
        ├── LockHeld                another process owns what we need
        └── Conflict                a concurrent change won a race

Foreign errors (sqlite3, psycopg, git, tmux) are translated at the boundary and raised
`from` the original, so `-v` still shows the cause.
"""

from __future__ import annotations


class BosunError(Exception):
    """A failure with a one-line message, an optional hint and a machine-readable code."""

    exit_code = 1
    code = "error"

    def __init__(self, message: str, hint: str = "", *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if code is not None:
            self.code = code


class InvalidInput(BosunError):
    exit_code = 2
    code = "invalid_input"


class InvalidName(InvalidInput):
    code = "invalid_name"


class NotFound(InvalidInput):
    code = "not_found"


class IllegalTransition(InvalidInput):
    code = "illegal_transition"


class ConfigError(InvalidInput):
    code = "config_error"


class NotAProject(InvalidInput):
    code = "not_a_project"


class OperationFailed(BosunError):
    code = "operation_failed"


class StoreError(OperationFailed):
    code = "store_error"


class StoreUnavailable(StoreError):
    code = "store_unavailable"


class CorruptStore(StoreError):
    code = "corrupt_store"


class RuntimeFailure(OperationFailed):
    code = "runtime_failure"


class GitError(OperationFailed):
    code = "git_error"


class LockHeld(OperationFailed):
    code = "lock_held"


class Conflict(OperationFailed):
    code = "conflict"
