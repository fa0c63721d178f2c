"""The MCP server at ``/__devreload__/mcp``: the status route as tools for a coding agent.

Streamable HTTP transport (the MCP specification's, 2025-03-26 on), one session
per client, answers as JSON (no server-sent events: the tools send no messages of
their own). Four tools, whose answers are the status route's JSON:

* ``status``: the status now;
* ``wait_for_reload``: the status once the next outcome is in (``after``: the
  ``seq`` to wait past; by default the one this session last saw, so that "save,
  then wait" needs no bookkeeping);
* ``last_error``: the newest failed save (file, line, traceback) and whether it stands;
* ``open_tabs``: the open tabs and the version each shows.

The ``mcp`` package is optional (``pip install mcp``, devreload's ``mcp`` extra; ``gradio[mcp]``
brings it too): it is imported at the first request, and without it the route
answers with one sentence saying how to install it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from reloader._events import StatusBoard
from reloader.channel._status import MAX_WAIT_SECONDS, next_outcome

__all__ = ["INSTALL_MCP", "MCPEndpoint"]

logger = logging.getLogger("reloader.channel.mcp")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

INSTALL_MCP = (
    "devreload's MCP server needs the mcp package: "
    "pip install mcp (devreload's 'mcp' extra has it) in this environment, "
    "then start devreload again."
)
#: wait_for_reload's default, in seconds.
DEFAULT_WAIT_SECONDS = 30.0

_TOOLS: list[dict[str, Any]] = [
    {
        "name": "status",
        "description": (
            "What devreload serves now: seq (the number of outcomes so far), generation "
            "(versions put in service), state (serving, failed, not watching), last (the "
            "newest outcome: serving, reloaded, patched or failed, with its tier, files, "
            "timings_ms, error with file and line, and which tabs show it) and the open tabs."
        ),
        "inputSchema": {"type": "object", "properties": {}, "additionalProperties": False},
    },
    {
        "name": "wait_for_reload",
        "description": (
            "Call after saving a file: waits until devreload has served, patched or "
            "failed to load a save newer than `after`, including the open tabs' "
            "confirmation that they show it (at most 5 s), and answers as `status` does, "
            "with timed_out true if nothing came within `timeout`. `after` defaults to "
            "the seq of the last answer this session got (or the seq when it connected). "
            "A save of a file the app does not use has no outcome."
        ),
        "inputSchema": {
            "type": "object",
            "properties": {
                "after": {
                    "type": "integer",
                    "description": "Wait for an outcome newer than this seq.",
                },
                "timeout": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": MAX_WAIT_SECONDS,
                    "description": f"Seconds to wait (default {DEFAULT_WAIT_SECONDS:.0f}).",
                },
            },
            "additionalProperties": False,
        },
    },
    {
        "name": "last_error",
        "description": (
            "The newest failed save or load (failed: the event, with error.headline, "
            "error.file, error.line and error.details, the traceback of your code), and "
            "standing: true while the last good version still serves in its place (no "
            "save served since)."
        ),
        "inputSchema": {"type": "object", "properties": {}, "additionalProperties": False},
    },
    {
        "name": "open_tabs",
        "description": (
            "The browser tabs open on the app: number, path, title and the version each "
            "shows (compare with the tabs listed in shown_by of the last outcome)."
        ),
        "inputSchema": {"type": "object", "properties": {}, "additionalProperties": False},
    },
]


@dataclass
class _Session:
    """What one client's session remembers: the ``seq`` of the last answer it got."""

    seen: int


class MCPEndpoint:
    """The MCP server as one ASGI endpoint: its session manager starts, in a task on the
    server's loop, at the first request, and ends its sessions and itself once the
    channel's ``closing`` event is set (at shutdown)."""

    def __init__(self, board: StatusBoard, closing: Callable[[], asyncio.Event]) -> None:
        self._board = board
        self._closing = closing
        self._manager: Any = None
        self._running: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None
        self._failure: BaseException | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") == "GET":
            # The stream for messages the server starts: these tools send none, and
            # the transport lets a server decline it with a 405; no stream then
            # stays open to hold the server up when it stops.
            await _plain(send, 405, "POST here; no stream.", [(b"allow", b"POST, DELETE")])
            return
        if self._manager is None:
            try:
                self._manager = self._build()
            except ImportError:
                await _plain(send, 501, INSTALL_MCP)
                return
        if not await self._started():
            await _plain(send, 503, f"devreload's MCP server failed to start: {self._failure}")
            return
        await self._manager.handle_request(scope, receive, send)

    def _build(self) -> Any:
        from mcp import types
        from mcp.server.lowlevel import Server
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

        board = self._board

        @asynccontextmanager
        async def session(_: Any) -> AsyncIterator[_Session]:
            yield _Session(board.seq)

        server: Any = Server(
            "devreload",
            instructions=(
                "devreload hot-reloads the app being developed. After saving a file, call "
                "wait_for_reload to learn whether the save is live and what the open tabs "
                "show, or what failed (error.file and error.line)."
            ),
            lifespan=session,
        )
        tools = [types.Tool(**tool) for tool in _TOOLS]

        @server.list_tools()  # type: ignore[untyped-decorator,unused-ignore]
        async def list_tools() -> list[Any]:
            return tools

        @server.call_tool()  # type: ignore[untyped-decorator,unused-ignore]
        async def call_tool(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
            remembered: _Session = server.request_context.lifespan_context
            answer = await self._tool(name, arguments, remembered)
            remembered.seen = int(answer["seq"])
            return answer

        return StreamableHTTPSessionManager(app=server, json_response=True)

    async def _tool(
        self, name: str, arguments: dict[str, Any], session: _Session
    ) -> dict[str, Any]:
        board = self._board
        if name == "status":
            return board.snapshot()
        if name == "wait_for_reload":
            after = arguments.get("after")
            timeout = float(arguments.get("timeout", DEFAULT_WAIT_SECONDS))
            return await next_outcome(
                board,
                session.seen if after is None else int(after),
                timeout,
                self._closing(),
            )
        if name == "last_error":
            return board.last_error()
        if name == "open_tabs":
            found = board.snapshot()
            return {key: found[key] for key in ("v", "seq", "generation")} | {
                "tabs": found.get("tabs", [])
            }
        raise ValueError(f"devreload has no tool named {name!r}; it has {_tool_names()}.")

    async def _started(self) -> bool:
        """The session manager runs (in a task of its own on this loop) from the first
        request until :meth:`close`."""
        if self._ready is None:
            self._ready = asyncio.Event()
            self._running = asyncio.get_running_loop().create_task(
                self._run(self._ready), name="devreload-mcp"
            )
        await self._ready.wait()
        return self._failure is None

    async def _run(self, ready: asyncio.Event) -> None:
        try:
            async with self._manager.run():
                ready.set()
                await self._closing().wait()
        except Exception as error:  # reported by the requests, which then answer 503
            logger.exception("the MCP session manager stopped")
            self._failure = error
        finally:
            ready.set()


def _tool_names() -> str:
    return ", ".join(tool["name"] for tool in _TOOLS)


async def _plain(
    send: Send, status: int, sentence: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    body = (sentence + "\n").encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
