"""The framework sections' apps: NiceGUI, Dash, Shiny and FastHTML, each beside its own reloader.

Each app is the repository's example for that framework (``examples/<fw>_app``)
reduced to what the benchmark needs, written the way the framework's
documentation writes an app: a heading that carries the marker, one interactive
element, an ``if NO_RELOAD:`` block that sleeps (the model load, as in the other
sections), and the framework's own run call with its reloader on, so that
``python app.py`` (or ``shiny run --reload``) is the framework's own reload loop
and ``devreload app.py`` is ours, on the very same file. The port comes from the
``PORT`` environment variable, which Dash and FastHTML read themselves.

Where the marker sits decides what a save is for devreload: in NiceGUI's and
FastHTML's page functions an edit changes a function body only (patched in
place, then the tab reloads or is patched); in Dash's layout and Shiny's
``app_ui`` it is a module-level change (a full reload).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["FRAMEWORKS", "Framework", "FrameworkKey", "framework_problem", "framework_source"]

FrameworkKey = Literal["nicegui", "dash", "shiny", "fasthtml"]


@dataclass(frozen=True)
class Framework:
    #: The section and the app kind.
    key: FrameworkKey
    label: str
    #: The module the app imports (checked before a tool starts).
    module: str
    #: The tool key of the framework's own reloader.
    peer: str
    #: The request whose answer carries the marker once the change is served (the
    #: page itself where the server renders it; Dash's page is built by its
    #: JavaScript from ``/_dash-layout``).
    probe_path: str
    #: devreload's extra that installs it.
    extra: str
    #: At least this long between a tab showing the change and the next save. Dash's
    #: page takes its first hot-reload poll (every 3 s) after loading or reloading the
    #: layout as the baseline, and misses a restart that happens before that poll.
    gap: float = 0.5


FRAMEWORKS: dict[str, Framework] = {
    fw.key: fw
    for fw in (
        Framework("nicegui", "NiceGUI", "nicegui", "nicegui-reload", "/", "nicegui"),
        Framework("dash", "Dash", "dash", "dash-debug", "/_dash-layout", "dash", gap=3.5),
        Framework("shiny", "Shiny", "shiny", "shiny-reload", "/", "shiny"),
        Framework("fasthtml", "FastHTML", "fasthtml", "fasthtml-reload", "/", "fasthtml"),
    )
}

_PREAMBLE = '''\
"""The {label} benchmark app (written by benchmarks/frameworks.py from examples/{key}_app)."""

{stdlib}import time

{imports}

try:
    from reloader import NO_RELOAD
except ImportError:  # devreload not installed: a plain run
    NO_RELOAD = True

if NO_RELOAD:
    # The model load: kept across reloads by devreload, paid again on every restart.
    time.sleep({seconds!r})
    MODEL = {{"loaded": True}}

'''

_BODIES = {
    "nicegui": """
@ui.page("/")
def index():
    ui.label("Benchmark app version {marker}")
    answer = ui.label("")
    ui.button("Click me", on_click=lambda: answer.set_text("clicked"))


if __name__ in {{"__main__", "__mp_main__"}}:
    ui.run(port=int(os.environ.get("PORT", "8080")), show=False, reload=True)
""",
    "dash": """
app = Dash(__name__)
app.layout = html.Div(
    [html.H1("Benchmark app version {marker}"), dcc.Input(id="name", value="x"), html.P(id="out")]
)


@app.callback(Output("out", "children"), Input("name", "value"))
def echo(value):
    return f"You typed {{value}}"


if __name__ == "__main__":
    app.run(debug=True)  # the port from PORT, as Dash reads it
""",
    "shiny": """
app_ui = ui.page_fluid(
    ui.h1("Benchmark app version {marker}"),
    ui.input_text("name", "Name", "x"),
    ui.output_text("out"),
)


def server(input, output, session):
    @render.text
    def out():
        return f"You typed {{input.name()}}"


app = App(app_ui, server)
""",
    # live=True: FastHTML's documented live reload, so that its own loop also
    # refreshes an open tab (serve() alone restarts the server only).
    "fasthtml": """
app, rt = fast_app(live=True)


@rt("/")
def index():
    return Titled(
        "Benchmark app version {marker}",
        Button("Click", hx_post="/clicked", hx_target="#out"),
        Div(id="out"),
    )


@rt("/clicked")
def clicked():
    return P("clicked")


serve(host="127.0.0.1")  # the port from PORT, as FastHTML reads it
""",
}

_IMPORTS = {
    "nicegui": "from nicegui import ui",
    "dash": "from dash import Dash, Input, Output, dcc, html",
    "shiny": "from shiny import App, render, ui",
    "fasthtml": "from fasthtml.common import Button, Div, P, Titled, fast_app, serve",
}


def framework_source(key: str, marker: str, no_reload_seconds: float) -> str:
    """The app file of framework ``key`` with ``marker`` in its heading."""
    framework = FRAMEWORKS[key]
    preamble = _PREAMBLE.format(
        label=framework.label,
        key=key,
        stdlib="import os\n" if key == "nicegui" else "",
        imports=_IMPORTS[key],
        seconds=no_reload_seconds,
    )
    return preamble + _BODIES[key].format(marker=marker)


def framework_problem(key: str, tool: str) -> str | None:
    """Why ``tool`` cannot run framework ``key``'s app here, or None if it can."""
    framework = FRAMEWORKS[key]
    if importlib.util.find_spec(framework.module) is None:
        return (
            f"{framework.label} is not installed ({framework.module} does not import; "
            f"pip install 'devreload[{framework.extra}]')"
        )
    if tool == "shiny-reload" and shiny_cli() is None:
        return "the shiny command is not installed beside this Python"
    return None


def shiny_cli() -> str | None:
    beside = Path(sys.executable).with_name("shiny")
    return str(beside) if beside.is_file() else shutil.which("shiny")
