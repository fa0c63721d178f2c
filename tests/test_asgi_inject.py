"""The client-injection middleware on its own, and how the asgi/wsgi adapters match apps."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from flask import Flask
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from reloader.adapters.asgi import ASGIAdapter, ClientInjection, is_asgi_app
from reloader.adapters.asgi.inject import routes_base, send_client
from reloader.adapters.base import MATCH_EXACT, MATCH_GENERIC, MATCH_TYPE
from reloader.adapters.wsgi import WSGIAdapter

PAGE = "<!doctype html><html><head></head><body><h1>hi</h1></body></html>"


def app_with(response: Any) -> Starlette:
    async def endpoint(request: Any) -> Any:
        return response

    return Starlette(routes=[Route("/", endpoint)])


def test_an_html_page_gets_the_client_before_the_end_of_body() -> None:
    client = TestClient(ClientInjection(app_with(HTMLResponse(PAGE))))
    page = client.get("/", headers={"accept": "text/html"}).text
    assert "window.__devreload" in page
    assert page.index("window.__devreload") < page.index("</body>")
    assert page.endswith("</body></html>")


def test_an_adapters_page_script_rides_with_the_client() -> None:
    # Inline, and in the same-origin client.js that pages with a CSP load.
    page_script = "window.__fromTheAdapter = 1;"
    client = TestClient(ClientInjection(app_with(HTMLResponse(PAGE)), page_script))
    page = client.get("/", headers={"accept": "text/html"}).text
    assert page.index("window.__devreload") < page.index(page_script) < page.rindex("</body>")


def test_the_served_client_carries_the_page_script() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    # In a thread of its own: the test worker's thread may hold another test's loop.
    worker = threading.Thread(
        target=asyncio.run, args=(send_client(send, "window.__fromTheAdapter = 1;"),)
    )
    worker.start()
    worker.join(10)
    assert sent[-1]["body"].endswith(b"window.__fromTheAdapter = 1;")


def test_an_htmx_fragment_gets_no_client() -> None:
    # htmx swaps the answer into a page that runs the client already: a second copy
    # would open a second event stream on every request.
    client = TestClient(ClientInjection(app_with(HTMLResponse("<p>clicked</p>"))))
    for header in ("HX-Request", "Turbo-Frame"):
        headers = {"accept": "text/html", header: "true"}
        assert client.get("/", headers=headers).text == "<p>clicked</p>"


def test_json_is_untouched() -> None:
    client = TestClient(ClientInjection(app_with(JSONResponse({"a": 1}))))
    assert client.get("/").json() == {"a": 1}


def test_a_page_with_a_nonce_policy_gets_a_script_src_with_the_nonce() -> None:
    policy = "script-src 'nonce-abc123'"
    response = HTMLResponse(PAGE, headers={"content-security-policy": policy})
    page = TestClient(ClientInjection(app_with(response))).get("/").text
    assert 'src="./__devreload__/client.js"' in page
    assert 'nonce="abc123"' in page
    assert "window.__devreload" not in page


@pytest.mark.parametrize(
    ("scope", "declared", "base"),
    [
        # Nothing says where the app is: relative to the page (a prefix nobody told it).
        ({"path": "/"}, None, "./"),
        ({"path": "/items/3", "raw_path": b"/items/3"}, None, "../"),
        ({"path": "/a/b/c/"}, None, "../../../"),
        ({"path": "/a%2Fb", "raw_path": b"/a%2Fb"}, None, "./"),
        # uvicorn's root_path (its path includes it), or the app's own (FastAPI's).
        ({"path": "/app/items", "root_path": "/app"}, None, "/app/"),
        ({"path": "/items"}, "/app", "/app/"),
        # The prefix a proxy strips, as it says it (jupyter-server-proxy, Traefik).
        (
            {"path": "/x", "headers": [(b"x-forwarded-prefix", b"/user/me/proxy/8000/")]},
            None,
            "/user/me/proxy/8000/",
        ),
        ({"path": "/x/y", "headers": [(b"x-forwarded-prefix", b"//evil.example")]}, None, "../"),
    ],
)
def test_the_clients_urls_lead_back_to_devreload_from_behind_a_proxy(
    scope: dict[str, Any], declared: str | None, base: str
) -> None:
    app = SimpleNamespace(root_path=declared) if declared else None
    assert routes_base(scope, app) == base


def test_a_page_behind_a_prefix_gets_urls_under_it() -> None:
    client = TestClient(ClientInjection(app_with(HTMLResponse(PAGE))))
    headers = {"accept": "text/html", "x-forwarded-prefix": "/lab/proxy/8000"}
    page = client.get("/", headers=headers).text
    assert '{events:"/lab/proxy/8000/__devreload__/events"' in page
    rooted = TestClient(ClientInjection(app_with(HTMLResponse(PAGE))), root_path="/app")
    assert '{events:"/app/__devreload__/events"' in rooted.get("/", headers=headers).text


def test_is_asgi_app() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    def not_an_app(environ: Any, start_response: Any) -> None:
        pass

    assert is_asgi_app(FastAPI())
    assert is_asgi_app(app)
    assert not is_asgi_app(not_an_app)
    assert not is_asgi_app(Flask(__name__))


def test_match_scores() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    asgi, wsgi = ASGIAdapter(), WSGIAdapter()
    assert asgi.match(FastAPI()) == MATCH_TYPE
    assert asgi.match(app) == MATCH_GENERIC
    assert wsgi.match(Flask(__name__)) == MATCH_TYPE
    fastapi = FastAPI()
    with asgi.executing(first_load=True):
        import uvicorn

        asgi.framework_imported("uvicorn")
        uvicorn.run(fastapi, port=1)
    assert asgi.find_app({"app": fastapi}) is fastapi
    assert asgi.match(fastapi) == MATCH_EXACT
    asgi.capture.restore()


def test_a_page_that_answers_a_post_is_marked_so_the_client_never_loads_it_again() -> None:
    async def endpoint(request: Any) -> Any:
        return HTMLResponse(PAGE)

    client = TestClient(
        ClientInjection(Starlette(routes=[Route("/", endpoint, methods=["GET", "POST"])]))
    )
    assert "posted:true" in client.post("/", headers={"accept": "text/html"}).text
    assert "posted:true" not in client.get("/", headers={"accept": "text/html"}).text
    # And through the <script src> of a page with a CSP.
    csp = {"content-security-policy": "script-src 'self'"}

    async def with_csp(request: Any) -> Any:
        return HTMLResponse(PAGE, headers=csp)

    client = TestClient(ClientInjection(Starlette(routes=[Route("/", with_csp, methods=["POST"])])))
    assert "data-posted" in client.post("/", headers={"accept": "text/html"}).text
