"""The first load, in real devreload processes: a save made while it runs is served,
and a library that takes seconds to import is neither reported as stuck nor cut off."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from support import devreload, markdown_values, save_in_place, wait_for

pytestmark = pytest.mark.integration

#: The app's first load waits (with a deadline) until the test creates ``go`` beside it,
#: so that the test can save while the load is under way, at a point it chooses.
GATE = textwrap.dedent(
    """
    import time as _time
    from pathlib import Path as _Path

    print("LOADING {version}", flush=True)
    _deadline = _time.monotonic() + 60
    while not _Path(__file__).with_name("go").exists() and _time.monotonic() < _deadline:
        _time.sleep(0.01)
    """
)

ASGI_APP = textwrap.dedent(
    """
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    VERSION = "{version}"
    {gate}

    async def home(request):
        return PlainTextResponse(VERSION)

    app = Starlette(routes=[Route("/", home)])
    uvicorn.run(app)
    """
)

#: Gradio's server answers /config from inside launch(), before devreload says it serves.
GRADIO_APP = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        gr.Markdown("# {version}")
    demo.launch()
    {gate}
    """
)


def app_source(kind: str, version: str) -> str:
    template = ASGI_APP if kind == "asgi" else GRADIO_APP
    gate = GATE.format(version=version).strip()
    return template.format(version=version, gate=gate)


def shown(process: object, kind: str) -> str:
    if kind == "asgi":
        return process.get("/").decode()  # type: ignore[attr-defined]
    values = markdown_values(process.config())  # type: ignore[attr-defined]
    return values[0].removeprefix("# ")


@pytest.mark.parametrize("kind", ["asgi", "gradio"])
def test_a_save_made_while_the_first_load_runs_is_served(tmp_path: Path, kind: str) -> None:
    app = tmp_path / "app.py"
    app.write_text(app_source(kind, "v1"))
    with devreload(app) as process:
        process.wait_for_line("LOADING v1", timeout=60)
        if kind == "gradio":  # the page already answers, with the first version
            wait_for(lambda: shown(process, kind) == "v1", timeout=60, what="/config")
        assert "devreload: serving" not in process.output
        save_in_place(app, app_source(kind, "v2"))
        (tmp_path / "go").touch()
        process.wait_ready()
        wait_for(lambda: shown(process, kind) == "v2", timeout=20, what="the save's version")
        process.wait_for_line("devreload: reloaded")
        assert process.count("devreload: reloaded") == 1


#: A library (outside the watched folders) whose import takes longer than the 5 s
#: after which a running load is reported, as Gradio's does on a slow machine. It
#: binds a submodule first: an import cut off after that leaves the package broken.
SLOW_LIBRARY = {
    "slowlib/__init__.py": textwrap.dedent(
        """
        import time

        from slowlib import part

        print("IMPORTING slowlib", flush=True)
        _until = time.monotonic() + 6.5
        while time.monotonic() < _until:
            time.sleep(0.01)
        """
    ),
    "slowlib/part.py": 'VALUE = "part"\n',
}

SLOW_IMPORT_APP = textwrap.dedent(
    """
    import slowlib
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def home(request):
        return PlainTextResponse("{version} " + slowlib.part.VALUE)

    app = Starlette(routes=[Route("/", home)])
    uvicorn.run(app)
    """
)


def test_a_slow_library_import_is_not_a_hang_and_is_never_cut_off(tmp_path: Path) -> None:
    library = tmp_path / "site"
    for name, source in SLOW_LIBRARY.items():
        (library / name).parent.mkdir(parents=True, exist_ok=True)
        (library / name).write_text(source)
    project = tmp_path / "project"
    project.mkdir()
    app = project / "app.py"
    app.write_text(SLOW_IMPORT_APP.format(version="v1"))
    path = os.pathsep.join([str(library), os.environ.get("PYTHONPATH", "")])
    with devreload(app, env={"PYTHONPATH": path}) as process:
        process.wait_for_line("IMPORTING slowlib", timeout=60)
        # A fix saved while the import runs: the watchdog's moment to interrupt, past 5 s.
        save_in_place(app, SLOW_IMPORT_APP.format(version="v2"))
        process.wait_ready(timeout=60)
        wait_for(lambda: process.get("/") == b"v2 part", timeout=20, what="v2 served")
        output = process.output
    assert "abandoned" not in output
    assert "still loading" not in output  # importing a framework is not being stuck
