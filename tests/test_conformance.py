"""One adapter-conformance suite, run against every adapter devreload ships and the
toy third-party adapter of docs/adapters.md (through its entry point).

Each app follows the convention of :class:`reloader.testing.ConformanceApp`:
it shows ``version=``, ``helper=`` and ``resource=`` markers.
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

from reloader.testing import CHECKS, ConformanceApp, DevreloadProcess, tab_follows_a_save
from support import markdown_values

pytestmark = pytest.mark.integration

HELPER = 'TEXT = "{helper}"\n'


def gradio_text(process: DevreloadProcess) -> str:
    return " ".join(markdown_values(process.config()))


GRADIO = ConformanceApp(
    name="gradio",
    files={
        "app.py": textwrap.dedent(
            """
            import gradio as gr
            import helper

            if gr.NO_RELOAD:
                resource = object()

            with gr.Blocks() as demo:
                gr.Markdown(f"version={version} helper={{helper.TEXT}} resource={{id(resource)}}")

            if __name__ == "__main__":
                demo.launch()
            """
        ),
        "helper.py": HELPER,
    },
    read=gradio_text,
    page_ready_js=(
        "() => (window.__eventSources || []).some(s => s.url.includes('/dev/reload') "
        "&& !s.url.includes('client=overlay') && s.readyState === 1)"
    ),
)

FASTAPI = ConformanceApp(
    name="asgi",
    files={
        "app.py": textwrap.dedent(
            """
            import reloader
            import uvicorn
            from fastapi import FastAPI
            from fastapi.responses import HTMLResponse
            import helper

            if reloader.NO_RELOAD:
                resource = object()

            app = FastAPI()

            @app.get("/", response_class=HTMLResponse)
            def index():
                return (
                    "<!doctype html><html><body><p>version={version} "
                    f"helper={{helper.TEXT}} resource={{id(resource)}}</p></body></html>"
                )

            if __name__ == "__main__":
                uvicorn.run(app, port=8000)
            """
        ),
        "helper.py": HELPER,
    },
)

FLASK = ConformanceApp(
    name="wsgi",
    files={
        "app.py": textwrap.dedent(
            """
            import reloader
            from flask import Flask
            import helper

            if reloader.NO_RELOAD:
                resource = object()

            app = Flask(__name__)

            @app.get("/")
            def index():
                return (
                    "<!doctype html><html><body><p>version={version} "
                    f"helper={{helper.TEXT}} resource={{id(resource)}}</p></body></html>"
                )

            if __name__ == "__main__":
                app.run(port=5000)
            """
        ),
        "helper.py": HELPER,
    },
)

TOY_DIR = Path(__file__).parent / "toy_adapter"
TOY = ConformanceApp(
    name="toy",
    files={
        "app.py": textwrap.dedent(
            """
            import reloader
            import toyweb
            import helper

            if reloader.NO_RELOAD:
                resource = object()

            text = f"version={version} helper={{helper.TEXT}} resource={{id(resource)}}"
            app = toyweb.ToyApp(text)

            if __name__ == "__main__":
                app.run(port=8080)
            """
        ),
        "helper.py": HELPER,
    },
    args=("--adapter", "toy"),
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


APPS = {app.name: app for app in (GRADIO, FASTAPI, FLASK, TOY)}


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
def test_tab_follows_a_save(name: str, tmp_path: Path, page: Any) -> None:
    app, folder = prepared(name, tmp_path)
    tab_follows_a_save(app, folder, page)
