"""The change stream: what the engine reloads for.

Between the watcher's raw batches and the reload pipeline sit three rules, kept
here so they can be tested in-process with a scripted watcher:

- git: a batch that comes while git writes the working tree (``_vcs``) waits
  for git to finish, so a checkout, merge or stash is one reload;
- settle: a file that vanished in a batch (an editor renaming it away and
  back, a ``git checkout``) gets ``REAPPEAR_SECONDS`` to come back before its
  absence counts as a deletion; so does a file found empty that had content
  (an in-place save caught between its truncate and its write: watchfiles
  reports both as the same change, so its step cannot tell them apart);
- content hashes: a file whose bytes are what devreload last loaded (a touch,
  a no-op save, a file rewritten identically by a generator) is dropped. What
  was loaded is the bytes the executor ran, not the file as it is afterwards:
  a save made while a load runs (the first one takes seconds) is a change;
- the watch's start: saves made before the first watch was set up (``Live``)
  are found by comparing what was loaded with the files then.

Watch notices (an unreadable folder skipped, a root gone and back, the watcher
stopped and restarted) are handed to ``on_notice`` in the thread that asked for
the next batch, so the engine reports them from its own thread.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from reloader.watch._vcs import git_index_locks, git_is_writing
from reloader.watch._watcher import Batch, Live, Watcher, WatchNotice

__all__ = ["REAPPEAR_SECONDS", "ChangeStream", "digest"]

logger = logging.getLogger("reloader.changes")

#: A file that vanished in a batch (an editor's rename-away-and-back) gets this
#: long to reappear before its absence is treated as a deletion.
REAPPEAR_SECONDS = 0.25


def digest(path: Path) -> str | None:
    """A hash of the file's bytes; None if it cannot be read (gone, unreadable)."""
    try:
        return _digest_of(path.read_bytes())
    except OSError:
        return None


def _digest_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


#: The digest of an empty file.
EMPTY = _digest_of(b"")


#: A batch that comes while git writes the working tree waits this long at most.
GIT_WAIT_SECONDS = 2.0
#: Once git is done, the events of its last files may still be in the watcher's step.
GIT_TAIL_SECONDS = 0.03


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
        #: git's index lock of each repository holding a watched root (found once).
        self._git_locks: tuple[Path, ...] | None = None

    def start(self) -> None:
        self.watcher.start()

    def stop(self) -> None:
        self.watcher.stop()

    def saves_seen(self) -> int:
        """How many batches of saves the watcher has seen so far (for the hang watchdog:
        one that comes after it reported a stuck load may be the fix)."""
        return self.watcher.batches_seen

    def remember(self, loaded: Mapping[Path, bytes]) -> None:
        """Record the bytes files were just loaded from, so an identical save is not a
        change and a save made during the load (the file now differs) is one."""
        for path, data in loaded.items():
            self._hashes[path] = _digest_of(data)

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
            batch = self._settle(self._after_git(batch))
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
            if isinstance(event, Live):
                event = Batch(self._differing(), time.perf_counter())
            paths = set(event.paths)
            while True:
                more = self.watcher.next_event(0)
                if more is None:
                    break
                if isinstance(more, WatchNotice):
                    self._on_notice(more)
                elif isinstance(more, Live):
                    paths |= self._differing()
                else:
                    paths |= more.paths
            if paths:
                return Batch(frozenset(paths), event.received)

    def _differing(self) -> frozenset[Path]:
        """Known files whose content is no longer what devreload last saw (a file gone
        meanwhile is left to the watcher, which tells a deletion from a folder gone)."""
        found = {path: digest(path) for path in self._hashes}
        return frozenset(
            path for path, now in found.items() if now is not None and now != self._hashes[path]
        )

    def _after_git(self, batch: Batch) -> Batch:
        """While git writes the working tree, merge what comes until it is done."""
        if self._git_locks is None:
            self._git_locks = git_index_locks(self.watcher.roots)
        if not git_is_writing(self._git_locks):
            return batch
        deadline = time.monotonic() + GIT_WAIT_SECONDS
        paths = set(batch.paths)
        while git_is_writing(self._git_locks) and time.monotonic() < deadline:
            more = self._take(0.005)
            if more is not None:
                paths |= more.paths
        more = self._take(GIT_TAIL_SECONDS)
        if more is not None:
            paths |= more.paths
        return Batch(frozenset(paths), batch.received)

    def _settle(self, batch: Batch) -> Batch:
        """Give files that vanished or were emptied (an editor mid-save) a moment to come back."""
        deadline = time.monotonic() + self._reappear_seconds
        paths = set(batch.paths)
        while any(self._mid_save(path) for path in paths) and time.monotonic() < deadline:
            more = self._take(_left(deadline))
            if more is not None:
                paths |= more.paths
        return Batch(frozenset(paths), batch.received)

    def _mid_save(self, path: Path) -> bool:
        """Gone, or empty where devreload last saw content: an editor is still saving it.

        A file emptied on purpose is handed over once the settle time runs out.
        """
        try:
            size = path.stat().st_size
        except OSError:
            return True
        return size == 0 and self._hashes.get(path, EMPTY) not in (EMPTY, "")

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
