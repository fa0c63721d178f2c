"""User-facing failures: one sentence, a named exit code, no traceback."""

from __future__ import annotations

__all__ = ["EXIT_APP_ERROR", "EXIT_NO_APP", "EXIT_OK", "EXIT_SERVE", "EXIT_USAGE", "UserError"]

EXIT_OK = 0
EXIT_APP_ERROR = 1
EXIT_USAGE = 2
EXIT_NO_APP = 3
EXIT_SERVE = 4


class UserError(Exception):
    """Something the user can fix; ``str(error)`` says what and how."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
