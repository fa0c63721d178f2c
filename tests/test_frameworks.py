"""Dash and FastHTML served by their adapters: real devreload, real Chromium."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path
from typing import Any

from support import devreload, save_atomic, save_in_place, wait_for

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target)
    return target / "app.py"


def _get(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> str:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode())


def test_dash_tab_reloads_and_callback_works_after_save(tmp_path: Path, page: Any) -> None:
    app = _copy(tmp_path, "dash_app")
    with devreload(app) as process:
        process.wait_ready()
        assert "(dash)" in process.output
        page.goto(process.url + "/")
        page.wait_for_selector("text=You typed x", timeout=30_000)
        # A callback body edit is patched in place: the page stays as it is, and the
        # next call of the callback runs the new code.
        save_atomic(app, app.read_text().replace("You typed", "Now typed"))
        process.wait_for_line("devreload: patched echo()")
        page.fill("#name", "abc")
        page.wait_for_selector("text=Now typed abc", timeout=30_000)
        # A layout change (greeting() runs while the module loads) reloads the tab.
        helper = app.parent / "helper.py"
        save_in_place(helper, helper.read_text().replace("Hello", "Hi"))
        page.wait_for_selector("text=Hi from Dash", timeout=30_000)  # the tab reloaded itself
        page.wait_for_selector("text=Now typed x", timeout=30_000)  # layout from the new app


def test_fasthtml_helper_edit_syntax_error_and_htmx(tmp_path: Path) -> None:
    app = _copy(tmp_path, "fasthtml_app")
    with devreload(app) as process:
        process.wait_ready()
        assert "(fasthtml)" in process.output
        good = app.read_text()
        helper = app.parent / "helper.py"
        save_in_place(helper, helper.read_text().replace("Hello", "Hi"))
        wait_for(lambda: "Hi from FastHTML" in _get(process.url + "/"), timeout=30)
        save_in_place(app, good.replace('P("clicked")', 'P("pressed")') + "\ndef broken(:\n")
        process.wait_for_line("SyntaxError in")
        assert "Hi from FastHTML" in _get(process.url + "/")  # last good app still serves
        assert process.count("RESOURCE CREATED") == 1  # NO_RELOAD block ran once
        save_in_place(app, good.replace('P("clicked")', 'P("pressed")'))
        htmx = {"HX-Request": "true"}
        wait_for(lambda: "pressed" in _get(process.url + "/clicked", htmx, data=b""), timeout=30)


def test_shiny_tab_reloads_and_reactive_output_works_after_save(tmp_path: Path, page: Any) -> None:
    app = _copy(tmp_path, "shiny_app")
    with devreload(app) as process:
        process.wait_ready()
        assert "(shiny)" in process.output
        page.goto(process.url + "/")
        page.wait_for_selector("text=You typed x", timeout=30_000)
        save_atomic(app, app.read_text().replace("You typed", "Now typed"))
        page.wait_for_selector("text=Now typed x", timeout=30_000)  # the tab reloaded itself
        page.fill("#name", "abc")
        page.wait_for_selector("text=Now typed abc", timeout=30_000)  # reactive output, new app
