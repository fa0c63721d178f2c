"""The routes devreload adds to Gradio's running app, ahead of Gradio's own and behind
the same login (with ``auth`` set, they need one):

* ``{api_prefix}/dev/reload``, where Gradio's frontend listens when the config has
  ``dev_mode`` on: Gradio's own endpoint polls a counter every 50 ms; this one pushes
  the moment a reload is done;
* the status route and the MCP server, for editors and agents (reloader.channel);
* the shared worker and ``POST /__devreload__/tab``, where each tab says what it
  shows (reloader.notify);
* under -v, ``POST /__devreload__/page-state``, where the page says what it kept
  across a save.
"""

from __future__ import annotations

import logging
from typing import Any

from reloader.adapters.base import ServeError, ServeOptions
from reloader.adapters.gradio.compat import DEV_RELOAD_ROUTE
from reloader.channel import MCP_PATH, STATUS_PATH, ProgramChannel
from reloader.notify import (
    STREAM_HEADERS,
    TAB_PATH,
    WORKER_PATH,
    Broadcaster,
    since_of,
    tab_message,
    worker_script,
)

__all__ = ["PAGE_STATE_PATH", "install_routes", "page_state_sentence", "reports_page_state"]

#: devreload -v: which components each open page kept across a save, and which reset.
_report_logger = logging.getLogger("reloader.adapters.gradio.state")
#: Where the page's state script reports, under -v, what it kept across a save.
PAGE_STATE_PATH = "/__devreload__/page-state"
#: How many components the -v line names before it says "and N more".
_REPORT_NAMES = 8


def reports_page_state(options: ServeOptions | None) -> bool:
    """Whether the page says what it kept at each save (devreload -v, state kept)."""
    keep_state = options is None or options.keep_state
    return keep_state and _report_logger.isEnabledFor(logging.INFO)


def install_routes(
    running_app: Any, api_prefix: str, broadcaster: Broadcaster, options: ServeOptions | None
) -> ProgramChannel | None:
    """Every route devreload adds; the program channel, when status routes were asked for."""
    from fastapi.routing import APIRoute
    from starlette.requests import Request
    from starlette.responses import StreamingResponse

    async def dev_reload(request: Request) -> StreamingResponse:
        since = since_of(request.url.query)
        return StreamingResponse(
            broadcaster.stream(since=since),
            media_type="text/event-stream",
            headers=dict(STREAM_HEADERS),
        )

    # Set by hand: with postponed annotations FastAPI could not resolve
    # these names, which are imported here to keep FastAPI out of start-up.
    dev_reload.__annotations__ = {"request": Request, "return": StreamingResponse}
    path = f"{api_prefix}{DEV_RELOAD_ROUTE}"
    original = _find_route(running_app.router.routes, DEV_RELOAD_ROUTE)
    if original is None:
        raise ServeError(f"This Gradio version has no {path} route; devreload cannot push to it.")
    # Ahead of Gradio's route, with the same auth dependencies: with
    # `auth` set, the reload channel and error details need a login.
    running_app.router.routes.insert(
        0, APIRoute(path, dev_reload, methods=["GET"], dependencies=original.dependencies)
    )
    channel = _install_program_routes(running_app, options, original.dependencies)
    _install_tab_routes(running_app, broadcaster, original.dependencies)
    if reports_page_state(options):
        _install_state_report(running_app, original.dependencies)
    return channel


def _install_program_routes(
    running_app: Any, options: ServeOptions | None, dependencies: Any
) -> ProgramChannel | None:
    """``GET /__devreload__/status`` and the MCP server at ``/__devreload__/mcp``
    (reloader.channel), with the login dependency of Gradio's own routes: with
    ``auth`` set, they need a login."""
    from fastapi.routing import APIRoute
    from starlette.requests import Request
    from starlette.responses import Response

    status = options.status if options is not None else None
    if status is None:
        return None
    channel = ProgramChannel(status)

    class Delegated(Response):
        """Hands the request to one of the channel's ASGI endpoints."""

        def __init__(self, endpoint: Any) -> None:
            self.endpoint = endpoint
            self.background = None

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await self.endpoint(scope, receive, send)

    async def devreload_status(request: Request) -> Response:
        return Delegated(channel.status)

    async def devreload_mcp(request: Request) -> Response:
        return Delegated(channel.mcp)

    # Set by hand: FastAPI could not resolve the postponed annotations (see above).
    for endpoint in (devreload_status, devreload_mcp):
        endpoint.__annotations__ = {"request": Request, "return": Response}
    routes = running_app.router.routes
    for path, endpoint, methods in (
        (STATUS_PATH, devreload_status, ["GET", "HEAD"]),
        (MCP_PATH, devreload_mcp, ["GET", "POST", "DELETE"]),
    ):
        routes.insert(
            0,
            APIRoute(
                path,
                endpoint,
                methods=methods,
                dependencies=dependencies,
                include_in_schema=False,
            ),
        )
    return channel


