"""The answer of a page that fails to render: to the client's refetch, and to a page load.

The middleware alone, with a real Starlette + Jinja2 app and a real Flask app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from a2wsgi import WSGIMiddleware
from flask import Flask
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from starlette.testclient import TestClient

from reloader.adapters.asgi import ClientInjection
from reloader.adapters.wsgi import WSGIAdapter

REFRESH = {"accept": "text/html", "x-devreload-refresh": "1"}
PAGE_LOAD = {"accept": "text/html"}


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    (tmp_path / "good.html").write_text("<html><body><h1>good</h1></body></html>")
    (tmp_path / "broken.html").write_text("<html><body>\n{% for x in xs %}\n{% endfo %}\n")
    (tmp_path / "undefined.html").write_text("<html><body>\n<p>\n{{ user.name.upper() }}</p>\n")
    return tmp_path


def jinja_app(folder: Path) -> Starlette:
    templates = Jinja2Templates(directory=folder)

    async def page(request: Request) -> Any:
        return templates.TemplateResponse(request, f"{request.path_params['name']}.html")

    return Starlette(routes=[Route("/{name}", page)])


def client(app: Any, roots: tuple[Path, ...] = ()) -> TestClient:
    # The middleware raises the app's exception again after answering, for the server's log.
    return TestClient(ClientInjection(app, roots=roots), raise_server_exceptions=False)


def test_a_refetch_of_a_page_whose_template_fails_gets_the_error_with_its_line(
    templates: Path,
) -> None:
    answer = client(jinja_app(templates), (templates,)).get("/broken", headers=REFRESH)
    assert answer.status_code == 500
    assert answer.headers["x-devreload-error"] == "1"
    error = answer.json()
    assert "500 Internal Server Error" in error["title"]
    assert error["text"].startswith("TemplateSyntaxError: Encountered unknown tag 'endfo'")
    assert f"{templates / 'broken.html'}, line 3\n    {{% endfo %}}" in error["text"]


def test_an_error_while_a_template_renders_points_at_its_line(templates: Path) -> None:
    answer = client(jinja_app(templates), (templates,)).get("/undefined", headers=REFRESH)
    text = answer.json()["text"]
    assert text.startswith("UndefinedError: 'user' is undefined")
    assert f"{templates / 'undefined.html'}, line 3\n    {{{{ user.name.upper() }}}}" in text


def test_a_page_load_that_fails_gets_a_page_with_the_error_and_the_client(
    templates: Path,
) -> None:
    answer = client(jinja_app(templates), (templates,)).get("/broken", headers=PAGE_LOAD)
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert "TemplateSyntaxError" in answer.text
    assert "broken.html, line 3" in answer.text
    assert answer.text.index("window.__devreload") < answer.text.index("</body>")


def test_pages_that_render_and_other_requests_are_answered_as_before(templates: Path) -> None:
    app = client(jinja_app(templates), (templates,))
    assert app.get("/good", headers=REFRESH).text.startswith("<html><body><h1>good</h1>")
    # Not a page load: an API call gets the framework's own 500.
    answer = app.get("/broken", headers={"accept": "application/json"})
    assert answer.status_code == 500
    assert answer.text == "Internal Server Error"


def test_an_error_page_of_the_apps_own_is_kept_with_the_client() -> None:
    async def page(request: Request) -> Any:
        return HTMLResponse("<html><body><p>our own oops</p></body></html>", status_code=503)

    answer = client(Starlette(routes=[Route("/", page)])).get("/", headers=PAGE_LOAD)
    assert answer.status_code == 503
    assert "<p>our own oops</p>" in answer.text
    assert "window.__devreload" in answer.text


def test_a_refetch_of_a_page_that_is_gone_says_what_it_answers() -> None:
    async def page(request: Request) -> Any:
        return JSONResponse({"detail": "Not Found"}, status_code=404)

    answer = client(Starlette(routes=[Route("/", page)])).get("/", headers=REFRESH)
    assert answer.status_code == 404
    assert "404 Not Found" in answer.json()["title"]
    assert answer.json()["text"] == '{"detail":"Not Found"}'


def test_flasks_own_500_carries_the_views_exception() -> None:
    WSGIAdapter().framework_imported("flask")  # what devreload does when Flask is imported
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        raise ValueError("no such row")

    answer = client(WSGIMiddleware(app), (Path(__file__).parent,)).get("/", headers=REFRESH)
    assert answer.status_code == 500
    text = answer.json()["text"]
    assert text.startswith("ValueError: no such row\n")
    assert 'raise ValueError("no such row")' in text
