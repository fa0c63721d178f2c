"""Every way of calling the app runs the newest code after saves (issue 13, part 1): the
HTTP API, gradio_client and the MCP endpoint, against a real devreload process."""

from __future__ import annotations

import asyncio
import json
import textwrap
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from support import DevreloadProcess, devreload, markdown_values, save_in_place

pytestmark = pytest.mark.integration

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


def _mcp(process: DevreloadProcess, text: str) -> str:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def call() -> str:
        async with (
            streamablehttp_client(f"{process.url}/gradio_api/mcp/") as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            tools = await session.list_tools()
            tool = next(tool for tool in tools.tools if "shout" in tool.name)
            result = await session.call_tool(tool.name, {"text": text})
            content: Any = result.content[0]
            return f"{content.text} ({tool.description})"

    # In a thread of its own: Playwright's sync API may own this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(call())).result(timeout=60)


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
