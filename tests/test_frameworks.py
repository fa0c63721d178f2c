"""Each framework's own interactive feature still works after a save: a Dash callback,
a Shiny reactive output, an HTMX request in FastHTML. Real devreload, real Chromium,
on the apps of examples/. (Serving, editor saves, NO_RELOAD, helper modules, syntax
errors, ports, signals and the tab following a save are the conformance suite's,
tests/test_conformance.py, for every adapter.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from support import devreload, save_atomic, save_in_place

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target)
    return target / "app.py"


@pytest.mark.browser
def test_dash_callback_runs_the_new_code_after_a_patch_and_a_layout_change(
    tmp_path: Path, page: Any
) -> None:
    app = _copy(tmp_path, "dash_app")
    with devreload(app) as process:
        process.wait_ready()
        page.goto(process.url + "/")
        page.wait_for_selector("text=You typed x", timeout=30_000)
        # A callback body edit is patched in place: the page stays as it is, and the
        # next call of the callback runs the new code.
        save_atomic(app, app.read_text().replace("You typed", "Now typed"))
        process.wait_for_line("devreload: patched echo()")
        page.fill("#name", "abc")
        page.wait_for_selector("text=Now typed abc", timeout=30_000)
        # A layout change (greeting() runs while the module loads): Dash's renderer
        # fetches the new layout in place (the document stays: no page reload), and
        # the new app's callback answers it.
        page.evaluate("() => { window.__sameDocument = true; }")
        helper = app.parent / "helper.py"
        save_in_place(helper, helper.read_text().replace("Hello", "Hi"))
        page.wait_for_selector("text=Hi from Dash", timeout=30_000)
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        page.wait_for_selector("text=Now typed x", timeout=30_000)
        page.fill("#name", "def")
        page.wait_for_selector("text=Now typed def", timeout=30_000)


@pytest.mark.browser
def test_shiny_page_is_patched_in_place_and_its_output_runs_the_new_code(
    tmp_path: Path, page: Any
) -> None:
    app = _copy(tmp_path, "shiny_app")
    with devreload(app) as process:
        process.wait_ready()
        page.goto(process.url + "/")
        page.wait_for_selector("text=You typed x", timeout=30_000)
        page.fill("#name", "abc")
        page.wait_for_selector("text=You typed abc", timeout=30_000)
        page.evaluate("() => { window.__sameDocument = true; }")
        # The server function changed: the page is patched in place (no reload, the
        # typed value kept) and a new session on the new app renders the output.
        save_atomic(app, app.read_text().replace("You typed", "Now typed"))
        page.wait_for_selector("text=Now typed abc", timeout=30_000)
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        assert page.input_value("#name") == "abc"
        page.fill("#name", "abcd")
        page.wait_for_selector("text=Now typed abcd", timeout=30_000)  # reactive output, new app
        # The page's HTML changed (the heading, from a helper module): patched in place.
        helper = app.parent / "helper.py"
        save_in_place(helper, helper.read_text().replace("Hello", "Hi"))
        page.wait_for_selector("h1:has-text('Hi')", timeout=30_000)
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        page.fill("#name", "e")
        page.wait_for_selector("text=Now typed e", timeout=30_000)


CARD_APP = """\
from shiny import App, render, ui

app_ui = ui.page_sidebar(
    ui.sidebar(ui.input_text("name", "Name", "x")),
    ui.card(ui.card_header("Greeting v1"), ui.output_text("out")),
)


def server(input, output, session):
    @render.text
    def out():
        return f"You typed {input.name()}"


app = App(app_ui, server)
"""


@pytest.mark.browser
def test_a_shiny_page_with_bslib_cards_is_patched_in_place_too(tmp_path: Path, page: Any) -> None:
    """bslib's card set-up script removes itself once it has run: the page's scripts
    then differ from the served HTML's, which must not force a page reload."""
    app = tmp_path / "app.py"
    app.write_text(CARD_APP)
    with devreload(app) as process:
        process.wait_ready()
        page.goto(process.url + "/")
        page.wait_for_selector("text=You typed x", timeout=30_000)
        page.fill("#name", "abc")
        page.wait_for_selector("text=You typed abc", timeout=30_000)
        page.evaluate("() => { window.__sameDocument = true; }")
        save_in_place(app, CARD_APP.replace("Greeting v1", "Greeting v2").replace("You", "Now"))
        page.wait_for_selector("text=Greeting v2", timeout=30_000)
        page.wait_for_selector("text=Now typed abc", timeout=30_000)
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"


def test_fasthtml_htmx_request_runs_the_new_code_after_a_save(tmp_path: Path) -> None:
    # FastHTML pages load htmx from a CDN, out of reach here: the request is made as
    # htmx makes it (a POST with HX-Request), the answer is the fragment htmx swaps in.
    app = _copy(tmp_path, "fasthtml_app")
    with devreload(app) as process:
        process.wait_ready()
        assert _htmx(process.url + "/clicked") == "<p>clicked</p>"
        save_in_place(app, app.read_text().replace('P("clicked")', 'P("pressed")'))
        process.wait_for_line("devreload: patched clicked()")
        assert _htmx(process.url + "/clicked") == "<p>pressed</p>"
        # A full reload (a new route): htmx requests reach the new app.
        route = '@rt("/extra")\ndef extra():\n    return P("x")\n\n\nserve()'
        source = app.read_text().replace('P("pressed")', 'P("again")')
        save_in_place(app, source.replace("serve()", route))
        process.wait_for_line("devreload: reloaded")
        assert _htmx(process.url + "/clicked") == "<p>again</p>"
        assert _htmx(process.url + "/extra") == "<p>x</p>"


def _htmx(url: str) -> str:
    """A POST as htmx sends it; the fragment it gets back."""
    request = urllib.request.Request(url, data=b"", headers={"HX-Request": "true"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode()).strip()


def test_a_shiny_express_app_is_named_and_refused_in_one_sentence(tmp_path: Path) -> None:
    """Shiny Express builds its App from the file itself, so there is nothing to serve:
    devreload says so (before: it crashed on the ``input`` proxy, which raises on any
    attribute access outside a session)."""
    app = tmp_path / "app.py"
    app.write_text(
        "from shiny import render\n"
        "from shiny.express import input, ui\n\n"
        'ui.input_slider("n", "N", 1, 100, 50)\n\n\n'
        "@render.code()\n"
        "def txt():\n"
        '    return f"n = {input.n()}"\n'
    )
    completed = subprocess.run(
        [sys.executable, "-m", "reloader", str(app)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 3, completed.stderr
    assert "this is a Shiny Express app" in completed.stderr
    assert "Traceback" not in completed.stderr
