"""WebSocket connections of an app that a full reload replaced: closed, so that
the pages reconnect to the new app.

The proxy hands each connection to the app that is current when it opens, and
an open WebSocket stays on it: after a save, an open tab would go on talking to
the old app's handler (old code, old globals) for as long as it stays connected.
So once a new app serves, the old app's WebSockets are closed with code 1012
("service restart"), which clients such as htmx's ws extension answer by
reconnecting: to the new app. The old app's handler gets a disconnect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import suppress
from typing import Any

__all__ = ["SERVICE_RESTART", "ClosableSocket"]

logger = logging.getLogger("reloader.adapters.asgi")

#: The WebSocket close code for "the server is restarting; reconnect".
SERVICE_RESTART = 1012

Message = MutableMapping[str, Any]


class ClosableSocket:
    """One WebSocket connection, between uvicorn and an app, that the proxy can end."""

    def __init__(
        self, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
    ) -> None:
        self._receive = receive
        self._send = send
        self._closing = asyncio.Event()
        self._accepted = False
        #: Either side ended the connection.
        self._ended = False

    async def receive(self) -> Message:
        """The client's next message; a disconnect once :meth:`close` was called."""
        if self._closing.is_set():
            return _disconnect()
        message = asyncio.ensure_future(self._receive())
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait({message, closing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
        if not message.done():
            message.cancel()
            return _disconnect()
        result = message.result()
        if result["type"] == "websocket.disconnect":
            self._ended = True
        return result

    async def send(self, message: Message) -> None:
        """Pass the app's message on; once closed, the app's late messages go nowhere."""
        if self._closing.is_set() or self._ended:
            return
        if message["type"] == "websocket.accept":
            self._accepted = True
        elif message["type"] == "websocket.close":
            self._ended = True
        await self._send(message)

    async def close(self) -> None:
        """Close the client's side with :data:`SERVICE_RESTART` and end the app's."""
        if self._ended or self._closing.is_set():
            return
        self._closing.set()
        if not self._accepted:
            return  # still opening: the app's own answer to the handshake is dropped
        with suppress(Exception):  # the client may be gone already
            await self._send(
                {"type": "websocket.close", "code": SERVICE_RESTART, "reason": "app reloaded"}
            )


def _disconnect() -> Message:
    return {"type": "websocket.disconnect", "code": SERVICE_RESTART}
