"""Toyweb: a tiny web framework, the one docs/adapters.md writes an adapter for.

An app is one page of text; ``app.run()`` serves it with http.server.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["ToyApp", "ToyServer"]


class ToyApp:
    def __init__(self, text: str, title: str = "Toyweb") -> None:
        self.text = text
        self.title = title

    def page(self, head: str = "") -> str:
        return (
            f"<!doctype html><html><head><title>{html.escape(self.title)}</title>{head}</head>"
            f'<body><p id="text">{html.escape(self.text)}</p></body></html>'
        )

    def run(self, host: str = "127.0.0.1", port: int = 8080) -> None:
        """Serve the app until the process is stopped."""
        ToyServer(self, host, port).serve_forever()


class ToyServer(ThreadingHTTPServer):
    """Serves ``self.app`` at ``/``; ``head`` goes into the page, ``routes`` add GET paths."""

    daemon_threads = True

    def __init__(self, app: ToyApp, host: str, port: int) -> None:
        super().__init__((host, port), _Handler)
        self.app = app
        self.head = ""
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}


class _Handler(BaseHTTPRequestHandler):
    server: ToyServer

    def do_GET(self) -> None:
        route = self.server.routes.get(self.path)
        if route is not None:
            route(self)
            return
        if self.path != "/":
            self.send_error(404)
            return
        body = self.server.app.page(self.server.head).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet
