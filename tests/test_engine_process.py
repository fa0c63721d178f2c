"""Engine features seen from outside, in real devreload processes: on_dispose and
atexit, ``-m pkg.app``, the JSON event channel."""

from __future__ import annotations

import json
import signal
import textwrap
from pathlib import Path
from typing import Any

import pytest

from support import devreload, markdown_values, running, save_in_place, wait_for

pytestmark = pytest.mark.integration

POLLER_APP = textwrap.dedent(
    """
    import atexit
    import threading
    import gradio as gr
    import reloader

    VERSION = "{version}"
    stop = threading.Event()

    def poll():
        while not stop.wait(0.01):
            pass

    threading.Thread(target=poll, name="poller", daemon=True).start()

    @reloader.on_dispose
    def cleanup():
        stop.set()
        print(f"DISPOSED {{VERSION}}", flush=True)

    atexit.register(print, f"ATEXIT {{VERSION}}", flush=True)
    pollers = sum(thread.name == "poller" for thread in threading.enumerate())

    with gr.Blocks() as demo:
        gr.Markdown(f"# {{VERSION}} pollers={{pollers}}")
    {tail}
    """
)


def served(process: Any, text: str) -> str:
    return wait_for(
        lambda: next((v for v in markdown_values(process.config()) if text in v), None),
        timeout=20,
        what=f"{text!r} served",
    )


def test_on_dispose_cleans_up_each_replaced_version_and_atexit_runs(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(POLLER_APP.format(version="v1", tail=""))
    with devreload(app) as process:
        process.wait_ready()
        for number in range(2, 7):
            save_in_place(app, POLLER_APP.format(version=f"v{number}", tail=""))
            shown = served(process, f"# v{number} ")
            process.wait_for_line(f"DISPOSED v{number - 1}")
            # At most the version being replaced and the new one poll at the same time.
            assert int(shown.rpartition("pollers=")[2]) <= 2
        # A version that fails after starting its thread disposes of it at once.
        save_in_place(app, POLLER_APP.format(version="broken", tail="1 / 0"))
        process.wait_for_line("DISPOSED broken")
        served(process, "# v6 ")
        assert process.stop(signal.SIGINT) == 0
        output = process.output
    assert "DISPOSED v6" in output  # the serving version, at shutdown
    for number in range(1, 7):  # every version's atexit handler ran once, before the exit
        assert output.count(f"ATEXIT v{number}") == 1


FLUSHING_APP = textwrap.dedent(
    """
    import atexit
    import time

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    VERSION = "{version}"

    def flush():
        time.sleep(0.4)  # a flush that takes a while: five of them exceed the exit bound
        with open({log!r}, "a") as log:
            log.write(VERSION + "\\n")

    atexit.register(flush)

    async def home(request):
        return PlainTextResponse(VERSION)

    app = Starlette(routes=[Route("/", home)])
    uvicorn.run(app)
    """
)


def test_a_versions_atexit_handlers_run_when_it_is_replaced(tmp_path: Path) -> None:
    """A top-level atexit.register(flush) runs once per version, when that version is
    replaced (as a restart would), and at stop only the serving version's runs."""
    import time

    app, log = tmp_path / "app.py", tmp_path / "flushed.log"

    def flushed() -> list[str]:
        return log.read_text().split() if log.exists() else []

    app.write_text(FLUSHING_APP.format(version="v1", log=str(log)))
    with devreload(app) as process:
        process.wait_ready()
        for number in range(2, 7):
            save_in_place(app, FLUSHING_APP.format(version=f"v{number}", log=str(log)))
            wait_for(lambda n=number: process.get("/") == f"v{n}".encode(), what=f"v{number}")
        # Flushed when replaced, before any stop (v5's may still be under way: a Ctrl+C
        # now waits for it instead of cutting it short).
        wait_for(lambda: flushed()[:4] == ["v1", "v2", "v3", "v4"], what="v1 to v4 flushed")
        assert process.process is not None
        started = time.monotonic()
        process.process.send_signal(signal.SIGINT)
        assert process.wait_exit(timeout=10) == 0
        took = time.monotonic() - started
    assert flushed() == [f"v{number}" for number in range(1, 7)]
    assert "took too long" not in process.output
    assert took < 1.5


def test_dash_m_runs_a_package_app_with_relative_imports(tmp_path: Path) -> None:
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "texts.py").write_text('TITLE = "one"\n')
    (package / "app.py").write_text(
        textwrap.dedent(
            """
            import gradio as gr
            from .texts import TITLE

            with gr.Blocks() as demo:
                gr.Markdown(f"# {TITLE} {__package__} {__name__}")

            if __name__ == "__main__":
                demo.launch()
            """
        )
    )
    with devreload_m(tmp_path, "shop.app") as process:
        process.wait_ready()
        served(process, "# one shop __main__")
        save_in_place(package / "texts.py", 'TITLE = "two"\n')
        served(process, "# two shop __main__")


def test_a_relative_import_in_a_file_run_as_a_script_says_to_use_dash_m(tmp_path: Path) -> None:
    """`devreload shop/app.py` fails as `python shop/app.py` does; the sentence says what
    works: devreload -m shop.app."""
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "texts.py").write_text('TITLE = "one"\n')
    (package / "app.py").write_text("from .texts import TITLE\n")
    with devreload(package / "app.py", cwd=tmp_path) as process:
        process.wait_for_line("waiting for a fix")
    assert (
        f"ImportError in {package / 'app.py'}, line 1: attempted relative import with no "
        "known parent package; run it as a module of its package, as python -m does: "
        "devreload -m shop.app" in process.output
    )


def devreload_m(cwd: Path, module: str) -> Any:
    """devreload -m MODULE, run from ``cwd``."""
    from support import DevreloadProcess

    class ModuleProcess(DevreloadProcess):
        def __init__(self) -> None:
            super().__init__(cwd / "unused.py", cwd=cwd)
            at = self.command.index(str(cwd / "unused.py"))
            self.command[at : at + 1] = ["-m", module]

    return running(ModuleProcess())


def events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_events_file_has_typed_events(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(POLLER_APP.format(version="v1", tail=""))
    log = tmp_path / "events.jsonl"
    with devreload(app, args=["--events-file", str(log)]) as process:
        process.wait_ready()
        save_in_place(app, POLLER_APP.format(version="v2", tail=""))
        reloaded = wait_for(
            lambda: [e for e in events(log) if e["event"] == "reloaded"], what="a reload event"
        )[0]
        save_in_place(app, POLLER_APP.format(version="v3", tail="undefined_name"))
        failed = wait_for(
            lambda: [e for e in events(log) if e["event"] == "failed"], what="a failure event"
        )[0]
    serving = next(e for e in events(log) if e["event"] != "message")
    assert serving["event"] == "serving" and serving["url"].startswith("http://127.0.0.1:")
    assert reloaded["generation"] == 1 and reloaded["tier"] == "full"
    assert reloaded["files"] == [str(app)]
    assert len(reloaded["digests"][str(app)]) == 32
    assert set(reloaded["timings_ms"]) >= {"detect", "execute", "swap", "push", "total"}
    assert failed["error"]["file"] == str(app)
    assert (
        failed["error"]["line"]
        == POLLER_APP.format(version="v3", tail="undefined_name")[
            : POLLER_APP.format(version="v3", tail="undefined_name").index("undefined_name")
        ].count("\n")
        + 1
    )
    assert failed["error"]["headline"].startswith("NameError in")


def test_events_json_on_stderr(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(POLLER_APP.format(version="v1", tail=""))
    with devreload(app, args=["--events", "json"]) as process:
        wait_for(lambda: '"event": "serving"' in process.output, timeout=60, what="serving")
        save_in_place(app, POLLER_APP.format(version="v2", tail=""))
        wait_for(lambda: '"event": "reloaded"' in process.output, what="reloaded")
        lines = [json.loads(line) for line in process.lines if line.startswith("{")]
    kinds = [line["event"] for line in lines if line["event"] != "message"]
    assert kinds[:2] == ["serving", "reloaded"]
    assert not any(line.startswith("devreload: ") for line in process.lines)


@pytest.mark.parametrize("kind", ["gradio", "asgi"])
def test_status_endpoint_tells_the_generation_being_served(tmp_path: Path, kind: str) -> None:
    from test_conformance import APPS

    app = APPS[kind]
    app_path = app.write(tmp_path)
    with devreload(app_path) as process:
        process.wait_ready()
        first = json.loads(process.get("/__devreload__/status"))
        assert first["generation"] == 0 and first["state"] == "serving"
        assert first["last"]["event"] == "serving"
        save_in_place(app_path, app.source("app.py", "v2"))
        status = wait_for(
            lambda: (lambda s: s if s["generation"] == 1 else None)(
                json.loads(process.get("/__devreload__/status"))
            ),
            what="generation 1",
        )
        assert status["last"]["event"] in ("reloaded", "patched")  # a route body: patched
        assert status["last"]["files"] == [str(app_path)]
        save_in_place(app_path, app.source("app.py", "v3") + "\nundefined_name\n")
        failed = wait_for(
            lambda: (lambda s: s if s["state"] == "failed" else None)(
                json.loads(process.get("/__devreload__/status"))
            ),
            what="a failed state",
        )
        assert failed["generation"] == 1  # still serving generation 1
        assert failed["last"]["error"]["headline"].startswith("NameError in")


def test_status_endpoint_needs_the_gradio_login(tmp_path: Path) -> None:
    import urllib.error
    import urllib.parse
    import urllib.request

    app = tmp_path / "app.py"
    app.write_text(
        "import gradio as gr\nwith gr.Blocks() as demo:\n    gr.Markdown('x')\n"
        "demo.launch(auth=('u', 'p'))\n"
    )
    with devreload(app) as process:
        process.wait_ready()
        with pytest.raises(urllib.error.HTTPError) as refused:
            process.get("/__devreload__/status")
        assert refused.value.code == 401
        # The MCP server too (a tool call without the login gets no status).
        call = b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "status"}}'
        mcp = urllib.request.Request(
            process.url + "/__devreload__/mcp",
            data=call,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(mcp, timeout=10)
        assert refused.value.code == 401
        # Logged in with Gradio's form, the status answers.
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        login = urllib.parse.urlencode({"username": "u", "password": "p"}).encode()
        browser.open(process.url + "/login", data=login, timeout=10).close()
        with browser.open(process.url + "/__devreload__/status", timeout=10) as answer:
            assert json.loads(answer.read())["state"] == "serving"


def test_uvicorn_module_app_form_imports_the_module(tmp_path: Path) -> None:
    """``devreload main:app`` runs main.py as uvicorn would: imported as ``main``, so an
    ``if __name__ == "__main__":`` guard that refuses plain runs does not fire."""
    from support import DevreloadProcess

    source = textwrap.dedent(
        """
        import sys
        from starlette.applications import Starlette
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route

        if __name__ == "__main__":
            sys.exit("Run this app with `uvicorn main:app`")

        async def home(request):
            return PlainTextResponse(f"{__name__} {VERSION}")

        app = Starlette(routes=[Route("/", home)])
        VERSION = "v1"
        """
    )
    main = tmp_path / "main.py"
    main.write_text(source)
    process = DevreloadProcess(main, cwd=tmp_path)
    at = process.command.index(str(main))
    process.command[at] = "main:app"
    process.start()
    try:
        wait_for(lambda: process.get("/") == b"main v1", timeout=60, what="main v1")
        save_in_place(main, source.replace('"v1"', '"v2"'))
        wait_for(lambda: process.get("/") == b"main v2", what="main v2")
    finally:
        process.stop()


NOISY_APP = textwrap.dedent(
    """
    import logging
    import sys
    import warnings

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    VERSION = "{version}"
    print("the app writes to stderr", file=sys.stderr)
    warnings.warn("the app warns")
    logging.getLogger("the_app").warning("the app logs")

    async def home(request):
        return PlainTextResponse(VERSION)

    app = Starlette(routes=[Route("/", home)])
    uvicorn.run(app)
    """
)


def test_events_json_makes_stderr_json_lines_only(tmp_path: Path) -> None:
    """Under --events json every line on stderr is a JSON event: devreload's own log
    (-v), the app's warnings, log records and writes become message events; the
    stopping event carries the generation being served."""
    import os
    import subprocess
    import sys
    import threading

    from support import free_port

    app = tmp_path / "app.py"
    app.write_text(NOISY_APP.format(version="v1"))
    command = [sys.executable, "-m", "reloader", str(app), "--port", str(free_port())]
    process = subprocess.Popen(
        [*command, "--events", "json", "-v"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    assert process.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stderr or []), daemon=True)
    reader.start()

    def parsed() -> list[dict[str, Any]]:
        return [json.loads(line) for line in list(lines) if line.strip()]

    try:
        wait_for(lambda: any(e["event"] == "serving" for e in parsed()), 60, what="serving")
        for version in ("v2", "v3"):
            save_in_place(app, NOISY_APP.format(version=version))
            wait_for(
                lambda v=version: sum(e["event"] == "reloaded" for e in parsed()) == int(v[1]) - 1,
                what=f"{version} reloaded",
            )
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        reader.join(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    events = parsed()  # every line parses: JSON only
    sources = {e.get("source", "") for e in events if e["event"] == "message"}
    assert {"stderr", "py.warnings", "the_app"} <= sources, sources
    assert any(source.startswith("reloader.") for source in sources), sources  # -v
    (stopping,) = [e for e in events if e["event"] == "stopping"]
    assert stopping["generation"] == 2
    said = [e for e in events if e.get("source") == "stderr"]
    assert said[-1]["message"] == "the app writes to stderr" and said[-1]["generation"] == 1


PILING_APP = textwrap.dedent(
    """
    import threading

    import reloader
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    VERSION = "{version}"

    def poll(stop):
        while not stop.wait(0.05):
            pass

    threading.Thread(target=poll, args=(threading.Event(),), name="poller", daemon=True).start()
    tidy = threading.Event()
    threading.Thread(target=poll, args=(tidy,), name="tidy", daemon=True).start()
    reloader.on_dispose(tidy.set)

    async def home(request):
        return PlainTextResponse(VERSION)

    app = Starlette(routes=[Route("/", home)])
    uvicorn.run(app)
    """
)


def test_threads_that_pile_up_are_named_once_with_the_fix(tmp_path: Path) -> None:
    """Each version starts a thread and nothing stops the old ones: said once, naming
    the thread and where it starts; a thread stopped with on_dispose is never named."""
    app = tmp_path / "app.py"
    app.write_text(PILING_APP.format(version="v1"))
    saves = [1]

    def save_next() -> None:
        saves.append(saves[-1] + 1)
        save_in_place(app, PILING_APP.format(version=f"v{saves[-1]}"))
        wait_for(lambda: process.get("/") == f"v{saves[-1]}".encode(), what="the save served")

    def told() -> bool:
        if "copies of the thread 'poller'" in process.output:
            return True
        save_next()  # the old versions' threads outlive them a few seconds: save on
        return False

    with devreload(app) as process:
        process.wait_ready()
        wait_for(told, timeout=60, interval=0.5, what="the piled-up threads named")
        save_next()
        save_next()
        output = process.output
    (sentence,) = [line for line in output.splitlines() if "copies of the thread" in line]
    line = PILING_APP.splitlines().index(
        'threading.Thread(target=poll, args=(threading.Event(),), name="poller", daemon=True)'
        ".start()"
    )
    assert f"the top level of app.py, line {line + 1} starts it" in sentence
    assert "reloader.on_dispose(stop.set)" in sentence
    assert "'tidy'" not in output
