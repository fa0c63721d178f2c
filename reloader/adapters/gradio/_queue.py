"""Gradio's queue, kept across saves: its loops woken when there is work instead of
polling (:func:`wake_on_work`), and the settings each saved version gives it
(:func:`follow_queue_settings`).

Gradio's queue runs two loops that poll. The queue loop (``start_processing``)
sleeps ``sleep_when_free`` (1 ms in Gradio 6, 50 ms in Gradio 5) whenever it has
nothing to start: no event waits, every worker is busy, or every waiting event's
concurrency limit is reached; an event that the page or the HTTP API pushes waits
for its next check. The progress loop (``start_progress_updates``) sleeps
``progress_update_sleep_when_free`` (10 ms, 100 ms) whether or not a job runs. An
idle Gradio 6 server wakes about 900 times a second for them: about 3 % of a core.

What the loops wait for happens in the queue's own methods: an event is pushed
(``push``), a job starts (``process_events`` is called) or ends (it returns). The
queue's class is swapped for a subclass that wakes the waiting loop from each, and
whose loops sleep ``LONGEST_SLEEP_SECONDS`` while there is nothing to do (and the
progress loop Gradio's interval while a job runs). A pushed event starts at once,
however long the loop meant to sleep, and an idle server barely wakes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

__all__ = ["LONGEST_SLEEP_SECONDS", "Sleeper", "follow_queue_settings", "wake_on_work"]

#: The longest a loop sleeps with nothing to do: the bound, should an event ever reach
#: the queue some other way than ``push``; how soon a stopped queue's loops end; and
#: how soon events held back by a concurrency limit that a save raised start, when no
#: job ends before (follow_queue_settings runs on the reload thread and wakes nothing).
LONGEST_SLEEP_SECONDS = 0.25

_SLEEP_CODE = asyncio.sleep.__code__


class Sleeper:
    """One loop's sleeps, each of which :meth:`wake` ends early.

    The loop calls ``asyncio.sleep(seconds)`` with what :meth:`seconds` returns; that
    runs in the loop's task just before it sleeps. Right after, once the task waits,
    the future its sleep waits on is kept (``Task._fut_waiter``, checked to be the one
    ``asyncio.sleep`` itself awaits), with the timer that would resolve it, and
    :meth:`wake` cancels that timer and resolves that very future, never anything else
    the loop might wait for (a lock). The timer goes first: had it already come due in
    the same pass of the event loop, it would find the future resolved and raise.
    Everything runs on the queue's event loop. Where the sleep cannot be found, the
    loop polls at Gradio's pace.
    """

    def __init__(self, longest: float = LONGEST_SLEEP_SECONDS) -> None:
        self.longest = longest
        #: The future of the sleep under way and the timer that ends it, once found.
        self._sleep: asyncio.Future[Any] | None = None
        self._timer: asyncio.TimerHandle | None = None
        #: Between seconds() and finding the sleep: whether wake() came meanwhile.
        self._finding = False
        self._woken = False

    @property
    def sleeping(self) -> bool:
        """Whether the loop is in a sleep that :meth:`wake` can end."""
        return self._sleep is not None and not self._sleep.done()

    def seconds(self, polling: float) -> float:
        """How long the loop sleeps now: until woken, or ``polling`` if that cannot be done."""
        try:
            task = asyncio.current_task()
        except RuntimeError:  # read outside the queue's event loop
            task = None
        if task is None or not hasattr(task, "_fut_waiter"):
            return polling
        self._sleep = None
        self._finding, self._woken = True, False
        task.get_loop().call_soon(self._find, task)
        return self.longest

    def _find(self, task: asyncio.Task[Any]) -> None:
        self._finding = False
        waiter = getattr(task, "_fut_waiter", None)
        awaited = getattr(task.get_coro(), "cr_await", None)
        if waiter is None or getattr(awaited, "cr_code", None) is not _SLEEP_CODE:
            return  # not in the sleep (it ended already): nothing to end
        # asyncio.sleep's own locals: the future it awaits and its timer.
        frame = getattr(awaited, "cr_frame", None)
        sleep_locals = frame.f_locals if frame is not None else {}
        timer = sleep_locals.get("h")
        if sleep_locals.get("future") is not waiter or not hasattr(timer, "cancel"):
            return  # not the sleep we know: it ends by itself
        self._sleep, self._timer = waiter, timer
        if self._woken:
            self.wake()

    def wake(self) -> None:
        """There is something to do: end the loop's sleep now."""
        sleep, timer = self._sleep, self._timer
        self._sleep = self._timer = None
        if sleep is not None and timer is not None and not sleep.done():
            timer.cancel()
            sleep.set_result(None)
        elif self._finding:
            self._woken = True


_woken_classes: dict[type, type] = {}


def wake_on_work(queue: Any, longest: float = LONGEST_SLEEP_SECONDS) -> None:
    """Make ``queue``'s loops sleep until there is work (see the module doc).

    ``queue`` is a Gradio Queue whose loops compat checked (``QUEUE_LOOPS``). It may be
    running: its loops read how long to sleep on every pass. Done again for the same
    queue (a second launch), it only sets the longest sleep.
    """
    base = type(queue)
    if getattr(base, "_devreload_woken", False):
        # The loops may be asleep on these very sleepers: keep them.
        queue._devreload_work.longest = queue._devreload_job.longest = longest
        return
    own = vars(queue)
    if "sleep_when_free" in own:  # Gradio's values, set in __init__: its pace where we cannot wake
        queue._devreload_polling = own.pop("sleep_when_free")
    if "progress_update_sleep_when_free" in own:
        queue._devreload_progress = own.pop("progress_update_sleep_when_free")
    queue._devreload_work = Sleeper(longest)
    queue._devreload_job = Sleeper(longest)
    woken = _woken_classes.get(base)
    if woken is None:
        woken = _woken_classes[base] = _woken_class(base)
    queue.__class__ = woken


def _woken_class(base: type) -> type:
    class WokenQueue(base):
        _devreload_woken = True
        _devreload_work: Sleeper  # the queue loop's: woken by an event pushed, a job ended
        _devreload_job: Sleeper  # the progress loop's, while no job runs: woken by a job started
        _devreload_polling: float = 0.001
        _devreload_progress: float = 0.01

        @property
        def sleep_when_free(self) -> float:
            return self._devreload_work.seconds(self._devreload_polling)

        @sleep_when_free.setter
        def sleep_when_free(self, value: float) -> None:
            self._devreload_polling = value

        @property
        def progress_update_sleep_when_free(self) -> float:
            if any(job is not None for job in self.active_jobs):
                return self._devreload_progress
            return self._devreload_job.seconds(self._devreload_progress)

        @progress_update_sleep_when_free.setter
        def progress_update_sleep_when_free(self, value: float) -> None:
            self._devreload_progress = value

        async def push(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return await super().push(*args, **kwargs)
            finally:
                self._devreload_work.wake()

        async def process_events(self, *args: Any, **kwargs: Any) -> Any:
            self._devreload_job.wake()
            try:
                return await super().process_events(*args, **kwargs)
            finally:
                self._devreload_work.wake()

    WokenQueue.__name__ = WokenQueue.__qualname__ = base.__name__
    return WokenQueue


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
