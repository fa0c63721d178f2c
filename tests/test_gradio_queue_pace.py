"""Gradio's queue loops sleep until there is work instead of polling (the Gradio
adapter's ``_queue``), on a real Gradio server: an event pushed to an idle queue runs,
and a job's progress is sent, although the loops were told to sleep for an hour."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import gradio as gr
import pytest

from reloader.adapters.gradio._queue import Sleeper, wake_on_work
from reloader.adapters.gradio.compat import resolve
from reloader.testing import free_port, wait_for

#: Longer than any test: a loop that is not woken does not run again within it.
AN_HOUR = 3600.0


class Served:
    def __init__(self, demo: gr.Blocks, url: str, release: threading.Event) -> None:
        self.demo = demo
        self.url = url
        self.release = release
        #: Gradio's own intervals (1 and 10 ms in Gradio 6, 50 and 100 ms in Gradio 5).
        self.intervals = (demo._queue.sleep_when_free, demo._queue.progress_update_sleep_when_free)

    @property
    def queue(self) -> Any:
        return self.demo._queue

    def post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    def stream(self, path: str) -> Iterator[str]:
        """The data lines of a server-sent event stream (each read waits 10 s at most)."""
        with urllib.request.urlopen(self.url + path, timeout=10) as answer:
            for line in answer:
                text = line.decode().strip()
                if text.startswith("data:"):
                    yield text[len("data:") :].strip()

    def both_loops_asleep(self) -> bool:
        return bool(self.queue._devreload_work.sleeping and self.queue._devreload_job.sleeping)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    release = threading.Event()

    def echo(text: str) -> str:
        return f"echo {text}"

    def slow(text: str, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008 (Gradio's way)
        progress(0.5, desc="half way")
        release.wait(10)
        return f"slow {text}"

    with gr.Blocks(analytics_enabled=False) as demo:
        box = gr.Textbox()
        out = gr.Textbox()
        gr.Button("echo").click(echo, box, out, api_name="echo")
        gr.Button("slow").click(slow, box, out, api_name="slow")
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        served = Served(demo, f"http://127.0.0.1:{port}{resolve().api_prefix}", release)
        wake_on_work(demo._queue, longest=AN_HOUR)
        yield served
    finally:
        release.set()
        demo.close()


def test_the_woken_queue_is_still_gradios_queue(served: Served) -> None:
    queue = served.queue
    assert isinstance(queue, gr.queueing.Queue)
    assert type(queue).__mro__[1] is gr.queueing.Queue
    # Read outside the queue's event loop, the intervals are Gradio's own.
    assert (queue.sleep_when_free, queue.progress_update_sleep_when_free) == served.intervals
    wake_on_work(queue, longest=AN_HOUR)  # a second launch of the same queue
    assert type(queue).__mro__[1] is gr.queueing.Queue


def test_an_event_pushed_to_an_idle_queue_runs_at_once(served: Served) -> None:
    wait_for(served.both_loops_asleep, what="both queue loops asleep (not polling)")
    event = served.post("/call/echo", {"data": ["hi"]})["event_id"]
    answers = list(served.stream(f"/call/echo/{event}"))
    assert json.loads(answers[-1]) == ["echo hi"]
    wait_for(served.both_loops_asleep, what="both queue loops asleep again after the event")


def test_a_running_job_sends_its_progress(served: Served) -> None:
    """The progress loop sleeps while no job runs, and is woken when one starts."""
    wait_for(served.both_loops_asleep, what="both queue loops asleep (not polling)")
    session = uuid.uuid4().hex
    fn_index = next(fn._id for fn in served.demo.fns.values() if fn.api_name == "slow")
    served.post(
        "/queue/join",
        {"data": ["x"], "fn_index": fn_index, "session_hash": session, "trigger_id": None},
    )
    seen = []
    try:
        for data in served.stream(f"/queue/data?session_hash={session}"):
            message = json.loads(data)
            seen.append(message["msg"])
            if message["msg"] == "progress":
                served.release.set()  # the handler may end now
            if message["msg"] == "process_completed":
                break
    finally:
        served.release.set()
    assert "progress" in seen, seen
    assert seen[-1] == "process_completed"


def test_a_wake_as_the_sleep_comes_due_leaves_its_timer_nothing_to_do() -> None:
    """A push in the very pass of the event loop in which the sleep's own timer came
    due: the sleep ends once, and the loop reports no error (uvloop, which Gradio runs
    under uvicorn, runs due timers before other callbacks, so this happens there)."""

    async def main() -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        errors: list[dict[str, Any]] = []
        loop.set_exception_handler(lambda _, context: errors.append(context))
        sleeper = Sleeper(longest=0.05)

        async def queue_loop() -> None:
            await asyncio.sleep(sleeper.seconds(polling=1.0))

        task = loop.create_task(queue_loop())
        await asyncio.sleep(0)  # the loop sleeps; the sleeper finds that sleep next
        await asyncio.sleep(0)
        assert sleeper.sleeping
        loop.call_later(0.01, sleeper.wake)  # due before the sleep's own timer
        time.sleep(0.1)  # both come due in the same pass
        await asyncio.wait_for(task, 1)
        await asyncio.sleep(0.01)
        return errors

    # On a thread of its own: a Playwright page of an earlier test in this worker keeps
    # an event loop running on the main thread.
    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(lambda: asyncio.run(main())).result() == []
