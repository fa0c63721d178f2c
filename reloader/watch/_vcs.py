"""Whether git is writing the working tree right now.

git holds ``<git dir>/index.lock`` while it updates the working tree (checkout,
switch, merge, rebase, stash, pull) and removes it once the new index is in
place. A batch that arrives while the lock is there is the first part of that
update; waiting for the lock to go makes the whole update one reload, however
long git pauses between files on a busy machine (watchman defers its
notifications in the same way).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

__all__ = ["STALE_LOCK_SECONDS", "git_index_locks", "git_is_writing"]

#: A lock older than this is left over from a git that was killed: not waited for.
STALE_LOCK_SECONDS = 10.0


def git_index_locks(roots: Iterable[Path]) -> tuple[Path, ...]:
    """The index lock file of each repository holding a watched root."""
    locks: list[Path] = []
    for root in roots:
        git_dir = _git_dir(root)
        if git_dir is not None and git_dir / "index.lock" not in locks:
            locks.append(git_dir / "index.lock")
    return tuple(locks)


def git_is_writing(locks: Iterable[Path]) -> bool:
    now = time.time()
    for lock in locks:
        try:
            if now - lock.stat().st_mtime < STALE_LOCK_SECONDS:
                return True
        except OSError:
            continue
    return False


def _git_dir(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        dot_git = candidate / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                return (candidate / text.removeprefix("gitdir:").strip()).resolve()
            return None
    return None
