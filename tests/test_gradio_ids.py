"""Block ids across reloads (issue 10, items 7 and 8d), and the pages of a multipage app
as saves add and remove them: a real devreload process, a real Gradio server, and real
headless Chromium for the layouts that render at runtime.

One devreload process serves the module's tests: each has its app served first
(support.serve_source) and saves its own versions."""

from __future__ import annotations

import textwrap
import urllib.error
from collections.abc import Iterator
from typing import Any

import pytest

from support import (
    DevreloadProcess,
    markdown_values,
    open_app_page,
    save_in_place,
    serve_source,
    shared_devreload,
)

pytestmark = pytest.mark.integration

#: Gradio's native_plots demo shape: a helper module (never edited) builds
#: components at import time; the app places them with .render().
HELPER = textwrap.dedent(
    """
    import gradio as gr

    title = gr.Markdown("helper title", render=False)
    note = gr.Textbox(label="helper note", render=False)
    """
)
HELPER_APP = textwrap.dedent(
    """
    import gradio as gr
    import helper

    with gr.Blocks() as demo:
        gr.Markdown("app VERSION")
        helper.title.render()
        helper.note.render()
        gr.Textbox(label="own")

    if __name__ == "__main__":
        demo.launch()
    """
)

#: Gradio's multipage guide: a page module with its own Blocks, rendered on a route,
#: with a @gr.render on that page.
PAGE2 = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        count = gr.Number(value=2, label="count")

        @gr.render(inputs=count)
        def boxes(n):
            for i in range(int(n)):
                gr.Textbox(value=f"box {i}", label=f"box {i}")
    """
)
MULTIPAGE_APP = textwrap.dedent(
    """
    import gradio as gr
    import page2

    with gr.Blocks() as demo:
        gr.Markdown("main VERSION")
        gr.Textbox(label="main box")
    with demo.route("Page 2"):
        page2.demo.render()

    if __name__ == "__main__":
        demo.launch()
    """
)

RENDER_APP = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        gr.Markdown("render VERSION")
        count = gr.Number(value=2, label="count")

        @gr.render(inputs=count)
        def boxes(n):
            for i in range(int(n)):
                gr.Textbox(value=f"box {i}", label=f"box {i}")

        for i in range(6):
            gr.Textbox(label=f"static {i}")

    if __name__ == "__main__":
        demo.launch()
    """
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevreloadProcess]:
    """One process for the module's single-page apps: each test has its own served
    first, beside the helper module it imports."""
    folder = tmp_path_factory.mktemp("gradio_ids")
    (folder / "helper.py").write_text(HELPER)
    with shared_devreload(folder, HELPER_APP.replace("VERSION", "v1")) as process:
        yield process


@pytest.fixture(scope="module")
def served_multipage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevreloadProcess]:
    """The multipage app from its first load on (its route is there from the start)."""
    folder = tmp_path_factory.mktemp("gradio_ids_multipage")
    (folder / "page2.py").write_text(PAGE2)
    with shared_devreload(folder, MULTIPAGE_APP.replace("VERSION", "v1")) as process:
        yield process


def _ids(config: dict[str, Any]) -> list[int]:
    return sorted(component["id"] for component in config["components"])


def _reloads_to(process: DevreloadProcess, source: str, version: str) -> None:
    save_in_place(process.app, source.replace("VERSION", version))
    process.wait_for_config(lambda c: any(version in v for v in markdown_values(c)), timeout=30)


def _failed_with(process: DevreloadProcess, source: str, error: str) -> None:
    """Save ``source`` (which fails to load) and wait for the ``error`` it reports."""
    told = process.count(error)
    save_in_place(process.app, source)
    process.wait_for_line(error, occurrences=told + 1)


def test_components_built_by_an_unedited_helper_reload(served: DevreloadProcess) -> None:
    process = serve_source(served, HELPER_APP.replace("VERSION", "v1"))
    duplicates = process.count("DuplicateBlockError")
    first = _ids(process.config())
    for version in ("v2", "v3"):
        _reloads_to(process, HELPER_APP, version)
    assert process.count("DuplicateBlockError") == duplicates
    values = markdown_values(process.config())
    assert "helper title" in values and "app v3" in values
    # Same ids as before the saves: the page matches old and new components.
    assert _ids(process.config()) == first


