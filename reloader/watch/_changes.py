"""The change stream: what the engine reloads for.

Between the watcher's raw batches and the reload pipeline sit two rules, kept
here so they can be tested in-process with a scripted watcher:

- settle: a file that vanished in a batch (an editor renaming it away and
  back, a ``git checkout``) gets ``REAPPEAR_SECONDS`` to come back before its
  absence counts as a deletion;
- content hashes: a file whose bytes are what devreload last loaded (a touch,
  a no-op save, a file rewritten identically by a generator) is dropped.

Watch notices (an unreadable folder skipped, a root gone and back, the watcher
stopped and restarted) are handed to ``on_notice`` in the thread that asked for
the next batch, so the engine reports them from its own thread.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from reloader.watch._watcher import Batch, Watcher, WatchNotice

__all__ = ["REAPPEAR_SECONDS", "ChangeStream", "digest"]

logger = logging.getLogger("reloader.changes")

#: A file that vanished in a batch (an editor's rename-away-and-back) gets this
#: long to reappear before its absence is treated as a deletion.
REAPPEAR_SECONDS = 0.25


def digest(path: Path) -> str | None:
    """A hash of the file's bytes; None if it cannot be read (gone, unreadable)."""
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return None


class ChangeStream:
    """Batches of files whose content really changed, from a ``Watcher``."""

    def __init__(
        self,
        watcher: Watcher,
        *,
        on_notice: Callable[[WatchNotice], None] | None = None,
        reappear_seconds: float = REAPPEAR_SECONDS,
    ) -> None:
        self.watcher = watcher
        self._on_notice = on_notice or (lambda notice: None)
        self._reappear_seconds = reappear_seconds
        #: path -> digest of the content devreload last saw ("" for a missing file)
        self._hashes: dict[Path, str] = {}

    def start(self) -> None:
        self.watcher.start()

    def stop(self) -> None:
        self.watcher.stop()

    def pending(self) -> bool:
        """Whether a newer batch is waiting (for the hang watchdog: a fix may have come)."""
        return self.watcher.has_batches()

    def remember(self, paths: Iterable[Path]) -> None:
        """Record the content of files just loaded, so an identical save is not a change.

        Files already known keep their hash: a save records its own when it is handed over.
        """
        for path in paths:
            if path in self._hashes:
                continue
            found = digest(path)
            if found is not None:
                self._hashes[path] = found

    def digest_of(self, path: Path) -> str | None:
        """The content hash last seen for ``path`` (blake2b, 16 bytes), if any."""
        return self._hashes.get(path) or None

    def next_batch(self, timeout: float | None = None) -> Batch | None:
        """Block until some files really changed; None only if ``timeout`` ran out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            batch = self._take(_left(deadline))
            if batch is None:
                return None
            batch = self._settle(batch)
            changed = self._really_changed(batch.paths)
            if changed:
                return Batch(frozenset(changed), batch.received)

    def _take(self, timeout: float | None) -> Batch | None:
        """The next batch merged with every batch already waiting; notices handled on the way."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            event = self.watcher.next_event(_left(deadline))
            if event is None:
                return None
            if isinstance(event, WatchNotice):
                self._on_notice(event)
                continue
            paths = set(event.paths)
            while True:
                more = self.watcher.next_event(0)
                if more is None:
                    return Batch(frozenset(paths), event.received)
                if isinstance(more, WatchNotice):
                    self._on_notice(more)
                else:
                    paths |= more.paths

    def _settle(self, batch: Batch) -> Batch:
        """Give files that vanished (renamed away by an editor) a moment to come back."""
        deadline = time.monotonic() + self._reappear_seconds
        paths = set(batch.paths)
        while any(not path.exists() for path in paths) and time.monotonic() < deadline:
            more = self._take(_left(deadline))
            if more is not None:
                paths |= more.paths
        return Batch(frozenset(paths), batch.received)

    def _really_changed(self, paths: frozenset[Path]) -> list[Path]:
        """Drop files whose content is what we last saw (touches, no-op saves)."""
        changed = []
        for path in sorted(paths):
            found = digest(path)
            if found is not None and self._hashes.get(path) == found:
                continue
            self._hashes[path] = found or ""
            changed.append(path)
        return changed


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())
