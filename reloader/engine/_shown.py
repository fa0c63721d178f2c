"""A save's line waits, briefly, for the tabs to show it.

The swap and the push never wait: the reload pipeline hands its "reloaded" (or
"patched") event here and goes on with the next save. The event is emitted once
every tab told confirms it shows the new version, or after :data:`SHOWN_BOUND_SECONDS`,
with how many do and how long the slowest took (from the save). An event the engine
emits meanwhile (a newer save's, say) first lets the held one out, with what came
in so far: lines stay in order, one per save. A tab that confirms after its line
was printed, or that cannot show the save and reloads itself, is reported on a line
of its own (see :meth:`ShownLines.tab_news`).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from reloader._events import Event
from reloader.notify import Round, TabNews, Tabs

__all__ = ["SHOWN_BOUND_SECONDS", "ShownLines"]

#: How long a save's line waits for the tabs' confirmations.
SHOWN_BOUND_SECONDS = 5.0


@dataclass
class _Held:
    event: Event
    round: Round
    deadline: float


class ShownLines:
    """Holds each reload's event until its tabs show it; one thread for the process."""

    def __init__(self, emit: Callable[[Event], None], bound: float = SHOWN_BOUND_SECONDS) -> None:
        self._emit = emit
        self._bound = bound
        self._condition = threading.Condition()
        self._held: _Held | None = None
        self._thread: threading.Thread | None = None
        self._tabs: Tabs | None = None

    def watch(self, tabs: Tabs | None) -> None:
        """The tabs whose confirmations count (the adapter's); their news is told too."""
        self._tabs = tabs
        if tabs is not None:
            tabs.listeners.append(self.tab_news)

    def mark(self) -> Round | None:
        """Before a push: the round a push after it opens is another one."""
        return self._tabs.last_round() if self._tabs is not None else None

    def submit(self, event: Event, mark: Round | None) -> Event:
        """Emit ``event`` once the tabs told by the push after ``mark`` show it."""
        round_ = self.mark()
        if round_ is None or round_ is mark or not round_.expected:
            return self.emit(event)
        self.flush()
        held = _Held(event, round_, time.monotonic() + self._bound)
        with self._condition:
            self._held = held
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="devreload-shown-lines", daemon=True
                )
                self._thread.start()
            self._condition.notify()
        round_.on_done.append(self._wake)
        if round_.done.is_set():
            self._wake()
        return event

    def emit(self, event: Event) -> Event:
        """Emit now, after the line still held (lines keep the order of the saves)."""
        self.flush()
        self._emit(event)
        return event

    def flush(self) -> None:
        with self._condition:
            held, self._held = self._held, None
        if held is not None:
            self._release(held)

    def _wake(self) -> None:
        with self._condition:
            self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                held = self._held
                if held is None:
                    self._condition.wait()
                    continue
                left = held.deadline - time.monotonic()
                if not held.round.done.is_set() and left > 0:
                    self._condition.wait(left)
                    continue
                self._held = None
            self._release(held)

    def _release(self, held: _Held) -> None:
        round_ = held.round
        shown = dict(round_.shown)
        timings = dict(held.event.timings_ms)
        if shown:
            # From the save, as the line's total: the slowest tab's confirmation.
            timings["shown"] = timings.get("total", 0.0) + max(shown.values()) * 1000
        shown_by = self._tabs.numbers(shown) if self._tabs is not None else ()
        self._emit(
            dataclasses.replace(
                held.event,
                tabs=round_.told,
                tabs_shown=len(shown),
                shown_by=shown_by,
                timings_ms=timings,
            )
        )
        if self._tabs is not None:
            self._tabs.reported(round_)

    def tab_news(self, news: TabNews) -> None:
        """A tab could not show a save (it reloads itself, or keeps its page), or shows
        one after its line."""
        tab = news.tab.name()
        if news.kind == "failed" and news.reloads:
            message = (
                f"{tab} could not show the new version ({news.reason}); "
                "it reloads itself with its state"
            )
        elif news.kind == "failed":
            message = f"{tab} keeps its page ({news.reason})"
        else:
            message = f"{tab} shows the new version after {news.seconds * 1000:.0f} ms"
        self._emit(Event("message", message=message))
