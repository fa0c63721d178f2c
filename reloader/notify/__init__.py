"""Stage 5, notify: the server-sent-events broadcast to every open tab, and the
browser client (reloader/data/client.js). Stage 4, swap, is each adapter's own."""

from __future__ import annotations

from reloader.notify._push import Broadcaster, Message, client_script, sse

__all__ = ["Broadcaster", "Message", "client_script", "sse"]
