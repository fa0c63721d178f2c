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
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from reloader._frames import Whereabouts, whereabouts

__all__ = [
    "Abandoned",
    "Interrupter",
    "Stop",
    "Watchdog",
    "capture_signals",
    "hard_exit_after",
    "ignore_stop_signals",
    "stop_signals_deferred",
]

logger = logging.getLogger("reloader.supervisor")

#: How often the watchdog reads where the watched code is.
SAMPLE_SECONDS = 0.1
#: The first load imports the app's frameworks (Gradio takes 5 to 10 s on a slow
#: machine): an import is reported only once it has run this long.
FIRST_LOAD_IMPORT_SECONDS = 30.0


class Stop(BaseException):
    """Raised in the main thread by SIGTERM, like KeyboardInterrupt for SIGINT."""


class Abandoned(BaseException):
    """Raised in the main thread when a newer save arrives while user code hangs."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


class Interrupter:
    """Interrupts one execution of user code in the main thread, and only that one,
    and never while it is inside the import of a library (code outside ``roots``):
    an interrupt landing there is dropped, and the watchdog asks again."""

    def __init__(self, roots: Sequence[Path] = ()) -> None:
        self._roots = tuple(roots)
        self._lock = threading.Lock()
        self._tokens = itertools.count(1)
        #: The token of the execution under way in the main thread, if any.
        self._running: int | None = None
        #: (token, where) of an interrupt sent and not yet raised.
        self._pending: tuple[int, str] | None = None
        #: The token whose execution was interrupted: it is not interrupted twice.
        self._raised: int | None = None

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
            if self._running != token or self._raised == token:
                return False
            self._pending = (token, where)
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGUSR1)
            return True

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Runs in the main thread, possibly inside `running()`'s own lock: read, don't lock.
        pending, running = self._pending, self._running
        if pending is not None and running is not None and pending[0] == running:
            self._pending = None
            found = whereabouts(frame, self._roots)
            if found is not None and found.importing is not None:
                return
            self._raised = running
            raise Abandoned(pending[1])


class Watchdog:
    """Watches one execution of user code from another thread.

    After ``after_seconds`` it says where the code is (file and line); if a
    save then arrives while it is still running, it interrupts it so that the
    save, a fix presumably, is loaded without a restart. A save made before it
    said so is an ordinary edit: it is loaded once the running code is done.

    Never in the middle of a library's import: that is not a hang (importing a
    framework takes seconds), and an import cut halfway leaves the library
    broken for the rest of the process. The interrupt waits for the import to
    end, and the first load says nothing about one before ``import_seconds``.
    """

    def __init__(
        self,
        interrupter: Interrupter,
        token: int,
        *,
        after_seconds: float,
        roots: list[Path],
        saves_seen: Callable[[], int],
        say: Callable[[str], None],
        first_load: bool = False,
        import_seconds: float = FIRST_LOAD_IMPORT_SECONDS,
    ) -> None:
        self._interrupter = interrupter
        self._token = token
        self._after = after_seconds
        self._import_seconds = import_seconds
        self._roots = roots
        self._saves_seen = saves_seen
        self._say = say
        self._first_load = first_load
        self._thread_id = threading.get_ident()
        self._done = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._watch, name="devreload-hang", daemon=True)

    def __enter__(self) -> Watchdog:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join(timeout=1.0)

    def _whereabouts(self) -> Whereabouts | None:
        return whereabouts(sys._current_frames().get(self._thread_id), self._roots)

    def _still_running(self) -> bool:
        return not self._done.is_set() and self._interrupter.is_running(self._token)

    def _watch(self) -> None:
        if not self._first_load and (self._done.wait(self._after) or not self._still_running()):
            return
        said = False
        saves_when_said = 0
        # The first load's clock runs only outside libraries' imports: importing the
        # app's frameworks takes seconds on a slow machine and is no sign of a hang.
        outside_imports = 0.0
        # Act on two readings in a row that agree on whether a library is being
        # imported: a stack read while a frame returns may look cut short.
        last: Whereabouts | None = None
        read_at = time.monotonic()
        while self._still_running():
            now, previous = self._whereabouts(), last
            last = now
            since, read_at = read_at, time.monotonic()
            if now is not None and _agree(now, previous):
                if not said:
                    if now.importing is None:
                        outside_imports += read_at - since
                    message = self._message(now, read_at - self._started, outside_imports)
                    if message is not None:
                        if not self._still_running():
                            return
                        saves_when_said = self._saves_seen()
                        self._say(message)
                        said = True
                elif (
                    now.importing is None
                    and self._saves_seen() > saves_when_said
                    and self._in_main_thread()
                ):
                    # Dropped if it lands in a library's import: then sent again.
                    self._interrupter.interrupt(self._token, now.where)
            if self._done.wait(SAMPLE_SECONDS):
                return

    def _in_main_thread(self) -> bool:
        return threading.main_thread().ident == self._thread_id

    def _message(self, seen: Whereabouts, seconds: float, outside_imports: float) -> str | None:
        """What to say ``seconds`` after the start; None: nothing yet."""
        where, importing = seen.where, seen.importing
        if not self._first_load:
            doing = f" (importing {importing})" if importing else ""
            return (
                f"the reload has been running for {self._after:.0f} s; it is at {where}{doing}. "
                "The last good version keeps serving; save a fix to try again."
            )
        if importing is None:
            if outside_imports < self._after:
                return None
            # A slow first load is normal (a model in a NO_RELOAD block): say where, calmly.
            return (
                f"still loading the app after {int(seconds)} s; it is at {where}. "
                "If it is stuck, save a fix and it will be interrupted."
            )
        if seconds >= self._import_seconds:
            return (
                f"the first load has been importing {importing} for {int(seconds)} s; it is at "
                f"{where}. A save is loaded once that import ends; if it never does, stop "
                "devreload with Ctrl+C."
            )
        return None


def _agree(now: Whereabouts, previous: Whereabouts | None) -> bool:
    """Two readings in a row agree on whether a library is being imported."""
    return previous is not None and (now.importing is None) == (previous.importing is None)


@contextmanager
def capture_signals(interrupter: Interrupter) -> Iterator[None]:
    """SIGTERM raises Stop and SIGUSR1 delivers the watchdog's interrupt, in the main
    thread, for the duration; the previous handlers are restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be handled in the main thread
        return
    previous_int = signal.getsignal(signal.SIGINT)
    previous_term = signal.signal(signal.SIGTERM, _raise_stop)
    previous_usr1 = signal.signal(signal.SIGUSR1, interrupter.on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGUSR1, previous_usr1)


@contextmanager
def stop_signals_deferred() -> Iterator[None]:
    """For the duration, a first Ctrl+C or SIGTERM waits for the block to end (the
    app's cleanup: a flush cut short loses data), then acts; a second one acts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def defer(signum: int, frame: FrameType | None) -> None:
        if received:
            _stop_for(signum)
        received.append(signum)

    previous_int = signal.signal(signal.SIGINT, defer)
    previous_term = signal.signal(signal.SIGTERM, defer)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
    if received:
        _stop_for(received[0])


def _stop_for(signum: int) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stop


def ignore_stop_signals() -> None:
    """Once stopping: a second Ctrl+C (or SIGTERM) would raise inside the shutdown and
    print a traceback; the shutdown is bounded anyway. ``capture_signals`` puts the
    handlers back when it ends."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


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
