"""The ASGI adapter's parts in-process: finding the app, the proxy, the page injection."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, WebSocket
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    StreamingResponse,
)
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from starlette.testclient import TestClient

from reloader._events import ErrorInfo, Event, StatusBoard
from reloader.adapters import AppNotFound, PageUpdate, available_adapters, load_adapters
from reloader.adapters.address import bind
from reloader.adapters.asgi import (
    CLIENT_PATH,
    EVENTS_PATH,
    ASGIAdapter,
    ASGIProxy,
)
from reloader.notify._push import TAB_PATH, WORKER_PATH, Broadcaster
from support import wait_for

PAGE = "<!doctype html><html><head><title>t</title></head><body><h1>hi</h1></body></html>"


# -- finding the app --------------------------------------------------------------------------


def find(namespace: dict[str, Any], name: str | None = None) -> Any:
    return ASGIAdapter().find_app(namespace, name)


def test_the_adapter_is_built_in() -> None:
    assert available_adapters()["asgi"] == "reloader.adapters.asgi:ASGIAdapter"
    assert isinstance(load_adapters("asgi")[0], ASGIAdapter)


def test_the_only_app_is_found_and_routers_are_not_apps() -> None:
    app = FastAPI()
    router = APIRouter()
    app.include_router(router)
    assert find({"app": app, "router": router, "FastAPI": FastAPI, "Route": Route}) is app


def test_an_app_under_two_names_is_one_app() -> None:
    app = Starlette()
    assert find({"app": app, "application": app}) is app


def test_mounted_apps_are_parts_of_the_app() -> None:
    api = FastAPI()
    static = StaticFiles(directory=Path(__file__).parent, check_dir=False)
    app = FastAPI()
    app.mount("/api", api)
    app.mount("/static", static)
    assert find({"api": api, "static": static, "app": app}) is app


def test_a_middleware_wrapping_the_app_is_the_app() -> None:
    app = FastAPI()
    wrapped = GZipMiddleware(app)
    assert find({"app": app, "wrapped": wrapped}) is wrapped


def test_a_plain_asgi_function_and_class_are_apps() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None: ...

    async def helper(request: Any) -> None: ...

    class Custom:
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None: ...

    assert find({"app": app, "helper": helper}) is app
    custom = Custom()
    assert find({"custom": custom, "Custom": Custom}) is custom


def test_several_apps_need_a_name() -> None:
    first, second = FastAPI(), Starlette()
    with pytest.raises(AppNotFound, match=r"first, second.*--app NAME"):
        find({"first": first, "second": second})
    assert find({"first": first, "second": second}, "second") is second
    assert find({"first": first}, "missing") is None
    assert find({"first": first, "text": "not an app"}, "text") is None


def test_nothing_asgi_is_none() -> None:
    assert find({"x": 1, "f": print, "Starlette": Starlette}) is None


def test_the_app_passed_to_uvicorn_run_wins() -> None:
    import uvicorn

    adapter = ASGIAdapter()
    adapter.framework_imported("uvicorn")
    first, second = FastAPI(), FastAPI()
    with adapter.executing(first_load=True):
        assert uvicorn.run(second, port=1234) is None  # captured, not run
    assert adapter.find_app({"first": first, "second": second}) is second
    assert adapter.run_kwargs_of(second) == {"port": 1234}
    with adapter.executing(first_load=False):
        uvicorn.run("main:first", factory=False)
    assert adapter.find_app({"first": first, "second": second}) is first
    with adapter.executing(first_load=False):
        uvicorn.run("main:make", factory=True)
    made = adapter.find_app({"make": lambda: second})
    assert made is second
    with adapter.executing(first_load=False):
        uvicorn.run("main:nope")
    with pytest.raises(AppNotFound, match="names no global"):
        adapter.find_app({"first": first})


def test_only_css_changes_skip_reexecution() -> None:
    adapter = ASGIAdapter()
    assert adapter.handles_without_reexecution([Path("a.css"), Path("b/c.CSS")])
    assert not adapter.handles_without_reexecution([Path("a.css"), Path("page.html")])
    assert not adapter.handles_without_reexecution([])


def test_the_listening_socket_gets_connections_without_nagle_delays() -> None:
    # uvicorn serves on this socket through asyncio, which turns Nagle's algorithm
    # off (TCP_NODELAY) only on IPPROTO_TCP sockets: on a socket made with protocol 0,
    # every request on a kept-alive connection waited 40 ms for a delayed ACK.
    listener = bind("127.0.0.1", 0)

    async def accepted_nodelay() -> int:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[int] = loop.create_future()

        class Accept(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        server = await loop.create_server(Accept, sock=listener)
        try:
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            value = await asyncio.wait_for(accepted, 10)
            writer.close()
            return value
        finally:
            server.close()

    assert listener.proto == socket.IPPROTO_TCP
    # In a thread of its own: a Playwright test before this one may have left an
    # event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, accepted_nodelay()).result(timeout=30) != 0


# -- the proxy -------------------------------------------------------------------------------


def make_app(version: str, log: list[str] | None = None, fail: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, str]]:
        if fail:
            raise RuntimeError(f"{version} cannot start")
        if log is not None:
            log.append(f"startup {version}")
        yield {"version": version}
        if log is not None:
            log.append(f"shutdown {version}")

    app = FastAPI(lifespan=lifespan)

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        return PAGE.replace("hi", version)

    @app.get("/text")
    async def text(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"{version} {request.state.version}")

    @app.get("/url")
    async def url(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(request.url_for("text")))

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        message = await websocket.receive_text()
        await websocket.send_text(f"{version}: {message}")
        await websocket.close()

    sub = FastAPI()

    @sub.get("/where")
    async def where(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"{version} {request.url_for('where')}")

    app.mount("/sub", sub)
    return app


@pytest.fixture
def log() -> list[str]:
    return []


@pytest.fixture
def proxy(log: list[str]) -> ASGIProxy:
    return ASGIProxy(make_app("v1", log), Broadcaster())


@pytest.fixture
def client(proxy: ASGIProxy) -> Iterator[TestClient]:
    with TestClient(proxy) as client:
        yield client


def swap(client: TestClient, proxy: ASGIProxy, app: Any) -> Any:
    assert client.portal is not None
    return client.portal.call(proxy.swap, app)


def test_requests_go_to_the_newest_app(client: TestClient, proxy: ASGIProxy) -> None:
    assert client.get("/text").text == "v1 v1"
    assert swap(client, proxy, make_app("v2")) is None
    assert client.get("/text").text == "v2 v2"
    assert client.get("/url").text == "http://testserver/text"
    assert client.get("/sub/where").text == "v2 http://testserver/sub/where"


def test_websockets_go_through(client: TestClient, proxy: ASGIProxy) -> None:
    swap(client, proxy, make_app("v2"))
    with client.websocket_connect("/ws") as websocket:
        websocket.send_text("hello")
        assert websocket.receive_text() == "v2: hello"


def echo_app(version: str) -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        async for message in websocket.iter_text():
            await websocket.send_text(f"{version}: {message}")

    return app


@pytest.mark.parametrize("close", [True, False])
def test_a_swap_closes_the_old_apps_websockets_unless_told_not_to(close: bool) -> None:
    """A WebSocket open on the replaced app is closed with 1012 (service restart), its
    handler told it is gone; an adapter whose page script moves the page itself (Shiny)
    keeps it open."""
    from starlette.websockets import WebSocketDisconnect

    proxy = ASGIProxy(echo_app("v1"), Broadcaster(), close_replaced_sockets=close)
    with TestClient(proxy) as client, client.websocket_connect("/ws") as websocket:
        swap(client, proxy, echo_app("v2"))
        if close:
            with pytest.raises(WebSocketDisconnect) as closed:
                websocket.receive_text()
            assert closed.value.code == 1012
        else:
            websocket.send_text("hello")
            assert websocket.receive_text() == "v1: hello"


def test_lifespans_follow_the_swaps(proxy: ASGIProxy, log: list[str]) -> None:
    with TestClient(proxy) as client:
        assert log == ["startup v1"]
        swap(client, proxy, make_app("v2", log))
        # The new app starts first; the old one is shut down once it has no requests.
        wait_for(
            lambda: log == ["startup v1", "startup v2", "shutdown v1"],
            10,
            what="the old lifespan's shutdown",
        )
    assert log[-1] == "shutdown v2"


def test_a_failed_startup_keeps_the_old_app(
    client: TestClient, proxy: ASGIProxy, log: list[str]
) -> None:
    failure = swap(client, proxy, make_app("v2", log, fail=True))
    assert failure is not None
    assert failure.headline == "RuntimeError in lifespan startup: v2 cannot start"
    assert "RuntimeError: v2 cannot start" in failure.details
    assert log == ["startup v1"]  # the old app was never stopped
    assert client.get("/text").text == "v1 v1"


def test_swapping_in_the_same_app_does_nothing(
    client: TestClient, proxy: ASGIProxy, log: list[str]
) -> None:
    swap(client, proxy, proxy.current.app)
    assert log == ["startup v1"]


def test_an_app_without_lifespan_support_is_served(log: list[str]) -> None:
    async def bare(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"bare"})

    proxy = ASGIProxy(bare, Broadcaster())
    with TestClient(proxy) as client:
        assert client.get("/").text == "bare"
        assert swap(client, proxy, make_app("v2", log)) is None
        assert client.get("/text").text == "v2 v2"


def test_the_client_goes_before_the_end_of_body(client: TestClient) -> None:
    response = client.get("/")
    body = response.text
    assert body.index("window.__devreload") < body.index("</body>")
    assert '{events:"./__devreload__/events",reloadPage:true,version:0}' in body
    assert int(response.headers["content-length"]) == len(response.content)
    assert body.isascii()


def test_non_html_is_untouched(client: TestClient) -> None:
    response = client.get("/text")
    assert response.text == "v1 v1"
    assert response.headers["content-length"] == "5"


def test_head_reports_the_injected_length(client: TestClient, proxy: ASGIProxy) -> None:
    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    swap(client, proxy, Starlette(routes=[Route("/", index)]))  # Starlette answers HEAD
    head = client.head("/")
    assert head.status_code == 200
    assert int(head.headers["content-length"]) == len(client.get("/").content)


def test_compressed_pages_are_left_alone_and_pages_come_uncompressed(
    client: TestClient, proxy: ASGIProxy
) -> None:
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        return PAGE + " " * 2000

    swap(client, proxy, GZipMiddleware(app, minimum_size=10))
    page = client.get("/", headers={"accept": "text/html", "accept-encoding": "gzip"})
    assert "content-encoding" not in page.headers  # asked uncompressed, so injected
    assert "window.__devreload" in page.text
    raw = client.get("/", headers={"accept": "*/*", "accept-encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert "window.__devreload" not in raw.text  # httpx decoded it: no client inside


def test_streamed_html_gets_the_client_at_the_end(client: TestClient, proxy: ASGIProxy) -> None:
    app = FastAPI()

    @app.get("/")
    async def index() -> StreamingResponse:
        async def chunks() -> AsyncIterator[str]:
            yield "<html><body>"
            yield "streamed</body></html>"

        return StreamingResponse(chunks(), media_type="text/html")

    swap(client, proxy, app)
    body = client.get("/").text
    assert body.startswith("<html><body>streamed</body></html><script>")


def test_the_event_stream_and_the_client_are_the_only_added_routes(client: TestClient) -> None:
    script = client.get(CLIENT_PATH)
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "EventSource" in script.text
    assert client.get("/__devreload__/").status_code == 404
    assert client.get("/__devreload__/other.js").status_code == 404
    assert client.post(EVENTS_PATH).status_code == 405


def csp_page(policy: str) -> Starlette:
    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE, headers={"Content-Security-Policy": policy})

    return Starlette(routes=[Route("/", index)])


def test_a_page_with_a_csp_gets_the_client_from_the_same_origin(
    client: TestClient, proxy: ASGIProxy
) -> None:
    swap(client, proxy, csp_page("default-src 'self'"))
    body = client.get("/").text
    assert "window.__devreload" not in body  # no inline script
    tag = (
        f'<script src=".{CLIENT_PATH}" data-events=".{EVENTS_PATH}" data-version="0"'
        " data-reload-page></script>"
    )
    assert tag + "</body>" in body


@pytest.mark.parametrize(
    ("policy", "nonce"),
    [
        ("script-src 'nonce-r4nd0m+/=' 'strict-dynamic'; object-src 'none'", "r4nd0m+/="),
        ("default-src 'self'; script-src-elem 'self' 'nonce-abc'", "abc"),
        ("default-src 'nonce-xyz'", "xyz"),
        ("script-src 'self'; style-src 'nonce-not-for-scripts'", None),
    ],
)
def test_the_client_carries_the_pages_script_nonce(
    client: TestClient, proxy: ASGIProxy, policy: str, nonce: str | None
) -> None:
    swap(client, proxy, csp_page(policy))
    body = client.get("/").text
    assert f'src=".{CLIENT_PATH}"' in body
    if nonce is None:
        assert "nonce=" not in body
    else:
        assert f'nonce="{nonce}"' in body


def test_the_event_stream_carries_reloads(proxy: ASGIProxy) -> None:
    adapter = ASGIAdapter()
    adapter.broadcaster = proxy.broadcaster
    lines: list[str] = []
    with TestClient(proxy) as client:
        connected = threading.Event()

        def listen() -> None:
            with client.stream("GET", EVENTS_PATH) as response:
                assert response.headers["content-type"] == "text/event-stream"
                for line in response.iter_lines():
                    lines.append(line)
                    connected.set()
                    if lines[-2:-1] == ["event: reload"]:  # and its data
                        return

        reader = threading.Thread(target=listen, daemon=True)
        reader.start()
        assert connected.wait(10)
        hello = wait_for(lambda: next((line for line in lines if '"channel"' in line), None))
        channel = json.loads(hello.removeprefix("data: "))["channel"]
        # A stream is not a tab: the tabs behind it say hello (devreload's client does).
        assert adapter.notify(PageUpdate("css")) == 0
        said = client.post(TAB_PATH, json={"op": "hello", "tab": "a", "channel": channel})
        assert said.status_code == 204
        assert client.post(TAB_PATH, content=b"not json").status_code == 400
        assert adapter.notify(PageUpdate("css")) == 1
        assert adapter.notify(PageUpdate("reload")) == 1
        reader.join(10)
        worker = client.get(WORKER_PATH)
        assert worker.status_code == 200 and "onconnect" in worker.text
    assert lines[:2] == ["retry: 1000", ": connected"]
    assert "event: css" in lines
    assert "event: reload" in lines
    assert lines[lines.index("event: reload") + 1] == 'data: {"version": 1}'


def status_board(generation: int = 2) -> StatusBoard:
    """The engine's status after a reload to ``generation``."""
    board = StatusBoard()
    board(Event("reloaded", generation=generation, tier="full"))
    return board


