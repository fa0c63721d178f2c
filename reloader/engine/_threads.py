"""Threads that pile up: each version of a module starts one, and none is stopped.

A module's top level that starts a polling thread runs again on every save, and
Python cannot stop a thread from outside: without ``reloader.on_dispose`` the
replaced versions' threads keep running beside the new one (31 of them after 30
saves, where a restart has 1). devreload cannot end them, but it can notice and
say so once, naming the thread, where it was started, and the fix.

While devreload runs, ``Thread.start`` called from the main thread (where
modules run) with the user's code on the stack records the innermost user frame:
the function that started the thread, and the module version it belongs to (its
globals). A thread is a leftover when that version no longer serves; leftovers
that outlive their version by ``LINGER_SECONDS`` (a thread told to stop has had
the time to) pile up when ``PILED`` replaced versions left one at the same place
(the same function starting a thread that runs the same target).
"""

from __future__ import annotations

import re
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType, ModuleType

__all__ = ["LINGER_SECONDS", "PILED", "ThreadCensus"]

#: A thread of a replaced version counts once it has outlived that version this long.
LINGER_SECONDS = 5.0
#: So many replaced versions leaving a thread at one place are a pile-up (the
#: serving version's own thread comes on top).
PILED = 2


@dataclass(frozen=True)
class _Start:
    """Where the user's code started a thread."""

    file: str
    line: int
    function: str
    #: The thread's name (numbers left out: ``Thread-7 (poll)``'s differs in every
    #: version) and what it runs: its target's name, or its class's (a subclass).
    name: str
    runs: str
    #: The module version that started it: weakly (a leftover thread must not keep its
    #: whole version alive on top), and its id to tell versions apart.
    version: weakref.ref[ModuleType]
    version_id: int

    @property
    def place(self) -> tuple[str, ...]:
        """The same place in every version: one thread started by each version at it
        piles up; several threads started by one version (a server's) do not."""
        return (self.file, self.function, self.name, self.runs)

    def described(self, base: Callable[[str], str]) -> str:
        where = f"{base(self.file)}, line {self.line}"
        if self.function == "<module>":
            return f"the top level of {where}"
        return f"{self.function}() in {where}"


class ThreadCensus:
    """Records who starts threads, and says once per starting place when they pile up."""

    def __init__(
        self, is_user_code: Callable[[str], bool], *, linger_seconds: float = LINGER_SECONDS
    ) -> None:
        self._is_user_code = is_user_code
        self._linger = linger_seconds
        self._starts: weakref.WeakKeyDictionary[threading.Thread, _Start] = (
            weakref.WeakKeyDictionary()
        )
        #: When each thread was first seen outliving its version.
        self._left_since: weakref.WeakKeyDictionary[threading.Thread, float] = (
            weakref.WeakKeyDictionary()
        )
        self._said: set[tuple[str, ...]] = set()
        self._lock = threading.Lock()

    @contextmanager
    def recording(self) -> Iterator[None]:
        """``Thread.start`` records its caller for the duration (put back afterwards)."""
        original = threading.Thread.start
        census = self

        def start(thread: threading.Thread) -> None:
            if threading.current_thread() is threading.main_thread():
                census._record(thread, sys._getframe(1))
            original(thread)

        threading.Thread.start = start  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            threading.Thread.start = original  # type: ignore[method-assign]

    def _record(self, thread: threading.Thread, frame: FrameType | None) -> None:
        while frame is not None:
            filename = frame.f_code.co_filename
            if self._is_user_code(filename):
                module = sys.modules.get(str(frame.f_globals.get("__name__")))
                if module is None or module.__dict__ is not frame.f_globals:
                    return  # not a module version devreload runs
                start = _Start(
                    filename,
                    frame.f_lineno,
                    frame.f_code.co_name,
                    re.sub(r"\d+", "N", thread.name),
                    _runs(thread),
                    weakref.ref(module),
                    id(module),
                )
                with self._lock:
                    self._starts[thread] = start
                return
            frame = frame.f_back

    def piled_up(self, shown: Callable[[str], str] = str) -> list[str]:
        """One sentence per starting place whose threads newly piled up (each said once);
        ``shown`` shortens a file's path for the terminal."""
        now = time.monotonic()
        places: dict[tuple[str, ...], list[tuple[threading.Thread, _Start]]] = {}
        #: Per place, the replaced versions whose thread outlived them long enough.
        lingering: dict[tuple[str, ...], set[int]] = {}
        with self._lock:
            for thread in threading.enumerate():
                start = self._starts.get(thread)
                if start is None:
                    continue
                places.setdefault(start.place, []).append((thread, start))
                if _serves(start.version):
                    continue
                since = self._left_since.setdefault(thread, now)
                if now - since >= self._linger:
                    lingering.setdefault(start.place, set()).add(start.version_id)
        said = []
        for place, versions in lingering.items():
            if len(versions) < PILED or place in self._said:
                continue
            self._said.add(place)
            said.append(_sentence(places[place], shown))
        return said


def _runs(thread: threading.Thread) -> str:
    target = getattr(thread, "_target", None)  # CPython keeps it until the thread ends
    function = getattr(target, "func", target)  # a functools.partial
    return str(getattr(function, "__qualname__", None) or type(thread).__qualname__)


def _serves(version: weakref.ref[ModuleType]) -> bool:
    """Whether this module version is the one in ``sys.modules``."""
    module = version()
    return module is not None and sys.modules.get(module.__name__) is module


def _sentence(threads: list[tuple[threading.Thread, _Start]], shown: Callable[[str], str]) -> str:
    newest_thread, newest = threads[-1]
    return (
        f"{len(threads)} copies of the thread {newest_thread.name!r} are running, one more "
        f"per save: {newest.described(shown)} starts it, and nothing stops the one each "
        "replaced version started (Python cannot stop a thread from outside). Stop it when "
        "its version is replaced: next to where it starts, `reloader.on_dispose(stop.set)`, "
        "with a threading.Event `stop` that the thread's loop waits on."
    )
