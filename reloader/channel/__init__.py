"""The reload channel for programs: what an editor or a coding agent asks devreload.

Two routes beside the app, as framework-free ASGI endpoints that every adapter
mounts behind the app's own auth (:class:`ProgramChannel`):

* ``GET /__devreload__/status``: the engine's status as JSON; with
  ``?after=N&wait=S`` the answer waits for the next outcome (:mod:`._status`);
* ``/__devreload__/mcp``: the same as MCP tools, for agents (:mod:`._mcp`; needs
  the optional ``mcp`` package).

Their JSON, and the events of ``--events json``, are described by the JSON Schema
``reloader/data/events.schema.json`` (:func:`events_schema`).
"""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress
from importlib import resources
from typing import Any

from reloader._events import StatusBoard
from reloader.channel._mcp import MCPEndpoint
from reloader.channel._status import (
    Receive,
    Scope,
    Send,
    serve_status,
)

__all__ = ["CHANNEL_PATHS", "MCP_PATH", "STATUS_PATH", "ProgramChannel", "events_schema"]

STATUS_PATH = "/__devreload__/status"
MCP_PATH = "/__devreload__/mcp"
CHANNEL_PATHS = frozenset({STATUS_PATH, MCP_PATH})


def events_schema() -> dict[str, Any]:
    """The JSON Schema of the events and of the status answers (package data)."""
    text = resources.files("reloader").joinpath("data", "events.schema.json").read_text("utf-8")
    return dict(json.loads(text))


class ProgramChannel:
    """The status route and the MCP server of one served app, over one status board.

    Both run on the server's event loop (the first request tells which); waits and
    MCP sessions end when :meth:`close` is called (from any thread) at shutdown.
    """

    def __init__(self, board: StatusBoard) -> None:
        self.board = board
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing_event: asyncio.Event | None = None
        self._closed = False
        self._mcp = MCPEndpoint(board, self._closing)

    def _closing(self) -> asyncio.Event:
        if self._closing_event is None:
            self._loop = asyncio.get_running_loop()
            self._closing_event = asyncio.Event()
            if self._closed:
                self._closing_event.set()
        return self._closing_event

    async def status(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /__devreload__/status`` (see :mod:`reloader.channel._status`)."""
        await serve_status(self.board, scope, receive, send, self._closing())

    async def mcp(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``/__devreload__/mcp``: MCP's streamable HTTP transport (GET, POST, DELETE)."""
        self._closing()
        await self._mcp(scope, receive, send)

    def close(self) -> None:
        """End the waits and the MCP sessions (any thread; the server is stopping)."""
        self._closed = True
        loop, closing = self._loop, self._closing_event
        if loop is not None and closing is not None:
            with suppress(RuntimeError):  # the loop is closed already
                loop.call_soon_threadsafe(closing.set)
