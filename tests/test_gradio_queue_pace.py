"""Gradio's queue checks for events often after a save or an event, rarely when idle
(the Gradio adapter's ``_queue``), on a real Gradio queue."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import gradio as gr

from reloader.adapters.base import PageUpdate
from reloader.adapters.gradio import GradioAdapter
from reloader.adapters.gradio._queue import (
    BUSY_CHECK_SECONDS,
    IDLE_AFTER_SECONDS,
    IDLE_CHECK_SECONDS,
    QueuePace,
    pace_queue,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def a_queue() -> gr.queueing.Queue:
    with gr.Blocks() as demo:
        gr.Markdown("x")
    return demo._queue


def test_the_pace_is_busy_after_activity_and_idle_a_while_later() -> None:
    clock = Clock()
    pace = QueuePace(clock)
    assert pace.seconds() == BUSY_CHECK_SECONDS
    clock.now += IDLE_AFTER_SECONDS - 1
    assert pace.seconds() == BUSY_CHECK_SECONDS
    clock.now += 1
    assert pace.seconds() == IDLE_CHECK_SECONDS
    pace.touch()
    assert pace.seconds() == BUSY_CHECK_SECONDS


def test_a_paced_queue_is_still_gradios_queue_and_sleeps_at_the_pace() -> None:
    clock = Clock()
    queue = a_queue()
    pace_queue(queue, QueuePace(clock))
    assert isinstance(queue, gr.queueing.Queue)
    assert queue.sleep_when_free == BUSY_CHECK_SECONDS
    clock.now += IDLE_AFTER_SECONDS
    assert queue.sleep_when_free == IDLE_CHECK_SECONDS
    # Pacing the same queue again (a second launch) only changes its pace.
    pace_queue(queue, QueuePace(clock))
    assert queue.sleep_when_free == BUSY_CHECK_SECONDS
    assert type(queue).__mro__[1] is gr.queueing.Queue


def test_an_event_pushed_to_the_queue_counts_as_activity() -> None:
    clock = Clock()
    queue = a_queue()
    pace_queue(queue, QueuePace(clock))
    clock.now += IDLE_AFTER_SECONDS
    assert queue.sleep_when_free == IDLE_CHECK_SECONDS
    # Gradio's own push runs (and refuses a body without a function).
    # In a thread of its own: another test's browser may run an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        body = SimpleNamespace(fn_index=None)
        answer = pool.submit(lambda: asyncio.run(queue.push(body, None, None))).result()  # type: ignore[arg-type]
    assert answer[0] is False
    assert queue.sleep_when_free == BUSY_CHECK_SECONDS


def test_every_save_the_adapter_is_told_of_makes_the_queue_busy() -> None:
    adapter = GradioAdapter()
    clock = Clock()
    adapter._queue_pace = QueuePace(clock)
    for kind in ("patch", "reload"):
        clock.now += IDLE_AFTER_SECONDS
        assert adapter._queue_pace.seconds() == IDLE_CHECK_SECONDS
        adapter.notify(PageUpdate(kind))
        assert adapter._queue_pace.seconds() == BUSY_CHECK_SECONDS
