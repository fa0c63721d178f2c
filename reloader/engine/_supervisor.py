"""Process supervision: signals, the hang watchdog and its interrupt, the hard exit.

Everything here touches process-wide state (signal handlers, the main
thread), so it is kept apart from the reload pipeline and undone on exit.

The watchdog may interrupt user code that hangs (a module top level waiting on
a network that is down) when a newer save arrives. The interrupt is a signal to
the main thread, delivered between two bytecodes wherever that thread is, so it
is guarded by a generation token: each execution of user code gets a token, and
the signal handler raises only while the execution holding the token that the
watchdog asked to interrupt is still running. Once that execution has ended (its
token is cleared under the lock the watchdog takes to send the signal), a late
signal is ignored: it can never land in ``swap()``, ``notify()`` or the engine.
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from reloader.execute._frames import innermost_user_frame

__all__ = ["Abandoned", "Interrupter", "Stop", "Watchdog", "capture_signals", "hard_exit_after"]

logger = logging.getLogger("reloader.supervisor")


class Stop(BaseException):
    """Raised in the main thread by SIGTERM, like KeyboardInterrupt for SIGINT."""


class Abandoned(BaseException):
    """Raised in the main thread when a newer save arrives while user code hangs."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


class Interrupter:
    """Interrupts one execution of user code in the main thread, and only that one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens = itertools.count(1)
        #: The token of the execution under way in the main thread, if any.
        self._running: int | None = None
        #: (token, where) of an interrupt sent and not yet raised.
        self._pending: tuple[int, str] | None = None

    @contextmanager
    def running(self) -> Iterator[int]:
        """Marks one execution of user code (main thread); yields its token."""
        with self._lock:
            token = self._running = next(self._tokens)
            self._pending = None
        try:
            yield token
        finally:
            with self._lock:
                self._running = None
                self._pending = None

    def is_running(self, token: int) -> bool:
        with self._lock:
            return self._running == token

    def interrupt(self, token: int, where: str) -> bool:
        """From another thread: interrupt execution ``token`` if it is still running."""
        with self._lock:
            if self._running != token:
                return False
            self._pending = (token, where)
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGUSR1)
            return True

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Runs in the main thread, possibly inside `running()`'s own lock: read, don't lock.
        pending, running = self._pending, self._running
        if pending is not None and running is not None and pending[0] == running:
            self._pending = None
            raise Abandoned(pending[1])


class Watchdog:
    """Watches one execution of user code from another thread.

    After ``after_seconds`` it says where the code is (file and line); if a
    newer save then arrives while it is still running, it interrupts it so
    that the newer save, a fix presumably, is loaded without a restart.
    """

    def __init__(
        self,
        interrupter: Interrupter,
        token: int,
        *,
        after_seconds: float,
        roots: list[Path],
        newer_changes: Callable[[], bool],
        say: Callable[[str], None],
        first_load: bool = False,
    ) -> None:
        self._interrupter = interrupter
        self._token = token
        self._after = after_seconds
        self._roots = roots
        self._newer_changes = newer_changes
        self._say = say
        self._first_load = first_load
        self._thread_id = threading.get_ident()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="devreload-hang", daemon=True)

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join(timeout=1.0)

    def _where(self) -> str:
        frame = sys._current_frames().get(self._thread_id)
        return innermost_user_frame(frame, self._roots)

    def _still_running(self) -> bool:
        return not self._done.is_set() and self._interrupter.is_running(self._token)

    def _watch(self) -> None:
        if self._done.wait(self._after) or not self._still_running():
            return
        where = self._where()
        if self._first_load:
            # A slow first load is normal (a model in a NO_RELOAD block): say where, calmly.
            message = (
                f"still loading the app after {self._after:.0f} s; it is at {where}. "
                "If it is stuck, save a fix and it will be interrupted."
            )
        else:
            message = (
                f"the reload has been running for {self._after:.0f} s; it is at {where}. "
                "The last good version keeps serving; save a fix to try again."
            )
        if not self._still_running():
            return
        self._say(message)
        while not self._done.wait(0.1):
            if self._newer_changes() and threading.main_thread().ident == self._thread_id:
                self._interrupter.interrupt(self._token, self._where())
                return


@contextmanager
def capture_signals(interrupter: Interrupter) -> Iterator[None]:
    """SIGTERM raises Stop and SIGUSR1 delivers the watchdog's interrupt, in the main
    thread, for the duration; the previous handlers are restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be handled in the main thread
        return
    previous_term = signal.signal(signal.SIGTERM, _raise_stop)
    previous_usr1 = signal.signal(signal.SIGUSR1, interrupter.on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGUSR1, previous_usr1)


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop


def hard_exit_after(seconds: float, code: int) -> threading.Timer:
    """The console script's safety net: whatever hangs on the way out (a server
    thread, an app's atexit handler), the process is gone after ``seconds``,
    with ``code`` as its exit status. Never used when devreload runs inside
    another program (``reloader.main()``): it would kill its caller."""
    timer = threading.Timer(seconds, _exit_now, args=(code,))
    timer.daemon = True
    timer.start()
    return timer


def _exit_now(code: int) -> None:
    logger.warning("shutdown took too long; exiting with status %d", code)
    sys.stderr.flush()
    os._exit(code)
