"""Real headless Chromium on a page served by devreload: it follows saves by itself."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from support import devreload, open_app_page, save_in_place, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

APP = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        gr.Markdown("# Title v1")
        name = gr.Textbox(label="Name")
        out = gr.Textbox(label="Out")
        name.submit(lambda x: x.upper(), name, out)

    if __name__ == "__main__":
        demo.launch()
    """
)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "app.py"
    path.write_text(APP)
    return path


def test_typed_value_survives_a_reload(app: Path, page: Any) -> None:
    with devreload(app) as process:
        process.wait_ready()
        open_app_page(page, process.url)
        page.get_by_label("Name").fill("typed by hand")
        save_in_place(app, app.read_text().replace("Title v1", "Title v2"))
        page.get_by_text("Title v2").wait_for(timeout=10_000)
        assert page.get_by_label("Name").input_value() == "typed by hand"
        # The swapped-in app answers events too.
        page.get_by_label("Name").press("Enter")
        page.wait_for_function(
            "() => [...document.querySelectorAll('textarea, input')]"
            ".some(e => e.value === 'TYPED BY HAND')",
            timeout=10_000,
        )


def test_error_shows_in_page_and_goes_after_fix(app: Path, page: Any) -> None:
    with devreload(app) as process:
        process.wait_ready()
        open_app_page(page, process.url)
        page.get_by_text("Title v1").wait_for()
        good = app.read_text()
        save_in_place(app, good + "\nundefined_name + 1\n")
        overlay = page.locator("#devreload-error-overlay")
        overlay.wait_for(timeout=10_000)
        text = overlay.inner_text()
        assert "NameError" in text and f"{app}, line" in text
        # The last good app is still on the page.
        assert page.get_by_text("Title v1").is_visible()
        save_in_place(app, good.replace("Title v1", "Title v2"))
        page.get_by_text("Title v2").wait_for(timeout=10_000)
        overlay.wait_for(state="detached", timeout=10_000)


def test_tab_opened_while_broken_sees_the_error(app: Path, page: Any) -> None:
    with devreload(app) as process:
        process.wait_ready()
        save_in_place(app, APP + "\nraise RuntimeError('model crashed')\n")
        process.wait_for_line("RuntimeError in")
        open_app_page(page, process.url)
        page.locator("#devreload-error-overlay").wait_for(timeout=10_000)
        assert "model crashed" in page.locator("#devreload-error-overlay").inner_text()


def test_a_save_made_while_the_tab_loads_still_reaches_it(app: Path, page: Any) -> None:
    """The tab got its config (version 0) but its client is not connected yet when the
    save is published: when it connects, the server's hello says version 1, and the
    tab takes the save it missed. Before, it stayed on the old version until the next
    save."""
    held: list[tuple[Any, Any]] = []

    def hold(route: Any) -> None:
        held.append((route, route.fetch()))

    page.route("**/config", hold)
    with devreload(app) as process:
        process.wait_ready()
        page.goto(process.url)
        wait_for(lambda: page.evaluate("1") == 1 and held, 20, what="the page's config request")
        save_in_place(app, app.read_text().replace("Title v1", "Title v2"))
        process.wait_for_line("devreload: reloaded app.py")
        for route, response in held:  # the config as it was before the save
            route.fulfill(response=response)
        page.unroute("**/config")
        page.get_by_text("Title v2").wait_for(timeout=20_000)
        # The new version's pages say so (Gradio hands the new Blocks the old head,
        # client included): a reloaded tab is not told it is stale again.
        assert "version:1," in process.get("/").decode()


def test_ctrl_c_with_tabs_open_exits_within_a_second(app: Path, page: Any) -> None:
    """Each open tab holds streams open (the reload channel); Ctrl+C must not wait for
    them to end, and a second Ctrl+C during the shutdown prints no traceback."""
    import signal
    import time

    with devreload(app) as process:
        process.wait_ready()
        second = page.context.new_page()
        for tab in (page, second):
            open_app_page(tab, process.url)
        assert process.process is not None
        started = time.monotonic()
        process.process.send_signal(signal.SIGINT)
        process.wait_for_line("devreload: stopping", timeout=5)
        process.process.send_signal(signal.SIGINT)  # an impatient second Ctrl+C
        code = process.wait_exit(timeout=5)
        took = time.monotonic() - started
        assert code == 0
        assert took < 1.0, f"took {took:.2f} s"
        assert "Traceback" not in process.output
        assert "took too long" not in process.output
