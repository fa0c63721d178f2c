"""Each framework's own interactive feature still works after a save: a Dash callback,
a Shiny reactive output, an HTMX request in FastHTML. Real devreload, real Chromium,
on the apps of examples/. (Serving, editor saves, NO_RELOAD, helper modules, syntax
errors, ports, signals and the tab following a save are the conformance suite's,
tests/test_conformance.py, for every adapter.)"""

from __future__ import annotations

import shutil
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from support import DevreloadProcess, devreload, save_atomic, save_in_place

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target)
    return target / "app.py"


@contextmanager
def _opened(app: Path, page: Any, shows: str) -> Iterator[DevreloadProcess]:
    """devreload serving ``app``, its page open in ``page`` and showing ``shows``."""
    with devreload(app) as process:
        process.wait_ready()
        page.goto(process.url + "/")
        page.wait_for_selector(f"text={shows}", timeout=30_000)
        yield process


def _mark_document(page: Any) -> None:
    """Mark the page's document: a page reload would take the mark away."""
    page.evaluate("() => { window.__sameDocument = true; }")


def _same_document(page: Any) -> bool:
    return bool(page.evaluate("() => window.__sameDocument === true"))


@pytest.mark.browser
def test_dash_callback_runs_the_new_code_after_a_patch_and_a_layout_change(
    tmp_path: Path, page: Any
) -> None:
    app = _copy(tmp_path, "dash_app")
    with _opened(app, page, "You typed x") as process:
        # A callback body edit is patched in place: the page stays as it is, and the
        # next call of the callback runs the new code.
        save_atomic(app, app.read_text().replace("You typed", "Now typed"))
        process.wait_for_line("devreload: patched echo()")
        page.fill("#name", "abc")
        page.wait_for_selector("text=Now typed abc", timeout=30_000)
        # A layout change (greeting() runs while the module loads): Dash's renderer
        # fetches the new layout in place (the document stays: no page reload), the
        # typed value is kept in it, and the new app's callback answers it.
        _mark_document(page)
        helper = app.parent / "helper.py"
        save_in_place(helper, helper.read_text().replace("Hello", "Hi"))
        page.wait_for_selector("text=Hi from Dash", timeout=30_000)
        assert _same_document(page), "the page was reloaded"
        assert page.input_value("#name") == "abc"
        page.wait_for_selector("text=Now typed abc", timeout=30_000)
        page.fill("#name", "def")
        page.wait_for_selector("text=Now typed def", timeout=30_000)


@pytest.mark.browser
def test_shiny_page_is_patched_in_place_and_its_output_runs_the_new_code(
    tmp_path: Path, page: Any
) -> None:
    app = _copy(tmp_path, "shiny_app")
    with _opened(app, page, "You typed x"):
        page.fill("#name", "abc")
        page.wait_for_selector("text=You typed abc", timeout=30_000)
        _mark_document(page)
        # The server function changed: the page is patched in place (no reload, the
        # typed value kept) and a new session on the new app renders the output.
        save_atomic(app, app.read_text().replace("You typed", "Now typed"))
        page.wait_for_selector("text=Now typed abc", timeout=30_000)
        assert _same_document(page), "the page was reloaded"
        assert page.input_value("#name") == "abc"
        page.fill("#name", "abcd")
        page.wait_for_selector("text=Now typed abcd", timeout=30_000)  # reactive output, new app
        # The page's HTML changed (the heading, from a helper module): patched in place.
        helper = app.parent / "helper.py"
        save_in_place(helper, helper.read_text().replace("Hello", "Hi"))
        page.wait_for_selector("h1:has-text('Hi')", timeout=30_000)
        assert _same_document(page), "the page was reloaded"
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
    with _opened(app, page, "You typed x"):
        page.fill("#name", "abc")
        page.wait_for_selector("text=You typed abc", timeout=30_000)
        _mark_document(page)
        save_in_place(app, CARD_APP.replace("Greeting v1", "Greeting v2").replace("You", "Now"))
        page.wait_for_selector("text=Greeting v2", timeout=30_000)
        page.wait_for_selector("text=Now typed abc", timeout=30_000)
        assert _same_document(page), "the page was reloaded"


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


EXPRESS_APP = """\
from shiny import render
from shiny.express import input, ui

ui.page_opts(title="Express {version}")

with ui.sidebar():
    ui.input_text("name", "Name", "x")


def shout(text):
    return text.upper()


@render.text
def out():
    return f"{greeting} {{shout(input.name())}}"
"""


@pytest.mark.browser
def test_a_shiny_express_app_is_served_and_follows_each_save(tmp_path: Path, page: Any) -> None:
    """A Shiny Express file, run as ``shiny run app.py`` runs it: served, and each save
    (the page's title, an output's body, a helper's body) reaches the open page, whose
    next session runs the new code. Nothing is patched in place: Shiny runs its own
    copy of the file in every session, so a patch would leave the page on old code."""
    app = tmp_path / "app.py"
    app.write_text(EXPRESS_APP.format(version="v1", greeting="Hello"))
    with _opened(app, page, "Hello X") as process:
        page.fill("#name", "abc")
        page.wait_for_selector("text=Hello ABC", timeout=30_000)
        save_atomic(app, EXPRESS_APP.format(version="v2", greeting="Howdy"))
        page.wait_for_selector("text=Express v2", timeout=30_000)
        page.wait_for_selector("text=Howdy ABC", timeout=30_000)
        # A body-only edit of a helper: a full reload, and the page runs the new body.
        save_in_place(
            app,
            EXPRESS_APP.format(version="v2", greeting="Howdy").replace(
                "text.upper()", "text.upper() + '!'"
            ),
        )
        process.wait_for_line("devreload: reloaded app.py", occurrences=2)
        page.wait_for_selector("text=Howdy ABC!", timeout=30_000)
        page.fill("#name", "de")
        page.wait_for_selector("text=Howdy DE!", timeout=30_000)
        assert "patched" not in process.output
        assert "Traceback" not in process.output


# Shiny decides (shiny.express.is_express_app): Shiny is installed with the test extras,
# not in the compat environments, which run test_discovery.py.
@pytest.mark.parametrize(
    ("source", "express"),
    [
        ("from shiny.express import input, ui\n", True),
        ("from shiny import express\n", True),
        ("import shiny.express\n", True),
        ("# shiny_mode: express\nfrom shiny import ui\n", True),
        ("from shiny import App, ui\napp = App(ui.page_fluid(), None)\n", False),
        ("# shiny_mode: core\nfrom shiny.express import ui\n", False),
        ("import gradio as gr\n", False),
        ("from shiny.express import (\n", False),  # a syntax error: not claimed
    ],
)
def test_shiny_express_files_are_told_as_shiny_run_tells_them(
    tmp_path: Path, source: str, express: bool
) -> None:
    from reloader.adapters.shiny import is_express_file

    path = tmp_path / "app.py"
    path.write_text(source)
    assert is_express_file(path) is express
