"""Gradio's GET /config answers kept per served config (adapters/gradio/_config_answers).

The keeping is pure logic around an ASGI route: a scripted route stands in for Gradio's
(it counts how often it really answered). That the served config stays what a fresh
``python app.py`` serves, across saves, is tests/test_gradio_faithful.py's and
tests/test_gradio_props.py's job; both run with the keeper installed.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reloader.adapters.gradio._config_answers import KeptConfigAnswers, keep_config_answers


class _Route:
    """Answers with the served config's text, and counts its answers."""

    def __init__(self, state: dict[str, Any], status: int = 200) -> None:
        self.state = state
        self.status = status
        self.answered = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.answered += 1
        body = repr(self.state["config"]).encode()
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": body})


def _get(app: Any, host: bytes = b"localhost", method: str = "GET", query: bytes = b"") -> bytes:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {
        "type": "http",
        "method": method,
        "path": "/config",
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", host)],
    }
    # On a thread of its own: a Playwright page of an earlier test in this worker keeps
    # an event loop running on the main thread.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, app(scope, receive, send)).result()
    assert sent[0]["type"] == "http.response.start"
    return b"".join(message.get("body", b"") for message in sent[1:])


def _keeper(state: dict[str, Any], route: _Route) -> KeptConfigAnswers:
    return KeptConfigAnswers(route, lambda: state["config"], lambda: state["login"])


def _served(login: bool = False) -> tuple[dict[str, Any], _Route, KeptConfigAnswers]:
    """The served state (config ``{'v': 1}``), a route answering from it, and its keeper."""
    state: dict[str, Any] = {"config": {"v": 1}, "login": login}
    route = _Route(state)
    return state, route, _keeper(state, route)


def test_the_same_request_is_answered_once_per_served_config() -> None:
    state, route, kept = _served()
    assert _get(kept) == _get(kept) == b"{'v': 1}"
    assert route.answered == 1
    assert _get(kept, host=b"example.org") == b"{'v': 1}"  # another request: its own answer
    assert route.answered == 2
    state["config"] = {"v": 2}  # a save served a new config
    assert _get(kept) == b"{'v': 2}"
    assert route.answered == 3


def test_a_config_changed_in_place_is_answered_afresh_once_forgotten() -> None:
    state, route, kept = _served()
    _get(kept)
    state["config"]["v"] = 3  # devreload stamps the served version into the config
    kept.forget()
    assert _get(kept) == b"{'v': 3}"
    assert route.answered == 2


def test_nothing_is_kept_behind_a_login_with_a_query_for_other_methods_or_failures() -> None:
    state, route, kept = _served(login=True)
    _get(kept), _get(kept)
    assert route.answered == 2  # Gradio checks the login on each request
    state["login"] = False
    _get(kept, method="HEAD"), _get(kept, method="HEAD")
    assert route.answered == 4
    _get(kept, query=b"deep_link=abc"), _get(kept, query=b"deep_link=abc")
    assert route.answered == 6  # a deep link's answer depends on the links saved so far
    failing = _Route(state, status=500)
    kept = _keeper(state, failing)
    _get(kept), _get(kept)
    assert failing.answered == 2


def test_keep_config_answers_wraps_the_routes_gradio_serves_config_from() -> None:
    import gradio as gr
    from starlette.testclient import TestClient

    with gr.Blocks() as demo:
        gr.Markdown("hello")
    app = gr.routes.App.create_app(demo)
    first = keep_config_answers(app)
    assert len(first) == 2  # /config and /config/
    assert keep_config_answers(app) == first  # installing twice wraps nothing more
    with TestClient(app) as client:
        before = client.get("/config").json()
        demo.config["title"] = "changed in place"  # not told: the kept answer is served
        assert client.get("/config").json() == before
        for kept in first:
            kept.forget()
        assert client.get("/config").json()["title"] == "changed in place"
