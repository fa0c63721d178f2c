"""The JSON events are a versioned contract: every line a real devreload process writes
to ``--events-file``, of every kind, validates against reloader/data/events.schema.json
and uses no field the schema does not declare; so do the status route's answers and
the MCP tools' (an ASGI app behind HTTP Basic auth, driven as a coding agent drives it).
"""

from __future__ import annotations

import base64
import shutil
import textwrap
import urllib.error
from pathlib import Path
from typing import Any

import pytest

from agent_support import McpTools, events_in, schema_validator, status, with_mcp
from reloader._events import SCHEMA_VERSION
from reloader.channel import events_schema
from support import DevreloadProcess, devreload, running, save_in_place, wait_for

pytestmark = pytest.mark.integration

APP = textwrap.dedent(
    """
    import base64

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    LOGIN = "Basic " + base64.b64encode(b"ada:lovelace").decode()


    class BasicAuth:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            headers = dict(scope.get("headers", []))
            if scope["type"] == "http" and headers.get(b"authorization", b"").decode() != LOGIN:
                answer = Response("login needed", 401, {"WWW-Authenticate": "Basic"})
                await answer(scope, receive, send)
                return
            await self.app(scope, receive, send)


    def title():
        return "v1"


    async def index(request):
        return HTMLResponse(
            '<html><head><link rel="stylesheet" href="/static/style.css"></head>'
            f"<body><h1>{title()}</h1></body></html>"
        )


    app = Starlette(
        routes=[Route("/", index), Mount("/static", StaticFiles(directory="static"))],
        middleware=[Middleware(BasicAuth)],
    )
    """
)
LOGIN = {"Authorization": "Basic " + base64.b64encode(b"ada:lovelace").decode()}


def undeclared(line: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Fields (and event kinds, tiers, states) the schema does not name: the schema lets
    them through, for readers of an older copy; devreload must declare what it writes."""
    defs = schema["$defs"]
    found = [key for key in line if key not in schema["properties"]]
    for field, declared in (("error", defs["error"]), ("timings_ms", defs["timings"])):
        found += [
            f"{field}.{key}" for key in line.get(field, {}) if key not in declared["properties"]
        ]
    if line["event"] not in defs["kind"]["enum"]:
        found.append(f"event {line['event']!r}")
    if "tier" in line and line["tier"] not in defs["tier"]["enum"]:
        found.append(f"tier {line['tier']!r}")
    return found


def test_every_event_and_answer_validates_against_the_schema(tmp_path: Path) -> None:
    schema = events_schema()
    assert schema["properties"]["v"]["const"] == SCHEMA_VERSION
    event, answered = schema_validator(), schema_validator("status")
    project, generated = tmp_path / "project", tmp_path / "gen"  # two watched roots
    (project / "static").mkdir(parents=True)
    generated.mkdir()
    css = project / "static" / "style.css"
    css.write_text("h1 { color: red; }\n")
    app = project / "app.py"
    app.write_text(APP.replace("def title():", "def title(:"))  # the first load fails
    events = tmp_path / "events.jsonl"
    watching = DevreloadProcess(app, args=("--events-file", str(events), "--watch", str(generated)))
    with running(watching) as process:
        process.wait_for_line("waiting for a fix", timeout=60)

        def served() -> bool:
            if "devreload: serving" in process.output:
                return True
            # Saved again while not served: the watcher starts beside the first load,
            # and a save made before it watches is not seen.
            save_in_place(app, APP)
            return False

        wait_for(served, timeout=60, interval=3, what="the fixed app served")

        with pytest.raises(urllib.error.HTTPError) as refused:  # behind the app's auth
            status(process)
        assert refused.value.code == 401
        seq = status(process, headers=LOGIN)["seq"]

        def outcome(source: str | None = None, path: Path = app) -> dict[str, Any]:
            nonlocal seq
            save_in_place(path, source or "")
            answer = status(process, f"?after={seq}&wait=20", headers=LOGIN)
            answered.validate(answer)
            seq = answer["seq"]
            return dict(answer["last"])

        patched = outcome(APP.replace('return "v1"', 'return "v2"'))
        assert patched["event"] == "patched" and patched["functions"] == ["title()"]
        full = outcome(
            APP.replace("def title():", "def heading():\n    return 1\n\n\ndef title():")
        )
        assert full["event"] == "reloaded" and full["tier"] == "full"
        styled = outcome("h1 { color: blue; }\n", css)
        assert styled["tier"] == "css" and styled["files"] == [str(css)]

        broken = APP.replace("async def index(request):", "async def index(request:")

        async def agent(tool: McpTools) -> None:
            save_in_place(app, broken)
            failed = await tool("wait_for_reload", timeout=20)
            answered.validate(failed)
            assert (
                failed["last"]["error"]["line"]
                == broken.count("\n", 0, broken.index("(request:")) + 1
            )
            error = await tool("last_error")
            schema_validator("last_error").validate(error)
            assert error["standing"] is True
            save_in_place(app, APP)
            fixed = await tool("wait_for_reload", timeout=20)
            answered.validate(fixed)
            assert fixed["state"] == "serving"
            schema_validator("open_tabs").validate(await tool("open_tabs"))

        with_mcp(process, agent, headers=LOGIN)

        shutil.rmtree(generated)
        process.wait_for_line(f"the watched folder {generated} is gone")
        generated.mkdir()
        process.wait_for_line(f"watching {generated} again")
        assert process.stop() == 0

    lines = events_in(events)
    for line in lines:
        event.validate(line)
        assert not undeclared(line, schema), (undeclared(line, schema), line)
    assert {line["event"] for line in lines} == set(schema["$defs"]["kind"]["enum"])
    # props (components updated in place) is Gradio's: the test below.
    assert {line["tier"] for line in lines if "tier" in line} == set(
        schema["$defs"]["tier"]["enum"]
    ) - {"props"}
    watch = [line for line in lines if line["event"] == "watch"]
    assert "error" in watch[0] and "error" not in watch[-1]
    assert lines[0]["event"] == "failed" and lines[0]["error"]["file"] == str(app)


GRADIO_APP = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        gr.Markdown("# v1")
        gr.Textbox(label="Name")

    demo.launch()
    """
)


def test_a_gradio_update_in_place_validates_against_the_schema(tmp_path: Path) -> None:
    """Tier props: a save that changed only literal arguments, the components updated in
    place, reported with its own steps (update, not execute and swap)."""
    schema = events_schema()
    event = schema_validator()
    app = tmp_path / "app.py"
    app.write_text(GRADIO_APP)
    events = tmp_path / "events.jsonl"
    with devreload(app, args=("--events-file", str(events))) as process:
        process.wait_ready(90)
        seq = status(process)["seq"]
        save_in_place(app, GRADIO_APP.replace('label="Name"', 'label="Your name"'))
        answer = status(process, f"?after={seq}&wait=20")
        schema_validator("status").validate(answer)
        assert answer["last"]["tier"] == "props"
        assert process.stop() == 0
    lines = events_in(events)
    updated = [line for line in lines if line.get("tier") == "props"]
    assert len(updated) == 1 and set(updated[0]["timings_ms"]) >= {"detect", "update", "push"}
    for line in lines:
        event.validate(line)
        assert not undeclared(line, schema), (undeclared(line, schema), line)
