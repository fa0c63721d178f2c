"""Every error devreload reports: one headline sentence, optional details, an exit code.

All of them derive from :class:`ReloaderError`, so the engine, the reporter and
the browser overlay read ``headline`` and ``details`` the same way whatever
failed (user code, finding the app, serving it, swapping it in).
"""

from __future__ import annotations

__all__ = [
    "EXIT_APP_ERROR",
    "EXIT_NO_APP",
    "EXIT_OK",
    "EXIT_SERVE",
    "EXIT_USAGE",
    "ReloaderError",
    "UserError",
]

EXIT_OK = 0
EXIT_APP_ERROR = 1
EXIT_USAGE = 2
EXIT_NO_APP = 3
EXIT_SERVE = 4


class ReloaderError(Exception):
    """Something devreload reports to the user: ``headline`` is one sentence that says
    what happened and what to do; ``details`` (a user-code traceback, say) may be empty."""

    def __init__(self, headline: str, details: str = "") -> None:
        super().__init__(headline)
        self.headline = headline
        self.details = details


class UserError(ReloaderError):
    """Something the user can fix before devreload can run; it ends the process."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
