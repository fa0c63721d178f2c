"""A cell re-run, timed until the page shows it: ``%%devreload`` against Gradio's ``%%blocks``.

Each tool gets its own IPython kernel (ipykernel, driven as a notebook frontend
drives it, with cell ids) and the same Gradio app in one cell. The cell is run
once (the server starts), a Chromium tab is opened on the app, and then each
round re-runs the cell with a new marker in its ``gr.Markdown``. From just
before the execute request:

- **tab shows**: the open tab's DOM contains the marker (a MutationObserver in
  the page records the moment, on the same wall clock). ``%%blocks`` swaps the
  Blocks but never tells an open tab (checked once per run for 3 s); for it the
  figure is the time until an F5, pressed the moment the cell has finished,
  shows the marker.
- **inline view shows**: the view a notebook shows in the cell's output (a
  notebook clears the output at each run, so each run's view is a new iframe)
  contains the marker: the cell's ``text/html`` output is put in a page and its
  frame polled.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .processes import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = ["NOTEBOOK_APP", "NotebookRun", "measure_notebook"]

REPO = Path(__file__).resolve().parent.parent

NOTEBOOK_APP = """\
import gradio as gr

def answer(message, history):
    return history + [{"role": "user", "content": message["text"]}]

with gr.Blocks() as demo:
    gr.Markdown("MARKER")
    chat = gr.Chatbot()
    box = gr.MultimodalTextbox()
    box.submit(answer, [box, chat], chat)
"""

#: The tools: how the extension is loaded and the first line of the cell.
_TOOLS = {
    "devreload": ("devreload (%%devreload)", "%load_ext reloader", "%%devreload --port {port}"),
    "gradio": ("Gradio (%%blocks)", "%load_ext gradio", "%%blocks"),
}

#: How long an open tab is watched for a change %%blocks never pushes.
_PUSH_CHECK_SECONDS = 3.0

#: Records when the marker first shows in the page (wall clock, as the benchmark's).
_WATCH_MARKER = """
(marker) => {
  window.__benchSeen = null;
  const seen = () => document.body && document.body.innerText.includes(marker);
  if (seen()) { window.__benchSeen = Date.now(); return; }
  const observer = new MutationObserver(() => {
    if (seen()) { window.__benchSeen = Date.now(); observer.disconnect(); }
  });
  observer.observe(document.documentElement,
                   {childList: true, subtree: true, characterData: true});
}
"""


@dataclass
class NotebookRun:
    tool: str
    label: str
    status: str = "ok"
    reason: str = ""
    #: "push": the open tab followed by itself; "f5": it had to be reloaded.
    tab_mode: str = "push"
    tab_ms: list[float] = field(default_factory=list)
    inline_ms: list[float] = field(default_factory=list)
    cell_ms: list[float] = field(default_factory=list)

    def medians(self) -> dict[str, float | None]:
        return {
            "tab": _median(self.tab_ms),
            "inline": _median(self.inline_ms),
            "cell": _median(self.cell_ms),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "label": self.label,
            "status": self.status,
            "reason": self.reason,
            "tab_mode": self.tab_mode,
            "tab_ms": [round(v, 1) for v in self.tab_ms],
            "inline_ms": [round(v, 1) for v in self.inline_ms],
            "cell_ms": [round(v, 1) for v in self.cell_ms],
            "median_ms": {
                k: (None if v is None else round(v, 1)) for k, v in self.medians().items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NotebookRun:
        return cls(
            data["tool"],
            data["label"],
            data["status"],
            data["reason"],
            data["tab_mode"],
            list(data["tab_ms"]),
            list(data["inline_ms"]),
            list(data["cell_ms"]),
        )


def measure_notebook(
    browser: Browser, tool: str, folder: Path, rounds: int, warmup: int = 1
) -> NotebookRun:
    """Serve NOTEBOOK_APP from a cell with ``tool``; time ``rounds`` re-runs of the cell."""
    from reloader.notebook.testing import running_kernel

    label, load, first_line = _TOOLS[tool]
    run = NotebookRun(tool, label)
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {"PYTHONPATH": str(REPO), "GRADIO_SERVER_PORT": str(port)}
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    header = first_line.format(port=port)
    context = browser.new_context()
    try:
        with running_kernel(folder, env=env) as kernel:
            loaded = kernel.run(load)
            if loaded.status != "ok":
                raise RuntimeError(f"{load} failed: {loaded.text[-400:]}")
            first = kernel.run(f"{header}\n{NOTEBOOK_APP.replace('MARKER', 'start')}", "app")
            if first.status != "ok":
                raise RuntimeError(f"the first run failed: {first.text[-400:]}")
            url = f"http://127.0.0.1:{port}/"
            tab = context.new_page()
            tab.goto(url)
            tab.get_by_text("start").wait_for(timeout=60_000)
            inline = context.new_page()
            for round_ in range(warmup + rounds):
                marker = f"marker-{tool}-{round_}-{time.time_ns()}"
                tab.evaluate(_WATCH_MARKER, marker)
                started = time.time()
                rerun = kernel.run(f"{header}\n{NOTEBOOK_APP.replace('MARKER', marker)}", "app")
                done = time.time()
                if rerun.status != "ok":
                    raise RuntimeError(f"a re-run failed: {rerun.text[-400:]}")
                tab_ms = _tab_ms(tab, marker, started, done, run)
                inline_ms = _inline_ms(inline, rerun.displays, marker, started)
                if round_ >= warmup:
                    run.cell_ms.append((done - started) * 1000)
                    run.tab_ms.append(tab_ms)
                    if inline_ms is not None:
                        run.inline_ms.append(inline_ms)
    except Exception as error:  # one tool failing must not end the run
        run.status, run.reason = "failed", f"{type(error).__name__}: {error}"
    finally:
        with contextlib.suppress(Exception):
            context.close()
    return run


def _tab_ms(tab: Page, marker: str, started: float, done: float, run: NotebookRun) -> float:
    """From the execute request to the open tab showing ``marker``."""
    if run.tab_mode == "push":
        deadline = time.time() + (30.0 if run.tool == "devreload" else _PUSH_CHECK_SECONDS)
        while time.time() < deadline:
            seen = tab.evaluate("window.__benchSeen")
            if seen:
                return float(seen) - started * 1000
            time.sleep(0.01)
        if run.tool == "devreload":
            raise RuntimeError("the open tab did not show the re-run within 30 s")
        run.tab_mode = "f5"
    # The tab does not follow: the figure is an F5 pressed as the cell finished.
    loading = time.time()
    response = tab.reload()
    if response is not None and response.status >= 500:
        # Gradio 6's %%blocks: the swapped Blocks has no page config, every load fails.
        raise RuntimeError(f"after the re-run the page answers HTTP {response.status}")
    tab.get_by_text(marker).wait_for(timeout=60_000)
    return (done - started + time.time() - loading) * 1000


def _inline_ms(page: Page, displays: list[Any], marker: str, started: float) -> float | None:
    """From the execute request to the cell's new inline view showing ``marker``."""
    views = [str(d.get("text/html", "")) for d in displays if "<iframe" in str(d.get("text/html"))]
    if not views:
        return None
    page.set_content(views[-1])
    page.frame_locator("iframe").get_by_text(marker).wait_for(timeout=60_000)
    return (time.time() - started) * 1000


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
