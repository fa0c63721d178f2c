"""Run a function once, a moment after the latest of many requests."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Debounced"]

logger = logging.getLogger("reloader.engine")


class Debounced:
    """Runs ``function`` once ``delay`` seconds after the latest request, on one thread
    for the process (not one per request: saves come many a second)."""

    def __init__(self, function: Callable[[], None], delay: float, *, name: str) -> None:
        self._function = function
        self._delay = delay
        self._name = name
        self._due: float | None = None
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        with self._condition:
            self._due = time.monotonic() + self._delay
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                if self._due is None:
                    self._condition.wait()
                    continue
                left = self._due - time.monotonic()
                if left > 0:
                    self._condition.wait(left)
                    continue
                self._due = None
            try:
                self._function()
            except Exception:  # a head start only: whoever needs the result computes it
                logger.debug("%s failed", self._name, exc_info=True)