def is_status(response: Any, generation: int = 2) -> bool:
    body = response.json()
    return bool(body["generation"] == generation and body["last"]["event"] == "reloaded")


def test_the_status_route_answers_the_engines_status_as_json() -> None:
    board = status_board(3)
    proxy = ASGIProxy(make_app("v1"), Broadcaster(), status=board)
    with TestClient(proxy) as client:
        response = client.get("/__devreload__/status")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert is_status(response, 3)
        board(Event("reloaded", generation=4, tier="full"))
        assert client.get("/__devreload__/status").json()["generation"] == 4
        assert client.post("/__devreload__/status").status_code == 405


def test_a_status_wait_answers_the_next_outcome_without_holding_the_server() -> None:
    """``?after=N&wait=S``: held until an outcome newer than seq N, while other requests
    are answered; a wait that sees none answers ``timed_out``; bad values are one sentence."""
    board = status_board(1)
    proxy = ASGIProxy(make_app("v1"), Broadcaster(), status=board)
    with TestClient(proxy) as client, ThreadPoolExecutor(1) as pool:
        seq = client.get("/__devreload__/status").json()["seq"]
        waiting = pool.submit(client.get, f"/__devreload__/status?after={seq}&wait=20")
        assert "<h1>v1</h1>" in client.get("/").text  # the server answers meanwhile
        assert not waiting.done()
        board(Event("failed", generation=1, error=ErrorInfo("boom", file="/a.py", line=3)))
        answer = waiting.result(10).json()
        assert answer["seq"] == seq + 1 and answer["timed_out"] is False
        assert answer["last"]["error"]["line"] == 3
        # Already newer than what the caller saw: at once.
        assert client.get(f"/__devreload__/status?after={seq}&wait=20").json()["seq"] == seq + 1
        timed_out = client.get(f"/__devreload__/status?after={seq + 1}&wait=0.2").json()
        assert timed_out["timed_out"] is True and timed_out["seq"] == seq + 1
        refused = client.get("/__devreload__/status?wait=soon")
        assert refused.status_code == 400
        assert refused.text == "wait='soon' is not a number of seconds; pass e.g. wait=10.\n"
        assert client.get("/__devreload__/status?after=x&wait=1").status_code == 400


