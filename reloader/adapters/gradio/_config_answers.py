"""Gradio's ``GET /config`` answers, kept for as long as the served config is the same.

Gradio answers each ``GET /config`` by deep-copying the whole page config and walking
it to put the request's root URL into every file URL: at 500 components about 25 ms
of CPU per request, the same work each time while the version is the same. Profiled
(py-spy, GIL samples) while a 500-component app reloaded with one tab polling the
config, those answers took more of the GIL than the reload itself: every tab that
fetches the config, and every client that polls it, slows the reload it waits for.

The answer is a function of the served config and of the request (its path, root
path and headers: the root URL and the user come from them). So the route's answer is
kept per request, with the config object it was made from; a config replaced (a save,
a ``launch()``) makes a fresh start, and devreload calls
:meth:`KeptConfigAnswers.forget` whenever it changes the served config in place. Only
apps without a login keep answers: with ``auth``, Gradio checks the login on each
request, against tokens that change on the server. Nor are answers kept for a request
with a query (a deep link, a page): a deep link's answer depends on the links saved so
far on the server.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["KeptConfigAnswers", "keep_config_answers"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The routes whose answers are kept (Gradio registers both).
CONFIG_PATHS = ("/config", "/config/")
#: Answers kept per config: one per distinct request (a few tabs, a few hosts).
_MOST_KEPT = 32


class KeptConfigAnswers:
    """An ASGI app around Gradio's ``/config`` route that replays a kept answer."""

    def __init__(
        self,
        route_app: ASGIApp,
        served_config: Callable[[], object],
        needs_login: Callable[[], bool],
    ) -> None:
        self._route_app = route_app
        self._served_config = served_config
        self._needs_login = needs_login
        self._lock = threading.Lock()
        self._config: object = None
        self._answers: dict[tuple[Any, ...], list[Message]] = {}

    def forget(self) -> None:
        """The served config changed in place: no kept answer says it any more."""
        with self._lock:
            self._config = None
            self._answers = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope.get("type") != "http"
            or scope.get("method") != "GET"
            or scope.get("query_string")
            or self._needs_login()
        ):
            await self._route_app(scope, receive, send)
            return
        config = self._served_config()
        key = (
            scope.get("path"),
            scope.get("root_path"),
            scope.get("scheme"),
            tuple(scope.get("server") or ()),
            tuple((bytes(name), bytes(value)) for name, value in scope.get("headers") or ()),
        )
        with self._lock:
            if self._config is not config:
                self._config, self._answers = config, {}
            kept = self._answers.get(key)
        if kept is not None:
            for message in kept:
                await send(dict(message))
            return
        messages: list[Message] = []

        async def keeping(message: Message) -> None:
            messages.append(dict(message))
            await send(message)

        await self._route_app(scope, receive, keeping)
        if not _whole_ok_answer(messages):
            return
        with self._lock:
            # Kept only if the config it was made from is still the one served.
            if self._config is config and self._served_config() is config:
                if len(self._answers) >= _MOST_KEPT:
                    self._answers.clear()
                self._answers[key] = messages


def _whole_ok_answer(messages: list[Message]) -> bool:
    if not messages or messages[0].get("type") != "http.response.start":
        return False
    if messages[0].get("status") != 200:
        return False
    last = messages[-1]
    return last.get("type") == "http.response.body" and not last.get("more_body", False)


def keep_config_answers(running_app: Any) -> tuple[KeptConfigAnswers, ...]:
    """Wrap the running Gradio app's ``/config`` routes (once); their keepers, to forget."""
    routes = [route for route in _routes(running_app.router.routes) if _is_config(route)]

    def served_config() -> object:
        return getattr(running_app.get_blocks(), "config", None)

    def needs_login() -> bool:
        return (
            getattr(running_app, "auth", None) is not None
            or getattr(running_app, "auth_dependency", None) is not None
        )

    keepers = []
    for route in routes:
        if not isinstance(route.app, KeptConfigAnswers):
            route.app = KeptConfigAnswers(route.app, served_config, needs_login)
        keepers.append(route.app)
    return tuple(keepers)


def _is_config(route: Any) -> bool:
    return (
        getattr(route, "path", None) in CONFIG_PATHS
        and "GET" in (getattr(route, "methods", None) or ())
        and callable(getattr(route, "app", None))
    )


def _routes(routes: list[Any]) -> list[Any]:
    """The routes, also inside FastAPI's lazily included routers."""
    found = []
    for route in routes:
        found.append(route)
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found += _routes(inner.routes)
    return found
