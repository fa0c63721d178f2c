"""``reloader.on_dispose(callback)``: clean up what a version of a module started.

A module's top level may start things that outlive it: a polling thread, a
scheduler, a subprocess, a temporary directory. Under plain Python that code
runs once; under devreload it runs again on every save of the module, and the
old version's thread keeps running beside the new one. ``on_dispose`` is the
answer, as ``import.meta.hot.dispose`` is in Vite: the callback runs when the
version of the module that registered it is replaced (after the new version is
serving), when that version fails to load (it never served), and when
devreload stops. Under plain ``python app.py`` it runs at interpreter exit.

    stop = threading.Event()
    threading.Thread(target=poll, args=(stop,), daemon=True).start()
    reloader.on_dispose(stop.set)
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["Disposers", "on_dispose"]

logger = logging.getLogger("reloader.dispose")

Callback = TypeVar("Callback", bound=Callable[[], object])

#: The registry of the devreload run in this process, if any (set by the engine
#: from the main thread before any user code runs, cleared when it stops).
_active: Disposers | None = None


def on_dispose(callback: Callback) -> Callback:
    """Run ``callback()`` when this version of the calling module is replaced or
    devreload stops (at interpreter exit without devreload). Usable as a decorator."""
    registry = _active
    if registry is None or not registry.add(callback):
        atexit.register(callback)
    return callback


class Disposers:
    """Callbacks per module, for the version that serves and the one being executed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: module name -> callbacks of the version that is serving
        self._live: dict[str, list[Callable[[], object]]] = {}
        #: module name -> callbacks registered by the execution under way
        self._pending: dict[str, list[Callable[[], object]]] = {}
        self._executing: list[str] = []

    def install(self) -> None:
        global _active
        _active = self

    def uninstall(self) -> None:
        global _active
        if _active is self:
            _active = None

    @contextmanager
    def executing(self, module_name: str) -> Iterator[None]:
        """Callbacks registered while this module's code runs belong to its new version."""
        self._executing.append(module_name)
        try:
            yield
        finally:
            self._executing.pop()

    def add(self, callback: Callable[[], object]) -> bool:
        """Register for the module being executed; False outside any execution."""
        with self._lock:
            if not self._executing:
                return False
            self._pending.setdefault(self._executing[-1], []).append(callback)
            return True

    def commit(self, modules: Iterable[str]) -> None:
        """The new versions of ``modules`` serve: dispose of their old versions."""
        with self._lock:
            old = []
            for name in modules:
                old.extend(self._live.pop(name, []))
                self._live[name] = self._pending.pop(name, [])
            # Modules first imported during this execution are new: nothing to dispose.
            for name, callbacks in self._pending.items():
                self._live.setdefault(name, []).extend(callbacks)
            self._pending.clear()
        _run(old)

    def discard(self) -> None:
        """The execution failed: its versions never served, dispose of what they started."""
        with self._lock:
            failed = [callback for callbacks in self._pending.values() for callback in callbacks]
            self._pending.clear()
        _run(failed)

    def dispose_all(self) -> None:
        """Devreload stops: dispose of every serving version, newest registration first."""
        with self._lock:
            live = [callback for callbacks in self._live.values() for callback in callbacks]
            self._live.clear()
        _run(reversed(live))


def _run(callbacks: Iterable[Callable[[], object]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:  # one broken cleanup must not stop the others, nor the reload
            logger.exception("on_dispose callback %r failed", callback)
