"""Watch the source tree with watchfiles and queue batches of relevant changes.

watchfiles (Rust ``notify``: inotify on Linux) reports events as they happen,
so an idle tree costs the same however many files it holds. It hands a batch
over once a ``step`` (2 ms) passes without a new event: a save reaches the
engine 2 to 4 ms after it is made. watchfiles' loop looks for events every
step, also while nothing happens (it has no wait that ends at the first event):
about 450 wake-ups a second, 0.5 to 0.9 % of a core on a busy 2-core machine,
which is the price of that detection. A 5 ms step would group longer bursts and
wake 200 times a second, but costs every save 5 to 10 ms; the change stream
(``_changes``) groups what a step cannot: a git checkout (by git's index lock),
an editor's rename away and back or its truncate before the write (by waiting
for the file), and batches that arrive while a reload runs. So no save is lost
and none causes two reloads.

The watcher never goes deaf silently. It runs under a small supervisor loop:

- a folder it may not read (a database volume owned by another user) makes
  ``notify`` refuse the whole tree; it is named once and skipped;
- a watched root that is deleted or replaced (a regenerated ``--watch`` folder,
  a branch switch) leaves inotify watching a dead inode; every batch and every
  idle ``ROOT_CHECK_MS`` the roots are checked, and the watch is set up again on
  the new folder, whose files are then handed over as changed;
- any other failure is reported and the watch restarted with a back-off.

Each of these reaches the engine as a ``WatchNotice`` in the same queue as the
batches, so the engine reports it from its own thread.

Setting up the watch takes a moment after ``start()`` (inotify adds a watch per
folder), and the app's first load runs meanwhile: a ``Live`` marker in the queue
says when every later change is seen, so that the change stream can look for
saves made before (see ``_changes``).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import watchfiles

from reloader._paths import is_under
from reloader.watch._filter import RELEVANT_SUFFIXES, SourceFilter

__all__ = [
    "RELEVANT_SUFFIXES",
    "ROOT_CHECK_MS",
    "Batch",
    "Live",
    "SourceFilter",
    "WatchNotice",
    "Watcher",
    "watch_roots",
]

logger = logging.getLogger("reloader.watch")

#: With no event, watchfiles hands control back this often, to check the roots (a stat
#: each: four idle wake-ups a second cost nothing measurable).
ROOT_CHECK_MS = 250
#: While a root is missing, look for it again this often.
MISSING_ROOT_POLL_SECONDS = 0.1
#: Restart back-off after a failure: first delay, doubled up to the last.
RESTART_DELAY_SECONDS = (0.2, 5.0)

FileChanges = set[tuple[watchfiles.Change, str]]
#: The shape of ``watchfiles.watch``; tests pass a scripted fake.
WatchFunction = Callable[..., Iterator[FileChanges]]


@dataclass(frozen=True)
class Batch:
    paths: frozenset[Path]
    #: time.perf_counter() when the batch was handed over
    received: float


@dataclass(frozen=True)
class Live:
    """The first watch is set up: from here on every change is seen."""


NoticeKind = Literal["unreadable", "root_gone", "root_back", "stopped", "resumed"]


@dataclass(frozen=True)
class WatchNotice:
    """Something the user must know about the watcher, in one sentence."""

    kind: NoticeKind
    message: str
    paths: tuple[Path, ...] = ()

    @property
    def deaf(self) -> bool:
        """Whether saves are not (all) being seen until a later notice says otherwise."""
        return self.kind in ("root_gone", "stopped")


def watch_roots(paths: Iterable[Path]) -> list[Path]:
    """Resolve, de-duplicate, and drop folders already inside another watched one."""
    resolved = sorted({path.resolve() for path in paths}, key=lambda p: len(p.parts))
    roots: list[Path] = []
    for path in resolved:
        if not any(is_under(path, root) for root in roots):
            roots.append(path)
    return roots


def _identity(folder: Path) -> tuple[int, int] | None:
    """Which folder is at this path now (None: none); a re-created one differs."""
    try:
        stat = folder.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


class Watcher:
    """Runs watchfiles in a daemon thread; queues ``Batch`` and ``WatchNotice`` events."""

    def __init__(
        self,
        roots: Sequence[Path],
        watch_filter: SourceFilter,
        *,
        step_ms: int = 2,
        debounce_ms: int = 300,
        check_ms: int = ROOT_CHECK_MS,
        watch: WatchFunction = watchfiles.watch,
    ) -> None:
        self.roots = list(roots)
        self.filter = watch_filter
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self.check_ms = check_ms
        self._watch = watch
        self.events: queue.Queue[Batch | WatchNotice | Live] = queue.Queue()
        self._stop = threading.Event()
        self._batches_seen = 0
        self._thread = threading.Thread(target=self._run, name="devreload-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=1)

    @property
    def batches_seen(self) -> int:
        """How many batches of changes the watcher has queued so far."""
        return self._batches_seen

    def _put_batch(self, paths: frozenset[Path]) -> None:
        self._batches_seen += 1
        self.events.put(Batch(paths, time.perf_counter()))

    def next_event(self, timeout: float | None = None) -> Batch | WatchNotice | Live | None:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def next_changes(self, timeout: float | None = None) -> Batch | None:
        """Block for a batch, then merge every batch already waiting (notices dropped)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            first = self.next_event(left)
            if first is None:
                return None
            if isinstance(first, Batch):
                break
        paths = set(first.paths)
        while True:
            try:
                more = self.events.get_nowait()
            except queue.Empty:
                break
            if isinstance(more, Batch):
                paths |= more.paths
        return Batch(frozenset(paths), first.received)

    # -- the watcher thread -------------------------------------------------------

    def _notice(self, kind: NoticeKind, message: str, paths: Iterable[Path] = ()) -> None:
        logger.debug("notice %s: %s", kind, message)
        self.events.put(WatchNotice(kind, message, tuple(paths)))

    def _run(self) -> None:
        state = _State()
        while not self._stop.is_set():
            try:
                self._watch_once(state)
            except PermissionError as error:
                if state.skip_unreadable or self._stop.is_set():
                    self._failed(error, state)
                    continue
                state.skip_unreadable = True
                self._report_unreadable(error)
            except Exception as error:  # the watcher must never take the server down with it
                if self._stop.is_set():
                    break
                self._failed(error, state)

    def _watch_once(self, state: _State) -> None:
        """Wait for every root to exist, then watch until a root changes or watching fails."""
        missing = [root for root in self.roots if not root.is_dir()]
        for root in missing:
            state.rescan.add(root)
            if root not in state.said_gone:
                state.said_gone.add(root)
                self._notice(
                    "root_gone",
                    f"the watched folder {root} is gone; devreload is not watching it "
                    "and will reload once it is back",
                    [root],
                )
        if missing:
            self._stop.wait(MISSING_ROOT_POLL_SECONDS)
            return
        identities = {root: _identity(root) for root in self.roots}
        roots = frozenset(self.roots)

        def keep(change: watchfiles.Change, path: str) -> bool:
            # A root's own deletion is let through: the watch on it is dead. So is
            # a new folder: files written into it before inotify watched it count.
            return (
                Path(path) in roots
                or self.filter(change, path)
                or (change == watchfiles.Change.added and self._new_folder(Path(path)))
            )

        live = False
        for changes in self._watch(
            *self.roots,
            watch_filter=keep,
            step=self.step_ms,
            debounce=self.debounce_ms,
            stop_event=self._stop,
            raise_interrupt=False,
            yield_on_timeout=True,
            rust_timeout=self.check_ms,
            ignore_permission_denied=state.skip_unreadable,
        ):
            if not live:
                live = True
                self._now_live(state)
            paths = frozenset(Path(path) for _, path in changes)
            # Deleted (inotify said so: a new folder may even reuse the inode) or replaced.
            replaced = [r for r in self.roots if r in paths or _identity(r) != identities[r]]
            # Files of a root that is gone are handed over when it is back, not as deletions.
            gone = [root for root in replaced if not root.is_dir()]
            files = self._files(
                frozenset(p for p in paths - roots if not any(is_under(p, r) for r in gone))
            )
            if files:
                logger.debug("changes: %s", changes)
                self._put_batch(files)
            if replaced:  # the watch is on a folder that is no longer there
                logger.debug("roots replaced or gone: %s", replaced)
                state.rescan.update(replaced)
                return
        if not self._stop.is_set():
            raise RuntimeError("watchfiles stopped without an error")

    def _now_live(self, state: _State) -> None:
        if not state.started:
            state.started = True
            self.events.put(Live())
        if state.failures:
            state.failures = 0
            self._notice("resumed", "the file watcher is running again")
        if state.rescan:
            self._hand_over(sorted(state.rescan), state.said_gone)
            state.rescan.clear()
            state.said_gone.clear()

    def _new_folder(self, path: Path) -> bool:
        return (
            path.suffix not in RELEVANT_SUFFIXES
            and path.is_dir()
            and self.filter.keeps_folder(path)
        )

    def _files(self, paths: frozenset[Path]) -> frozenset[Path]:
        """Changed files, with a new folder (``mkdir``, ``mv``, ``git checkout``) as its files."""
        files = set(paths)
        for path in paths:
            if path.is_dir():
                files.discard(path)
                files.update(_relevant_files(path, self.filter))
        return frozenset(files)

    def _failed(self, error: BaseException, state: _State) -> None:
        logger.debug("file watcher failed", exc_info=error)
        if state.failures == 0:
            self._notice(
                "stopped",
                f"the file watcher stopped ({type(error).__name__}: {error}); saves are not "
                "seen until it is back; restarting it",
            )
        # Saves made while nothing watched are found by comparing contents once it is back.
        state.rescan.update(self.roots)
        first, longest = RESTART_DELAY_SECONDS
        self._stop.wait(min(longest, first * 2**state.failures))
        state.failures += 1

    def _report_unreadable(self, error: PermissionError) -> None:
        unreadable = _unreadable_folders(self.roots)
        if not unreadable:  # notify named a path we cannot find again: quote it
            names = str(error)
        else:
            names = ", ".join(str(path) for path in unreadable[:5])
            if len(unreadable) > 5:
                names += f" (+{len(unreadable) - 5} more)"
        self._notice(
            "unreadable",
            f"not watching {names}: permission denied; the rest of the tree is watched",
            unreadable,
        )

    def _hand_over(self, roots: list[Path], said_gone: set[Path]) -> None:
        """A root came back (or was replaced): its relevant files count as changed."""
        back = [root for root in roots if root in said_gone]
        if back:
            self._notice(
                "root_back",
                f"watching {', '.join(str(root) for root in back)} again",
                back,
            )
        paths = frozenset(path for root in roots for path in _relevant_files(root, self.filter))
        if paths:
            self._put_batch(paths)


@dataclass
class _State:
    """What the watcher thread carries from one attempt at watching to the next."""

    failures: int = 0
    skip_unreadable: bool = False
    #: The first watch was set up (``Live`` was queued).
    started: bool = False
    #: Roots said to be gone, to say when they are back.
    said_gone: set[Path] = field(default_factory=set)
    #: Roots whose files are handed over whole once the watch is live (re-created ones).
    rescan: set[Path] = field(default_factory=set)


def _unreadable_folders(roots: Iterable[Path]) -> list[Path]:
    found: list[Path] = []

    def collect(error: OSError) -> None:
        if isinstance(error, PermissionError) and error.filename:
            found.append(Path(error.filename))

    for root in roots:
        for _ in os.walk(root, onerror=collect):
            pass
    return sorted(set(found))


def _relevant_files(root: Path, watch_filter: SourceFilter) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        dirs[:] = [name for name in dirs if watch_filter.keeps_folder(base / name)]
        for name in files:
            path = base / name
            if watch_filter.is_relevant(path):
                yield path
