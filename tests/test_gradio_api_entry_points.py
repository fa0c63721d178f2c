"""Every way of calling the app runs the newest code after saves (issue 13, part 1): the
HTTP API, gradio_client and the MCP endpoint, against a real devreload process."""

from __future__ import annotations

import asyncio
import json
import textwrap
import urllib.request
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from support import DevreloadProcess, devreload, markdown_values, save_in_place

pytestmark = pytest.mark.integration

T = TypeVar("T")

APP = textwrap.dedent(
    """
    import gradio as gr

    def shout(text: str) -> str:
        \"\"\"Shout the text (VERSION).

        Args:
            text: what to shout
        \"\"\"
        return f"VERSION:{text.upper()}"

    with gr.Blocks() as demo:
        gr.Markdown("VERSION")
        inp = gr.Textbox(label="In")
        out = gr.Textbox(label="Out")
        gr.Button("Go").click(shout, inp, out, api_name="shout")

    if __name__ == "__main__":
        demo.launch(LAUNCH)
    """
)


def _http_api(process: DevreloadProcess, text: str) -> str:
    request = urllib.request.Request(
        f"{process.url}/gradio_api/call/shout",
        data=json.dumps({"data": [text]}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        event_id = json.loads(response.read())["event_id"]
    stream = process.get(f"/gradio_api/call/shout/{event_id}", timeout=30).decode()
    data = [line[len("data: ") :] for line in stream.splitlines() if line.startswith("data: ")]
    return str(json.loads(data[-1])[0])


def _gradio_client(process: DevreloadProcess, text: str) -> str:
    from gradio_client import Client

    client = Client(process.url + "/", verbose=False)
    try:
        return str(client.predict(text, api_name="/shout"))
    finally:
        client.close()


def _on_mcp(process: DevreloadProcess, use: Callable[[Any, Any], Awaitable[T]]) -> T:
    """``use(session, tool)`` with an MCP session on the app's endpoint and its one tool."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def call() -> T:
        async with (
            streamablehttp_client(f"{process.url}/gradio_api/mcp/") as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            tools = await session.list_tools()
            (tool,) = tools.tools
            return await use(session, tool)

    # In a thread of its own: Playwright's sync API may own this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(call())).result(timeout=60)


def _mcp(process: DevreloadProcess, text: str) -> str:
    async def shout(session: Any, tool: Any) -> str:
        result = await session.call_tool(tool.name, {"text": text})
        content: Any = result.content[0]
        return f"{content.text} ({tool.description})"

    return _on_mcp(process, shout)


def _saved(process: DevreloadProcess, app: Path, launch: str, version: str) -> None:
    save_in_place(app, APP.replace("VERSION", version).replace("LAUNCH", launch))
    process.wait_for_config(lambda c: version in markdown_values(c), timeout=30)


def test_http_api_and_gradio_client_run_the_newest_handler(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP.replace("VERSION", "v1").replace("LAUNCH", ""))
    with devreload(app) as process:
        process.wait_ready()
        assert _http_api(process, "a") == "v1:A"
        assert _gradio_client(process, "a") == "v1:A"
        for version in ("v2", "v3", "v4"):
            _saved(process, app, "", version)
            assert _http_api(process, "b") == f"{version}:B"
            assert _gradio_client(process, "c") == f"{version}:C"


def test_mcp_tool_runs_the_newest_handler(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    launch = "mcp_server=True"
    app.write_text(APP.replace("VERSION", "v1").replace("LAUNCH", launch))
    with devreload(app) as process:
        process.wait_ready()
        assert _mcp(process, "a").startswith("v1:A (Shout the text (v1).")
        for version in ("v2", "v3"):
            _saved(process, app, launch, version)
            assert _mcp(process, "m").startswith(f"{version}:M (Shout the text ({version}).")
            assert _http_api(process, "h") == f"{version}:H"


PICK = textwrap.dedent(
    """
    import gradio as gr

    def pick(letter: str) -> str:
        \"\"\"Pick a letter.

        Args:
            letter: the letter
        \"\"\"
        return letter

    with gr.Blocks() as demo:
        letter = gr.Dropdown(["a", "b"], value="a", label="Letter")
        out = gr.Textbox(label="Out")
        gr.Button("Go").click(pick, letter, out, api_name="pick")

    demo.launch(mcp_server=True)
    """
)


def test_an_mcp_tool_is_described_anew_after_an_update_in_place(tmp_path: Path) -> None:
    """The dropdown's choices changed, nothing else: the component is updated in place
    (tier props), and the MCP tool's input schema offers the new choice."""
    from support import status

    async def choices(session: Any, tool: Any) -> list[str]:
        return list(tool.inputSchema["properties"]["letter"]["enum"])

    def offered(process: DevreloadProcess) -> list[str]:
        return _on_mcp(process, choices)

    app = tmp_path / "app.py"
    app.write_text(PICK)
    with devreload(app) as process:
        process.wait_ready()
        assert offered(process) == ["a", "b"]
        seq = status(process)["seq"]
        save_in_place(app, PICK.replace('["a", "b"]', '["a", "b", "c"]'))
        assert status(process, f"?after={seq}&wait=30")["last"]["tier"] == "props"
        assert offered(process) == ["a", "b", "c"]
