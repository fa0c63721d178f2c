"""Every open tab follows every save, says so, and is never left silently dead:
real devreload, real Gradio, several tabs of one headless Chromium.

One devreload process serves the module's tests; each starts from APP served
(support.serve_source) and saves its own edits. Under Gradio 5 too: scripts/compat.sh
runs this file.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reloader.testing import PAGE_LISTENS
from support import (
    DevreloadProcess,
    devreload,
    save_in_place,
    serve_source,
    shared_devreload,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

APP = textwrap.dedent(
    """
    import gradio as gr

    # Gradio 5 keeps the old tuples format unless told; Gradio 6 only has messages.
    MESSAGES = {"type": "messages"} if gr.__version__.startswith("5.") else {}


    def answer(message, history):
        return "", history + [
            {"role": "user", "content": message},
            {"role": "assistant", "content": "echo " + message},
        ]


    with gr.Blocks() as demo:
        gr.Markdown("# Title v1")
        letters = gr.CheckboxGroup(["a", ("Bee", "b"), "c"], label="Letters")
        chat = gr.Chatbot(label="Chat", **MESSAGES)
        box = gr.Textbox(label="Ask")
        box.submit(answer, [box, chat], [box, chat])
        name = gr.Textbox(label="Name")
        out = gr.Textbox(label="Out")
        gr.Button("Go").click(lambda n: "done:" + n, name, out)

    if __name__ == "__main__":
        demo.launch()
    """
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevreloadProcess]:
    folder = tmp_path_factory.mktemp("tabs")
    events = folder / "events.jsonl"
    with shared_devreload(folder, APP, args=("--events-file", str(events))) as process:
        yield process


@pytest.fixture
def server(served: DevreloadProcess) -> DevreloadProcess:
    """The module's process, serving APP whatever the test before saved, with the
    tabs of the tests before gone."""
    return serve_source(served, APP)


def edit(process: DevreloadProcess, old: str, new: str) -> None:
    """Save an edit of the app (as an editor does) and wait for its reload line."""
    app = process.app
    lines = process.count("devreload: reloaded")
    save_in_place(app, app.read_text().replace(old, new))
    process.wait_for_line("devreload: reloaded", occurrences=lines + 1)


def last_reloaded(process: DevreloadProcess) -> dict[str, Any]:
    with open(process.app.parent / "events.jsonl", encoding="utf-8") as lines:
        events = [json.loads(line) for line in lines]
    return next(event for event in reversed(events) if event["event"] == "reloaded")


def open_tab(context: Any, url: str) -> Any:
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(PAGE_LISTENS, timeout=60_000)
    return page


def ask(page: Any, text: str) -> None:
    box = page.get_by_role("textbox", name="Ask")
    box.fill(text)
    box.press("Enter")
    page.get_by_text(f"echo {text}").wait_for(timeout=20_000)


def test_a_header_inserted_above_a_chat_shows_and_the_chat_goes_on(
    server: DevreloadProcess, browser: Any
) -> None:
    """Gradio reuses mounted components by position (6) or by id (5): the Chatbot was
    handed the new Markdown's props and threw ("e.flatMap is not a function"), the tab
    stayed on the old layout for good and sent nothing more. Now the new layout shows,
    the conversation is kept, and the next message is answered."""
    context = browser.new_context()
    try:
        page = open_tab(context, server.url)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        ask(page, "hello")
        page.get_by_label("a", exact=True).check()
        page.get_by_label("a", exact=True).check()
        page.get_by_label("Bee", exact=True).check()
        before = counters(page)
        edit(
            server,
            '    gr.Markdown("# Title v1")',
            '    gr.Markdown("## Banner")\n    gr.Markdown("# Title v1")',
        )
        page.get_by_text("Banner").wait_for(timeout=20_000)
        # A component inserted is a structure change: the tab re-renders from the config.
        assert counters(page) == {**before, "rerenders": before["rerenders"] + 1}
        assert page.get_by_text("echo hello").count() == 1
        # The CheckboxGroup's ticks, read from the page (no event carried them).
        ticked = [page.get_by_label(name, exact=True).is_checked() for name in ("a", "Bee", "c")]
        assert ticked == [True, True, False]
        ask(page, "again")
        assert errors == []
        # The tab re-rendered in place: it never reloaded itself.
        assert "could not show" not in server.output
        assert last_reloaded(server)["tabs_shown"] == 1
    finally:
        context.close()


def counters(page: Any) -> dict[str, int]:
    """How many saves the tab took by re-rendering from a config, and in place."""
    return dict(
        page.evaluate(
            "() => ({rerenders: window.__devreloadGradio.rerenders,"
            " propsUpdates: window.__devreloadGradio.propsUpdates})"
        )
    )


def test_a_props_only_save_updates_the_mounted_components_and_keeps_the_page(
    server: DevreloadProcess, browser: Any
) -> None:
    """A Markdown's text and a Textbox's label changed, nothing else: under Gradio 6 the
    tab applies the new props to what it has mounted, without fetching the config or
    re-rendering; the typed value, the chat and the mounted nodes stay. Gradio 5's
    frontend has no such path: its tab re-renders, keeping the same state."""
    context = browser.new_context()
    try:
        page = open_tab(context, server.url)
        gradio6 = not page.evaluate("() => window.gradio_config.version.startsWith('5.')")
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        configs: list[str] = []
        page.on("request", lambda r: configs.append(r.url) if r.url.endswith("/config") else None)
        ask(page, "hello")
        page.get_by_role("textbox", name="Name").fill("typed by hand")
        page.get_by_role("textbox", name="Name").evaluate("node => { node.__marked = true; }")
        page.get_by_label("a", exact=True).check()
        page.get_by_label("Bee", exact=True).check()
        before = counters(page)
        edit(server, 'gr.Markdown("# Title v1")', 'gr.Markdown("# Title v4")')
        edit(server, 'name = gr.Textbox(label="Name")', 'name = gr.Textbox(label="Your name")')
        edit(server, '["a", ("Bee", "b"), "c"]', '["a", ("Bee", "b"), "c", "d"]')
        page.get_by_text("Title v4").wait_for(timeout=20_000)
        renamed = page.get_by_role("textbox", name="Your name")
        renamed.wait_for(timeout=20_000)
        page.get_by_label("d", exact=True).wait_for(timeout=20_000)
        confirmed(server, 1)
        assert renamed.input_value() == "typed by hand"
        assert page.get_by_text("echo hello").count() == 1
        ticked = [page.get_by_label(name, exact=True).is_checked() for name in ("a", "Bee", "d")]
        assert ticked == [True, True, False]
        # A choice the page holds that is no longer offered: the default comes back.
        edit(server, '["a", ("Bee", "b"), "c", "d"]', '[("Bee", "b"), "c", "d"]')
        page.get_by_label("a", exact=True).wait_for(state="detached", timeout=20_000)
        wait_for(
            lambda: not page.get_by_label("Bee", exact=True).is_checked(),
            10,
            what="the Letters back to their default",
        )
        confirmed(server, 1)
        if gradio6:
            assert counters(page) == {**before, "propsUpdates": before["propsUpdates"] + 4}
            assert configs == []
            assert renamed.evaluate("node => node.__marked === true")
            # Applying props that throws (a frontend this script does not know): the tab
            # re-renders from the config instead, and still says it shows the save.
            page.evaluate(
                "() => { const tree = window.__devreloadGradio.tree;"
                " tree.update_state = () => { delete tree.update_state;"
                " return Promise.reject(new Error('an unknown frontend')); }; }"
            )
            edit(server, 'gr.Markdown("# Title v4")', 'gr.Markdown("# Title v5")')
            page.get_by_text("Title v5").wait_for(timeout=20_000)
            confirmed(server, 1)
            assert counters(page)["rerenders"] == before["rerenders"] + 1
            assert renamed.input_value() == "typed by hand"
        else:
            assert counters(page)["rerenders"] == before["rerenders"] + 4
        # The terminal's line for the save says the tab shows it.
        line = next(line for line in server.lines[::-1] if "devreload: reloaded" in line)
        assert "1 of 1 tab shows it" in line, line
        # Only literal arguments changed: the components were updated in place on the
        # server too (the literal tier), not built again by running the app.
        assert "in place: only literal arguments changed" in line, line
        ask(page, "again")
        page.get_by_role("button", name="Go", exact=True).click()
        wait_for(
            lambda: page.get_by_role("textbox", name="Out").input_value() == "done:typed by hand",
            20,
            what="the click answered",
        )
        assert errors == []
    finally:
        context.close()


def test_more_tabs_than_a_browser_has_connections_all_follow_and_answer(
    server: DevreloadProcess, browser: Any
) -> None:
    """A browser allows 6 connections per host: with streams held by each Gradio tab
    (Gradio's and devreload's) the third tab froze the app. devreload holds one for
    all of them (20 lighter tabs: test_twenty_tabs_...)."""
    context = browser.new_context()
    try:
        pages = [open_tab(context, server.url) for _ in range(8)]
        wait_for(lambda: len(status(server)["tabs"]) == 8, 20, what="8 tabs in the status")
        edit(server, "# Title v1", "# Title v2")
        for page in pages:
            page.get_by_text("Title v2").wait_for(timeout=30_000)
        for number, page in enumerate(pages):
            page.get_by_role("textbox", name="Name").fill(f"tab{number}")
            page.get_by_role("button", name="Go", exact=True).click()
        for number, page in enumerate(pages):
            wanted = f"done:tab{number}"
            wait_for(
                lambda page=page, wanted=wanted: (
                    page.get_by_role("textbox", name="Out").input_value() == wanted
                ),
                20,
                what=f"tab {number}'s answer",
            )
        confirmed(server, 8)
        tabs = status(server)["tabs"]
        assert len(tabs) == 8 and len({tab["version"] for tab in tabs}) == 1
    finally:
        context.close()
    # Closed tabs say bye: the server forgets them.
    wait_for(lambda: status(server)["tabs"] == [], 20, what="the closed tabs to go")


def test_a_tab_whose_rerender_throws_reloads_itself_with_its_state(
    server: DevreloadProcess, browser: Any
) -> None:
    context = browser.new_context()
    try:
        page = open_tab(context, server.url)
        ask(page, "remember me")
        page.get_by_role("textbox", name="Name").fill("typed by hand")
        # The next re-render throws, as a frontend bug would.
        page.evaluate(
            "() => { for (const s of window.__devreloadGradio.streams)"
            " s.reload = () => Promise.reject(new Error('a re-render bug')); }"
        )
        # A structure change (a props-only one is not re-rendered).
        edit(server, '"# Title v1")', '"# Title v3")\n    gr.Markdown("more")')
        server.wait_for_line("could not show the new version (a re-render bug)")
        page.get_by_text("Title v3").wait_for(timeout=30_000)
        page.get_by_text("echo remember me").wait_for(timeout=20_000)
        wait_for(
            lambda: page.get_by_role("textbox", name="Name").input_value() == "typed by hand",
            20,
            what="the typed value back",
        )
        # Reloaded, the tab came back under its number and showing the new version.
        line = next(line for line in server.lines[::-1] if "could not show" in line)
        assert line.startswith("devreload: tab ") and " at /" in line
        confirmed(server, 1)
        ask(page, "still answered")
    finally:
        context.close()


def status(process: DevreloadProcess) -> dict[str, Any]:
    return dict(json.loads(process.get("/__devreload__/status")))


def confirmed(process: DevreloadProcess, count: int) -> dict[str, Any]:
    """The last save's event told ``count`` open tabs, and every one of them confirmed:
    on its line, or, slower than the line's bound, on a line of its own. (Tabs of an
    earlier test that closed less than 10 s before are told too: a tab whose stream
    closed may be reloading. They never confirm, and are not counted here.)"""
    event = last_reloaded(process)
    assert event["tabs"] >= count, event

    def all_in() -> bool:
        late = process.output.split("devreload: reloaded")[-1].count("shows the new version after")
        return bool(event["tabs_shown"] + late == count)

    wait_for(all_in, 20, what=f"{count} tabs to show the save")
    assert event["timings_ms"]["shown"] >= event["timings_ms"]["total"]
    return event


PAGE_APP = textwrap.dedent(
    """
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    app = FastAPI()

    PAGE = '''<!doctype html><html><body><h1>Page v1</h1>
    <button onclick="fetch('/answer').then(r => r.text()).then(t => out.textContent = t)"
    >Ask</button><span id="out"></span></body></html>'''

    @app.get("/", response_class=HTMLResponse)
    def index():
        return PAGE

    @app.get("/answer")
    def answer():
        return "answered"
    """
)


def test_twenty_tabs_load_follow_a_save_and_answer_a_click(tmp_path: Path, browser: Any) -> None:
    app = tmp_path / "main.py"
    app.write_text(PAGE_APP)
    events = tmp_path / "events.jsonl"
    with devreload(app, args=("--events-file", str(events))) as process:
        process.wait_ready()
        context = browser.new_context()
        try:
            pages = [open_tab(context, process.url) for _ in range(20)]
            save_in_place(app, PAGE_APP.replace("Page v1", "Page v2"))
            for page in pages:
                page.get_by_text("Page v2").wait_for(timeout=30_000)
            for page in pages:
                page.get_by_role("button", name="Ask").click()
            for page in pages:
                page.get_by_text("answered").wait_for(timeout=20_000)
            confirmed(process, 20)
            assert len(status(process)["tabs"]) == 20
        finally:
            context.close()
        wait_for(lambda: status(process)["tabs"] == [], 20, what="the closed tabs to go")
        # A browser without SharedWorker: one tab leads the one stream, the others
        # hear it over a BroadcastChannel.
        context = browser.new_context()
        context.add_init_script("delete window.SharedWorker;")
        try:
            pages = [open_tab(context, process.url) for _ in range(8)]
            save_in_place(app, PAGE_APP.replace("Page v1", "Page v3"))
            for page in pages:
                page.get_by_text("Page v3").wait_for(timeout=30_000)
            for page in pages:
                page.get_by_role("button", name="Ask").click()
                page.get_by_text("answered").wait_for(timeout=20_000)
            confirmed(process, 8)
        finally:
            context.close()
