"""Watch the source tree with watchfiles and hand over batches of relevant changes.

watchfiles (Rust ``notify``: inotify on Linux) reports events as they happen,
so an idle tree costs nothing however many files it holds. Its ``step`` groups
an editor's burst of events (write a temp file and rename it, truncate then
write) into one batch; the engine merges batches that arrive while a reload
runs, so no save is lost and none causes two reloads.
"""

from __future__ import annotations

import fnmatch
import logging
import queue
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from ._paths import VENDORED_DIR_NAMES, is_under

__all__ = ["RELEVANT_SUFFIXES", "Batch", "SourceFilter", "Watcher", "watch_roots"]

logger = logging.getLogger("reloader.watch")

RELEVANT_SUFFIXES = frozenset(
    {".py", ".css", ".js", ".html", ".md", ".json", ".yaml", ".yml", ".toml"}
)
IGNORED_DIR_NAMES = VENDORED_DIR_NAMES | {
    ".git",
    ".hg",
    ".svn",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".idea",
    ".ipynb_checkpoints",
    "env",
}
#: Editors' swap, backup, lock and temp files (vim, emacs, JetBrains, VS Code, Kate, gedit).
IGNORED_NAME_GLOBS = (
    "*.swp",
    "*.swo",
    "*.swx",
    "*~",
    ".#*",
    "#*#",
    "4913",
    "*.tmp",
    "*.bak",
    "*.orig",
    "*___jb_tmp___",
    "*___jb_old___",
    ".goutputstream-*",
    "*.kate-swp",
    "*.crswap",
)


class SourceFilter(watchfiles.BaseFilter):
    """Keeps changes to source and asset files; drops VCS, venvs, caches, editor droppings."""

    def __init__(self, ignore_globs: Sequence[str] = ()) -> None:
        super().__init__()
        self.ignore_globs = tuple(ignore_globs)

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return self.is_relevant(Path(path))

    def is_relevant(self, path: Path) -> bool:
        if path.suffix not in RELEVANT_SUFFIXES:
            return False
        name = path.name
        if any(fnmatch.fnmatchcase(name, glob) for glob in IGNORED_NAME_GLOBS):
            return False
        if IGNORED_DIR_NAMES.intersection(path.parts[:-1]):
            return False
        text = str(path)
        return not any(
            fnmatch.fnmatch(text, glob) or fnmatch.fnmatch(name, glob) for glob in self.ignore_globs
        )


@dataclass(frozen=True)
class Batch:
    paths: frozenset[Path]
    #: time.perf_counter() when the batch was handed over
    received: float


def watch_roots(paths: Iterable[Path]) -> list[Path]:
    """Resolve, de-duplicate, and drop folders already inside another watched one."""
    resolved = sorted({path.resolve() for path in paths}, key=lambda p: len(p.parts))
    roots: list[Path] = []
    for path in resolved:
        if not any(is_under(path, root) for root in roots):
            roots.append(path)
    return roots


class Watcher:
    """Runs watchfiles in a daemon thread and queues batches of changed paths."""

    def __init__(
        self,
        roots: Sequence[Path],
        watch_filter: SourceFilter,
        *,
        step_ms: int = 5,
        debounce_ms: int = 300,
    ) -> None:
        self.roots = list(roots)
        self.filter = watch_filter
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self.batches: queue.Queue[Batch] = queue.Queue()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="devreload-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)

    def _run(self) -> None:
        try:
            for changes in watchfiles.watch(
                *self.roots,
                watch_filter=self.filter,
                step=self.step_ms,
                debounce=self.debounce_ms,
                stop_event=self._stop,
                raise_interrupt=False,
                yield_on_timeout=False,
                rust_timeout=0,
            ):
                paths = frozenset(Path(path) for _, path in changes)
                logger.debug("changes: %s", changes)
                self.batches.put(Batch(paths, time.perf_counter()))
        except Exception:  # the watcher must never take the server down with it
            logger.exception("file watcher stopped")

    def next_changes(self, timeout: float | None = None) -> Batch | None:
        """Block for a batch, then merge every batch that is already waiting."""
        try:
            first = self.batches.get(timeout=timeout)
        except queue.Empty:
            return None
        paths = set(first.paths)
        while True:
            try:
                paths |= self.batches.get_nowait().paths
            except queue.Empty:
                break
        return Batch(frozenset(paths), first.received)