def _install_tab_routes(running_app: Any, broadcaster: Broadcaster, dependencies: Any) -> None:
    """The shared worker that holds one stream for all of a browser's tabs, and
    ``POST /__devreload__/tab``, where each tab says what it shows (reloader.notify)."""
    from fastapi.routing import APIRoute
    from starlette.requests import Request
    from starlette.responses import Response

    tabs = broadcaster.tabs

    async def tab(request: Request) -> Response:
        try:
            body = await request.body()
        except Exception:  # the tab went away while saying bye
            return Response(status_code=400)
        return Response(status_code=204 if tab_message(body, tabs) else 400)

    async def worker() -> Response:
        return Response(
            worker_script(),
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache"},
        )

    tab.__annotations__ = {"request": Request, "return": Response}
    worker.__annotations__ = {"return": Response}
    routes = running_app.router.routes
    routes.insert(0, APIRoute(TAB_PATH, tab, methods=["POST"], dependencies=dependencies))
    routes.insert(0, APIRoute(WORKER_PATH, worker, methods=["GET"], dependencies=dependencies))


def _install_state_report(running_app: Any, dependencies: Any) -> None:
    """``POST /__devreload__/page-state``: the page's kept/reset list, logged under -v.

    The page knows what it kept (only it saw what the user typed), so it says so,
    after the new config is in Gradio's hands: the save is not held up by it.
    """
    from fastapi.routing import APIRoute
    from starlette.requests import Request
    from starlette.responses import Response

    async def page_state(request: Request) -> Response:
        try:
            report = await request.json()
        except ValueError:
            return Response(status_code=400)
        if isinstance(report, dict):
            _report_logger.info(page_state_sentence(report.get("kept"), report.get("reset")))
        return Response(status_code=204)

    page_state.__annotations__ = {"request": Request, "return": Response}
    running_app.router.routes.insert(
        0, APIRoute(PAGE_STATE_PATH, page_state, methods=["POST"], dependencies=dependencies)
    )


def page_state_sentence(kept: Any, reset: Any) -> str:
    """``page state: kept 2 components (Textbox "Name", Slider "Level"); reset
    Dropdown "Model" (its default changed)``, from what the page reported."""
    names = [str(name) for name in kept] if isinstance(kept, list) else []
    resets = [
        (str(entry[0]), str(entry[1]))
        for entry in (reset if isinstance(reset, list) else [])
        if isinstance(entry, list) and len(entry) == 2
    ]
    shown = ", ".join(names[:_REPORT_NAMES])
    if len(names) > _REPORT_NAMES:
        shown += f", and {len(names) - _REPORT_NAMES} more"
    plural = "" if len(names) == 1 else "s"
    sentence = f"page state: kept {len(names)} component{plural}" + (f" ({shown})" if names else "")
    if resets:
        reasons = [f"{name} ({why})" for name, why in resets[:_REPORT_NAMES]]
        if len(resets) > _REPORT_NAMES:
            reasons.append(f"and {len(resets) - _REPORT_NAMES} more")
        sentence += "; reset " + ", ".join(reasons)
    return sentence


def _find_route(routes: list[Any], suffix: str) -> Any | None:
    """Gradio's route, also inside FastAPI's lazily included routers (FastAPI >= 0.16x)."""
    for route in routes:
        if getattr(route, "path", "").endswith(suffix) and hasattr(route, "dependencies"):
            return route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found = _find_route(inner.routes, suffix)
            if found is not None:
                return found
    return None
