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

A module's own ``atexit.register(flush)`` (called from the user's code while a
version of a module runs) is taken the same way: under a restart-based reloader
each version's handlers run when that version's process ends, so here they run
when that version is replaced, and at stop only the serving version's run. A
flush then runs once per version, and at stop never beyond the exit bound.
Callbacks of one version run newest first, as atexit runs them.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

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
        _atexit_register(callback)
    return callback


#: atexit's own functions, called for what is not a version's (and restored at stop).
_atexit_register = atexit.register
_atexit_unregister = atexit.unregister


def _register(func: Callback, /, *args: Any, **kwargs: Any) -> Callback:
    """``atexit.register`` while devreload runs: called from the user's code during the
    execution of a module, the handler belongs to that version (see the module doc)."""
    registry = _active
    if (
        registry is not None
        and registry.owns_caller(sys._getframe(1))
        and registry.add(_AtexitHandler(func, args, kwargs))
    ):
        return func
    _atexit_register(func, *args, **kwargs)
    return func


def _unregister(func: Callable[..., object], /) -> None:
    registry = _active
    if registry is not None:
        registry.remove(func)
    _atexit_unregister(func)


class _AtexitHandler:
    """An atexit handler with its arguments, as a dispose callback."""

    def __init__(self, func: Callable[..., object], args: tuple[Any, ...], kwargs: Any) -> None:
        self.func, self.args, self.kwargs = func, args, kwargs

    def __call__(self) -> object:
        return self.func(*self.args, **self.kwargs)

    def __repr__(self) -> str:
        return f"atexit handler {self.func!r}"


class Disposers:
    """Callbacks per module, for the version that serves and the one being executed."""

    def __init__(self, is_user_code: Callable[[str], bool] = lambda filename: False) -> None:
        """``is_user_code(filename)``: whether code from that file is the user's own
        (whose ``atexit.register`` calls belong to the version being executed)."""
        self._is_user_code = is_user_code
        self._lock = threading.Lock()
        #: module name -> callbacks of the version that is serving
        self._live: dict[str, list[Callable[[], object]]] = {}
        #: module name -> callbacks registered by the execution under way
        self._pending: dict[str, list[Callable[[], object]]] = {}
        #: the modules whose top-level code is running, innermost (being imported) last
        self._registering_for: list[str] = []

    def install(self) -> None:
        """Take ``on_dispose`` calls, and ``atexit.register`` calls made from the user's
        own code, for the versions of modules."""
        global _active
        _active = self
        atexit.register, atexit.unregister = _register, _unregister

    def uninstall(self) -> None:
        global _active
        if _active is self:
            _active = None
            atexit.register, atexit.unregister = _atexit_register, _atexit_unregister

    def owns_caller(self, frame: Any) -> bool:
        """Whether an atexit.register call from ``frame`` is the user's code at a
        module's top level (or below it), in the main thread that runs modules."""
        if not self._registering_for or threading.current_thread() is not threading.main_thread():
            return False
        return self._is_user_code(frame.f_code.co_filename)

    def remove(self, func: Callable[..., object]) -> None:
        """``atexit.unregister(func)``: forget every handler of ``func``."""

        def keep(callback: Callable[[], object]) -> bool:
            return not (isinstance(callback, _AtexitHandler) and callback.func == func)

        with self._lock:
            for registered in (self._live, self._pending):
                for name, callbacks in registered.items():
                    registered[name] = [c for c in callbacks if keep(c)]

    @contextmanager
    def registering_for(self, module_name: str) -> Iterator[None]:
        """Callbacks registered while this module's code runs belong to its new version."""
        self._registering_for.append(module_name)
        try:
            yield
        finally:
            self._registering_for.pop()

    def add(self, callback: Callable[[], object]) -> bool:
        """Register for the module being executed; False outside any execution."""
        with self._lock:
            if not self._registering_for:
                return False
            self._pending.setdefault(self._registering_for[-1], []).append(callback)
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
        _run(reversed(old))

    def discard(self) -> None:
        """The execution failed: its versions never served, dispose of what they started."""
        with self._lock:
            failed = [callback for callbacks in self._pending.values() for callback in callbacks]
            self._pending.clear()
        _run(reversed(failed))

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
        except SystemExit:  # atexit ignores it in a handler; so does a version's
            pass
