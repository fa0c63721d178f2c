"""Test harness: a real devreload process, editor-style saves, waiting with deadlines.

Modelled on werkzeug's dev-server test client: the server runs in a real
subprocess on a free port, readiness and reloads are detected from its output
and its HTTP answers (never fixed sleeps), and its output is printed when a
test fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reloader.testing import (
    EDITOR_SAVES,
    PAGE_LISTENS,
    TRACK_EVENT_SOURCES,
    DevreloadProcess,
    devreload,
    free_port,
    save_atomic,
    save_in_place,
    save_vim,
    wait_for,
)

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "EDITOR_SAVES",
    "PAGE_LISTENS",
    "REPO",
    "TRACK_EVENT_SOURCES",
    "DevreloadProcess",
    "devreload",
    "free_port",
    "markdown_values",
    "offline_cdn",
    "open_app_page",
    "save_atomic",
    "save_in_place",
    "save_vim",
    "wait_for",
]

REPO = Path(__file__).resolve().parent.parent


def markdown_values(config: dict[str, Any]) -> list[str]:
    return [
        str(component["props"].get("value"))
        for component in config["components"]
        if component.get("type") == "markdown"
    ]


# -- headless Chromium -----------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def open_app_page(page: Any, url: str) -> None:
    """Open the app and wait until it listens for reloads (devreload's client is
    connected and Gradio's frontend subscribed, 200 ms after it rendered)."""
    page.add_init_script(TRACK_EVENT_SOURCES)
    page.goto(url)
    page.wait_for_function(PAGE_LISTENS, timeout=20_000)


#: htmx and its WebSocket extension as FastHTML's pages load them from jsDelivr
#: (tests/upstream/vendor, from npm; their licence is in tests/upstream/licenses).
VENDOR = Path(__file__).resolve().parent / "upstream" / "vendor"
_CDN_FILES = {"/npm/htmx.org@2": "htmx.min.js", "/npm/htmx-ext-ws@2": "htmx-ext-ws.js"}


def offline_cdn(page: Any) -> None:
    """Tests run offline, and FastHTML pages load htmx from a CDN: serve the page htmx
    and its ws extension from tests/upstream/vendor, and every other file it asks of
    another host (Pico CSS, fasthtml.js) empty."""

    def answer(route: Any) -> None:
        url = route.request.url
        name = next((name for prefix, name in _CDN_FILES.items() if prefix in url), None)
        body = (VENDOR / name).read_text(encoding="utf-8") if name else ""
        kind = "text/css" if url.split("?")[0].endswith(".css") else "text/javascript"
        route.fulfill(status=200, body=body, content_type=kind)

    page.route("https://**/*", answer)