@pytest.mark.browser
def test_helper_built_components_follow_saves_in_the_tab(
    served: DevreloadProcess, page: Any
) -> None:
    process = serve_source(served, HELPER_APP.replace("VERSION", "v1"))
    duplicates = process.count("DuplicateBlockError")
    open_app_page(page, process.url)
    page.get_by_text("helper title").wait_for(timeout=20_000)
    page.get_by_label("helper note").fill("typed")
    for version in ("v2", "v3"):
        save_in_place(process.app, HELPER_APP.replace("VERSION", version))
        # The open tab follows without a refresh, helper components included.
        page.get_by_text(f"app {version}").wait_for(timeout=30_000)
    page.get_by_text("helper title").wait_for(timeout=5_000)
    assert page.get_by_label("helper note").input_value() == "typed"
    assert process.count("DuplicateBlockError") == duplicates


def test_multipage_route_with_render_reloads(served_multipage: DevreloadProcess) -> None:
    process = serve_source(served_multipage, MULTIPAGE_APP.replace("VERSION", "v1"))
    duplicates = process.count("DuplicateBlockError")
    for version in ("v2", "v3"):
        _reloads_to(process, MULTIPAGE_APP, version)
    assert process.count("DuplicateBlockError") == duplicates
    ids = _ids(process.config())
    assert len(ids) == len(set(ids))


@pytest.mark.browser
def test_render_on_a_routed_page_keeps_working_after_saves(
    served_multipage: DevreloadProcess, page: Any
) -> None:
    process = serve_source(served_multipage, MULTIPAGE_APP.replace("VERSION", "v1"))
    duplicates = process.count("DuplicateBlockError")
    for version in ("v2", "v3"):
        _reloads_to(process, MULTIPAGE_APP, version)
    open_app_page(page, process.url + "/page-2")
    page.get_by_label("box 1").wait_for(timeout=20_000)
    count = page.get_by_label("count")
    count.fill("4")
    count.press("Enter")
    page.get_by_label("box 3").wait_for(timeout=20_000)
    assert process.count("DuplicateBlockError") == duplicates


@pytest.mark.browser
def test_failed_save_leaves_render_of_last_good_version_working(
    served: DevreloadProcess, page: Any
) -> None:
    process = serve_source(served, RENDER_APP.replace("VERSION", "v1"))
    duplicates = process.count("DuplicateBlockError")
    _reloads_to(process, RENDER_APP, "v2")
    ids = _ids(process.config())
    # A NameError halfway through: the new version built one component.
    broken = RENDER_APP.replace("VERSION", "v3").replace(
        '    count = gr.Number(value=2, label="count")\n',
        '    undefined_name\n    count = gr.Number(value=2, label="count")\n',
    )
    _failed_with(process, broken, "NameError in")
    config = process.config()
    assert "render v2" in markdown_values(config)
    assert _ids(config) == ids
    open_app_page(page, process.url)
    page.get_by_label("box 1").wait_for(timeout=20_000)
    for n in ("5", "3", "6"):
        count = page.get_by_label("count")
        count.fill(n)
        count.press("Enter")
        page.get_by_label(f"box {int(n) - 1}").wait_for(timeout=20_000)
    assert process.count("DuplicateBlockError") == duplicates


#: Issue 21, item 2: a render button adds a Textbox and a Button that echoes it;
#: beside it a counter and a plain echo.
ROWS_APP = textwrap.dedent(
    """
    import gradio as gr


    def echo(text):
        return text


    with gr.Blocks() as demo:
        gr.Markdown("rows VERSION")
        rows = gr.State(0)
        more = gr.Button("Render a row")
        more.click(lambda n: n + 1, rows, rows)
        counter = gr.Number(0, label="Counter")
        gr.Button("Count").click(lambda n: n + 1, counter, counter)
        plain_in = gr.Textbox(label="Plain in")
        plain_out = gr.Textbox(label="Plain out")
        gr.Button("Plain echo").click(echo, plain_in, plain_out)

        @gr.render(inputs=rows)
        def draw(n):
            for i in range(n):
                box = gr.Textbox(f"row {i}", label=f"Box {i}")
                out = gr.Textbox(label=f"Out {i}")
                gr.Button(f"Send {i}").click(echo, box, out)

    if __name__ == "__main__":
        demo.launch()
    """
)


