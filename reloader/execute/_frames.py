"""Which stack frames are the user's: one rule for tracebacks, hang reports and lifespans.

A frame is the user's when its file lies under a watched folder, outside
installed packages and outside devreload itself. Everything devreload shows
about an error (the terminal, the page overlay, the hang report) is cut to
these frames, so it points at the line the user wrote.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import FrameType

__all__ = ["innermost_user_frame", "is_user_file", "user_frames", "user_traceback"]

_RELOADER_DIR = Path(__file__).resolve().parent.parent
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


def innermost_user_frame(frame: FrameType | None, roots: Sequence[Path]) -> str:
    """``file, line N`` of the innermost user frame of a live stack, for hang reports."""
    stack = traceback.extract_stack(frame) if frame is not None else []
    mine = user_frames(stack, roots)
    if mine:
        return f"{mine[-1].filename}, line {mine[-1].lineno}"
    return f"{stack[-1].filename}, line {stack[-1].lineno}" if stack else "an unknown place"
