"""The ASGI lifespan protocol, driven by devreload for each app it serves.

Each app gets its own :class:`Lifespan`: one task on the server's loop running
the app with a ``lifespan`` scope, its state (copied into each request's
scope), and a count of the requests in progress on it, so that the proxy can
shut it down only once they are done.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import traceback
from collections.abc import (
    Awaitable,
    Callable,
    MutableMapping,
    Sequence,
)
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from reloader._frames import user_frames

__all__ = ["LIFESPAN_SHUTDOWN_SECONDS", "Lifespan", "StartupFailure"]

logger = logging.getLogger("reloader.adapters.asgi")

#: How long an old app's lifespan shutdown may take before it is cancelled.
LIFESPAN_SHUTDOWN_SECONDS = 5.0

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class StartupFailure:
    """A lifespan startup that failed: one sentence and the user-code traceback."""

    headline: str
    details: str


class Lifespan:
    """One app and its own run of the ASGI lifespan protocol."""

    def __init__(self, app: Any, enabled: bool) -> None:
        self.app = app
        self.enabled = enabled
        #: The lifespan state: each request to this app gets a shallow copy.
        self.state: dict[str, Any] = {}
        self.error: BaseException | None = None
        self._inbox: asyncio.Queue[dict[str, Any]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._received = False
        self._started: asyncio.Future[str | None] | None = None
        self._stopped: asyncio.Future[str | None] | None = None
        #: Requests and websockets in progress on this app, and set when there are none.
        self.active = 0
        self.idle = asyncio.Event()
        self.idle.set()
        #: Set when a newer swap gave up on this app's (unfinished) startup.
        self.abandoned = False

    def enter(self) -> None:
        self.active += 1
        self.idle.clear()

    def leave(self) -> None:
        self.active -= 1
        if self.active == 0:
            self.idle.set()

    def abandon(self) -> None:
        """Give up on an unfinished startup: cancel the lifespan task."""
        self.abandoned = True
        if self._task is not None:
            self._task.cancel()

    def where(self, roots: Sequence[Path]) -> tuple[str, str]:
        """Where the lifespan task is waiting (``file, line N`` of the innermost user
        frame) and the user frames of its await chain, innermost last."""
        if self._task is None or self._task.done():
            return "an unknown place", ""
        frames = _await_chain(self._task.get_coro())
        summary = traceback.StackSummary.extract((frame, frame.f_lineno) for frame in frames)
        shown = user_frames(summary, roots) or list(summary)
        if not shown:
            return "an unknown place", ""
        place = f"{shown[-1].filename}, line {shown[-1].lineno}"
        return place, "".join(traceback.format_list(shown))

    async def startup(self) -> str | None:
        """Run the app's startup; None when done (or unsupported), else the failure."""
        if not self.enabled:
            return None
        loop = asyncio.get_running_loop()
        self._inbox = asyncio.Queue()
        self._started = loop.create_future()
        self._stopped = loop.create_future()
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        self._task = loop.create_task(self._run(scope), name="devreload-lifespan")
        await self._inbox.put({"type": "lifespan.startup"})
        waiting: set[asyncio.Future[Any]] = {self._started, self._task}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if self._started.done():
            return self._started.result()
        if self.abandoned:
            return "abandoned for a newer save"
        if self.error is not None and self._received:
            return "".join(traceback.format_exception(self.error))
        # It raised without even reading the startup event, or returned: an
        # app that does not do lifespan, as uvicorn's lifespan="auto" sees it.
        logger.debug("%r does not support the lifespan protocol", self.app)
        return None

    async def shutdown(self) -> str | None:
        """Run the app's shutdown; None when done, else the failure."""
        task, stopped = self._task, self._stopped
        if task is None or stopped is None or task.done() or self._inbox is None:
            return None
        await self._inbox.put({"type": "lifespan.shutdown"})
        waiting: set[asyncio.Future[Any]] = {stopped, task}
        done, _ = await asyncio.wait(
            waiting, timeout=LIFESPAN_SHUTDOWN_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        if not done:
            task.cancel()
            return f"the lifespan shutdown did not finish within {LIFESPAN_SHUTDOWN_SECONDS:.0f} s"
        if stopped.done():
            return stopped.result()
        if self.error is not None:
            return "".join(traceback.format_exception(self.error))
        return None

    async def _run(self, scope: Scope) -> None:
        try:
            await self.app(scope, self._receive, self._send)
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # reported through startup()/shutdown()
            self.error = error
            if isinstance(error, KeyboardInterrupt | SystemExit):
                raise

    async def _receive(self) -> dict[str, Any]:
        assert self._inbox is not None
        self._received = True
        return await self._inbox.get()

    async def _send(self, message: MutableMapping[str, Any]) -> None:
        kind = message["type"]
        future = self._started if kind.startswith("lifespan.startup.") else self._stopped
        if future is None or future.done():
            return
        if kind.endswith(".failed"):
            future.set_result(str(message.get("message") or f"{kind} without a message"))
        else:
            future.set_result(None)


def _await_chain(awaitable: Any, limit: int = 200) -> list[FrameType]:
    """The frames of a suspended coroutine and of everything it awaits, outermost
    first (a coroutine's ``cr_frame`` has no ``f_back`` while it is suspended)."""
    frames: list[FrameType] = []
    current = awaitable
    while current is not None and len(frames) < limit:
        frame = None
        for attribute in ("cr_frame", "gi_frame", "ag_frame"):
            frame = getattr(current, attribute, None)
            if frame is not None:
                break
        if frame is not None:
            frames.append(frame)
        following = None
        for attribute in ("cr_await", "gi_yieldfrom", "ag_await"):
            following = getattr(current, attribute, None)
            if following is not None:
                break
        if following is None and frame is None:
            # An async generator's asend()/athrow() awaitable (an @asynccontextmanager
            # lifespan) exposes its generator only as a referent.
            referents = gc.get_referents(current)
            following = next((ref for ref in referents if inspect.isasyncgen(ref)), None)
        current = following
    return frames
