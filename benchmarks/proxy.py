"""The tab behind a reverse proxy against the tab opened directly: one save, two tabs.

One devreload process serves the base Gradio app (benchmarks/apps.py: a Markdown
holding the marker, a Chatbot, a MultimodalTextbox, NO_RELOAD 1 s). A real nginx
(Debian's package, :class:`reloader.testing.Nginx`) serves it at ``/app/`` with the
configuration most guides give (prefix stripped, nginx's response buffering left
on), as on a remote box. Two Chromium tabs, each in a browser context of its own:
one on the server's own port, one through nginx. Each save writes a new marker;
from just before the write, each tab's figure is when its DOM shows it (the
MutationObserver of benchmarks/measure.py, on the same wall clock). Both tabs take
the same save, so the per-save difference is the proxy's cost alone.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .apps import AppSpec, new_marker, write_app
from .measure import Tab, wait_http_ok
from .processes import ServerProcess, free_port
from .tools import tool_by_key

if TYPE_CHECKING:
    from playwright.sync_api import Browser

__all__ = ["ProxyRun", "measure_proxy"]

#: Where nginx serves the app.
PREFIX = "/app/"
#: Between a save showing in both tabs and the next save.
GAP_SECONDS = 0.5
#: devreload's client is connected and Gradio's frontend listens for reloads.
_LISTENS = (
    "() => !!(window.__devreloadTab && window.__devreloadTab.connected &&"
    " window.__devreloadGradio && window.__devreloadGradio.listening)"
)


@dataclass
class ProxyRun:
    status: str = "ok"
    reason: str = ""
    #: From the save to each tab showing it, per measured save.
    direct_ms: list[float] = field(default_factory=list)
    proxied_ms: list[float] = field(default_factory=list)

    def extra_ms(self) -> list[float]:
        """Per save: how much later the tab through the proxy showed it."""
        return [p - d for d, p in zip(self.direct_ms, self.proxied_ms, strict=True)]

    def medians(self) -> dict[str, float | None]:
        return {
            "direct": _median(self.direct_ms),
            "proxied": _median(self.proxied_ms),
            "extra": _median(self.extra_ms()),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "direct_ms": [round(v, 1) for v in self.direct_ms],
            "proxied_ms": [round(v, 1) for v in self.proxied_ms],
            "median_ms": {
                k: (None if v is None else round(v, 1)) for k, v in self.medians().items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProxyRun:
        return cls(
            data["status"], data["reason"], list(data["direct_ms"]), list(data["proxied_ms"])
        )


def measure_proxy(browser: Browser, folder: Path, rounds: int, warmup: int = 1) -> ProxyRun:
    """Serve the base app with devreload behind nginx; time ``rounds`` saves in both tabs."""
    from reloader.testing import Nginx, ProxiedApp

    run = ProxyRun()
    if Nginx.executable() is None:
        run.status, run.reason = "skipped", "nginx is not installed (Debian: apt-get install nginx)"
        return run
    tool = tool_by_key("devreload")
    app = write_app(folder / "app", AppSpec())
    port = free_port()
    server = ServerProcess(
        tool.command(app, port), cwd=app.root, env=tool.env(app, port), log_path=folder / "log"
    )
    nginx = Nginx(folder / "nginx", [ProxiedApp(PREFIX, port)])
    tabs: list[Tab] = []
    try:
        spawned = server.start()
        if wait_http_ok(port, "/", spawned, spawned + 90, server.alive) is None:
            run.status, run.reason = "failed", "devreload did not serve a page within 90 s"
            return run
        nginx.start()
        tabs = [Tab(browser, f"http://127.0.0.1:{port}/"), Tab(browser, nginx.url + PREFIX)]
        for tab in tabs:
            if not tab.open(app.marker, 60):
                raise RuntimeError(f"{tab.url} did not show the app within 60 s")
            tab.page.wait_for_function(_LISTENS, timeout=30_000)
        for round_ in range(warmup + rounds):
            marker = new_marker()
            for tab in tabs:
                tab.arm(marker)
            started = time.time()
            app.save(app.text_with(marker), marker)
            seen = [tab.seen_at(marker, 30) for tab in tabs]
            if None in seen:
                where = "directly" if seen[0] is None else "through nginx"
                raise RuntimeError(f"save {round_ + 1}: the tab opened {where} never showed it")
            if round_ >= warmup:
                direct, proxied = ((at - started) * 1000 for at in seen if at is not None)
                run.direct_ms.append(direct)
                run.proxied_ms.append(proxied)
            time.sleep(GAP_SECONDS)
    except Exception as error:  # the section failing must not end the run
        run.status, run.reason = "failed", f"{type(error).__name__}: {error}"
    finally:
        for tab in tabs:
            tab.close()
        with contextlib.suppress(Exception):
            nginx.stop()
        server.stop()
    return run


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
