"""The patch tier in a real devreload process: body-only edits go live without re-execution."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import httpx
import pytest

from support import devreload, save_in_place, wait_for

pytestmark = pytest.mark.integration

GRADIO_APP = textwrap.dedent(
    """
    import gradio as gr
    from helper import decorate

    LOADS = []
    LOADS.append(1)
    print("EXECUTED", flush=True)

    def shout(text):
        return decorate(text.upper())

    with gr.Blocks() as demo:
        box = gr.Textbox()
        out = gr.Textbox()
        box.submit(shout, box, out, api_name="shout")
    """
)

HELPER = "def decorate(text):\n    return text\n"


def call(client: httpx.Client, api: str, text: str) -> str:
    """One Gradio API call (POST, then the event's stream); the final data."""
    posted = client.post(f"/gradio_api/call/{api}", json={"data": [text]})
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    event, result = "", None
    with client.stream("GET", f"/gradio_api/call/{api}/{event_id}") as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
                assert event != "error", f"the call of {api} failed"
            elif line.startswith("data:") and event == "complete":
                result = json.loads(line[5:])[0]
    assert isinstance(result, str)
    return result


def test_a_gradio_handler_body_edit_is_patched(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(GRADIO_APP)
    helper = tmp_path / "helper.py"
    helper.write_text(HELPER)
    with devreload(app) as process, httpx.Client(base_url="", timeout=30) as client:
        process.wait_ready()
        client.base_url = httpx.URL(process.url)
        assert call(client, "shout", "hi") == "HI"

        save_in_place(app, GRADIO_APP.replace("text.upper()", "text.upper() + '!'"))
        process.wait_for_line("devreload: patched")
        assert "shout()" in process.output
        assert call(client, "shout", "hi") == "HI!"

        save_in_place(helper, HELPER.replace("return text", "return f'<{text}>'"))
        process.wait_for_line("devreload: patched", occurrences=2)
        assert call(client, "shout", "hi") == "<HI!>"

        assert process.count("EXECUTED") == 1  # never re-executed
        assert process.count("devreload: reloaded") == 0
        timings = re.findall(r"devreload: patched .* in (\d+) ms", process.output)
        print(f"PATCH timings (ms, detect + patch): {timings}")


FASTAPI_APP = textwrap.dedent(
    """
    import contextlib
    from fastapi import FastAPI
    from fastapi.responses import PlainTextResponse

    VERSION = "v1"

    @contextlib.asynccontextmanager
    async def lifespan(app):
        print("STARTUP", flush=True)
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/hello", response_class=PlainTextResponse)
    async def hello():
        return "hello " + VERSION
    """
)


def test_a_fastapi_route_edit_is_patched_without_a_new_lifespan(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(FASTAPI_APP)
    with devreload(app) as process:
        process.wait_ready()
        wait_for(lambda: process.count("STARTUP") == 1, 30, what="the lifespan's startup")
        assert process.get("/hello") == b"hello v1"

        save_in_place(app, FASTAPI_APP.replace('"hello " + VERSION', '"hi " + VERSION'))
        process.wait_for_line("devreload: patched")
        assert process.get("/hello") == b"hi v1"
        assert process.count("STARTUP") == 1
        assert process.count("devreload: reloaded") == 0


def test_a_module_constant_edit_falls_back_to_a_full_reload(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(FASTAPI_APP)
    with devreload(app, args=["-v"]) as process:
        process.wait_ready()
        save_in_place(app, FASTAPI_APP.replace('VERSION = "v1"', 'VERSION = "v2"'))
        process.wait_for_line("devreload: reloaded")
        wait_for(lambda: process.get("/hello") == b"hello v2", 30, what="v2 served")
        assert process.count("devreload: patched") == 0
        assert "changed more than function bodies" in process.output


def test_after_a_failed_save_the_fix_reloads_fully_then_patches_again(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(FASTAPI_APP)
    with devreload(app) as process:
        process.wait_ready()
        broken = FASTAPI_APP.replace('return "hello " + VERSION', 'return "hello " + (VERSION')
        save_in_place(app, broken)
        process.wait_for_line("reload failed")
        assert process.count("devreload: patched") == 0

        # The fix clears the error (a full reload), even though it is body-only.
        save_in_place(app, FASTAPI_APP.replace('"hello " + VERSION', '"fixed " + VERSION'))
        process.wait_for_line("devreload: reloaded")
        wait_for(lambda: process.get("/hello") == b"fixed v1", 30, what="the fix served")

        save_in_place(app, FASTAPI_APP.replace('"hello " + VERSION', '"again " + VERSION'))
        process.wait_for_line("devreload: patched")
        assert process.get("/hello") == b"again v1"


BLOCKS_STYLE_APP = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        box = gr.Textbox(label="In")
        out = gr.Textbox(label="Out")

        def shout(text):
            \"\"\"Shout the text (doc v1).\"\"\"
            return text.upper()

        box.submit(shout, box, out, api_name="shout")

        @gr.render(inputs=box)
        def echo(text):
            gr.Markdown(f"render v1: {text}")

    demo.launch()
    """
)


def test_handlers_in_a_blocks_block_patch_and_render_docstring_edits_reload(
    tmp_path: Path,
) -> None:
    """As Gradio's docs write apps: a handler defined inside ``with gr.Blocks()`` is
    patched; a ``@gr.render`` function's edit and a docstring edit reload fully (the
    render's output and the API's description are built from them), and each shows."""
    app = tmp_path / "app.py"
    app.write_text(BLOCKS_STYLE_APP)
    with devreload(app) as process, httpx.Client(base_url="", timeout=30) as client:
        process.wait_ready()
        client.base_url = httpx.URL(process.url)
        assert call(client, "shout", "hi") == "HI"
        source = BLOCKS_STYLE_APP.replace("text.upper()", "text.upper() + '!'")
        save_in_place(app, source)
        process.wait_for_line("devreload: patched shout() in app.py")
        assert call(client, "shout", "hi") == "HI!"

        source = source.replace("render v1", "render v2")
        save_in_place(app, source)
        process.wait_for_line("devreload: reloaded app.py")  # the page re-renders it

        source = source.replace("(doc v1)", "(doc v2)")
        save_in_place(app, source)
        process.wait_for_line("devreload: reloaded app.py", occurrences=2)
        wait_for(
            lambda: "(doc v2)" in process.get("/gradio_api/info").decode(),
            10,
            what="the new docstring in the API description",
        )
        assert process.count("devreload: patched") == 1
