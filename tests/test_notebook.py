"""``%%devreload`` in a real IPython kernel (ipykernel through jupyter_client), with the
served page open in real Chromium: a re-run of the cell is the save.

One kernel for the module; each test uses cells and ports of its own.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reloader.notebook.testing import CellRun, Kernel, running_kernel
from support import PAGE_LISTENS, REPO, free_port, open_app_page, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

APP = textwrap.dedent(
    """
    import gradio as gr
    import reloader

    if reloader.NO_RELOAD:
        import json as codec  # gradio-app/gradio#10587: not visible to handlers there
        loads = globals().get("loads", 0) + 1

    def greet(name):
        return codec.dumps({"hello": name})

    with gr.Blocks() as demo:
        gr.Markdown("# Header v1")
        name = gr.Textbox(label="Name")
        out = gr.Textbox(label="Out")
        go = gr.Button("Go")
        go.click(greet, name, out)
    """
)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    folder = tmp_path_factory.mktemp("notebook")
    with running_kernel(folder, env={"PYTHONPATH": str(REPO)}) as kernel:
        loaded = kernel.run("%load_ext reloader")
        assert loaded.status == "ok", loaded.text
        yield kernel


def run_app(kernel: Kernel, cell_id: str, port: int, source: str) -> CellRun:
    run = kernel.run(f"%%devreload --port {port}\n{source}", cell_id=cell_id)
    return run


def served_markdown(port: int) -> list[str]:
    config = httpx.get(f"http://127.0.0.1:{port}/config", timeout=10).json()
    return [
        str(component["props"].get("value"))
        for component in config["components"]
        if component.get("type") == "markdown"
    ]


def mark_page(page: Any) -> None:
    """A value that only survives while the page is not loaded again."""
    page.evaluate("window.__notReloaded = true")


def not_reloaded(page: Any) -> bool:
    return bool(page.evaluate("window.__notReloaded === true"))


def click_go(page: Any, expected: str) -> None:
    page.get_by_role("button", name="Go", exact=True).click()
    wait_for(lambda: page.get_by_label("Out").input_value() == expected, 20, what=expected)


@pytest.fixture(scope="module")
def served(kernel: Kernel) -> int:
    """The app of cell "app", served once for the tests that re-run it."""
    port = free_port()
    first = run_app(kernel, "app", port, APP)
    assert first.status == "ok", first.text
    assert f"serving http://127.0.0.1:{port}/" in first.stdout
    assert any("<iframe" in str(d.get("text/html", "")) for d in first.displays), first.displays
    return port


def test_a_rerun_swaps_the_app_and_the_tab_keeps_its_values(
    kernel: Kernel, served: int, page: Any
) -> None:
    open_app_page(page, f"http://127.0.0.1:{served}/")
    page.get_by_text("Header v1").wait_for(timeout=20_000)
    page.get_by_label("Name").fill("Ada")
    click_go(page, '{"hello": "Ada"}')
    mark_page(page)

    rerun = run_app(kernel, "app", served, APP.replace("Header v1", "Header v2"))

    assert rerun.status == "ok", rerun.text
    assert "swapped the new app into" in rerun.stdout
    page.get_by_text("Header v2").wait_for(timeout=20_000)
    assert page.get_by_label("Name").input_value() == "Ada"
    assert page.get_by_label("Out").input_value() == '{"hello": "Ada"}'
    assert not_reloaded(page)
    # The notebook's own view: shown again by each run (a notebook clears a cell's output).
    assert any("<iframe" in str(d.get("text/html", "")) for d in rerun.displays)


def test_no_reload_runs_once_and_its_names_are_visible(
    kernel: Kernel, served: int, page: Any
) -> None:
    for version in ("v3", "v4"):
        rerun = run_app(kernel, "app", served, APP.replace("Header v1", f"Header {version}"))
        assert rerun.status == "ok", rerun.text
    # The block ran on the first run only, and what it bound is the notebook's too.
    shown = kernel.run("print(loads, codec.__name__)", cell_id="plain")
    assert shown.status == "ok", shown.text
    assert shown.stdout.strip() == "1 json"
    # ... and the cell's functions see it when the page calls them.
    open_app_page(page, f"http://127.0.0.1:{served}/")
    page.get_by_text("Header v4").wait_for(timeout=20_000)
    page.get_by_label("Name").fill("Grace")
    click_go(page, '{"hello": "Grace"}')


def test_a_failing_cell_shows_its_traceback_and_the_last_good_app_stays(
    kernel: Kernel, served: int, page: Any
) -> None:
    good = APP.replace("Header v1", "Header v5")
    assert run_app(kernel, "app", served, good).status == "ok"
    open_app_page(page, f"http://127.0.0.1:{served}/")
    page.get_by_text("Header v5").wait_for(timeout=20_000)
    mark_page(page)
    broken = good.replace('gr.Markdown("# Header v5")', 'gr.Markdown("# Header v6", missing)')

    failed = run_app(kernel, "app", served, broken)

    assert failed.status == "error"
    assert failed.error_name == "NameError"
    traceback = "\n".join(failed.traceback)
    # IPython's own rendering of a cell's error: the cell's line, not devreload's frames.
    assert "Cell In[" in traceback and "line 14" in traceback, traceback
    assert "reloader/notebook" not in traceback and "run_cell_magic" not in traceback, traceback
    assert served_markdown(served) == ["# Header v5"]
    overlay = page.locator("#devreload-error-overlay")
    overlay.wait_for(timeout=10_000)
    assert "NameError" in overlay.inner_text() and "line 14" in overlay.inner_text()
    unparsable = run_app(kernel, "app", served, good.replace('("# Header v5")', '("# Header v6"'))
    assert unparsable.status == "error" and unparsable.error_name == "SyntaxError"
    assert "line 14" in "\n".join(unparsable.traceback), unparsable.traceback
    assert served_markdown(served) == ["# Header v5"]
    # A failed run changes nothing in the notebook: the last good names are kept.
    kept = kernel.run("print(demo is not None, 'missing' in globals())", cell_id="plain")
    assert kept.stdout.strip() == "True False", kept.text

    fixed = run_app(kernel, "app", served, good.replace("Header v5", "Header v7"))

    assert fixed.status == "ok", fixed.text
    page.get_by_text("Header v7").wait_for(timeout=20_000)
    overlay.wait_for(state="detached", timeout=10_000)
    assert not_reloaded(page)


def test_a_body_only_edit_is_patched_in_place(kernel: Kernel, served: int, page: Any) -> None:
    base = APP.replace("Header v1", "Header v8")
    assert run_app(kernel, "app", served, base).status == "ok"
    open_app_page(page, f"http://127.0.0.1:{served}/")
    page.get_by_text("Header v8").wait_for(timeout=20_000)
    page.get_by_label("Name").fill("Ada")
    click_go(page, '{"hello": "Ada"}')
    mark_page(page)
    demo_before = kernel.run("print(id(demo))", cell_id="plain").stdout

    patched = run_app(kernel, "app", served, base.replace('{"hello": name}', '{"bye": name}'))

    assert patched.status == "ok", patched.text
    assert "patched greet() in place" in patched.stdout
    assert kernel.run("print(id(demo))", cell_id="plain").stdout == demo_before
    click_go(page, '{"bye": "Ada"}')
    assert not_reloaded(page)


def test_two_cells_serve_two_apps_on_two_ports(kernel: Kernel, served: int) -> None:
    other_port = free_port()
    other = 'import gradio as gr\nwith gr.Blocks() as other_demo:\n    gr.Markdown("# Other v1")\n'
    first = run_app(kernel, "other", other_port, other)
    assert first.status == "ok", first.text
    assert served_markdown(other_port) == ["# Other v1"]
    before = served_markdown(served)

    rerun = run_app(kernel, "other", other_port, other.replace("Other v1", "Other v2"))

    assert rerun.status == "ok", rerun.text
    assert served_markdown(other_port) == ["# Other v2"]
    assert served_markdown(served) == before


FASTAPI_APP = textwrap.dedent(
    """
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    api = FastAPI()

    @api.get("/", response_class=HTMLResponse)
    def index():
        return "<html><body><h1>Page v1</h1><input id='name'></body></html>"
    """
)


def test_a_fastapi_app_in_a_cell_follows_its_reruns(kernel: Kernel, page: Any) -> None:
    port = free_port()
    assert run_app(kernel, "fastapi", port, FASTAPI_APP).status == "ok"
    page.goto(f"http://127.0.0.1:{port}/")
    page.locator("#name").fill("Ada")
    mark_page(page)

    patched = run_app(kernel, "fastapi", port, FASTAPI_APP.replace("Page v1", "Page v2"))

    assert "patched index() in place" in patched.stdout, patched.text
    page.get_by_text("Page v2").wait_for(timeout=20_000)
    rerun = run_app(
        kernel, "fastapi", port, FASTAPI_APP.replace("Page v1", "Page v3") + "\nextra = 1\n"
    )
    assert "swapped the new app into" in rerun.stdout, rerun.text
    page.get_by_text("Page v3").wait_for(timeout=20_000)
    assert page.locator("#name").input_value() == "Ada"
    assert not_reloaded(page)


def test_a_view_in_another_cell_follows_the_reruns_and_keeps_its_values(
    kernel: Kernel, served: int, page: Any
) -> None:
    base = APP.replace("Header v1", "Header v10")
    assert run_app(kernel, "app", served, base).status == "ok"
    shown = kernel.run(f"%devreload_view {served}", cell_id="view")
    assert shown.status == "ok", shown.text
    views = [str(d.get("text/html", "")) for d in shown.displays if "<iframe" in str(d)]
    assert views and f"127.0.0.1:{served}" in views[-1], shown.displays
    # The notebook renders the view cell's output; only the app cell runs again.
    page.set_content(views[-1])
    view = page.frame_locator("iframe")
    view.get_by_text("Header v10").wait_for(timeout=20_000)
    frame = page.frames[1]
    frame.wait_for_function(PAGE_LISTENS, timeout=20_000)
    view.get_by_label("Name").fill("Ada")
    frame.evaluate("window.__notReloaded = true")

    rerun = run_app(kernel, "app", served, base.replace("Header v10", "Header v11"))

    assert rerun.status == "ok", rerun.text
    view.get_by_text("Header v11").wait_for(timeout=20_000)
    assert view.get_by_label("Name").input_value() == "Ada"
    assert frame.evaluate("window.__notReloaded === true")


NICEGUI_APP = textwrap.dedent(
    """
    from nicegui import ui

    @ui.page("/")
    def index():
        ui.label("Label v1")

    ui.run(port=PORT, reload=False, show=False)
    """
)


def test_a_nicegui_app_in_a_cell_follows_its_reruns(kernel: Kernel) -> None:
    port = free_port()
    app = NICEGUI_APP.replace("PORT", str(port))
    first = kernel.run(f"%%devreload\n{app}", cell_id="nicegui")
    assert first.status == "ok", first.text
    assert "Label v1" in httpx.get(f"http://127.0.0.1:{port}/", timeout=10).text

    new_page = "\n@ui.page('/other')\ndef other():\n    ui.label('Other page')\n"
    rerun = kernel.run(f"%%devreload\n{app.replace('ui.run', new_page + 'ui.run')}", "nicegui")

    assert "swapped the new app into" in rerun.stdout, rerun.text
    assert "Other page" in httpx.get(f"http://127.0.0.1:{port}/other", timeout=10).text
