"""The routes of a multipage app's pages (``Blocks.route``) follow each save.

Gradio routes a page (``GET /{page}``) once, when it makes the app for the Blocks it
launches (compat.PAGE_ROUTES); the swap that serves a new version adds no route. So a
page a save adds would answer 404 until a restart, and one it removes would still be
routed, to a page the config no longer has. Here the routes are made to match the
served Blocks' pages after each swap, as a fresh run would route them: a page added
gets the route Gradio gives a page, a page removed (or renamed) answers 404.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from reloader.adapters.gradio.compat import PAGE_MAIN, PageRouting

__all__ = ["PageRoutes"]

logger = logging.getLogger("reloader.adapters.gradio")


class PageRoutes:
    """The running app's page routes, by page path."""

    def __init__(self, running_app: Any, first: Any, routing: PageRouting | None) -> None:
        self._routes: list[Any] = running_app.router.routes
        self._routing = routing
        self._main = _main_route(self._routes) if routing is not None else None
        #: page path -> its routes (Gradio's own for the pages of the first Blocks).
        self._routed: dict[str, list[Any]] = {}
        for page in _pages_of(first):
            paths = (f"/{page}", f"/{page}/")
            self._routed[page] = [r for r in self._routes if getattr(r, "path", None) in paths]
        #: Pages a save added that this Gradio release cannot be given a route (told once).
        self._told: set[str] = set()

    def follow(self, blocks: Any) -> None:
        """Route the pages of ``blocks``, the Blocks served from now on, and only those."""
        pages = _pages_of(blocks)
        for page in [page for page in self._routed if page not in pages]:
            for route in self._routed.pop(page):
                if route in self._routes:
                    self._routes.remove(route)
        for page in pages:
            if page in self._routed:
                continue
            routes = self._page_routes(page)
            if routes is None:
                if page not in self._told:
                    logger.warning(
                        "the page /%s this save added is served after a restart of devreload "
                        "(this Gradio release routes its pages in a way devreload does not know).",
                        page,
                    )
                    self._told.add(page)
                continue
            self._routes.extend(routes)
            self._routed[page] = routes

    def _page_routes(self, page: str) -> list[Any] | None:
        """The routes Gradio's create_app gives ``page`` (see compat.PAGE_ROUTES)."""
        if self._main is None or self._routing is None:
            return None
        from fastapi.responses import HTMLResponse, RedirectResponse
        from fastapi.routing import APIRoute
        from starlette.requests import Request

        main = self._main.endpoint
        user_dependency = inspect.signature(main).parameters["user"].default

        def page_route(request: Request, user: str = user_dependency, deep_link: str = "") -> Any:
            return main(request, user, page, deep_link)

        def page_redirect() -> RedirectResponse:
            return RedirectResponse(url=f"/{page}", status_code=301)

        # Set by hand: FastAPI could not resolve the postponed annotations.
        page_route.__annotations__ = {"request": Request, "user": str, "deep_link": str}
        page_redirect.__annotations__ = {}
        dependencies = list(self._main.dependencies)
        slash = page_redirect if self._routing.slash_redirects else page_route
        return [
            APIRoute(
                f"/{page}",
                page_route,
                methods=["GET"],
                response_class=HTMLResponse,
                dependencies=dependencies,
            ),
            APIRoute(
                f"/{page}/",
                slash,
                methods=["GET"],
                response_class=HTMLResponse,
                dependencies=dependencies,
            ),
        ]


def _pages_of(blocks: Any) -> list[str]:
    """The paths of the pages ``blocks`` has besides its main page (``Blocks.pages``)."""
    return [str(entry[0]) for entry in getattr(blocks, "pages", ()) if entry[0]]


def _main_route(routes: list[Any]) -> Any | None:
    """Gradio's ``GET /`` route, whose function answers every page (compat.PAGE_MAIN)."""
    name, parameters = PAGE_MAIN
    for route in routes:
        endpoint = getattr(route, "endpoint", None)
        if (
            getattr(route, "path", None) == "/"
            and "GET" in (getattr(route, "methods", None) or ())
            and callable(endpoint)
            and getattr(endpoint, "__name__", None) == name
            and tuple(inspect.signature(endpoint).parameters) == parameters
        ):
            return route
    return None