def test_without_a_status_the_route_is_not_found(client: TestClient) -> None:
    assert client.get("/__devreload__/status").status_code == 404


# -- the status route, behind the app's own auth ---------------------------------------------


def token_app() -> FastAPI:
    """Every route needs a bearer token, checked by a middleware (so also unknown paths)."""
    app = FastAPI()

    @app.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Any:
        if request.headers.get("authorization") != "Bearer s3cret":
            return JSONResponse(
                {"detail": "Not authenticated"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return await call_next(request)

    @app.get("/")
    async def index() -> dict[str, str]:
        return {"page": "secret"}

    return app


def login_redirect_app() -> FastAPI:
    """Session auth as FastHTML's docs write it: anyone without the cookie goes to /login."""
    app = FastAPI()

    @app.middleware("http")
    async def require_session(request: Request, call_next: Any) -> Any:
        if request.url.path != "/login" and request.cookies.get("session") != "ok":
            return RedirectResponse("/login", status_code=303)
        return await call_next(request)

    @app.get("/{path:path}")  # a catch-all page: the status route's path is a page too
    async def page(path: str) -> PlainTextResponse:
        return PlainTextResponse(f"page {path}")

    return app


def test_the_status_route_is_behind_a_token_middleware() -> None:
    proxy = ASGIProxy(token_app(), Broadcaster(), status=status_board())
    with TestClient(proxy) as client:
        refused = client.get("/__devreload__/status")
        assert refused.status_code == 401  # the app's own answer, unchanged
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json() == {"detail": "Not authenticated"}
        wrong = client.get("/__devreload__/status", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert client.head("/__devreload__/status").status_code == 401
        allowed = client.get("/__devreload__/status", headers={"Authorization": "Bearer s3cret"})
        assert allowed.status_code == 200
        assert is_status(allowed)


MCP_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-03-26",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


def test_the_mcp_route_is_behind_the_apps_auth_too() -> None:
    proxy = ASGIProxy(token_app(), Broadcaster(), status=status_board())
    with TestClient(proxy) as client:
        refused = client.post("/__devreload__/mcp", json=MCP_INITIALIZE, headers=MCP_HEADERS)
        assert refused.status_code == 401 and refused.json() == {"detail": "Not authenticated"}
        allowed = client.post(
            "/__devreload__/mcp",
            json=MCP_INITIALIZE,
            headers={**MCP_HEADERS, "Authorization": "Bearer s3cret"},
        )
        assert allowed.status_code == 200, allowed.text
        assert allowed.json()["result"]["serverInfo"]["name"] == "devreload"
        assert allowed.headers["mcp-session-id"]


def test_without_the_mcp_package_the_mcp_route_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "mcp", None)  # as if it were not installed
    proxy = ASGIProxy(make_app("v1"), Broadcaster(), status=status_board())
    with TestClient(proxy) as client:
        answer = client.post("/__devreload__/mcp", json=MCP_INITIALIZE, headers=MCP_HEADERS)
    assert answer.status_code == 501
    assert answer.text == (
        "devreload's MCP server needs the mcp package: "
        "pip install mcp (devreload's 'mcp' extra has it) in this environment, "
        "then start devreload again.\n"
    )


def test_the_status_route_is_behind_a_login_redirect_and_a_catch_all_page() -> None:
    proxy = ASGIProxy(login_redirect_app(), Broadcaster(), status=status_board())
    with TestClient(proxy, follow_redirects=False) as client:
        refused = client.get("/__devreload__/status")
        assert refused.status_code == 303
        assert refused.headers["location"] == "/login"
        client.cookies.set("session", "ok")
        allowed = client.get("/__devreload__/status")
        assert allowed.status_code == 200 and is_status(allowed)


def test_the_status_route_is_behind_an_auth_dependency_of_the_routes() -> None:
    # FastAPI(dependencies=[...]) guards the routes, not unknown paths: the status route's
    # own path gets the app's 404, and GET / (with the same credentials) decides.
    def check(credentials: Annotated[HTTPBasicCredentials, Depends(HTTPBasic())]) -> None:
        if (credentials.username, credentials.password) != ("ada", "lovelace"):
            raise HTTPException(401, "wrong password", headers={"WWW-Authenticate": "Basic"})

    app = FastAPI(dependencies=[Depends(check)])

    @app.get("/")
    async def index() -> dict[str, str]:
        return {"page": "secret"}

    proxy = ASGIProxy(app, Broadcaster(), status=status_board())
    with TestClient(proxy) as client:
        refused = client.get("/__devreload__/status")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Basic"
        assert client.get("/__devreload__/status", auth=("ada", "babbage")).status_code == 401
        allowed = client.get("/__devreload__/status", auth=("ada", "lovelace"))
        assert allowed.status_code == 200 and is_status(allowed)


def test_an_app_without_auth_lets_the_status_through() -> None:
    proxy = ASGIProxy(make_app("v1"), Broadcaster(), status=status_board())
    with TestClient(proxy) as open_client:
        assert is_status(open_client.get("/__devreload__/status"))


def test_an_app_that_never_answers_gets_no_status(monkeypatch: pytest.MonkeyPatch) -> None:
    async def silent(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await asyncio.Event().wait()  # never answers

    monkeypatch.setattr("reloader.adapters.asgi.proxy.AUTH_CHECK_SECONDS", 0.2)
    proxy = ASGIProxy(silent, Broadcaster(), lifespan=False, status=status_board())
    with TestClient(proxy) as client:
        assert client.get("/__devreload__/status").status_code == 503


def test_a_stream_opened_after_a_reload_its_page_missed_is_told_it_is_stale() -> None:
    """A page served at version N whose stream opens after reload N+1 went out gets a
    "stale" event first; one at the current version does not; the query string
    carries the version (``?since=N``)."""
    from reloader.notify._push import Message, since_of

    async def first_events(broadcaster: Broadcaster, since: int | None) -> list[str]:
        stream = broadcaster.stream(since=since)
        chunks = [await anext(stream), await anext(stream)] if since == 0 else [await anext(stream)]
        await stream.aclose()
        return chunks

    def run(since: int) -> list[str]:
        # On a thread of its own: a browser test's event loop may be running on this one.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: asyncio.run(first_events(broadcaster, since))).result()

    broadcaster = Broadcaster()
    assert broadcaster.version == 0
    broadcaster.publish(Message("error", "{}"))  # an error is not a new version
    broadcaster.publish(Message("reload"))
    assert broadcaster.version == 1
    assert run(0)[1] == 'event: stale\ndata: {"version": 1}\n\n'
    assert run(1) == ["retry: 1000\n: connected\n\n"]
    assert since_of(b"client=overlay&since=3") == 3
    assert since_of("") is None and since_of("since=x") is None
