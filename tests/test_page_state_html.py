"""A save patches a server-rendered page in place (idiomorph): what the user did stays.

Real devreload, a real FastAPI app, real headless Chromium.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from support import PAGE_LISTENS, TRACK_EVENT_SOURCES, devreload, save_in_place

pytestmark = [pytest.mark.browser, pytest.mark.integration]

APP = textwrap.dedent(
    '''
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    HEADING = "Heading v1"
    TITLE = "Title v1"
    SCRIPT = "window.__scriptRuns = (window.__scriptRuns || 0) + 1;"
    NOTE_DEFAULT = "default note"

    app = FastAPI()


    @app.get("/", response_class=HTMLResponse)
    async def index():
        return f"""<!doctype html>
    <html><head><title>{TITLE}</title><script>{SCRIPT}</script></head>
    <body><h1 id="heading">{HEADING}</h1>
    <form><input id="name" name="name"><input id="agree" type="checkbox">
    <input id="note" value="{NOTE_DEFAULT}"><textarea id="bio"></textarea></form>
    <div style="height: 5000px">tall</div><p id="bottom">bottom</p></body></html>"""


    if __name__ == "__main__":
        uvicorn.run(app, host="127.0.0.1", port=8000)
    '''
)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "main.py"
    path.write_text(APP)
    return path


def _open(page: Any, url: str) -> None:
    page.add_init_script(TRACK_EVENT_SOURCES)
    page.goto(url)
    page.wait_for_function(PAGE_LISTENS, timeout=15000)


def _edit(app: Path, old: str, new: str) -> None:
    text = app.read_text()
    assert old in text
    save_in_place(app, text.replace(old, new))


def test_a_save_patches_the_page_and_keeps_what_the_user_did(app: Path, page: Any) -> None:
    with devreload(app) as process:
        process.wait_ready()
        _open(page, process.url + "/")
        page.evaluate("window.__sameDocument = true")
        page.fill("#name", "typed by hand")
        page.fill("#bio", "a longer text")
        page.check("#agree")
        page.focus("#name")
        page.evaluate("window.scrollTo(0, 1200)")  # after focus(), which scrolls to the field
        assert page.evaluate("window.scrollY") == 1200
        _edit(app, 'HEADING = "Heading v1"', 'HEADING = "Heading v2"')
        page.wait_for_function(
            "document.getElementById('heading').textContent === 'Heading v2'", timeout=15000
        )
        assert page.evaluate("window.__sameDocument") is True  # patched, not reloaded
        assert page.evaluate("window.__scriptRuns") == 1
        assert page.input_value("#name") == "typed by hand"
        assert page.input_value("#bio") == "a longer text"
        assert page.is_checked("#agree")
        assert page.evaluate("document.activeElement.id") == "name"
        assert page.evaluate("window.scrollY") == 1200
        # The client is still there and hears the next save.
        _edit(app, 'TITLE = "Title v1"', 'TITLE = "Title v2"')
        page.wait_for_function("document.title === 'Title v2'", timeout=15000)
        assert page.evaluate("window.__sameDocument") is True
        assert page.input_value("#name") == "typed by hand"
        assert page.evaluate("document.querySelectorAll('title').length") == 1


def test_a_changed_default_value_takes_the_new_value(app: Path, page: Any) -> None:
    with devreload(app) as process:
        process.wait_ready()
        _open(page, process.url + "/")
        page.evaluate("window.__sameDocument = true")
        page.fill("#name", "typed by hand")
        page.fill("#note", "edited note")
        _edit(app, 'NOTE_DEFAULT = "default note"', 'NOTE_DEFAULT = "new default"')
        page.wait_for_function(
            "document.getElementById('note').value === 'new default'", timeout=15000
        )
        assert page.input_value("#name") == "typed by hand"
        assert page.evaluate("window.__sameDocument") is True


def test_a_changed_inline_script_falls_back_to_a_full_reload_that_keeps_what_the_user_did(
    app: Path, page: Any
) -> None:
    with devreload(app) as process:
        process.wait_ready()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        _open(page, process.url + "/")
        page.evaluate("window.__sameDocument = true")
        page.fill("#name", "typed by hand")
        page.check("#agree")
        page.focus("#name")
        page.evaluate("window.scrollTo(0, 1200)")
        _edit(
            app,
            '(window.__scriptRuns || 0) + 1;"',
            '(window.__scriptRuns || 0) + 1; window.__v2 = 1;"',
        )
        page.wait_for_function("window.__v2 === 1", timeout=15000)
        assert page.evaluate("window.__sameDocument") is None  # a new document
        assert any(
            "devreload: reloading the whole page" in line and "<script>" in line for line in console
        )
        # What the user did is carried over the load.
        page.wait_for_function("document.getElementById('name').value === 'typed by hand'")
        page.wait_for_function("window.scrollY === 1200")
        assert page.is_checked("#agree")
        assert page.evaluate("document.activeElement.id") == "name"


def test_no_keep_state_reloads_the_page_instead_of_patching_it(app: Path, page: Any) -> None:
    with devreload(app, args=["--no-keep-state"]) as process:
        process.wait_ready()
        _open(page, process.url + "/")
        page.evaluate("window.__sameDocument = true")
        page.fill("#name", "typed by hand")
        assert page.evaluate("window.__devreloadIdiomorph === undefined")
        _edit(app, 'HEADING = "Heading v1"', 'HEADING = "Heading v2"')
        page.wait_for_function(
            "document.getElementById('heading').textContent === 'Heading v2'", timeout=15000
        )
        assert page.evaluate("window.__sameDocument") is None  # a new document
        assert page.input_value("#name") == ""
