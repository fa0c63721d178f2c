"""A coding agent beside devreload: it writes a file, and one call tells it whether the
save is live, what failed and where, and which open tabs show it. Real devreload,
real Gradio, the ``mcp`` package's own client over HTTP, headless Chromium.

One devreload process serves the module's tests; each starts from APP served
(support.serve_source) and saves its own edits.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from agent_support import McpTools, schema_validator, status, with_mcp
from support import (
    DevreloadProcess,
    markdown_values,
    open_app_page,
    save_in_place,
    serve_source,
    shared_devreload,
    wait_for,
)

pytestmark = pytest.mark.integration

APP = textwrap.dedent(
    """
    import gradio as gr


    def shout(text):
        return text.upper()


    with gr.Blocks() as demo:
        gr.Markdown("# Title v1")
        name = gr.Textbox(label="Name")
        out = gr.Textbox(label="Out")
        gr.Button("Go").click(shout, name, out)

    if __name__ == "__main__":
        demo.launch()
    """
)
STATUS = schema_validator("status")


def line_of(source: str, text: str) -> int:
    return source[: source.index(text)].count("\n") + 1


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevreloadProcess]:
    with shared_devreload(tmp_path_factory.mktemp("agent"), APP) as process:
        yield process


@pytest.fixture
def server(served: DevreloadProcess) -> DevreloadProcess:
    """The module's process, serving APP whatever the test before saved."""
    return serve_source(served, APP)


def test_one_call_after_a_save_answers_its_outcome(server: DevreloadProcess) -> None:
    app = server.app
    before = status(server)
    STATUS.validate(before)
    save_in_place(app, APP.replace("Title v1", "Title v2"))
    answer = status(server, f"?after={before['seq']}&wait=10")
    STATUS.validate(answer)
    assert answer["timed_out"] is False and answer["state"] == "serving"
    assert answer["seq"] == before["seq"] + 1
    last = answer["last"]
    # Only the header's words changed: updated in place (tier "props"), not run again.
    assert last["event"] == "reloaded" and last["tier"] == "props"
    assert last["files"] == [str(app)]
    assert last["generation"] == answer["generation"] == before["generation"] + 1
    assert {"detect", "update", "push", "total"} <= set(last["timings_ms"])
    # Live when the answer came: a fresh client gets the new version.
    assert "# Title v2" in markdown_values(server.config())


def test_a_broken_save_answers_with_the_error_file_and_line(server: DevreloadProcess) -> None:
    app = server.app
    seq = status(server)["seq"]
    for broken, where in (
        (APP.replace("gr.Markdown(", "undefined_helper()\n    gr.Markdown("), "undefined_helper()"),
        (APP.replace("def shout(text):", "def shout(text:"), "def shout(text:"),
    ):
        save_in_place(app, broken)
        answer = status(server, f"?after={seq}&wait=10")
        STATUS.validate(answer)
        assert answer["timed_out"] is False and answer["state"] == "failed"
        failed = answer["last"]
        assert failed["event"] == "failed" and failed["files"] == [str(app)]
        assert failed["error"]["file"] == str(app)
        assert failed["error"]["line"] == line_of(broken, where)
        assert failed["error"]["headline"]
        # The last good version keeps serving.
        assert answer["generation"] == failed["generation"]
        assert "# Title v1" in markdown_values(server.config())
        seq = answer["seq"]


def test_a_wait_holds_no_thread_and_no_other_request_back(server: DevreloadProcess) -> None:
    """More waits than the server has worker threads (40): the page and a plain status
    still answer at once, and one save answers every wait."""
    app = server.app
    seq = status(server)["seq"]
    with ThreadPoolExecutor(45) as pool:
        waits = [pool.submit(status, server, f"?after={seq}&wait=30") for _ in range(45)]
        wait_for(lambda: all(f.running() for f in waits), what="the waits sent")
        started = time.monotonic()
        assert status(server)["seq"] == seq
        assert "# Title v1" in markdown_values(server.config())
        assert time.monotonic() - started < 5
        assert not any(f.done() for f in waits)
        save_in_place(app, APP.replace("Title v1", "Title v3"))
        answers = [f.result(30) for f in waits]
    assert {a["seq"] for a in answers} == {seq + 1}
    assert all(a["last"]["event"] == "reloaded" and not a["timed_out"] for a in answers)


