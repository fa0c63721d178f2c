"""How each compared tool is started on an app folder, and what a save means for it."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .apps import AppDir
from .frameworks import shiny_cli

__all__ = ["ALL_TOOLS", "SLOW_TOOLS", "Tool", "tool_by_key"]

PYTHON = sys.executable


@dataclass(frozen=True)
class Tool:
    key: str
    label: str
    #: Does an open tab show the change by itself? If not, the browser figure is
    #: "never", and the time until a page reload (F5) would show it is measured.
    auto_refresh: bool
    #: Restarts the whole Python process on a save (fewer saves are measured).
    slow: bool = False
    #: The save is followed by Ctrl+C and running the command again.
    restart_per_save: bool = False
    #: Not in quick runs unless asked for with --only.
    quick_default: bool = True
    how: str = ""

    def command(self, app: AppDir, port: int, hmr_executable: Path | None = None) -> list[str]:
        if self.key == "devreload":
            return [
                PYTHON,
                "-m",
                "reloader",
                app.app_file,
                "--port",
                str(port),
                "--events-file",
                str(app.root / EVENTS_FILE),
            ]
        if self.key == "gradio":
            return [_gradio_cli(), app.app_file]
        if self.key == "uvicorn-reload":
            return [
                PYTHON,
                "-m",
                "uvicorn",
                app.asgi_app,
                "--reload",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ]
        if self.key in ("manual", *_OWN_RUN_CALL):
            return [PYTHON, app.app_file]
        if self.key == "shiny-reload":
            shiny = shiny_cli() or "shiny"
            host = ["--host", "127.0.0.1", "--port", str(port)]
            return [shiny, "run", "--reload", *host, app.app_file]
        if self.key == "uvicorn-hmr":
            assert hmr_executable is not None
            return [
                str(hmr_executable),
                app.asgi_app,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--refresh",
                "--log-level",
                "warning",
            ]
        raise KeyError(self.key)

    def env(self, app: AppDir, port: int) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        env.update(
            PYTHONUNBUFFERED="1",
            GRADIO_ANALYTICS_ENABLED="False",
            GRADIO_SSR_MODE="False",
            GRADIO_SERVER_NAME="127.0.0.1",
            GRADIO_SERVER_PORT=str(port),
            HF_HUB_OFFLINE="1",
            # Dash's app.run() and FastHTML's serve() read it; the framework apps pass
            # it to NiceGUI's ui.run(port=...).
            PORT=str(port),
        )
        env.update(app.env)
        if self.key == "devreload":  # this checkout's devreload, whatever the venv has installed
            env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
        return env


#: The framework reloaders that are the app's own run call with reload on: ``python app.py``.
_OWN_RUN_CALL = ("nicegui-reload", "dash-debug", "fasthtml-reload")

#: devreload's JSON event log in each app folder (its suffix is not watched).
EVENTS_FILE = ".devreload-events.jsonl"


def _gradio_cli() -> str:
    beside = Path(PYTHON).with_name("gradio")
    return str(beside) if beside.is_file() else "gradio"


ALL_TOOLS: tuple[Tool, ...] = (
    Tool(
        "devreload",
        "devreload",
        auto_refresh=True,
        how="python -m reloader app.py --port N",
    ),
    Tool(
        "gradio",
        "gradio reload mode",
        auto_refresh=True,
        how="gradio app.py (GRADIO_SERVER_PORT=N)",
    ),
    Tool(
        "uvicorn-hmr",
        "uvicorn-hmr",
        auto_refresh=True,
        slow=True,
        quick_default=False,
        how="uvicorn-hmr mounted:app --refresh (main:app for the FastAPI example; "
        "Python 3.12 venv)",
    ),
    Tool(
        "uvicorn-reload",
        "uvicorn --reload",
        auto_refresh=False,
        slow=True,
        how="uvicorn mounted:app --reload, the Gradio app mounted with gr.mount_gradio_app "
        "(main:app for the FastAPI example)",
    ),
    Tool(
        "manual",
        "manual restart",
        auto_refresh=False,
        slow=True,
        restart_per_save=True,
        how="Ctrl+C, then python app.py again",
    ),
    Tool(
        "nicegui-reload",
        "NiceGUI reload",
        auto_refresh=True,
        slow=True,
        how="python app.py, the app ending in ui.run(reload=True) (uvicorn's reloader "
        "restarts the process; the page reconnects and reloads)",
    ),
    Tool(
        "dash-debug",
        "Dash debug (hot reload)",
        auto_refresh=True,
        slow=True,
        how="python app.py, the app ending in app.run(debug=True) (Flask's reloader "
        "restarts the process; Dash's page polls for the change and reloads)",
    ),
    Tool(
        "shiny-reload",
        "shiny run --reload",
        auto_refresh=True,
        slow=True,
        how="shiny run --reload --port N app.py (restarts the process; the page reloads)",
    ),
    Tool(
        "fasthtml-reload",
        "FastHTML serve() reload",
        auto_refresh=True,
        slow=True,
        how="python app.py, the app ending in serve() with fast_app(live=True) (uvicorn's "
        "reloader restarts the process; FastHTML's live reload refreshes the page)",
    ),
)

SLOW_TOOLS = frozenset(tool.key for tool in ALL_TOOLS if tool.slow)


def tool_by_key(key: str) -> Tool:
    for tool in ALL_TOOLS:
        if tool.key == key:
            return tool
    raise KeyError(f"unknown tool {key!r}; known: {', '.join(t.key for t in ALL_TOOLS)}")
