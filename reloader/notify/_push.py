"""Browser push: an in-memory broadcast with one queue per connected tab.

Publishing happens on the reload thread; each subscriber is an async generator
running on the server's event loop, so a message is handed over with
``call_soon_threadsafe`` and reaches the socket without any polling.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources

__all__ = ["Broadcaster", "Message", "client_script", "since_of", "sse"]

logger = logging.getLogger("reloader.push")

HEARTBEAT_SECONDS = 15.0


@dataclass(frozen=True)
class Message:
    event: str
    data: str = "{}"


def sse(message: Message) -> str:
    return f"event: {message.event}\ndata: {message.data}\n\n"


def client_script(morph: bool = True) -> str:
    """The error overlay / reload client that adapters inject into pages.

    With ``morph`` (server-rendered HTML pages) it carries idiomorph, kept out of the
    page's globals, so that a save patches the live DOM instead of reloading the tab
    (typed values, ticked boxes, focus and scroll stay). Pages whose own frontend
    re-renders itself (Gradio) pass ``morph=False`` and get the small client.
    """
    data = resources.files("reloader").joinpath("data")
    client = data.joinpath("client.js").read_text(encoding="utf-8")
    if not morph:
        return client
    idiomorph = data.joinpath("idiomorph.min.js").read_text(encoding="utf-8")
    return (
        "window.__devreloadIdiomorph=window.__devreloadIdiomorph||(function(){\n"
        f"{idiomorph}\nreturn Idiomorph;}})();\n{client}"
    )


#: Handed to every stream when the server stops: each ends, and its connection with it.
_CLOSE = Message("close")


class _Subscriber:
    def __init__(self, loop: asyncio.AbstractEventLoop, counted: bool) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Message] = asyncio.Queue()
        self.counted = counted


class Broadcaster:
    """Fan-out of reload/error messages to every subscribed browser tab."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[_Subscriber] = set()
        #: The current error, replayed to tabs that connect while it stands.
        self.standing_error: Message | None = None
        #: How many reloads were published: a page is served with the number of its
        #: version, and its stream, opened with ``since=`` that number, is told at
        #: once (a "stale" event) when a reload went out between the two.
        self.version = 0

    @property
    def tabs(self) -> int:
        with self._lock:
            return sum(1 for s in self._subscribers if s.counted)

    def publish(self, message: Message) -> int:
        """Hand ``message`` to every subscriber (any thread); return the tabs told."""
        if message.event == "error":
            self.standing_error = message
        with self._lock:
            if message.event == "reload":
                self.standing_error = None
                self.version += 1
            subscribers = list(self._subscribers)
        told = 0
        for subscriber in subscribers:
            try:
                subscriber.loop.call_soon_threadsafe(subscriber.queue.put_nowait, message)
            except RuntimeError:  # its loop is closed: the tab is gone
                continue
            told += subscriber.counted
        return told

    def close(self) -> None:
        """End every stream (any thread): the server is stopping, and a connection
        held open would keep it waiting for that response to finish."""
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber.loop.call_soon_threadsafe(subscriber.queue.put_nowait, _CLOSE)
            except RuntimeError:  # its loop is closed: the tab is gone
                continue

    def error(self, headline: str, details: str, title: str = "") -> int:
        """An error for the overlay: ``title`` says what kind of problem it is (the
        client's default: a failed save), the text below it is headline and details."""
        text = f"{headline}\n\n{details}"
        return self.publish(Message("error", json.dumps({"title": title, "text": text})))

    async def stream(self, *, counted: bool = True, since: int | None = None) -> AsyncIterator[str]:
        """Server-sent events for one tab, until it disconnects. ``since``: the version
        the page was served at; a reload published after it (while the page was still
        loading, before this stream opened) is told at once as a "stale" event."""
        subscriber = _Subscriber(asyncio.get_running_loop(), counted)
        with self._lock:
            self._subscribers.add(subscriber)
            missed = since is not None and since < self.version
        try:
            # Opening the stream right away lets the client know it is connected.
            yield ": connected\n\n"
            if missed:
                yield sse(Message("stale", json.dumps({"version": self.version})))
            if self.standing_error is not None:
                yield sse(self.standing_error)
            while True:
                try:
                    message = await asyncio.wait_for(
                        subscriber.queue.get(), timeout=HEARTBEAT_SECONDS
                    )
                except TimeoutError:
                    yield sse(Message("heartbeat"))
                    continue
                if message is _CLOSE:
                    return
                yield sse(message)
        finally:
            with self._lock:
                self._subscribers.discard(subscriber)


def since_of(query: str | bytes) -> int | None:
    """The ``since=`` version of a stream request's query string, if it has one."""
    from urllib.parse import parse_qs

    text = query.decode("latin-1") if isinstance(query, bytes) else query
    values = parse_qs(text).get("since")
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None