def _answers(page: Any, button: str, output: str, expected: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_function(
        "([label, value]) => [...document.querySelectorAll('label')].some(l =>"
        " l.innerText.includes(label) && l.querySelector('textarea, input')?.value === value)",
        arg=[output, expected],
        timeout=20_000,
    )


@pytest.mark.browser
def test_a_row_rendered_after_a_failed_save_answers(served: DevreloadProcess, page: Any) -> None:
    """After a save that fails at module level, the last good version stays whole:
    what its @gr.render builds from then on answers, as do the rows built before."""
    process = serve_source(served, ROWS_APP.replace("VERSION", "v1"))
    open_app_page(page, process.url)
    for row in (0, 1):
        page.get_by_role("button", name="Render a row").click()
        page.get_by_label(f"Box {row}").wait_for(timeout=20_000)
    broken = ROWS_APP.replace("VERSION", "v2").replace(
        "with gr.Blocks() as demo:", "undefined_helper()\n\nwith gr.Blocks() as demo:"
    )
    _failed_with(process, broken, "NameError in")
    page.get_by_role("button", name="Render a row").click()
    page.get_by_label("Box 2").wait_for(timeout=20_000)
    _answers(page, "Send 2", "Out 2", "row 2")
    _answers(page, "Send 0", "Out 0", "row 0")
    page.get_by_label("Plain in").fill("plain")
    _answers(page, "Plain echo", "Plain out", "plain")
    _answers(page, "Count", "Counter", "1")


ONE_PAGE_APP = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        gr.Markdown("home")

    if __name__ == "__main__":
        demo.launch()
    """
)
#: ONE_PAGE_APP with a page added (Gradio's multipage apps, Blocks.route).
PAGE_ADDED_APP = ONE_PAGE_APP.replace(
    "\nif __name__",
    'with demo.route("Page 2"):\n    gr.Markdown("page two VERSION")\n\nif __name__',
)


@pytest.mark.browser
def test_a_page_a_save_adds_is_served_and_follows_saves(
    served: DevreloadProcess, page: Any
) -> None:
    """Gradio routes pages when it launches the app: a page added by a save is served
    as a fresh run serves it, with devreload's client, so its tab follows the next
    save (and a tab on the main page lists it); a save that renames it leaves /page-2
    answering 404, and the tab on it is told."""
    process = serve_source(served, ONE_PAGE_APP)
    home = page.context.new_page()
    open_app_page(home, process.url)
    _reloads_to(process, PAGE_ADDED_APP, "v1")
    # Gradio's frontend reads the navigation bar when the page loads: the tab open on
    # the main page reloads itself to list the new page, as a fresh load would.
    home.get_by_text("Page 2").wait_for(timeout=20_000)
    open_app_page(page, process.url + "/page-2")
    page.get_by_text("page two v1").wait_for(timeout=20_000)
    shown = process.count("; 2 of 2 tabs show it in ")
    page.evaluate("window.sameDocument = true")
    save_in_place(process.app, PAGE_ADDED_APP.replace("VERSION", "v2"))
    page.get_by_text("page two v2").wait_for(timeout=30_000)
    process.wait_for_line("; 2 of 2 tabs show it in ", occurrences=shown + 1)
    assert page.evaluate("window.sameDocument === true"), "the tab was reloaded"

    # Renamed: the new path is served with the client, the old one answers 404, as in
    # a fresh run, and the tab open on the old one is told.
    renamed = PAGE_ADDED_APP.replace("VERSION", "v3").replace('"Page 2"', '"Page Two"')
    save_in_place(process.app, renamed)
    process.wait_for_line("at /page-2 keeps its page (the save removed its page /page-2)")
    page.get_by_text("the last save removed this page (/page-2)").wait_for(timeout=10_000)
    assert b"__devreload_client__" in process.get("/page-two")
    with pytest.raises(urllib.error.HTTPError) as answer:
        process.get("/page-2")
    assert answer.value.code == 404
