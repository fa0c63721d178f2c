"""The app uvicorn serves: it forwards each connection to the current app.

A swap starts the new app's lifespan while the old app keeps serving, and
switches once the startup is complete; the old app's lifespan is shut down
once the requests that started on it have finished (at most
:data:`DRAIN_SECONDS`). The proxy also answers ``/__devreload__/events`` (the
server-sent event stream the client listens to), ``/__devreload__/client.js``,
and, behind the app's own auth, ``/__devreload__/status`` and the MCP server at
``/__devreload__/mcp`` (:mod:`reloader.channel`): the request is first put to the
app as it is, then as ``GET /`` with the same headers; if the app refuses it (401,
403, or for the first one a redirect, to a login page say), its answer goes back
unchanged (see :meth:`ASGIProxy._refusal`). Once a new app serves, the WebSockets
still open on the old one are closed so that their pages reconnect to the new one
(see :mod:`reloader.adapters.asgi.sockets`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    MutableMapping,
    Sequence,
)
from contextlib import suppress
from pathlib import Path
from typing import Any, cast

from reloader._events import StatusBoard
from reloader._frames import user_traceback
from reloader.adapters.asgi.inject import CLIENT_PATH, EVENTS_PATH, ClientInjection, send_client
from reloader.adapters.asgi.lifespan import Lifespan, StartupFailure
from reloader.adapters.asgi.sockets import ClosableSocket
from reloader.channel import CHANNEL_PATHS, MCP_PATH, STATUS_PATH, ProgramChannel
from reloader.notify import (
    STREAM_HEADERS,
    TAB_PATH,
    WORKER_PATH,
    Broadcaster,
    Message,
    since_of,
    tab_message,
    worker_script,
)

__all__ = ["DRAIN_SECONDS", "STARTUP_REPORT_SECONDS", "STATUS_PATH", "ASGIProxy"]

logger = logging.getLogger("reloader.adapters.asgi")

#: How long requests that started on the old app may run on after a swap
#: before its lifespan is shut down under them (and that is reported).
DRAIN_SECONDS = 10.0
#: A new app's lifespan startup still running after this long is reported.
STARTUP_REPORT_SECONDS = 5.0
#: How long the status route waits for the app's own answer to the same request.
AUTH_CHECK_SECONDS = 10.0

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ASGIProxy:
    """The app uvicorn serves: forwards each connection to the current app."""

    def __init__(
        self,
        app: Any,
        broadcaster: Broadcaster,
        *,
        lifespan: bool = True,
        roots: Sequence[Path] = (),
        say: Callable[[str], None] | None = None,
        status: StatusBoard | None = None,
        page_script: str = "",
        morph: bool = True,
        close_replaced_sockets: bool = True,
    ) -> None:
        #: JavaScript the adapter adds to the client in every page.
        self.page_script = page_script
        #: Close the WebSockets of an app a swap replaced (False: the page script
        #: moves the page to the new app itself, as Shiny's opens a new session).
        self.close_replaced_sockets = close_replaced_sockets
        #: The open WebSockets of each app, while it is current or retiring.
        self._sockets: dict[Lifespan, set[ClosableSocket]] = {}
        #: False (``--no-keep-state``): pages reload on a save instead of being morphed.
        self.morph = morph
        #: ``/__devreload__/status`` and ``/__devreload__/mcp`` (404 without a status).
        self.channel = ProgramChannel(status) if status is not None else None
        self.current = Lifespan(app, lifespan)
        #: A new app whose lifespan startup is running; it becomes current once done.
        self.pending: Lifespan | None = None
        #: Old apps waiting for their requests to end before their lifespan shutdown.
        self._retiring: dict[Lifespan, asyncio.Task[None]] = {}
        self.say = say
        self.broadcaster = broadcaster
        self.loop: asyncio.AbstractEventLoop | None = None
        self._closing = asyncio.Event()
        self.startup_failure: StartupFailure | None = None
        #: Frames under these folders make up the tracebacks shown for lifespan errors.
        self.roots = tuple(roots)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind == "http" and _path(scope) == EVENTS_PATH:
            await self._events(scope, receive, send)
            return
        if kind == "http" and _path(scope) in CHANNEL_PATHS:
            await self._program_channel(scope, receive, send)
            return
        if kind == "http" and _path(scope) == CLIENT_PATH:
            await send_client(send, self.page_script, self.morph)
            return
        if kind == "http" and _path(scope) in (TAB_PATH, WORKER_PATH):
            await self._tab_channel(scope, receive, send)
            return
        target = self.current
        scope = dict(scope)
        # As uvicorn does for its app: this app's lifespan state, copied per request.
        scope["state"] = dict(target.state)
        socket = None
        if kind == "websocket" and self.close_replaced_sockets:
            socket = ClosableSocket(receive, send)
            receive, send = socket.receive, socket.send
            self._sockets.setdefault(target, set()).add(socket)
        target.enter()
        try:
            await ClientInjection(
                target.app,
                self.page_script,
                morph=self.morph,
                version=self.broadcaster.version,
                roots=self.roots,
            )(scope, receive, send)
        finally:
            target.leave()
            if socket is not None:
                self._sockets.get(target, set()).discard(socket)

    # -- lifespan ----------------------------------------------------------------

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        self.loop = asyncio.get_running_loop()
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                failure = await self.current.startup()
                if failure is None:
                    await send({"type": "lifespan.startup.complete"})
                else:
                    self.startup_failure = self._failure(failure, self.current)
                    await send({"type": "lifespan.startup.failed", "message": ""})
            elif message["type"] == "lifespan.shutdown":
                self.close_streams()
                if self.pending is not None:
                    self.pending.abandon()
                # The server is stopping: old apps are shut down without waiting.
                for old, task in list(self._retiring.items()):
                    task.cancel()
                    await old.shutdown()
                problem = await self.current.shutdown()
                if problem is not None:
                    logger.warning("the app's lifespan shutdown failed: %s", problem)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def swap(self, app: Any) -> StartupFailure | None:
        """Start ``app``'s lifespan while the current app keeps serving, and make it
        current once the startup is complete; then retire the old app. On a failed
        startup the old app stays; the failure is returned. A swap still waiting
        for its startup is abandoned by a newer one."""
        old = self.current
        if self.pending is not None:
            where, _ = self.pending.where(self.roots)
            self.pending.abandon()
            self.pending = None
            if self.say is not None:
                self.say(
                    f"abandoned the new app's lifespan startup stuck at {where} for a newer save"
                )
        if app is old.app:
            return None
        new = self.pending = Lifespan(app, old.enabled)
        started = time.monotonic()
        failure = await new.startup()
        if new.abandoned:
            return None
        self.pending = None
        late = time.monotonic() - started > STARTUP_REPORT_SECONDS
        if failure is not None:
            if late and self.say is not None:
                self.say(f"the new app's lifespan startup failed:\n{failure}")
            return self._failure(failure, new)
        self.current = new
        for socket in self._sockets.pop(old, set()):
            await socket.close()
        self._retiring[old] = asyncio.get_running_loop().create_task(
            self._retire(old), name="devreload-retire"
        )
        if late:
            # The swap was reported as stuck; tell the terminal and the tabs it is done.
            if self.say is not None:
                self.say(
                    f"the new app's lifespan startup finished after "
                    f"{time.monotonic() - started:.0f} s; serving it"
                )
            self.broadcaster.publish(Message("reload"))
        return None

    async def where_startup_is(self) -> tuple[str, str]:
        """Where the pending app's lifespan startup is stuck, and its user frames."""
        if self.pending is None:
            return "an unknown place", ""
        return self.pending.where(self.roots)

    async def _retire(self, old: Lifespan) -> None:
        """Shut ``old``'s lifespan down once the requests that started on it are done."""
        try:
            try:
                await asyncio.wait_for(old.idle.wait(), DRAIN_SECONDS)
            except TimeoutError:
                if self.say is not None:
                    self.say(
                        f"{old.active} request(s) still running on the previous version after "
                        f"{DRAIN_SECONDS:.0f} s; shutting its lifespan down under them"
                    )
            problem = await old.shutdown()
            if problem is not None:
                logger.warning("the old app's lifespan shutdown failed: %s", problem)
        finally:
            self._retiring.pop(old, None)

    def _failure(self, text: str, lifespan: Lifespan) -> StartupFailure:
        error = lifespan.error
        if error is None:
            lines = [line for line in text.strip().splitlines() if line.strip()]
            headline = lines[-1] if lines else "lifespan startup failed"
            return StartupFailure(f"Lifespan startup failed: {headline}", text)
        details = user_traceback(error, self.roots)
        return StartupFailure(
            f"{type(error).__name__} in lifespan startup: {error}".rstrip(": "), details
        )

    async def _refusal(self, scope: Scope) -> list[MutableMapping[str, Any]] | None:
        """The app's answer if it refuses this request, else None.

        Two questions, with the request's own headers and cookies: this very
        request (an auth middleware refuses it with 401 or 403, or sends it to a
        login page; an app that lets it through answers 404, or a catch-all page),
        then ``GET /`` (an auth check on the routes, a dependency, refuses that
        with 401 or 403; a redirect of ``/`` is no refusal there, ``/`` often
        redirects everyone to the docs)."""
        answer = await self._app_answer(scope)
        if _status_of(answer) not in _LET_THROUGH:
            return answer
        root = str(scope.get("root_path", ""))
        index = {**scope, "method": "GET", "path": root + "/", "raw_path": (root + "/").encode()}
        index["query_string"] = b""
        answer = await self._app_answer(index)
        return answer if _status_of(answer) in (401, 403) else None

    async def _app_answer(self, scope: Scope) -> list[MutableMapping[str, Any]]:
        """The current app's answer to ``scope`` (a bodiless request), as messages; a
        503 if it gives none within :data:`AUTH_CHECK_SECONDS`. A body that does not
        end soon after an answer that lets the request through is not waited for."""
        target = self.current
        scope = dict(scope)
        scope["state"] = dict(target.state)
        answer: list[MutableMapping[str, Any]] = []
        started, done = asyncio.Event(), asyncio.Event()
        requested = False

        async def receive() -> MutableMapping[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def collect(message: MutableMapping[str, Any]) -> None:
            answer.append(message)
            started.set()
            if message["type"] == "http.response.body" and not message.get("more_body"):
                done.set()

        target.enter()
        task = asyncio.ensure_future(target.app(scope, receive, collect))
        try:
            waiter = asyncio.ensure_future(started.wait())
            await asyncio.wait(
                {task, waiter}, timeout=AUTH_CHECK_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
            allowed = _status_of(answer) in _LET_THROUGH
            # The rest of the answer: replayed if it is a refusal, else not waited for long.
            await asyncio.wait({task}, timeout=AUTH_CHECK_SECONDS if not allowed else 1.0)
        finally:
            done.set()
            if not task.done():
                task.cancel()
            outcome: object = (await asyncio.gather(task, return_exceptions=True))[0]
            target.leave()
        if not answer:
            logger.warning("the app gave no answer to the status route's request: %r", outcome)
            return [
                {"type": "http.response.start", "status": 503, "headers": []},
                {"type": "http.response.body", "body": b"the app did not answer\n"},
            ]
        return answer

    async def _program_channel(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The status and MCP routes, for editors and agents, if the app lets this
        request through (see :meth:`_refusal`)."""
        channel = self.channel
        if channel is None:
            body = b"no status here\n"
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        refusal = await self._refusal(scope)
        if refusal is not None:
            await _replay(refusal, send)
            return
        if _path(scope) == MCP_PATH:
            await channel.mcp(scope, receive, send)
        else:
            await channel.status(scope, receive, send)

    # -- browser push ------------------------------------------------------------------

    async def _tab_channel(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The shared worker's script (GET), and what the tabs say (POST, JSON)."""
        method = scope.get("method")
        if _path(scope) == WORKER_PATH and method in ("GET", "HEAD"):
            body = worker_script().encode("utf-8")
            status, kind = 200, b"text/javascript; charset=utf-8"
        elif _path(scope) == TAB_PATH and method == "POST":
            received = b""
            while True:
                message = await receive()
                received += message.get("body", b"")
                if not message.get("more_body") or len(received) > 65536:
                    break
            ok = tab_message(received, self.broadcaster.tabs)
            body, status, kind = b"", 204 if ok else 400, b"text/plain"
        else:
            body, status, kind = b"", 405, b"text/plain"
        headers = [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-cache"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

    def close_streams(self) -> None:
        """End every open event stream, status wait and MCP session (call on the
        server's loop)."""
        self._closing.set()
        if self.channel is not None:
            self.channel.close()

    async def _events(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "GET":
            await send(
                {"type": "http.response.start", "status": 405, "headers": [(b"allow", b"GET")]}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream"),
                    *((key.lower().encode(), value.encode()) for key, value in STREAM_HEADERS),
                ],
            }
        )
        since = since_of(scope.get("query_string", b""))
        stream = cast(AsyncGenerator[str, None], self.broadcaster.stream(since=since))

        async def pump() -> None:
            async for chunk in stream:
                await send(
                    {"type": "http.response.body", "body": chunk.encode(), "more_body": True}
                )

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        tasks = {
            asyncio.ensure_future(pump()),
            asyncio.ensure_future(disconnected()),
            asyncio.ensure_future(self._closing.wait()),
        }
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await stream.aclose()
        with suppress(Exception):  # the tab may be gone already
            await send({"type": "http.response.body", "body": b"", "more_body": False})


#: The app's answers that let the status route's request through (its routing ran).
_LET_THROUGH = frozenset({200, 201, 202, 203, 204, 206, 404, 405})


def _status_of(answer: Sequence[MutableMapping[str, Any]]) -> int:
    return int(answer[0].get("status", 500)) if answer else 500


async def _replay(messages: Sequence[MutableMapping[str, Any]], send: Send) -> None:
    """Send an answer collected from the app, as it was."""
    for message in messages:
        await send(message)
    if messages and messages[-1].get("more_body"):
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _path(scope: Scope) -> str:
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path", ""))
    if root and path.startswith(root + "/"):
        return path[len(root) :]
    return path
