"""A real devreload process serving a FastAPI app through the ASGI adapter."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import textwrap
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from support import (
    PAGE_LISTENS,
    REPO,
    TRACK_EVENT_SOURCES,
    DevreloadProcess,
    devreload,
    save_in_place,
    wait_for,
)

pytestmark = pytest.mark.integration

APP = textwrap.dedent(
    '''
    import asyncio
    import contextlib
    from pathlib import Path

    import reloader
    import uvicorn
    from fastapi import FastAPI, Request, WebSocket
    from fastapi.responses import HTMLResponse, PlainTextResponse
    from fastapi.staticfiles import StaticFiles

    VERSION = "v1"
    FAIL_STARTUP = False
    HERE = Path(__file__).parent

    if reloader.NO_RELOAD:
        resource = object()
        print("RESOURCE CREATED", flush=True)


    def log(line):
        with open(HERE / "lifespan.log", "a") as file:
            file.write(line + "\\n")


    @contextlib.asynccontextmanager
    async def lifespan(app):
        if FAIL_STARTUP:
            raise RuntimeError("cannot connect to the database")
        log(f"startup {VERSION}")
        yield {"version": VERSION}
        log(f"shutdown {VERSION}")


    app = FastAPI(lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")


    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request):
        css = request.url_for("static", path="style.css")
        return f"""<!doctype html>
    <html><head><title>test</title><link rel="stylesheet" href="{css}"></head>
    <body><h1 id="version">{VERSION}</h1><input id="name">
    <p id="state">{request.state.version}</p></body></html>"""


    @app.get("/csp", response_class=HTMLResponse)
    async def with_a_policy(request: Request, policy: str):
        page = await index(request)
        return HTMLResponse(page, headers={"Content-Security-Policy": policy})


    @app.get("/version")
    async def version():
        return PlainTextResponse(VERSION)


    @app.get("/resource")
    async def resource_id():
        return PlainTextResponse(str(id(resource)))


    @app.get("/state")
    async def state(request: Request):
        return PlainTextResponse(request.state.version)


    @app.websocket("/echo")
    async def echo(websocket: WebSocket):
        await websocket.accept()
        async for message in websocket.iter_text():
            await websocket.send_text(f"{VERSION}: {message}")


    @app.get("/slow")
    async def slow():
        print("SLOW STARTED", flush=True)
        while not (HERE / "release").exists():
            await asyncio.sleep(0.01)
        return PlainTextResponse(VERSION)


    if __name__ == "__main__":
        uvicorn.run(app, host="127.0.0.1", port=8000)
    '''
)
CSS = "h1 { color: rgb(255, 0, 0); }\n"


def write_app(folder: Path) -> Path:
    (folder / "static").mkdir()
    (folder / "static" / "style.css").write_text(CSS)
    app = folder / "main.py"
    app.write_text(APP)
    return app


def text(process: DevreloadProcess, path: str) -> str:
    return process.get(path).decode()


def serving(process: DevreloadProcess, path: str, expected: str, timeout: float = 15) -> None:
    wait_for(lambda: text(process, path) == expected, timeout, what=f"{path} to say {expected!r}")


def bump(app: Path, old: str, new: str, save: Any = save_in_place) -> None:
    source = app.read_text()
    assert old in source
    save(app, source.replace(old, new))


def lifespan_log(folder: Path) -> list[str]:
    path = folder / "lifespan.log"
    return path.read_text().splitlines() if path.exists() else []


def test_lifespan_shutdown_and_startup_run_on_each_swap(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        assert lifespan_log(tmp_path) == ["startup v1"]
        bump(app, 'VERSION = "v1"', 'VERSION = "v2"')
        serving(process, "/version", "v2")
        # The new app is up before the old one is shut down (after its requests).
        wait_for(
            lambda: lifespan_log(tmp_path) == ["startup v1", "startup v2", "shutdown v1"],
            10,
            what="the old lifespan's shutdown",
        )
        process.stop()
    assert lifespan_log(tmp_path)[-1] == "shutdown v2"


def test_failed_lifespan_startup_keeps_the_last_good_app(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        good = app.read_text()
        broken = good.replace('VERSION = "v1"', 'VERSION = "v2"')
        save_in_place(app, broken.replace("FAIL_STARTUP = False", "FAIL_STARTUP = True"))
        process.wait_for_line("lifespan startup failed")
        process.wait_for_line("RuntimeError in lifespan startup: cannot connect to the database")
        assert text(process, "/version") == "v1"
        assert text(process, "/state") == "v1"  # still up, with its state
        assert lifespan_log(tmp_path) == ["startup v1"]  # never stopped
        save_in_place(app, good.replace('VERSION = "v1"', 'VERSION = "v3"'))
        serving(process, "/version", "v3")


def test_a_request_in_flight_completes_on_the_app_it_started_on(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        answers: list[str] = []
        slow = threading.Thread(target=lambda: answers.append(text(process, "/slow")))
        slow.start()
        process.wait_for_line("SLOW STARTED")
        bump(app, 'VERSION = "v1"', 'VERSION = "v2"')
        serving(process, "/version", "v2")  # new requests: the new app
        (tmp_path / "release").touch()
        slow.join(10)
        assert answers == ["v1"]


def test_websockets_work_and_an_open_one_is_closed_for_the_new_app(tmp_path: Path) -> None:
    """A WebSocket open on an app that a full reload replaces would go on talking to the
    old code for as long as it stays open: it is closed with 1012 ("service restart",
    the code clients reconnect on), and a new connection talks to the new app."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        url = process.url.replace("http://", "ws://") + "/echo"
        with connect(url, open_timeout=10) as before:
            before.send("hello")
            assert before.recv(timeout=10) == "v1: hello"
            bump(app, 'VERSION = "v1"', 'VERSION = "v2"')
            serving(process, "/version", "v2")
            with pytest.raises(ConnectionClosed) as closed:
                before.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
        with connect(url, open_timeout=10) as after:
            after.send("hello")
            assert after.recv(timeout=10) == "v2: hello"


