"""Test harness: a real devreload process, editor-style saves, waiting with deadlines.

Modelled on werkzeug's dev-server test client: the server runs in a real
subprocess on a free port, readiness and reloads are detected from its output
and its HTTP answers (never fixed sleeps), and its output is printed when a
test fails.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reloader.testing import (
    EDITOR_SAVES,
    PAGE_LISTENS,
    TRACK_EVENT_SOURCES,
    DevreloadProcess,
    devreload,
    free_port,
    running,
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
    "serve_source",
    "shared_devreload",
    "status",
    "wait_for",
]

REPO = Path(__file__).resolve().parent.parent


def status(
    process: DevreloadProcess, query: str = "", headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``GET /__devreload__/status{query}`` (a wait's answer, with ``?...&wait=S``)."""
    request = urllib.request.Request(
        process.url + "/__devreload__/status" + query, headers=dict(headers or {})
    )
    with urllib.request.urlopen(request, timeout=75) as response:
        return dict(json.loads(response.read()))


# -- one devreload process for a module's tests ---------------------------------------


@contextmanager
def shared_devreload(
    folder: Path, source: str, args: Sequence[str] = ()
) -> Iterator[DevreloadProcess]:
    """The body of a module-scoped fixture: one devreload process serving
    ``folder/app.py`` (written with ``source``) for the module's tests, which start
    from :func:`serve_source`. A cold start costs seconds; a save, a fraction of one."""
    app = folder / "app.py"
    app.write_text(source)
    with running(DevreloadProcess(app, args=tuple(args))) as process:
        process.wait_ready(90)
        yield process


def serve_source(
    process: DevreloadProcess, source: str, path: Path | None = None
) -> DevreloadProcess:
    """Start a test on a shared process as on a fresh one: the tabs of earlier tests
    gone (so that a save's tab counts are this test's), and ``source`` saved in its app
    file (or in ``path``, a module beside it) and served, whatever the test before left
    there.

    Served means an outcome for this very content (the event's digest of the file): an
    outcome that comes first may be that of an earlier save still on its way."""
    wait_for(lambda: status(process)["tabs"] == [], 20, what="earlier tests' tabs to go")
    path = path or process.app
    if path.read_text() == source:
        wait_for(lambda: status(process)["state"] == "serving", 30, what="the app served")
        return process
    seq = status(process)["seq"]
    save_in_place(path, source)
    digest = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    deadline = time.monotonic() + 30
    while True:
        answer = status(process, f"?after={seq}&wait={max(deadline - time.monotonic(), 0):.1f}")
        assert not answer["timed_out"], f"no outcome for the saved source in 30 s: {answer}"
        if answer["last"].get("digests", {}).get(str(path)) == digest:
            assert answer["state"] == "serving", answer
            return process
        seq = answer["seq"]


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
