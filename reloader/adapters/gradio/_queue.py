"""Gradio's queue, kept across saves: how often it looks for events, and the settings
each saved version gives it (:func:`follow_queue_settings`).

How often: often while the developer works.

Gradio's queue loop sleeps ``Queue.sleep_when_free`` between checks when it has
nothing to do (1 ms in Gradio 6, 50 ms in Gradio 5). Every event the page or the
HTTP API sends waits for the next check. At 1 ms an idle dev server wakes a
thousand times a second (about 3.5% of a core on a 2-core machine); at 10 ms it
stays near 1%, but each click then waits 5 ms on average, and a click is how a
developer sees a handler edit.

So the pace follows the developer: the queue checks every ``BUSY_CHECK_SECONDS``
from a save (a reload or a patch) or an event until ``IDLE_AFTER_SECONDS`` pass
without either, and every ``IDLE_CHECK_SECONDS`` after that.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "BUSY_CHECK_SECONDS",
    "IDLE_AFTER_SECONDS",
    "IDLE_CHECK_SECONDS",
    "QueuePace",
    "follow_queue_settings",
    "pace_queue",
]

BUSY_CHECK_SECONDS = 0.001
IDLE_CHECK_SECONDS = 0.01
IDLE_AFTER_SECONDS = 60.0


class QueuePace:
    """The queue's check interval: busy for a while after the latest activity."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._active_at = clock()

    def touch(self) -> None:
        """Something happened (a save, an event): check often for a while."""
        self._active_at = self._clock()

    def seconds(self) -> float:
        idle = self._clock() - self._active_at >= IDLE_AFTER_SECONDS
        return IDLE_CHECK_SECONDS if idle else BUSY_CHECK_SECONDS


_paced_classes: dict[type, type] = {}


def pace_queue(queue: Any, pace: QueuePace) -> None:
    """Make ``queue`` check at ``pace``, each event it is given counting as activity.

    The queue's class is swapped for a subclass whose ``sleep_when_free`` is read
    from ``pace`` each time the loop sleeps: the loop reads that attribute on every
    pass, and nothing else about the queue changes.
    """
    base = type(queue)
    if getattr(base, "_devreload_paced", False):
        queue._devreload_pace = pace
        return
    paced = _paced_classes.get(base)
    if paced is None:
        paced = _paced_classes[base] = _paced_class(base)
    queue._devreload_pace = pace
    queue.__class__ = paced


def _paced_class(base: type) -> type:
    class PacedQueue(base):
        _devreload_paced = True
        _devreload_pace: QueuePace

        @property
        def sleep_when_free(self) -> float:
            return self._devreload_pace.seconds()

        @sleep_when_free.setter
        def sleep_when_free(self, value: float) -> None:
            # Gradio sets it once in __init__, before the class is swapped.
            pass

        async def push(self, *args: Any, **kwargs: Any) -> Any:
            self._devreload_pace.touch()
            return await super().push(*args, **kwargs)

    PacedQueue.__name__ = PacedQueue.__qualname__ = base.__name__
    return PacedQueue


def follow_queue_settings(running: Any, new: Any, fns: Iterable[Any]) -> None:
    """The running queue takes a new version's ``queue()`` settings and event limits.

    A swap keeps the first version's queue (it holds the events in flight), where a
    fresh run has the new version's ``demo.queue(max_size=..., default_concurrency_limit=...)``
    and each event's ``concurrency_limit``. Gradio makes a queue per concurrency id when
    it first gets one of its events and afterwards only ever lowers its limit, so a
    limit that a save raised or removed never applied. (The queue's attributes used
    here are checked when Gradio is imported: compat.ATTRIBUTES.)
    """
    if running is None or new is None or new is running:
        return
    running.max_size = new.max_size
    running.default_concurrency_limit = new.default_concurrency_limit
    limits: dict[Any, int | None] = {}
    for fn in fns:
        limit = fn.concurrency_limit
        if limit == "default":
            limit = running.default_concurrency_limit
        key = fn.concurrency_id
        if key not in limits:
            limits[key] = limit
        elif limit is not None and (limits[key] is None or limit < limits[key]):
            limits[key] = limit  # the lowest of the events that share it, as Gradio has it
    # A copy: the server's loop adds queues while this runs on the reload thread.
    for key, queue in list(running.event_queue_per_concurrency_id.items()):
        if key in limits:
            queue.concurrency_limit = limits[key]