def test_an_event_stream_hears_reloads_and_errors(tmp_path: Path) -> None:
    """A tab as devreload's client is one, over HTTP: it says hello on the stream's
    channel, and which version it shows after a reload; the save's line counts it."""
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        stream = EventStream(process.url + "/__devreload__/events")
        try:
            hello = json.loads(wait_for(lambda: stream.data("hello"), what="the stream's hello"))
            say(process, op="hello", tab="t1", channel=hello["channel"], version=0, path="/")
            bump(app, 'VERSION = "v1"', 'VERSION = "v2"')
            reload = json.loads(wait_for(lambda: stream.data("reload"), what="a reload event"))
            assert reload["version"] == 1
            say(process, op="shown", tab="t1", version=1)
            process.wait_for_line("; 1 of 1 tab shows it in ")
            status = json.loads(process.get("/__devreload__/status"))
            assert status["tabs"] == [{"tab": 1, "path": "/", "title": "", "version": 1}]
            save_in_place(app, app.read_text() + "\nraise ValueError('boom')\n")
            wait_for(lambda: "event: error" in stream.lines, what="an error event")
            (tmp_path / "static" / "style.css").write_text("h1 { color: blue; }\n")
            wait_for(lambda: "event: css" in stream.lines, what="a css event")
        finally:
            stream.close()


MOUNTED_GRADIO = textwrap.dedent(
    """
    import gradio as gr
    import uvicorn
    from fastapi import FastAPI

    TITLE = "v1"

    if gr.NO_RELOAD:
        print("MODEL LOADED", flush=True)

    with gr.Blocks() as demo:
        gr.Markdown(f"Title {TITLE}")

    app = FastAPI()


    @app.get("/api/title")
    def title():
        return {"title": TITLE}


    app = gr.mount_gradio_app(app, demo, path="/ui")

    if __name__ == "__main__":
        uvicorn.run(app, host="127.0.0.1", port=8000)
    """
)


def test_a_fastapi_app_that_mounts_gradio_is_served_whole(tmp_path: Path) -> None:
    app = tmp_path / "main.py"
    app.write_text(MOUNTED_GRADIO)
    with devreload(app) as process:
        process.wait_ready()
        assert "(asgi)" in process.output  # the FastAPI app, not only its Blocks
        assert text(process, "/api/title") == '{"title":"v1"}'
        assert "Title v1" in text(process, "/ui/config")
        bump(app, 'TITLE = "v1"', 'TITLE = "v2"')
        serving(process, "/api/title", '{"title":"v2"}')
        wait_for(lambda: "Title v2" in text(process, "/ui/config"), 15, what="the new Blocks")
        assert process.count("MODEL LOADED") == 1


def test_the_fastapi_example_serves(tmp_path: Path) -> None:
    example = REPO / "examples" / "fastapi_app" / "main.py"
    with devreload(example, cwd=REPO) as process:
        process.wait_ready()
        assert "Ask the model" in text(process, "/")
        assert "h1" in text(process, "/static/style.css")


