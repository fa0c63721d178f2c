"""FastHTML's own example apps under devreload, used as their users would: several
saves, and the page keeps working (htmx requests and the WebSocket are answered by the
new code) and keeps what htmx put on it and what was typed. Real devreload, real
Chromium; htmx is served from tests/upstream/vendor (the tests run offline). The apps
are in tests/upstream/fasthtml (copied from github.com/AnswerDotAI, with their source
and licence noted)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from support import devreload, offline_cdn, save_in_place

pytestmark = [pytest.mark.integration, pytest.mark.browser]

UPSTREAM = Path(__file__).resolve().parent / "upstream" / "fasthtml"


def _copy(tmp_path: Path, name: str) -> Path:
    app = tmp_path / "app.py"
    shutil.copy(UPSTREAM / name, app)
    return app


def _same_document(page: Any) -> bool:
    return bool(page.evaluate("() => window.__sameDocument === true"))


def test_h2f_keeps_what_htmx_swapped_in_and_new_htmx_elements_work(
    tmp_path: Path, page: Any
) -> None:
    """h2f (HTML to FastTags): the conversion htmx swapped into the page and the typed
    HTML outlive a save of the page's function; a save of the converter's code answers
    the next keystroke; a button a save adds is processed by htmx and works."""
    app = _copy(tmp_path, "h2f.py")
    source = app.read_text(encoding="utf-8")
    offline_cdn(page)
    with devreload(app) as process:
        process.wait_ready()
        page.goto(process.url)
        page.click("#html")
        page.keyboard.type("<p>hi</p>")
        page.wait_for_selector("#ft >> text=P('hi')", timeout=10_000)
        page.evaluate("() => { window.__sameDocument = true; }")
        source = source.replace('"Convert HTML to FT"', '"Convert HTML to FastTags"')
        save_in_place(app, source)
        page.wait_for_selector("text=Convert HTML to FastTags", timeout=30_000)
        assert "P('hi')" in page.inner_text("#ft"), "the morph wiped what htmx swapped in"
        assert page.input_value("#html") == "<p>hi</p>"
        source = source.replace("return Pre(Code(html2ft(", "return Pre(Code('# FT\\n' + html2ft(")
        save_in_place(app, source)
        process.wait_for_line("devreload: patched post()")
        page.keyboard.type("<b>x</b>")
        page.wait_for_selector("#ft >> text=# FT", timeout=10_000)
        source = source.replace(
            '        Div(id="ft"))',
            '        Button("Again", id="again", hx_post="/convert", hx_include="#html, #attr1st",'
            ' target_id="again-out"),\n'
            '        Div(id="ft"), Div(id="again-out"))',
        )
        save_in_place(app, source)
        page.wait_for_selector("#again", timeout=30_000)
        page.click("#again")
        page.wait_for_selector("#again-out >> text=B('x')", timeout=10_000)
        assert _same_document(page), "the page was reloaded"


def test_basic_ws_answers_with_the_new_code_on_its_open_socket(tmp_path: Path, page: Any) -> None:
    """basic_ws: a save that replaces the app (the reply's text; the handler is named
    like the app.ws() call that registers it, so the file is run again) closes the open
    socket and htmx reconnects it, to the new app, which answers the next message; a
    save of the handler's body alone is patched in place, and the same socket's next
    message runs the new body. (The open tab used to answer with the old text for as
    long as it stayed connected.)"""
    app = _copy(tmp_path, "basic_ws.py")
    source = app.read_text(encoding="utf-8")
    offline_cdn(page)
    connected = "text=Hello, you have connected"

    def send(text: str) -> None:
        page.fill("#msg", text)
        page.press("#msg", "Enter")

    with devreload(app) as process:
        process.wait_ready()
        page.goto(process.url)
        page.wait_for_selector(connected, timeout=30_000)
        send("one")
        page.wait_for_selector("text=Goodbye one", timeout=10_000)
        page.evaluate("() => { window.__sameDocument = true; }")
        source = source.replace("Div('Hello ' + msg", "Div('Hi ' + msg")
        save_in_place(app, source)
        process.wait_for_line("devreload: reloaded")
        process.wait_for_line("Disconnected!")  # the old app's socket, closed
        page.wait_for_selector(connected, timeout=30_000)  # the new app's greeting
        send("two")
        page.wait_for_selector("text=Hi two", timeout=10_000)
        # The handler under a name of its own: a body edit is then patched in place.
        source = source.replace("async def ws(msg", "async def answer(msg")
        save_in_place(app, source)
        process.wait_for_line("devreload: reloaded", occurrences=2)
        process.wait_for_line("Disconnected!", occurrences=2)
        page.wait_for_selector(connected, timeout=30_000)
        source = source.replace("Div('Hi ' + msg", "Div('Hey ' + msg")
        save_in_place(app, source)
        process.wait_for_line("devreload: patched answer()")
        send("three")
        page.wait_for_selector("text=Hey three", timeout=10_000)
        assert process.count("Disconnected!") == 2, "a patch must keep the socket open"
        assert _same_document(page), "the page was reloaded"
