"""One adapter-conformance suite, run against every adapter devreload ships (gradio,
asgi, wsgi, dash, shiny, fasthtml, nicegui) and the toy third-party adapter of
docs/adapters.md (through its entry point). Each framework's own example apps are in
test_upstream_*.py, its own interactions in test_frameworks*.py.

Each app follows the convention of :class:`reloader.testing.ConformanceApp`:
it shows ``version=``, ``helper=`` and ``resource=`` markers, and, for the tab check,
has a button ``act`` whose handler shows ``acted in <version>`` and a text field
``typed`` (the toy framework has neither).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reloader.testing import (
    ANY_EVENT_SOURCE_OPEN,
    CHECKS,
    ConformanceApp,
    DevreloadProcess,
    read_http,
    tab_keeps_working_across_saves,
)
from support import markdown_values, offline_cdn

pytestmark = pytest.mark.integration

HELPER = 'TEXT = "{helper}"\n'


def app_source(framework: str, app: str, *, no_reload: str = "reloader.NO_RELOAD") -> str:
    """An app of the suite's convention: ``framework`` (its imports), the shared part
    (the helper, the NO_RELOAD resource, ``markers()``), then ``app`` (the app,
    showing ``markers()``, and its run call). ``{version}``/``{helper}`` are
    filled in by :meth:`ConformanceApp.write`."""
    shared = textwrap.dedent(
        f"""
        import reloader
        import helper

        if {no_reload}:
            resource = object()


        def markers():
            return f"version={{version}} helper={{{{helper.TEXT}}}} resource={{{{id(resource)}}}}"
        """
    )
    return textwrap.dedent(framework).lstrip() + shared + textwrap.dedent(app)


def conformance_app(name: str, framework: str, app: str, **options: Any) -> ConformanceApp:
    no_reload = options.pop("no_reload", "reloader.NO_RELOAD")
    files = {"app.py": app_source(framework, app, no_reload=no_reload), "helper.py": HELPER}
    return ConformanceApp(name=name, files=files, **options)


#: A server-rendered page: the markers, a button whose click POSTs to /act and shows
#: the answer, a text field (an expression of the app's source).
PAGE = (
    '"<!doctype html><html><body><p>" + markers() + "</p>'
    '<button id=act onclick=\\"fetch(`act`, {{method: `POST`}}).then((r) => r.text())'
    '.then((t) => {{ answer.textContent = t; }})\\">act</button>'
    '<p id=answer></p><input id=typed></body></html>"'
)
#: The tab check's selectors for the pages above.
ACTS = {"click": "#act", "typed": "#typed"}


def gradio_text(process: DevreloadProcess) -> str:
    return " ".join(markdown_values(process.config()))


GRADIO = conformance_app(
    "gradio",
    "import gradio as gr",
    """
    with gr.Blocks() as demo:
        gr.Markdown(markers())
        answer = gr.Markdown(elem_id="answer")
        act = gr.Button("act", elem_id="act")
        gr.Textbox(elem_id="typed")
        act.click(lambda: "acted in {version}", None, answer)

    if __name__ == "__main__":
        demo.launch()
    """,
    no_reload="gr.NO_RELOAD",
    read=gradio_text,
    click="#act",
    typed="#typed textarea",
)

FASTAPI = conformance_app(
    "asgi",
    """
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse, PlainTextResponse
    """,
    f"""
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def index():
        return {PAGE}

    @app.post("/act", response_class=PlainTextResponse)
    def act():
        return "acted in {{version}}"

    if __name__ == "__main__":
        uvicorn.run(app, port=8000)
    """,
    **ACTS,
)

FLASK = conformance_app(
    "wsgi",
    "from flask import Flask",
    f"""
    app = Flask(__name__)

    @app.get("/")
    def index():
        return {PAGE}

    @app.post("/act")
    def act():
        return "acted in {{version}}"

    if __name__ == "__main__":
        app.run(port=5000)
    """,
    **ACTS,
)

DASH = conformance_app(
    "dash",
    "from dash import Dash, Input, Output, dcc, html",
    """
    app = Dash(__name__)
    app.layout = html.Div(
        [
            html.P(markers()),
            html.Button("act", id="act"),
            html.P(id="answer"),
            dcc.Input(id="typed"),
        ]
    )

    @app.callback(Output("answer", "children"), Input("act", "n_clicks"), prevent_initial_call=True)
    def act(clicks):
        return "acted in {version}"

    if __name__ == "__main__":
        app.run(debug=True)
    """,
    # The page is a shell that Dash's JavaScript fills from the layout.
    read=read_http("/_dash-layout"),
    **ACTS,
)

SHINY = conformance_app(
    "shiny",
    "from shiny import App, reactive, render, ui",
    """
    app_ui = ui.page_fluid(
        ui.p(markers()),
        ui.input_action_button("act", "act"),
        ui.output_text("answer"),
        ui.input_text("typed", "Typed"),
        ui.input_slider("n", "N", 1, 10, 5),
        ui.input_selectize("pick", "Pick", ["a", "b"]),
    )


    def server(input, output, session):
        @render.text
        @reactive.event(input.act)
        def answer():
            return "acted in {version}"


    app = App(app_ui, server)
    """,
    **ACTS,
    # What Shiny's JavaScript built: the slider (ion.rangeSlider) and the selectize control.
    intact_js=(
        "() => document.querySelectorAll('span.irs--shiny').length === 1"
        " && !!document.querySelector('#n.irs-hidden-input')"
        " && document.querySelectorAll('.selectize-control').length === 1"
    ),
)

FASTHTML = conformance_app(
    "fasthtml",
    "from fasthtml.common import Button, Div, Input, P, fast_app, serve",
    """
    app, rt = fast_app()

    @rt("/")
    def index():
        return Div(
            P(markers()),
            Button("act", id="act", hx_post="/act", hx_target="#answer"),
            Div(id="answer"),
            Input(id="typed", name="typed"),
        )

    @rt("/act")
    def post():
        return P("acted in {version}")

    serve()
    """,
    **ACTS,
)

NICEGUI = conformance_app(
    "nicegui",
    "from nicegui import app, ui",
    """
    # Module-level lifecycle handlers, as NiceGUI's docs register them: a reload
    # must not fail on "NiceGUI has already been started".
    app.on_startup(lambda: None)
    app.on_connect(lambda: None)

    @ui.page("/")
    def index():
        ui.label(markers())
        answer = ui.label()
        ui.button("act", on_click=lambda: answer.set_text("acted in {version}")).classes("act")
        ui.input("Typed").classes("typed")

    if __name__ in {{"__main__", "__mp_main__"}}:
        ui.run(port=8080)
    """,
    # NiceGUI renders the elements' texts into the page's initial HTML.
    click=".act",
    typed=".typed input",
)

TOY_DIR = Path(__file__).parent / "toy_adapter"
TOY = conformance_app(
    "toy",
    "import toyweb",
    """
    app = toyweb.ToyApp(markers())

    if __name__ == "__main__":
        app.run(port=8080)
    """,
    args=("--adapter", "toy"),
    # A client of its own, on an EventSource of its own, which does not confirm.
    page_ready_js=ANY_EVENT_SOURCE_OPEN,
    confirms=False,
)


def toy_site(folder: Path) -> dict[str, str]:
    """The toy adapter as an installed distribution with an entry point, on PYTHONPATH."""
    site = folder / "site"
    site.mkdir()
    for module in ("toyweb.py", "toy_devreload.py"):
        shutil.copy(TOY_DIR / module, site / module)
    info = site / "toy_devreload-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-devreload\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[devreload.adapters]\ntoy = toy_devreload:ToyAdapter\n")
    return {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


APPS = {app.name: app for app in (GRADIO, FASTAPI, FLASK, DASH, SHINY, FASTHTML, NICEGUI, TOY)}


def prepared(name: str, tmp_path: Path) -> tuple[ConformanceApp, Path]:
    app = APPS[name]
    folder = tmp_path / "app"
    folder.mkdir()
    if name == "toy":
        app = dataclasses.replace(app, env=toy_site(tmp_path))
    return app, folder


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize("name", sorted(APPS))
def test_conformance(
    name: str, check: Callable[[ConformanceApp, Path], None], tmp_path: Path
) -> None:
    app, folder = prepared(name, tmp_path)
    check(app, folder)


@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(APPS))
def test_tab_keeps_working_across_saves(name: str, tmp_path: Path, page: Any) -> None:
    app, folder = prepared(name, tmp_path)
    offline_cdn(page)  # FastHTML's pages load htmx from a CDN
    tab_keeps_working_across_saves(app, folder, page)
