"""Which stack frames are the user's: one rule for tracebacks, hang reports and lifespans.

A frame is the user's when its file lies under a watched folder, outside
installed packages and outside devreload itself. Everything devreload shows
about an error (the terminal, the page overlay, the hang report) is cut to
these frames, so it points at the line the user wrote.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

__all__ = ["Whereabouts", "is_user_file", "user_frames", "user_traceback", "whereabouts"]

_RELOADER_DIR = Path(__file__).resolve().parent
_INSTALLED = frozenset({"site-packages", "dist-packages"})


def is_user_file(filename: str, roots: Sequence[Path]) -> bool:
    """True for a real file under one of ``roots`` (any file when ``roots`` is empty)
    that is neither an installed package nor part of devreload."""
    if not filename or filename.startswith("<"):
        return False
    path = Path(filename)
    if _INSTALLED.intersection(path.parts) or _RELOADER_DIR in path.parents:
        return False
    return not roots or any(root == path or root in path.parents for root in roots)


def user_frames(
    frames: Iterable[traceback.FrameSummary], roots: Sequence[Path]
) -> list[traceback.FrameSummary]:
    return [frame for frame in frames if is_user_file(frame.filename, roots)]


def user_traceback(error: BaseException, roots: Sequence[Path]) -> str:
    """The traceback with the frames of libraries and of devreload left out."""
    if isinstance(error, SyntaxError):
        return "".join(traceback.format_exception_only(type(error), error))
    frames = user_frames(traceback.extract_tb(error.__traceback__), roots)
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    lines.extend(traceback.format_exception_only(type(error), error))
    return "".join(lines)


_IMPORT_MACHINERY = "<frozen importlib._bootstrap>"


@dataclass(frozen=True)
class Whereabouts:
    """Where a running execution of user code is, for hang reports."""

    #: ``file, line N`` of the innermost user frame.
    where: str
    #: The library module being imported below that frame, if any. Importing a
    #: framework takes seconds and is not a hang; and an import stopped halfway
    #: leaves its package without the submodules it had bound (``module 'gradio'
    #: has no attribute 'blocks'`` ever after), so it is never interrupted.
    importing: str | None


def whereabouts(frame: FrameType | None, roots: Sequence[Path]) -> Whereabouts | None:
    """Where the live stack ending in ``frame`` (another thread's) is; None if it shows
    no user frame: it was read while its innermost frames returned, and a frame that
    has returned has no ``f_back`` (read it again a moment later)."""
    stack: list[FrameType] = []
    while frame is not None:  # first collect, then look: the thread runs on meanwhile
        stack.append(frame)
        frame = frame.f_back
    stack.reverse()  # outermost first
    innermost = None
    for index, each in enumerate(stack):
        if is_user_file(each.f_code.co_filename, roots):
            innermost = index
    if innermost is None:
        return None
    user = stack[innermost]
    where = f"{user.f_code.co_filename}, line {user.f_lineno}"
    below = [
        each for each in stack[innermost + 1 :] if each.f_code.co_filename == _IMPORT_MACHINERY
    ]
    if not below:
        return Whereabouts(where, None)
    loading = [each for each in below if each.f_code.co_name == "_find_and_load"]
    name = loading[0].f_locals.get("name") if loading else None
    return Whereabouts(where, str(name or "a module"))
