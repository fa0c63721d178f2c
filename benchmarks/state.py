"""State kept across a save: the same worked-up Gradio page under each tool, read back in Chromium.

A page is worked into seven items of state (typed text, a slider, a dropdown
choice, a chat conversation, an output an event set, the selected tab, a
``gr.State`` counter); the app's header is edited and saved; once the tab shows
the new header, each item is read back. The ``gr.State`` item counts as kept
when the next click continues the count (the State lives on the server).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .apps import AppDir
from .measure import wait_http_ok
from .processes import ServerProcess, free_port
from .tools import tool_by_key

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = ["ITEMS", "STATE_APP", "StateRun", "measure_state"]

STATE_APP = """\
import gradio as gr


def add(count):
    return count + 1, count + 1


def answer(message, history):
    return "", history + [
        {"role": "user", "content": message},
        {"role": "assistant", "content": "echo " + message},
    ]


with gr.Blocks() as demo:
    gr.Markdown("# State v1")
    with gr.Tabs():
        with gr.Tab("First"):
            name = gr.Textbox(label="Name")
            level = gr.Slider(0, 100, value=10, step=1, label="Level", interactive=True)
            model = gr.Dropdown(["alpha", "beta", "gamma"], value="alpha", label="Model",
                                interactive=True)
            out = gr.Textbox(label="Out")
            gr.Button("Go").click(lambda n: "done:" + n, name, out)
            chat = gr.Chatbot(label="Chat")
            ask = gr.Textbox(label="Ask")
            ask.submit(answer, [ask, chat], [ask, chat])
            count = gr.State(0)
            shown = gr.Number(label="Count")
            gr.Button("Add").click(add, count, [count, shown])
        with gr.Tab("Second"):
            gr.Markdown("second tab")

if __name__ == "__main__":
    demo.launch()
"""

REPO = Path(__file__).resolve().parent.parent

#: The items read back, in the report's order.
ITEMS = ("textbox", "slider", "dropdown", "chatbot", "output", "tab", "gr.State")

#: How long after the new header shows an item may take to come back.
SETTLE_SECONDS = 3.0


@dataclass
class StateRun:
    tool: str
    label: str
    status: str = "ok"
    reason: str = ""
    kept: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "label": self.label,
            "status": self.status,
            "reason": self.reason,
            "kept": self.kept,
            "lost": self.lost,
            "total": len(ITEMS),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StateRun:
        return cls(
            data["tool"],
            data["label"],
            data["status"],
            data["reason"],
            list(data["kept"]),
            list(data["lost"]),
        )


def measure_state(browser: Browser, tool_key: str, folder: Path) -> StateRun:
    """Serve STATE_APP with the tool, work a tab, save, and count what the tab kept."""
    tool = tool_by_key(tool_key)
    run = StateRun(tool.key, tool.label)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "app.py"
    target.write_text(STATE_APP, encoding="utf-8")
    app = AppDir(folder, "app.py", target, STATE_APP)
    port = free_port()
    env = tool.env(app, port)
    if tool.key == "devreload":  # this checkout's devreload, whatever the venv has installed
        env["PYTHONPATH"] = str(REPO)
    server = ServerProcess(tool.command(app, port), cwd=folder, env=env, log_path=folder / "log")
    context = browser.new_context()
    try:
        spawned = server.start()
        if wait_http_ok(port, "/", spawned, spawned + 90, server.alive) is None:
            run.status, run.reason = "failed", "did not serve a page within 90 s"
            return run
        page = context.new_page()
        page.add_init_script(_TRACK_RELOAD_CHANNEL)
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_text("State v1").wait_for(timeout=30_000)
        # The frontend subscribes to the reload channel shortly after it renders.
        page.wait_for_function(
            "() => window.__benchReloadChannel === true || !!(window.__devreloadTab &&"
            " window.__devreloadTab.connected && window.__devreloadGradio &&"
            " window.__devreloadGradio.listening)",
            timeout=20_000,
        )
        _work(page)
        with open(target, "w", encoding="utf-8") as file:  # an editor's in-place save
            file.write(STATE_APP.replace("# State v1", "# State v2"))
        page.get_by_text("State v2").wait_for(timeout=60_000)
        kept = _read_back(page)
        run.kept = [item for item in ITEMS if kept.get(item)]
        run.lost = [item for item in ITEMS if not kept.get(item)]
    except Exception as error:  # one tool failing must not end the run
        run.status, run.reason = "failed", f"{type(error).__name__}: {error}"
    finally:
        with contextlib.suppress(Exception):
            context.close()
        server.stop()
    return run


#: Says when Gradio's frontend listens for reloads (devreload's overlay client aside;
#: under devreload, Gradio's stream is devreload's stand-in, which says so itself).
_TRACK_RELOAD_CHANNEL = """
(() => {
  const Original = window.EventSource;
  window.EventSource = function (url, options) {
    const source = new Original(url, options);
    if (String(url).includes('/dev/reload') && !String(url).includes('client=overlay')) {
      source.addEventListener('open', () => { window.__benchReloadChannel = true; });
    }
    return source;
  };
  window.EventSource.prototype = Original.prototype;
})();
"""


def _work(page: Page) -> None:
    page.get_by_label("Name").fill("Ada")
    slider = page.get_by_label("number input for Level")
    slider.fill("42")
    slider.press("Enter")
    page.get_by_label("Model").click()
    page.get_by_role("option", name="beta").click()
    page.get_by_label("Ask", exact=True).fill("hello")
    page.get_by_label("Ask", exact=True).press("Enter")
    page.get_by_text("echo hello").wait_for(timeout=20_000)
    page.get_by_role("button", name="Go", exact=True).click()
    _until(lambda: page.get_by_label("Out").input_value() == "done:Ada", 20)
    add = page.get_by_role("button", name="Add", exact=True)
    for expected in ("1", "2", "3"):
        add.click()
        _until(_shows(page, "Count", expected), 20)
    page.get_by_role("tab", name="Second").click()
    _until(lambda: _selected(page) == "Second", 10)


def _read_back(page: Page) -> dict[str, bool]:
    kept = {"tab": _until(lambda: _selected(page) == "Second", SETTLE_SECONDS)}
    # The other items are on the first tab.
    page.get_by_role("tab", name="First").click()
    checks: dict[str, Callable[[], bool]] = {
        "textbox": lambda: page.get_by_label("Name").input_value() == "Ada",
        "slider": lambda: page.get_by_label("number input for Level").input_value() == "42",
        "dropdown": lambda: page.get_by_label("Model").input_value() == "beta",
        "chatbot": lambda: page.get_by_text("echo hello").count() > 0,
        "output": lambda: page.get_by_label("Out").input_value() == "done:Ada",
    }
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        for item, check in checks.items():
            if not kept.get(item):
                kept[item] = _safe(check)
        if all(kept.get(item) for item in checks) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    page.get_by_role("button", name="Add", exact=True).click()
    kept["gr.State"] = _until(lambda: page.get_by_label("Count").input_value() == "4", 10)
    return kept


def _shows(page: Page, label: str, value: str) -> Callable[[], bool]:
    return lambda: bool(page.get_by_label(label).input_value() == value)


def _selected(page: Page) -> str | None:
    selected = page.locator('button[role="tab"][aria-selected="true"]')
    return str(selected.first.inner_text()).strip() if selected.count() else None


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:  # the page is between renders
        return False


def _until(check: Callable[[], bool], seconds: float) -> bool:
    """Poll ``check`` until it holds (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _safe(check):
            return True
        time.sleep(0.05)
    return _safe(check)
