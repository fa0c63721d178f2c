"""``GET /__devreload__/status``: the engine's status, now or once the next outcome is in.

``?after=N&wait=S`` holds the answer until an outcome newer than ``seq`` N (a save
served, patched or failed; a reload's outcome comes once its tabs confirm it, at
most 5 s) or until S seconds have passed (at most :data:`MAX_WAIT_SECONDS`). The
wait is a coroutine on the server's loop, woken from the reporting thread: it
holds no thread, and other requests go on meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from reloader._events import StatusBoard

__all__ = ["MAX_WAIT_SECONDS", "QueryError", "StatusQuery", "next_outcome", "serve_status"]

logger = logging.getLogger("reloader.channel")

#: The longest a status request (or the MCP ``wait_for_reload`` tool) waits.
MAX_WAIT_SECONDS = 60.0

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class QueryError(ValueError):
    """A status query that cannot be answered; the message is one sentence for the caller."""


@dataclass(frozen=True)
class StatusQuery:
    #: Wait for an outcome newer than this ``seq`` (None: newer than the current one).
    after: int | None = None
    #: How long to wait, clamped to :data:`MAX_WAIT_SECONDS` (None: answer at once).
    wait: float | None = None

    @classmethod
    def parse(cls, query: str | bytes) -> StatusQuery:
        text = query.decode("latin-1") if isinstance(query, bytes) else query
        values = parse_qs(text)
        after = wait = None
        if "after" in values:
            try:
                after = int(values["after"][0])
            except ValueError:
                raise QueryError(
                    f"after={values['after'][0]!r} is not a whole number; pass the seq of "
                    "the status you last read."
                ) from None
        if "wait" in values:
            try:
                wait = float(values["wait"][0])
            except ValueError:
                wait = -1.0
            if not wait >= 0:  # also NaN
                raise QueryError(
                    f"wait={values['wait'][0]!r} is not a number of seconds; pass e.g. wait=10."
                )
            wait = min(wait, MAX_WAIT_SECONDS)
        return cls(after, wait)


async def next_outcome(
    board: StatusBoard, after: int | None, timeout: float, closing: asyncio.Event | None = None
) -> dict[str, Any]:
    """The status once an outcome newer than ``after`` is in, or after ``timeout``
    seconds (then ``"timed_out": true``). An ``after`` above the current ``seq`` comes
    from another devreload run: answered at once. ``closing`` ends the wait early."""
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()

    def wake() -> None:
        with suppress(RuntimeError):  # the server's loop is closed: nobody waits
            loop.call_soon_threadsafe(changed.set)

    unsubscribe = board.subscribe(wake)
    seen = board.seq if after is None else after
    deadline = loop.time() + min(max(timeout, 0.0), MAX_WAIT_SECONDS)
    try:
        while board.seq == seen:
            left = deadline - loop.time()
            if left <= 0 or (closing is not None and closing.is_set()):
                break
            changed.clear()
            if board.seq != seen:
                break
            waiters = {asyncio.ensure_future(changed.wait())}
            if closing is not None:
                waiters.add(asyncio.ensure_future(closing.wait()))
            try:
                await asyncio.wait(waiters, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
    finally:
        unsubscribe()
    answer = board.snapshot()
    answer["timed_out"] = answer["seq"] == seen
    return answer


async def serve_status(
    board: StatusBoard,
    scope: Scope,
    receive: Receive,
    send: Send,
    closing: asyncio.Event | None = None,
) -> None:
    """Answer one ``/__devreload__/status`` request (raw ASGI; any adapter mounts it
    behind the app's own auth)."""
    method = scope.get("method")
    headers = [(b"cache-control", b"no-store")]
    if method not in ("GET", "HEAD"):
        await _respond(send, 405, b"", [*headers, (b"allow", b"GET, HEAD")])
        return
    try:
        query = StatusQuery.parse(scope.get("query_string", b""))
    except QueryError as error:
        body = (str(error) + "\n").encode()
        await _respond(send, 400, body, [*headers, (b"content-type", b"text/plain")])
        return
    try:
        if query.wait is None or method == "HEAD":
            answer = board.snapshot()
        else:
            waited = await _unless_gone(
                next_outcome(board, query.after, query.wait, closing), receive
            )
            if waited is None:  # the caller hung up
                return
            answer = waited
        body = json.dumps(answer, default=str).encode()
        status = 200
    except Exception as error:  # the engine's bug must not kill the server
        logger.exception("the status failed")
        status, body = 500, json.dumps({"error": repr(error)}).encode()
    await _respond(
        send,
        status,
        b"" if method == "HEAD" else body,
        [*headers, (b"content-type", b"application/json")],
        length=len(body),
    )


async def _unless_gone(
    waiting: Awaitable[dict[str, Any]], receive: Receive
) -> dict[str, Any] | None:
    """``waiting``'s answer, or None as soon as the client disconnects."""
    answer = asyncio.ensure_future(waiting)

    async def gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    hung_up = asyncio.ensure_future(gone())
    try:
        await asyncio.wait({answer, hung_up}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hung_up.cancel()
        if not answer.done():
            answer.cancel()
        await asyncio.gather(answer, hung_up, return_exceptions=True)
    return answer.result() if not answer.cancelled() else None


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    length: int | None = None,
) -> None:
    headers = [*headers, (b"content-length", str(len(body) if length is None else length).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
