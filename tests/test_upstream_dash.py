"""Dash's own example apps under devreload, used as their users would: several saves,
and the page keeps working (every callback answers) and keeps what was typed, clicked
and built on it. Real devreload, real Chromium. The apps are in tests/upstream/dash
(copied from github.com/plotly/dash, with their source and licence noted)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from support import devreload, save_in_place

pytestmark = [pytest.mark.integration, pytest.mark.browser]

UPSTREAM = Path(__file__).resolve().parent / "upstream" / "dash"

# The "Dash App With State" example of Dash's documentation (Basic Callbacks), as it
# is written there today (dash.callback, Dash()).
STATE_EXAMPLE = """\
from dash import Dash, dcc, html, Input, Output, State, callback

app = Dash()

app.layout = html.Div([
    dcc.Input(id='input-1-state', type='text', value='Montréal'),
    dcc.Input(id='input-2-state', type='text', value='Canada'),
    html.Button(id='submit-button-state', n_clicks=0, children='Submit'),
    html.Div(id='output-state')
])


@callback(Output('output-state', 'children'),
              Input('submit-button-state', 'n_clicks'),
              State('input-1-state', 'value'),
              State('input-2-state', 'value'))
def update_output(n_clicks, input1, input2):
    return f'''
        The Button has been pressed {n_clicks} times,
        Input 1 is "{input1}",
        and Input 2 is "{input2}"
    '''


if __name__ == '__main__':
    app.run(debug=True)
"""


def _same_document(page: Any) -> bool:
    return bool(page.evaluate("() => window.__sameDocument === true"))


def test_the_state_example_answers_every_click_after_six_saves(tmp_path: Path, page: Any) -> None:
    """The button's text changes and is saved six times, with a click after each: the
    click reaches the new app (a `_dash-update-component` request) and its answer is
    shown, with the typed input and the click count kept. (A new Dash app sets itself
    up on its first request without a lock; the renderer's parallel re-fetch of the
    layout and the callbacks used to find its callbacks missing: 3 of 6 saves left
    the button dead.)"""
    app = tmp_path / "app.py"
    app.write_text(STATE_EXAMPLE, encoding="utf-8")
    updates: list[str] = []

    def count(request: Any) -> None:
        if "_dash-update-component" in request.url:
            updates.append(request.url)

    page.on("request", count)
    with devreload(app) as process:
        process.wait_ready()
        page.goto(process.url)
        page.wait_for_selector("text=pressed 0 times", timeout=30_000)
        page.fill("#input-1-state", "Paris")
        page.evaluate("() => { window.__sameDocument = true; }")
        for save in range(1, 7):
            save_in_place(app, STATE_EXAMPLE.replace("'Submit'", f"'Submit {save}'"))
            page.wait_for_selector(f"button:has-text('Submit {save}')", timeout=30_000)
            before = len(updates)
            page.click("#submit-button-state")
            page.wait_for_selector(f'text=pressed {save} times, Input 1 is "Paris"', timeout=10_000)
            assert len(updates) > before, f"save {save}: the click sent no callback request"
        assert _same_document(page), "the page was reloaded"
        assert page.input_value("#input-1-state") == "Paris"


TODO_APP = """\
from todo_app import todo_app

app = todo_app()

if __name__ == "__main__":
    app.run(debug=True)
"""


def test_the_todo_app_keeps_its_list_and_callbacks_through_saves(tmp_path: Path, page: Any) -> None:
    """Dash's to-do app (pattern-matching callbacks: ALL, MATCH, ALLSMALLER): the list a
    callback built, the ticked box and the half-typed item outlive saves of the module
    that builds the layout, and every callback still answers afterwards."""
    shutil.copy(UPSTREAM / "todo_app.py", tmp_path / "todo_app.py")
    app = tmp_path / "app.py"
    app.write_text(TODO_APP, encoding="utf-8")
    module = tmp_path / "todo_app.py"
    source = module.read_text(encoding="utf-8")
    with devreload(app) as process:
        process.wait_ready()
        page.goto(process.url)
        page.wait_for_selector("text=Dash To-Do list", timeout=30_000)
        # The first callback's answer: Dash's renderer has its callbacks (a click before
        # that is lost, as it is under ``python app.py``).
        page.wait_for_selector("text=0 of 0 items completed", timeout=30_000)
        for item in ("milk", "bread"):
            page.fill("#new-item", item)
            page.click("#add")
            page.wait_for_selector(f"text={item}", timeout=10_000)
        page.locator("input[type=checkbox]").first.check()
        page.wait_for_selector("text=1 of 2 items completed", timeout=10_000)
        page.fill("#new-item", "half typed")
        page.evaluate("() => { window.__sameDocument = true; }")
        for number, title in enumerate(("My To-Do list", "Our To-Do list"), start=1):
            save_in_place(module, source.replace("Dash To-Do list", title))
            process.wait_for_line("devreload: reloaded", occurrences=number)
            page.wait_for_selector(f"text={title}", timeout=30_000)
            page.wait_for_selector("text=1 of 2 items completed", timeout=10_000)
            assert page.input_value("#new-item") == "half typed"
        assert page.locator("input[type=checkbox]").first.is_checked()
        page.fill("#new-item", "eggs")
        page.click("#add")
        page.wait_for_selector("text=1 of 3 items completed", timeout=10_000)
        page.locator("input[type=checkbox]").nth(1).check()
        page.wait_for_selector("text=2 of 3 items completed", timeout=10_000)
        assert _same_document(page), "the page was reloaded"


def test_a_pages_app_shows_a_saved_page_and_its_callbacks_answer(tmp_path: Path, page: Any) -> None:
    """A Dash Pages app (use_pages=True, pages/ from Dash's own Pages tests): a save of
    the open page's module shows its new layout in place, and the page's callback (a
    button that navigates to page 2) still answers."""
    folder = tmp_path / "pages_app"
    shutil.copytree(UPSTREAM / "pages_app", folder)
    page1 = folder / "pages" / "page1.py"
    with devreload(folder / "app.py") as process:
        process.wait_ready()
        page.goto(process.url + "/page1")
        page.wait_for_selector("text=text for page1", timeout=30_000)
        page.evaluate("() => { window.__sameDocument = true; }")
        save_in_place(page1, page1.read_text(encoding="utf-8").replace("text for", "words for"))
        page.wait_for_selector("text=words for page1", timeout=30_000)
        assert _same_document(page), "the page was reloaded"
        page.click("#btn1")  # its callback sets the URL (dcc.Location then loads page 2)
        page.wait_for_selector("text=text for page2", timeout=10_000)
