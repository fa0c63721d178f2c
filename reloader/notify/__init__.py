"""Stage 5, notify: the server-sent-events broadcast to every open tab, the tabs'
confirmations of what they show, and the browser client (reloader/data/client.js,
with the shared connection in reloader/data/worker.js). Stage 4, swap, is each
adapter's own."""

from __future__ import annotations

from reloader.notify._push import (
    STREAM_HEADERS,
    TAB_PATH,
    WORKER_PATH,
    Broadcaster,
    Message,
    client_script,
    since_of,
    tab_message,
    worker_script,
)
from reloader.notify._tabs import Round, TabNews, Tabs

__all__ = [
    "STREAM_HEADERS",
    "TAB_PATH",
    "WORKER_PATH",
    "Broadcaster",
    "Message",
    "Round",
    "TabNews",
    "Tabs",
    "client_script",
    "since_of",
    "tab_message",
    "worker_script",
]
