"""A FastAPI + Jinja2 app's pages through template saves: what the user did stays.

A template error is shown over the last good page (with the template's file and
line) and the save that fixes it patches the page back; a page that answered a
form POST is never sent again; a chosen <select> option, the focused field and
the scroll position stay. One real devreload process for the module, real
templates saved as editors save them, real headless Chromium.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support import PAGE_LISTENS, DevreloadProcess, devreload, save_in_place

pytestmark = [pytest.mark.browser, pytest.mark.integration]

APP = textwrap.dedent(
    """
    import time
    from pathlib import Path

    import uvicorn
    from fastapi import FastAPI, Form, Request
    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates

    HERE = Path(__file__).parent
    # Cache busting as apps do it: each run of this file serves its stylesheet anew.
    ASSET_VERSION = str(time.time_ns())

    app = FastAPI()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")


    @app.get("/{name}")
    async def page(request: Request, name: str):
        context = {"rows": range(30), "asset_version": ASSET_VERSION}
        return templates.TemplateResponse(request, f"{name}.html", context)


    @app.post("/signup")
    async def signup(request: Request, email: str = Form("")):
        with (HERE / "posts.log").open("a") as log:
            log.write(email + "\\n")
        return templates.TemplateResponse(request, "thanks.html", {"email": email})


    if __name__ == "__main__":
        uvicorn.run(app, host="127.0.0.1", port=8000)
    """
)

TEMPLATES = {
    "broken.html": """\
        <!doctype html><html><head><title>Broken</title></head><body>
        <h1 id="heading">Broken v1</h1><input id="name">
        <ul>{% for row in rows %}<li>row {{ row }}</li>
        {% endfor %}</ul>
        </body></html>
        """,
    "choice.html": """\
        <!doctype html><html><head><title>Choice</title></head><body>
        <h1 id="heading">Choice v1</h1>
        <select id="color"><option value="red">Red</option><option value="green">Green</option>
        <option value="blue">Blue</option></select>
        </body></html>
        """,
    "long.html": """\
        <!doctype html><html><head><title>Long</title>
        <link rel="stylesheet" href="/static/style.css?v={{ asset_version }}"></head><body>
        <h1 id="heading">Long v1</h1>
        {% for row in rows %}<div class="row">row {{ row }}</div>
        {% endfor %}
        <textarea id="notes"></textarea><div class="row">end</div>
        </body></html>
        """,
    "signup.html": """\
        <!doctype html><html><head><title>Sign up</title></head><body>
        <h1 id="heading">Sign up v1</h1>
        <form method="post" action="/signup"><input id="email" name="email">
        <button id="send">Send</button></form>
        </body></html>
        """,
    "thanks.html": """\
        <!doctype html><html><head><title>Thanks</title></head><body>
        <h1 id="thanks">Thanks {{ email }} v1</h1><a id="again" href="/signup">again</a>
        </body></html>
        """,
}
#: The rows' height: the long page is long only with its stylesheet.
STYLE = ".row { height: 300px; }\n"
OVERLAY = "#devreload-error-overlay"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("templates_app")
    (folder / "main.py").write_text(APP)
    (folder / "templates").mkdir()
    for name, text in TEMPLATES.items():
        (folder / "templates" / name).write_text(textwrap.dedent(text))
    (folder / "static").mkdir()
    (folder / "static" / "style.css").write_text(STYLE)
    return folder


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[DevreloadProcess]:
    with devreload(folder / "main.py") as process:
        process.wait_ready()
        yield process


def _open(page: Any, url: str) -> None:
    page.goto(url)
    _listening(page)


def _listening(page: Any) -> None:
    page.wait_for_function(PAGE_LISTENS, timeout=15000)


def _edit(path: Path, *changes: str) -> None:
    """Save ``path`` with each (old, new) pair of ``changes`` replaced, in one save."""
    text = path.read_text()
    for old, new in zip(changes[::2], changes[1::2], strict=True):
        assert old in text
        text = text.replace(old, new)
    save_in_place(path, text)


def _heading_is(page: Any, text: str) -> None:
    page.wait_for_function(
        f"document.getElementById('heading')?.textContent === {text!r}", timeout=15000
    )


def test_a_template_error_is_shown_over_the_page_and_its_fix_patches_it_back(
    folder: Path, server: DevreloadProcess, page: Any
) -> None:
    template = folder / "templates" / "broken.html"
    _open(page, server.url + "/broken")
    page.evaluate("window.__sameDocument = true")
    page.fill("#name", "typed by hand")
    _edit(template, "{% endfor %}", "{% endfo %}")
    text = page.wait_for_selector(OVERLAY, timeout=15000).inner_text()
    assert "TemplateSyntaxError" in text
    assert "templates/broken.html, line 4" in text
    assert "{% endfo %}" in text
    assert page.input_value("#name") == "typed by hand"
    assert page.evaluate("window.__sameDocument") is True  # the last good page, kept
    # The terminal says which tab keeps its page, and why.
    server.wait_for_line("keeps its page (the page answered 500: ")
    # A tab opened meanwhile gets the same error, and follows the fix too.
    other = page.context.new_page()
    _open(other, server.url + "/broken")
    assert "templates/broken.html, line 4" in other.inner_text("body")

    _edit(template, "{% endfo %}", "{% endfor %}", "Broken v1", "Broken v2")
    _heading_is(page, "Broken v2")
    page.wait_for_selector(OVERLAY, state="detached", timeout=15000)
    assert page.evaluate("window.__sameDocument") is True
    assert page.input_value("#name") == "typed by hand"
    _heading_is(other, "Broken v2")


def test_a_page_that_answered_a_post_is_not_sent_again(
    folder: Path, server: DevreloadProcess, page: Any
) -> None:
    posts = folder / "posts.log"
    _open(page, server.url + "/signup")
    page.fill("#email", "ada@example.com")
    page.click("#send")
    page.wait_for_selector("#thanks")
    _listening(page)
    page.evaluate("window.__sameDocument = true")
    _edit(folder / "templates" / "thanks.html", "v1", "v2")
    text = page.wait_for_selector(OVERLAY, timeout=15000).inner_text()
    assert "form submission" in text
    server.wait_for_line("keeps its page (it answers a form POST")
    assert posts.read_text().split() == ["ada@example.com"]
    assert page.evaluate("window.__sameDocument") is True
    assert page.inner_text("#thanks") == "Thanks ada@example.com v1"
    # The next page, a GET, follows saves in place as usual.
    page.click("#again")
    page.wait_for_selector("#email")
    _listening(page)
    page.evaluate("window.__sameDocument = true")
    _edit(folder / "templates" / "signup.html", "Sign up v1", "Sign up v2")
    _heading_is(page, "Sign up v2")
    assert page.evaluate("window.__sameDocument") is True
    assert posts.read_text().split() == ["ada@example.com"]


def test_a_chosen_option_stays_through_saves(
    folder: Path, server: DevreloadProcess, page: Any
) -> None:
    template = folder / "templates" / "choice.html"
    _open(page, server.url + "/choice")
    page.select_option("#color", "blue")
    _edit(template, "Choice v1", "Choice v2")
    _heading_is(page, "Choice v2")
    assert page.input_value("#color") == "blue"
    # Later saves too, also one that adds an option beside it.
    _edit(
        template, "Choice v2", "Choice v3", "</select>", '<option value="amber">A</option></select>'
    )
    _heading_is(page, "Choice v3")
    assert page.input_value("#color") == "blue"
    # A default the developer changes is taken.
    _edit(template, '<option value="green">', '<option value="green" selected>')
    page.wait_for_function("document.getElementById('color').value === 'green'", timeout=15000)


def test_focus_and_scroll_stay_on_a_long_page(
    folder: Path, server: DevreloadProcess, page: Any
) -> None:
    template = folder / "templates" / "long.html"
    _open(page, server.url + "/long")
    page.evaluate("window.__sameDocument = true")
    page.click("#notes")  # scrolls the field, near the end of the page, into view
    page.keyboard.type("half a thought")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 5000
    _edit(template, "Long v1", "Long v2")
    _heading_is(page, "Long v2")
    page.wait_for_function("document.querySelectorAll('link[rel=stylesheet]').length === 1")
    assert page.evaluate("window.scrollY") == scrolled
    assert page.evaluate("document.activeElement.id") == "notes"
    # A stylesheet edit (swapped in place) and another save: the same again.
    _edit(folder / "static" / "style.css", "300px", "300px; color: #333")
    page.wait_for_function(
        "document.querySelector('link[rel=stylesheet]').href.includes('devreload=')",
        timeout=15000,
    )
    _edit(template, "Long v2", "Long v3")
    _heading_is(page, "Long v3")
    page.wait_for_function("document.querySelectorAll('link[rel=stylesheet]').length === 1")
    assert page.evaluate("window.__sameDocument") is True
    assert page.evaluate("window.scrollY") == scrolled
    assert page.evaluate("document.activeElement.id") == "notes"
    assert page.input_value("#notes") == "half a thought"
