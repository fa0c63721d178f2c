"""What a failure says: the event's error, the overlay's title, and a hint where the
cause is how the app was run rather than its code."""

from __future__ import annotations

from pathlib import Path

from reloader._errors import ReloaderError
from reloader._events import ErrorInfo
from reloader.adapters import AppNotFound, SwapError
from reloader.execute import ExecutionError

__all__ = ["add_how_to_run", "error_info", "failure_title", "watch_problem_title"]

_WATCH_TITLES = {
    "root_gone": "devreload: a watched folder is gone; saves are not reloaded until it is back.",
    "stopped": "devreload: the file watcher stopped; saves are not reloaded until it restarts.",
}


def watch_problem_title(kind: str) -> str:
    """The overlay's title while the watcher cannot see saves."""
    return _WATCH_TITLES.get(kind, _WATCH_TITLES["stopped"])


def failure_title(error: ReloaderError) -> str:
    """The overlay's title for a failed reload: which step failed."""
    kept = "the page still runs the last good version."
    if isinstance(error, AppNotFound):
        return f"devreload: the last save defines no app to serve; {kept}"
    if isinstance(error, SwapError):
        return f"devreload: the new version could not be put in service; {kept}"
    return f"devreload: the last save failed; {kept}"


def error_info(error: ReloaderError) -> ErrorInfo:
    return ErrorInfo(
        error.headline,
        error.details,
        file=getattr(error, "filename", None),
        line=getattr(error, "lineno", None),
    )


def add_how_to_run(error: ReloaderError, *, app_path: Path, cwd: Path, as_module: bool) -> None:
    """Add what works to the headline of an error whose cause is how the app was run:
    a relative import in an app file run as a script."""
    if (
        isinstance(error, ExecutionError)
        and isinstance(error.error, ImportError)
        and "no known parent package" in str(error.error)
        and error.module.name == "__main__"
        and not as_module
    ):
        error.headline += "; " + _run_as_module(app_path, cwd)


def _run_as_module(app_path: Path, cwd: Path) -> str:
    """How to run ``app_path`` so that its relative imports work: as a module of its
    package (the folders above it that hold an ``__init__.py``, or that lead down to
    it from the current folder), as ``python -m`` runs it."""
    parts, folder = [app_path.stem], app_path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if len(parts) == 1 and app_path.parent != cwd and app_path.is_relative_to(cwd):
        folder, parts = cwd, list(app_path.relative_to(cwd).with_suffix("").parts)
    if len(parts) == 1:
        return "a relative import works only in a module of a package (python -m pkg.app)"
    from_folder = "" if folder == cwd else f" from {folder}"
    return (
        "run it as a module of its package, as python -m does: "
        f"devreload -m {'.'.join(parts)}{from_folder}"
    )
