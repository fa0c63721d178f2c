"""Browser push: an in-memory broadcast with one queue per connected tab.

Publishing happens on the reload thread; each subscriber is an async generator
running on the server's event loop, so a message is handed over with
``call_soon_threadsafe`` and reaches the socket without any polling.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources

from reloader.notify._tabs import Tabs

__all__ = [
    "STREAM_HEADERS",
    "TAB_PATH",
    "WORKER_PATH",
    "Broadcaster",
    "Message",
    "client_script",
    "since_of",
    "sse",
    "tab_message",
    "worker_script",
]

logger = logging.getLogger("reloader.push")

#: An event on an idle stream this often: proxies close a response that stays silent
#: (nginx's proxy_read_timeout and most load balancers': 60 s; Heroku's router: 55 s).
HEARTBEAT_SECONDS = 15.0
#: How soon the browser opens a stream again once it is cut (a proxy that ends long
#: responses, a restart): its own default is 3 to 5 s, and a save made meanwhile
#: waits for it. The stream's hello then says what the tabs missed.
RECONNECT_MS = 1000
#: The event stream's response headers: never cached, compressed or buffered by a proxy
#: (nginx honours X-Accel-Buffering; no-transform keeps compressing proxies off).
STREAM_HEADERS = (("Cache-Control", "no-cache, no-transform"), ("X-Accel-Buffering", "no"))
#: Where a page says hello, what it shows, and bye (POST, JSON; see reloader.notify._tabs).
TAB_PATH = "/__devreload__/tab"
#: The SharedWorker that holds one stream for all the tabs of a browser.
WORKER_PATH = "/__devreload__/worker.js"


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


def worker_script() -> str:
    """The SharedWorker script served at :data:`WORKER_PATH`."""
    return resources.files("reloader").joinpath("data", "worker.js").read_text(encoding="utf-8")


#: Handed to every stream when the server stops: each ends, and its connection with it.
_CLOSE = Message("close")


class _Subscriber:
    def __init__(self, loop: asyncio.AbstractEventLoop, channel: str) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Message] = asyncio.Queue()
        #: Named in the stream's hello: the tabs on this stream say hello with it.
        self.channel = channel


class Broadcaster:
    """Fan-out of reload/error messages to every open stream, and the tabs behind them.

    A stream is one browser's shared connection (devreload's client holds one per
    browser, in a SharedWorker, for all the tabs of the app), or one tab's. It opens
    with a ``hello`` event naming the stream (its channel) and the version served;
    each ``reload`` event carries the version it moves the pages to. The tabs say
    hello, and what they show, to :attr:`tabs`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[_Subscriber] = set()
        self._channels = itertools.count(1)
        #: Tells a page whose stream reconnects that the server behind it restarted.
        self.server_id = secrets.token_hex(4)
        #: The current error, replayed to tabs that connect while it stands.
        self.standing_error: Message | None = None
        #: How many reloads were published: a page is served with the number of its
        #: version, and when its stream says a higher one the page knows it missed one.
        self.version = 0
        #: The open tabs and what each shows.
        self.tabs = Tabs()
        #: The last reload's data, in the hello: a page that missed it takes it as told.
        self._last_reload = "{}"

    @property
    def streams(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def publish(self, message: Message) -> int:
        """Hand ``message`` to every stream (any thread); return the tabs told.

        A reload carries the version it moves the pages to, and opens the round of
        confirmations that the engine reads (:meth:`Tabs.last_round`)."""
        if message.event == "error":
            self.standing_error = message
        with self._lock:
            if message.event == "reload":
                self.standing_error = None
                self.version += 1
                message = Message("reload", _with_version(message.data, self.version))
                self._last_reload = message.data
                told = self.tabs.open_round(self.version).told
            else:
                told = self.tabs.count
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber.loop.call_soon_threadsafe(subscriber.queue.put_nowait, message)
            except RuntimeError:  # its loop is closed: the stream is gone
                continue
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

    async def stream(self, *, since: int | None = None, **_: object) -> AsyncIterator[str]:
        """Server-sent events for one stream, until it disconnects. ``since``: the
        version a page that opens its own stream was served at; a reload published
        after it is told at once as a "stale" event (the hello says it too)."""
        channel = f"{self.server_id}-{next(self._channels)}"
        subscriber = _Subscriber(asyncio.get_running_loop(), channel)
        with self._lock:
            self._subscribers.add(subscriber)
            version = self.version
            last_reload = json.loads(self._last_reload)
        hello = {
            "channel": channel,
            "version": version,
            "server": self.server_id,
            "reload": last_reload,
        }
        try:
            # Opening the stream right away lets the client know it is connected.
            yield f"retry: {RECONNECT_MS}\n: connected\n\n"
            if since is not None and since < version:
                yield sse(Message("stale", json.dumps({"version": version})))
            yield sse(Message("hello", json.dumps(hello)))
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
            self.tabs.channel_closed(channel)


def _with_version(data: str, version: int) -> str:
    try:
        payload = json.loads(data or "{}")
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    payload["version"] = version
    return json.dumps(payload)


def tab_message(body: bytes, tabs: Tabs) -> bool:
    """A page's ``POST /__devreload__/tab`` (JSON): False if it is not one."""
    try:
        message = json.loads(body or b"null")
    except ValueError:
        return False
    return isinstance(message, dict) and tabs.handle(message)


def since_of(query: str | bytes) -> int | None:
    """The ``since=`` version of a stream request's query string, if it has one."""
    from urllib.parse import parse_qs

    text = query.decode("latin-1") if isinstance(query, bytes) else query
    values = parse_qs(text).get("since")
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None