def test_a_wait_without_an_outcome_ends_in_time(server: DevreloadProcess) -> None:
    before = status(server)
    started = time.monotonic()
    answer = status(server, f"?after={before['seq']}&wait=0.5")
    assert 0.5 <= time.monotonic() - started < 5
    assert answer["timed_out"] is True and answer["seq"] == before["seq"]


@pytest.mark.browser
def test_the_answer_says_which_open_tabs_show_the_save(server: DevreloadProcess, page: Any) -> None:
    app = server.app
    open_app_page(page, server.url)
    tabs = wait_for(lambda: status(server)["tabs"], 20, what="the tab in the status")
    assert len(tabs) == 1
    number = tabs[0]["tab"]
    seq = status(server)["seq"]
    save_in_place(app, APP.replace("Title v1", "Title v4"))
    answer = status(server, f"?after={seq}&wait=15")
    STATUS.validate(answer)
    last = answer["last"]
    assert last["tabs"] == 1 and last["tabs_shown"] == 1 and last["shown_by"] == [number]
    assert last["timings_ms"]["shown"] >= last["timings_ms"]["total"]
    # Confirmed means shown: the page has it.
    assert page.get_by_text("Title v4").is_visible()
    (tab,) = answer["tabs"]
    assert tab["tab"] == number and tab["version"] is not None


def test_the_mcp_tools_tell_an_agent_the_same(server: DevreloadProcess) -> None:
    """The ``mcp`` package's client over HTTP: save, then ``wait_for_reload()`` with no
    bookkeeping (the session remembers what it saw), for a good and a broken save."""
    app = server.app
    broken = APP.replace("gr.Markdown(", "undefined_helper()\n    gr.Markdown(")

    async def agent(tool: McpTools) -> None:
        assert sorted(await tool.names()) == [
            "last_error",
            "open_tabs",
            "status",
            "wait_for_reload",
        ]
        now = await tool("status")
        STATUS.validate(now)
        save_in_place(app, APP.replace("Title v1", "Title v5"))
        reloaded = await tool("wait_for_reload", timeout=10)
        STATUS.validate(reloaded)
        assert reloaded["timed_out"] is False and reloaded["seq"] == now["seq"] + 1
        assert reloaded["last"]["event"] == "reloaded"
        assert reloaded["last"]["files"] == [str(app)]

        save_in_place(app, broken)
        failed = await tool("wait_for_reload", timeout=10)
        assert failed["state"] == "failed" and failed["seq"] == reloaded["seq"] + 1
        assert failed["last"]["error"]["line"] == line_of(broken, "undefined_helper()")
        error = await tool("last_error")
        schema_validator("last_error").validate(error)
        assert error["standing"] is True
        assert error["failed"]["error"]["file"] == str(app)
        assert error["failed"]["error"]["line"] == line_of(broken, "undefined_helper()")

        save_in_place(app, APP)
        fixed = await tool("wait_for_reload", timeout=10)
        assert fixed["state"] == "serving" and fixed["last"]["event"] == "reloaded"
        assert (await tool("last_error"))["standing"] is False
        # Nothing newer: the wait ends with the status as it is.
        quiet = await tool("wait_for_reload", timeout=0.3)
        assert quiet["timed_out"] is True and quiet["seq"] == fixed["seq"]
        tabs = await tool("open_tabs")
        schema_validator("open_tabs").validate(tabs)
        assert tabs["seq"] == fixed["seq"] and isinstance(tabs["tabs"], list)

    with_mcp(server, agent)