def test_the_starlette_example_keeps_its_counter_across_a_reload(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    shutil.copy(REPO / "examples" / "starlette_app" / "app.py", app)
    with devreload(app) as process:
        process.wait_ready()
        counter = text(process, "/api/counter")
        assert "Visit number 1." in text(process, "/")
        bump(app, "Hello from Starlette", "Hello again")
        wait_for(lambda: "Hello again" in text(process, "/"), 15, what="the new greeting")
        assert text(process, "/api/counter") == counter
        assert "Visit number 1." not in text(process, "/")  # counts on, not from 1 again


#: `python examples/starlette_app/app.py`, on a free port instead of the 8000 it names.
PLAIN_RUN = """
import runpy, sys, uvicorn
run = uvicorn.run
uvicorn.run = lambda app, **options: run(app, **{**options, "port": int(sys.argv[1])})
runpy.run_path("examples/starlette_app/app.py", run_name="__main__")
"""


def test_the_example_runs_under_plain_python_too() -> None:
    """Without devreload (`python app.py`), the example serves, and its NO_RELOAD block
    ran: the visit counter it makes counts."""
    from support import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", PLAIN_RUN, str(port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        first = wait_for(lambda: urllib.request.urlopen(url, timeout=5).read(), 30, what=url)
        assert b"Visit number 1." in first
        assert b"Visit number 2." in urllib.request.urlopen(url, timeout=5).read()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert "Traceback" not in output, output


# -- helpers ---------------------------------------------------------------------------


class EventStream:
    """Reads a server-sent event stream in a thread, line by line."""

    def __init__(self, url: str) -> None:
        self.lines: list[str] = []
        self._response = urllib.request.urlopen(url, timeout=30)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for raw in self._response:
                self.lines.append(raw.decode().rstrip("\n"))
        except Exception:  # closed under the reader: done
            pass

    def data(self, event: str) -> str | None:
        """The data of the first ``event`` heard, if one was."""
        lines = list(self.lines)
        for i, line in enumerate(lines[:-1]):
            if line == f"event: {event}" and lines[i + 1].startswith("data: "):
                return lines[i + 1][len("data: ") :]
        return None

    def close(self) -> None:
        self._response.close()


def say(process: DevreloadProcess, **message: Any) -> None:
    """What a tab's client tells the server (POST /__devreload__/tab)."""
    request = urllib.request.Request(
        process.url + "/__devreload__/tab", data=json.dumps(message).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 204


# -- in a real browser ---------------------------------------------------------------------


@pytest.mark.browser
def test_a_css_edit_restyles_the_page_without_reloading_it(tmp_path: Path, page: Any) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        _open(page, process.url + "/")
        color = "getComputedStyle(document.getElementById('version')).color"
        page.wait_for_function(f"{color} === 'rgb(255, 0, 0)'")
        page.fill("#name", "typed by hand")
        page.evaluate("window.__sameDocument = true")
        save_in_place(tmp_path / "static" / "style.css", "h1 { color: rgb(0, 128, 0); }\n")
        page.wait_for_function(f"{color} === 'rgb(0, 128, 0)'", timeout=15000)
        assert page.input_value("#name") == "typed by hand"
        assert page.evaluate("window.__sameDocument") is True
        assert process.count("execute 0") == 1  # no re-execution for CSS


@pytest.mark.browser
@pytest.mark.parametrize(
    "policy",
    [
        "default-src 'self'",
        "default-src 'self'; script-src 'nonce-t3st' 'strict-dynamic'; object-src 'none'",
    ],
    ids=["self", "nonce"],
)
def test_a_page_whose_csp_forbids_inline_scripts_still_reloads_itself(
    tmp_path: Path, page: Any, policy: str
) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        # Not _open(): the policy forbids the eval() behind page.wait_for_function.
        page.add_init_script(TRACK_EVENT_SOURCES)
        page.goto(process.url + "/csp?" + urllib.parse.urlencode({"policy": policy}))
        wait_for(
            lambda: page.evaluate(PAGE_LISTENS),
            15,
            what="the devreload client to connect",
        )
        bump(app, 'VERSION = "v1"', 'VERSION = "v2"')
        page.locator("#version", has_text="v2").wait_for(timeout=15000)
        assert not [line for line in console if "Content Security Policy" in line]


@pytest.mark.browser
def test_an_error_shows_in_the_overlay_and_goes_after_the_fix(tmp_path: Path, page: Any) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        _open(page, process.url + "/")
        good = app.read_text()
        save_in_place(app, good + "\nraise ValueError('broken on purpose')\n")
        overlay = page.locator("#devreload-error-overlay")
        overlay.wait_for(state="visible", timeout=15000)
        assert "ValueError" in overlay.inner_text()
        assert "broken on purpose" in overlay.inner_text()
        assert (
            page.locator("#devreload-error-overlay-title")
            .inner_text()
            .startswith("devreload: the last save failed;")
        )
        save_in_place(app, good.replace('VERSION = "v1"', 'VERSION = "v2"'))
        page.wait_for_function(
            "document.getElementById('version')?.textContent === 'v2'", timeout=15000
        )
        overlay.wait_for(state="detached", timeout=15000)


@pytest.mark.browser
def test_the_overlay_title_says_a_watched_folder_is_gone(tmp_path: Path, page: Any) -> None:
    (tmp_path / "app").mkdir()
    app = write_app(tmp_path / "app")
    generated = tmp_path / "generated"  # watched on its own, beside the app's folder
    generated.mkdir()
    with devreload(app, args=["--watch", str(generated)]) as process:
        process.wait_ready()
        _open(page, process.url + "/")
        shutil.rmtree(generated)
        title = page.locator("#devreload-error-overlay-title")
        title.wait_for(state="visible", timeout=30000)
        assert title.inner_text().startswith("devreload: a watched folder is gone;")
        assert "last save failed" not in title.inner_text()
        generated.mkdir()  # back: the overlay goes, saves are reloaded again
        page.locator("#devreload-error-overlay").wait_for(state="detached", timeout=30000)
        bump(app, 'VERSION = "v1"', 'VERSION = "v2"')
        page.wait_for_function(
            "document.getElementById('version')?.textContent === 'v2'", timeout=15000
        )


def _open(page: Any, url: str) -> None:
    """Load the page and wait until its devreload client is connected (it hears the next save)."""
    page.add_init_script(TRACK_EVENT_SOURCES)
    page.goto(url)
    page.wait_for_function(PAGE_LISTENS, timeout=15000)


BASIC_AUTH_APP = textwrap.dedent(
    """
    import base64
    import uvicorn
    from fastapi import FastAPI, Request
    from fastapi.responses import PlainTextResponse

    app = FastAPI()

    @app.middleware("http")
    async def basic_auth(request: Request, call_next):
        expected = "Basic " + base64.b64encode(b"ada:lovelace").decode()
        if request.headers.get("authorization") != expected:
            return PlainTextResponse(
                "who are you?", status_code=401, headers={"WWW-Authenticate": "Basic"}
            )
        return await call_next(request)

    @app.get("/")
    def index():
        return PlainTextResponse("version=v1")

    if __name__ == "__main__":
        uvicorn.run(app)
    """
)


def test_the_status_route_is_behind_the_apps_basic_auth(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(BASIC_AUTH_APP)

    def status(credentials: bytes | None) -> tuple[int, str]:
        request = urllib.request.Request(process.url + "/__devreload__/status")
        if credentials is not None:
            request.add_header("Authorization", "Basic " + base64.b64encode(credentials).decode())
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as refused:
            assert refused.headers["WWW-Authenticate"] == "Basic"
            return refused.code, refused.read().decode()

    with devreload(app) as process:
        process.wait_ready()
        assert status(None) == (401, "who are you?")
        assert status(b"ada:babbage") == (401, "who are you?")
        code, body = status(b"ada:lovelace")
        assert code == 200 and json.loads(body)["generation"] == 0
        save_in_place(app, BASIC_AUTH_APP.replace("version=v1", "version=v2"))
        wait_for(
            lambda: json.loads(status(b"ada:lovelace")[1])["generation"] == 1,
            timeout=30,
            what="generation 1 in the status",
        )
        assert status(None)[0] == 401


def test_a_lifespan_startup_failure_at_start_reaches_the_events_file(tmp_path: Path) -> None:
    """What the ASGI adapter says goes through devreload's one reporter: the line on
    stderr and a ``message`` event in --events-file (it used to build a reporter of
    its own, which wrote to stderr only)."""
    app = write_app(tmp_path)
    app.write_text(app.read_text().replace("FAIL_STARTUP = False", "FAIL_STARTUP = True"))
    events = tmp_path / "events.jsonl"
    with devreload(app, args=["--events-file", str(events)]) as process:
        process.wait_for_line("the app's lifespan startup failed")

        def said() -> bool:
            lines = events.read_text().splitlines() if events.exists() else []
            return any(
                json.loads(line)["event"] == "message"
                and "the app's lifespan startup failed" in json.loads(line)["message"]
                for line in lines
            )

        wait_for(said, 10, what="the message event in the events file")
