"""Gradio adapter: Blocks, Interface and ChatInterface apps (Gradio 5.x and 6.x).

How it fits Gradio:

* ``demo.launch(...)`` in the user's file is captured, not run: devreload
  launches the app once itself, with those keyword arguments; on later reloads
  the new call's arguments apply as a fresh run of the file would have them,
  except those fixed when the server started (see ``_settings``).
* Each new Blocks is swapped into the running server the way Gradio's own
  reload mode does it (``gradio.utils.BaseReloader.swap_blocks``): same port,
  same queue, in-flight events re-pointed at the new functions, component keys
  carried over so values typed into the page survive.
* Building a Blocks calls ``gradio.routes.App.create_app`` (from
  ``Blocks.__exit__`` and ``Blocks.queue``) to make a FastAPI app that a reload
  throws away; while re-executing, that call returns the running app instead,
  which is most of what makes a reload fast.
* Gradio's frontend listens on ``{api_prefix}/dev/reload`` when the config has
  ``dev_mode`` on; Gradio's own endpoint polls a counter every 50 ms. That
  route is replaced by one that pushes the moment a reload is done, behind the
  same auth dependencies.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import socket
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import FunctionType
from typing import TYPE_CHECKING, Any

from reloader.adapters.base import (
    MATCH_EXACT,
    MATCH_TYPE,
    Adapter,
    AppNotFound,
    ReloadEvent,
    ServeError,
    ServeOptions,
    SwapError,
)
from reloader.adapters.capture import RunCall, RunCapture
from reloader.adapters.gradio._caches import Introspection, install_caches
from reloader.adapters.gradio._config_answers import KeptConfigAnswers, keep_config_answers
from reloader.adapters.gradio._ids import BlockIds
from reloader.adapters.gradio._props import props_update
from reloader.adapters.gradio._queue import QueuePace, follow_queue_settings, pace_queue
from reloader.adapters.gradio._schemas import cache_model_schemas
from reloader.adapters.gradio._settings import (
    APPEARANCE_ARGS,
    appearance_of,
    apply_to_app,
    server_changes,
    server_settings_of,
    settings_of,
)
from reloader.adapters.gradio.compat import DEV_RELOAD_ROUTE, GradioInternals, resolve
from reloader.channel import MCP_PATH, STATUS_PATH, ProgramChannel
from reloader.notify import (
    STREAM_HEADERS,
    TAB_PATH,
    WORKER_PATH,
    Broadcaster,
    Message,
    Tabs,
    client_script,
    since_of,
    tab_message,
    worker_script,
)

if TYPE_CHECKING:
    from gradio.blocks import Blocks
    from gradio.routes import App

__all__ = ["GradioAdapter"]

logger = logging.getLogger("reloader.adapters.gradio")
#: devreload -v: which components each open page kept across a save, and which reset.
_report_logger = logging.getLogger("reloader.adapters.gradio.state")

_CLIENT_MARKER = "__devreload_client__"
#: The version in the injected client's settings (see _inject_client).
_SERVED_VERSION = re.compile(rf"(/\*{_CLIENT_MARKER}\*/window\.__devreload=\{{[^}}]*version:)\d+")
DEFAULT_PORT = 7860
#: Where the page's state script reports, under -v, what it kept across a save.
PAGE_STATE_PATH = "/__devreload__/page-state"
#: What Gradio's launch() sets on the Blocks about where it is served.
_SERVED_AT = ("server_name", "server_port", "local_url", "local_api_url", "protocol")


class GradioAdapter(Adapter):
    name = "gradio"
    framework_modules = ("gradio",)
    default_port = DEFAULT_PORT

    def __init__(self) -> None:
        self.broadcaster = Broadcaster()
        self._capture = RunCapture()
        self._original_launch: Any = None
        self._launched: Blocks | None = None
        self._running_app: App | None = None
        self._swapper: _Swapper | None = None
        self._launch_parameters: frozenset[str] = frozenset()
        self._api_prefix = "/gradio_api"
        self._ids: BlockIds | None = None
        #: Set by the engine before the first load (None in unit tests: launch() then
        #: only records its arguments).
        self._options: ServeOptions | None = None
        #: A failure of the real launch() made on the first load, or a Gradio
        #: internal this release lacks; serve() reports it.
        self._serve_error: ServeError | None = None
        self._gr: GradioInternals | None = None
        #: How often the queue looks for events (see _queue): busy after each save.
        self._queue_pace = QueuePace()
        #: The status and MCP routes, for editors and agents.
        self._channel: ProgramChannel | None = None
        #: The server-bound settings the server started with, and those a save changed.
        self._server_settings: dict[str, Any] = {}
        self._told_changes: set[str] = set()
        #: Gradio's per-instance introspection, answered per class (see _caches).
        self._introspection: Introspection | None = None
        #: What the last swap changed when it changed only props (see _props): the
        #: next reload hands it to the tabs, which apply it without re-rendering.
        self._props_update: dict[int, dict[str, Any]] | None = None
        #: Gradio's GET /config answers, kept per served config (see _config_answers).
        self._config_answers: tuple[KeptConfigAnswers, ...] = ()

    # -- hooks into Gradio ---------------------------------------------------

    def configure(self, options: ServeOptions) -> None:
        self._options = options

    def framework_imported(self, module_name: str) -> None:
        # Each Blocks() would start a thread posting usage analytics, once per
        # reload; a development loop has no use for that (the user may still opt in).
        os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
        from gradio.blocks import Blocks

        # launch() is captured even if the check below fails: it must never block.
        self._original_launch = self._capture.patch(Blocks, "launch", returns=self._captured_launch)
        # Gradio 5 and 6 take different launch() arguments: keep only those this one has.
        self._launch_parameters = frozenset(inspect.signature(self._original_launch).parameters)
        try:
            self._gr = gr = resolve()
        except ServeError as error:
            self._serve_error = error
            return
        self._api_prefix = gr.api_prefix
        self._ids = BlockIds(gr.Context, gr.Block)
        self._introspection = install_caches(gr)
        try:  # the base classes of component data models (custom components use them too)
            from gradio.data_classes import GradioModel, GradioRootModel
        except ImportError:
            pass
        else:
            cache_model_schemas((GradioModel, GradioRootModel))
        if self._capture.active:  # imported by the first load: its blocks are numbered too
            self._ids.begin(first_load=True)

    @contextmanager
    def executing(self, first_load: bool) -> Iterator[None]:
        with self._capture.capturing():
            if self._ids is not None:
                self._ids.begin(first_load)
            if self._introspection is not None and not first_load:
                self._introspection.clear()  # nothing kept outlives the version it describes
            try:
                gr = self._gr
                if first_load or self._running_app is None or gr is None:
                    yield
                    return
                Blocks, App = gr.Blocks, gr.App

                running_app = self._running_app
                original_create_app = App.__dict__["create_app"]
                original_get_config = Blocks.__dict__["get_config_file"]
                App.create_app = staticmethod(lambda *args, **kwargs: running_app)
                # Blocks.__exit__ builds the page config, and swap() builds it again
                # once launch()'s theme and css are applied: only the second counts,
                # and for a large app each costs a third of the reload.
                Blocks.get_config_file = _deferred_config
                with _no_event_loop_per_lock(gr.lock_factories):
                    try:
                        yield
                    finally:
                        App.create_app = original_create_app
                        Blocks.get_config_file = original_get_config
            finally:
                if self._ids is not None:
                    self._ids.end()

    def _captured_launch(self, call: RunCall) -> Any:
        """What ``demo.launch()`` returns in the user's file, and sets on ``demo``.

        On the first load the server is started right here, as Gradio's launch()
        does (without blocking), so code after launch() sees the real port, URLs
        and FastAPI app; later loads get those of the running server.
        """
        blocks = call.target
        if self._running_app is None and self._serve_error is None and self._options:
            try:
                self._start(blocks, call.arguments())
            except ServeError as error:  # reported by serve(), with its exit code
                self._serve_error = error
        served = self._launched
        if served is None or self._running_app is None:
            return (None, None, None)
        if blocks is not served:
            for name in _SERVED_AT:
                setattr(blocks, name, getattr(served, name, None))
            blocks.share_url = None
        # What Gradio's launch() returns: a tuple that a notebook does not echo.
        assert self._gr is not None
        return self._gr.TupleNoPrint((self._running_app, served.local_url, None))

    # -- finding the app -----------------------------------------------------

    def _launched_blocks(self) -> list[Any]:
        from gradio.blocks import Blocks

        return [call.target for call in self._capture.calls if isinstance(call.target, Blocks)]

    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        if "gradio" not in sys.modules:
            return None
        from gradio.blocks import Blocks

        candidates = _top_level_blocks(namespace, Blocks)
        if name is not None:
            app = namespace.get(name)
            if isinstance(app, Blocks):
                return app
            if name not in namespace:
                return None
            raise AppNotFound(
                f"{name!r} is a {type(app).__name__}, not a Gradio Blocks, Interface or "
                f"ChatInterface; candidates: {_names(candidates)}."
            )
        launched = self._launched_blocks()
        if launched:
            return launched[-1]
        # A Blocks that gr.mount_gradio_app() put into another app (FastAPI) is
        # served by that app, with its other routes: the asgi adapter's job.
        candidates = {
            key: blocks
            for key, blocks in candidates.items()
            if getattr(blocks, "custom_mount_path", None) is None
        }
        if len(candidates) == 1:
            return next(iter(candidates.values()))
        if len(candidates) > 1:
            raise AppNotFound(
                f"Several Gradio apps are defined ({_names(candidates)}) and none is launched; "
                "choose one with --demo-name NAME."
            )
        return None

    def match(self, app: Any) -> int:
        """A Blocks the file launched is ours for sure; one found among globals, likely."""
        return MATCH_EXACT if any(app is b for b in self._launched_blocks()) else MATCH_TYPE

    def _launch_kwargs(self, blocks: Blocks) -> dict[str, Any]:
        call = self._capture.last(lambda call: call.target is blocks)
        return call.arguments() if call is not None else {}

    # -- serving ---------------------------------------------------------------

    def serve(self, app: Any, options: ServeOptions) -> str:
        self._options = options
        if self._serve_error is not None:
            raise self._serve_error
        if self._running_app is None:
            self._start(app, self._launch_kwargs(app))
        elif app is not self._launched:  # --app chose another Blocks than the launched one
            self.swap(app)
        assert self._launched is not None
        if self._ids is not None:
            self._ids.commit(app)
        return str(self._launched.local_url)

    def _start(self, app: Any, kwargs: dict[str, Any]) -> None:
        """Gradio's own launch(), made not to block, open a browser or share."""
        options = self._options or ServeOptions()
        self._server_settings = server_settings_of(kwargs, app)
        host = options.host or kwargs.get("server_name") or os.environ.get("GRADIO_SERVER_NAME")
        host = host or "127.0.0.1"
        port = options.port or kwargs.get("server_port")
        if port is None and os.environ.get("GRADIO_SERVER_PORT"):
            port = int(os.environ["GRADIO_SERVER_PORT"])
        if port is not None:
            _require_free_port(host, int(port))
        if kwargs.get("share"):
            logger.warning(
                "share=True is ignored under devreload (no public link while developing); "
                "run the app with python to share it"
            )
        kwargs.update(
            server_name=host,
            server_port=port,
            prevent_thread_lock=True,
            inbrowser=False,
            # In a notebook Gradio would show the app in the cell; %%devreload shows
            # its own view, at every run of the cell (reloader.notebook).
            inline=False,
            share=False,
            quiet=True,
            ssr_mode=False,
        )
        kwargs = {key: value for key, value in kwargs.items() if key in self._launch_parameters}
        app.dev_mode = True
        # debug=True (or GRADIO_DEBUG=1) makes launch() block in block_thread(); its
        # other effect (a FastAPI app in debug mode) is kept. Errors in event handlers
        # are printed to the terminal by Gradio's queue either way.
        app.block_thread = _no_block
        try:
            self._original_launch(app, **kwargs)
        except OSError as error:
            raise _launch_error(error, host, port) from None
        finally:
            del app.block_thread
        self._launched = app
        self._running_app = app.server_app
        assert self._gr is not None
        self._swapper = _Swapper(self._gr.BaseReloader, app.server_app)
        queue = getattr(app, "_queue", None)
        if queue is not None and hasattr(queue, "sleep_when_free"):
            pace_queue(queue, self._queue_pace)
        self._install_push_route()
        self._config_answers = keep_config_answers(self._running_app)
        self._inject_client(app)
        app.config = app.get_config_file()

    def swap(self, app: Any) -> None:
        assert self._running_app is not None and self._gr is not None
        gr = self._gr
        kwargs = self._launch_kwargs(app)
        appearance = {
            key: kwargs[key]
            for key in APPEARANCE_ARGS
            if key in kwargs and key in self._launch_parameters
        }
        # In Gradio's reload thread, launch() only applies these and returns.
        gr.reload_thread.running_reload = True
        try:
            self._original_launch(app, **appearance)
        except OSError as error:
            raise SwapError(_file_error_sentence(error) or str(error)) from None
        finally:
            gr.reload_thread.running_reload = False
        app.dev_mode = True
        appearance_set = appearance_of(app)
        old = self._running_app.blocks
        settings: dict[str, Any] = {}
        if old is not None:
            parameters = inspect.signature(self._original_launch).parameters
            settings = settings_of(
                kwargs, parameters, old, gr.parse_file_size, bool(gr.get_space())
            )
            for name, value in settings.items():
                setattr(app, name, value)
        assert self._swapper is not None
        own_queue = getattr(app, "_queue", None)
        self._swapper.swap_blocks(app)
        follow_queue_settings(getattr(app, "_queue", None), own_queue, app.fns.values())
        # The swap put back the served version's appearance, file limits and paths.
        for name, value in {**settings, **appearance_set}.items():
            setattr(app, name, value)
        apply_to_app(self._running_app, self._launched, settings)
        if old is not None:
            gr.reassign_keys(old, app)
        self._inject_client(app)
        app.config = app.get_config_file()
        self._props_update = None
        served_config = getattr(old, "config", None)
        # --no-keep-state: the developer asked for each save to start the page afresh.
        keep_state = self._options is None or self._options.keep_state
        if keep_state and isinstance(served_config, dict):
            self._props_update = props_update(served_config, app.config)
            if self._props_update is not None and old is not None:
                # The same app, as the page that keeps showing it knows it.
                app.app_id = app.config["app_id"] = old.app_id
        _forget_api_description(self._running_app)
        if old is not None:
            _retarget_entry_points(old, app)
        if self._ids is not None:
            self._ids.commit(app)
        self._forget_config_answers()  # app_id was set in the served config
        self._tell_server_changes(server_settings_of(kwargs, app))

    def _forget_config_answers(self) -> None:
        for kept in self._config_answers:
            kept.forget()

    def _tell_server_changes(self, now: Mapping[str, Any]) -> None:
        """Once per change: a save changed a setting the running server started with."""
        changed = server_changes(self._server_settings, now)
        for name in changed:
            if name not in self._told_changes:
                where = (
                    "gr.Blocks(delete_cache=...)"
                    if name == "delete_cache"
                    else f"launch({name}=...)"
                )
                logger.warning(
                    "%s changed; the running server keeps the value it started with: "
                    "restart devreload to apply it.",
                    where,
                )
        self._told_changes = set(changed)

    def refuses_patch(self, function: FunctionType) -> str | None:
        """A ``@gr.render`` function's output is on the page: a patch would leave it
        there until the render's next trigger, so its edit reloads (and re-renders)."""
        served = self._running_app.blocks if self._running_app is not None else None
        for renderable in getattr(served, "renderables", None) or ():
            rendered = getattr(renderable, "fn", None)
            if rendered is None:
                continue
            try:  # under its decorators (functools.wraps)
                rendered = inspect.unwrap(rendered, stop=lambda fn: fn is function)
            except ValueError:  # a __wrapped__ cycle
                continue
            if rendered is function:
                return (
                    f"{function.__name__}() is a @gr.render function, whose output is on the page"
                )
        return None

    def notify(self, event: ReloadEvent) -> int:
        self._queue_pace.touch()  # the developer will try the change: answer at once
        props, self._props_update = self._props_update, None
        if event.kind == "patch":  # the page is unchanged; its next event runs the new code
            return 0
        if event.kind == "error":
            return self.broadcaster.error(event.headline, event.details, event.title)
        # Pages served from now on are of the version this reload publishes (also when
        # no new Blocks came with it: the watcher back after a problem, say).
        self._stamp_version(self.broadcaster.version + 1)
        return self.broadcaster.publish(Message("reload", self._reload_data(props)))

    def _reload_data(self, props: dict[int, dict[str, Any]] | None) -> str:
        """A reload's message: with only props changed, those props, and the version
        they apply to (a tab showing another re-renders from the config instead)."""
        if props is None:
            return "{}"
        try:
            return json.dumps({"props": props, "from": self.broadcaster.version})
        except (TypeError, ValueError):  # a prop JSON cannot say: the tab re-renders
            return "{}"

    def tab_confirmations(self) -> Tabs:
        return self.broadcaster.tabs

    def _stamp_version(self, version: int) -> None:
        served: Any = self._running_app.blocks if self._running_app is not None else None
        head = getattr(served, "head", None)
        if served is None or not isinstance(head, str):
            return
        stamped = _SERVED_VERSION.sub(rf"\g<1>{int(version)}", head)
        if stamped == head:
            return
        served.head = stamped
        config = getattr(served, "config", None)
        if isinstance(config, dict) and "head" in config:
            config["head"] = stamped  # what Gradio renders the page from
            self._forget_config_answers()

    def shutdown(self) -> None:
        # Every stream an open tab holds would keep the server waiting for its response
        # to end: devreload's reload channel, and Gradio's heartbeat, which Gradio's own
        # close() ends by setting the app's stop_event.
        self.broadcaster.close()
        if self._channel is not None:
            self._channel.close()
        launched = self._launched
        if launched is not None and getattr(launched, "server", None) is not None:
            launched.is_running = False
            stop_event = getattr(self._running_app, "stop_event", None)
            if stop_event is not None:
                stop_event.set()
            launched.server.close()

    # -- browser push ------------------------------------------------------------

    def _install_push_route(self) -> None:
        from fastapi.routing import APIRoute
        from starlette.requests import Request
        from starlette.responses import StreamingResponse

        assert self._running_app is not None
        broadcaster = self.broadcaster

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
        path = f"{self._api_prefix}{DEV_RELOAD_ROUTE}"
        original = _find_route(self._running_app.router.routes, DEV_RELOAD_ROUTE)
        if original is None:
            raise ServeError(
                f"This Gradio version has no {path} route; devreload cannot push to it."
            )
        # Ahead of Gradio's route, with the same auth dependencies: with
        # `auth` set, the reload channel and error details need a login.
        self._running_app.router.routes.insert(
            0, APIRoute(path, dev_reload, methods=["GET"], dependencies=original.dependencies)
        )
        self._install_program_routes(original.dependencies)
        self._install_tab_routes(original.dependencies)
        keep_state = self._options is None or self._options.keep_state
        if keep_state and _report_logger.isEnabledFor(logging.INFO):
            self._install_state_report(original.dependencies)

    def _install_program_routes(self, dependencies: Any) -> None:
        """``GET /__devreload__/status`` and the MCP server at ``/__devreload__/mcp``
        (reloader.channel), with the login dependency of Gradio's own routes: with
        ``auth`` set, they need a login."""
        from fastapi.routing import APIRoute
        from starlette.requests import Request
        from starlette.responses import Response

        status = self._options.status if self._options is not None else None
        if status is None:
            return
        channel = self._channel = ProgramChannel(status)

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
        assert self._running_app is not None
        routes = self._running_app.router.routes
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

    def _install_tab_routes(self, dependencies: Any) -> None:
        """The shared worker that holds one stream for all of a browser's tabs, and
        ``POST /__devreload__/tab``, where each tab says what it shows (reloader.notify)."""
        from fastapi.routing import APIRoute
        from starlette.requests import Request
        from starlette.responses import Response

        tabs = self.broadcaster.tabs

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
        assert self._running_app is not None
        routes = self._running_app.router.routes
        routes.insert(0, APIRoute(TAB_PATH, tab, methods=["POST"], dependencies=dependencies))
        routes.insert(0, APIRoute(WORKER_PATH, worker, methods=["GET"], dependencies=dependencies))

    def _install_state_report(self, dependencies: Any) -> None:
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
        assert self._running_app is not None
        self._running_app.router.routes.insert(
            0, APIRoute(PAGE_STATE_PATH, page_state, methods=["POST"], dependencies=dependencies)
        )

    def _inject_client(self, blocks: Any) -> None:
        head: str = blocks.head or ""
        # Gradio's swap hands the new Blocks the old one's head when the new one names
        # none: the client is already there (notify() stamps its version).
        if _CLIENT_MARKER in head:
            return
        version = self.broadcaster.version
        # Relative to the app's root as the page finds it (see _app_base): under a
        # root_path, or behind a proxy at a prefix the app does not know.
        events = f"{self._api_prefix.lstrip('/')}{DEV_RELOAD_ROUTE}?client=overlay"
        keep_state = self._options is None or self._options.keep_state
        # devreload -v: the page reports what it kept at each save (see _install_state_report).
        report = "true" if keep_state and _report_logger.isEnabledFor(logging.INFO) else "false"
        # The state script wraps window.fetch first: the page script's re-render sees
        # the config with the values carried over.
        state = f"<script>{_page_script('gradio_state.js')}</script>" if keep_state else ""
        blocks.head = (
            f"{head}<script>/*{_CLIENT_MARKER}*/window.__devreload={{events:"
            f'"{events}",reloadPage:false,stateReport:{report},version:{int(version)},'
            f'tab:"{TAB_PATH.lstrip("/")}",worker:"{WORKER_PATH.lstrip("/")}",'
            f"base:{_app_base(self._api_prefix)}}};\n"
            f"{client_script(morph=False)}</script>{state}"
            f"<script>{_page_script('gradio_reload.js')}</script>"
        )


def _app_base(api_prefix: str) -> str:
    """JavaScript for the app's root URL as Gradio's frontend finds it: the page's path
    (Gradio's client connects to ``location.pathname``), less the page name of a
    multipage app's page and the run history's ``{api_prefix}/runs``.

    Not the config's ``root``: Gradio builds that from ``root_path`` and the
    ``X-Forwarded-Host`` header, which a proxy often sends without its port, and it
    has no path at all behind a prefix the app was not told (JupyterHub's
    ``/user/NAME/proxy/7860/``, whose proxy strips it). The page's own URL is right
    in both cases, and devreload's routes are on the server that served it."""
    runs = json.dumps(f"{api_prefix}/runs")
    return (
        "(function(){var p=location.pathname.replace(/\\/$/,''),"
        f"c=window.gradio_config||{{}},r={runs};"
        "if(p.slice(-r.length)===r)p=p.slice(0,-r.length);"
        "else if(c.current_page)p=p.slice(0,p.lastIndexOf('/'));"
        "return p+'/';})()"
    )


#: How many components the -v line names before it says "and N more".
_REPORT_NAMES = 8


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


def _page_script(name: str) -> str:
    """reloader/data/gradio_state.js keeps component values across a save;
    reloader/data/gradio_reload.js has Gradio's frontend take each save in place."""
    from importlib import resources

    return resources.files("reloader").joinpath("data", name).read_text("utf-8")


@contextmanager
def _no_event_loop_per_lock(factories: tuple[tuple[Any, str], ...]) -> Iterator[None]:
    """Stop each new Blocks from leaking an event loop (an epoll fd and a socket pair).

    Gradio's ``safe_get_lock``/``safe_get_stop_event`` make a new event loop
    when called outside a running one, as in the reload thread, and never
    close it. Since Python 3.10 asyncio.Lock and asyncio.Event bind to a loop
    only when first used, so no loop is needed to make them; and the new
    Blocks' queue is dropped at the swap anyway (the running queue is kept).
    """
    import asyncio

    saved = []
    for module, name in factories:
        saved.append((module, name, getattr(module, name)))
        setattr(module, name, asyncio.Lock if name == "safe_get_lock" else asyncio.Event)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def _deferred_config(blocks: Any) -> dict[str, Any]:
    """Stands in for Blocks.get_config_file while re-executing; swap() makes the real one."""
    return {}


class _Swapper:
    """Gradio's BaseReloader.swap_blocks bound to the running app."""

    def __init__(self, base: type[Any], running_app: App) -> None:
        class Reloader(base):
            @property
            def running_app(self) -> App:
                return running_app

        self._reloader = Reloader()

    def swap_blocks(self, blocks: Blocks) -> None:
        self._reloader.swap_blocks(blocks)


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


def _top_level_blocks(namespace: Mapping[str, Any], blocks_type: type[Any]) -> dict[str, Any]:
    found = {
        name: value
        for name, value in namespace.items()
        if isinstance(value, blocks_type) and not name.startswith("_")
    }
    unique: dict[int, str] = {}
    for name, value in found.items():
        unique.setdefault(id(value), name)
    apps = {name: found[name] for name in unique.values()}
    # An Interface rendered inside a Blocks is part of that app, not an app.
    return {
        name: value
        for name, value in apps.items()
        if getattr(value, "parent", None) is None
        and not any(other is not value and value._id in other.blocks for other in apps.values())
    }


def _names(candidates: Mapping[str, Any]) -> str:
    return ", ".join(sorted(candidates)) or "none"


def _retarget_entry_points(old: Any, new: Any) -> None:
    """Point what Gradio built once, at launch, for the first Blocks at the new one.

    swap_blocks() keeps the running queue, but the queue resolves the function of
    an event without a session (``POST /gradio_api/call/<api_name>``, curl, the
    page's "Use via API") through ``Queue.blocks``: the first Blocks, whose
    functions are the first version's. The MCP server (``mcp_server=True``)
    likewise holds the first Blocks, its API description and its tool table.
    """
    queue = getattr(new, "_queue", None)
    if queue is not None and hasattr(queue, "blocks"):
        queue.blocks = new
    mcp = getattr(old, "mcp_server_obj", None)
    if mcp is not None:
        new.mcp_server_obj = mcp
        mcp.blocks = new
        mcp.api_info = new.get_api_info()
        if hasattr(mcp, "get_tool_to_endpoint"):
            mcp.tool_to_endpoint = mcp.get_tool_to_endpoint()
        # Its loopback client described the first version's endpoints.
        if hasattr(mcp, "_client_instance"):
            mcp._client_instance = None


def _forget_api_description(running_app: Any) -> None:
    """Gradio's app builds the API description (``/gradio_api/info``, which the "Use
    via API" page, ``gradio_client``'s ``view_api()`` and the ``/call/v2`` route read)
    when first asked and keeps it until the server stops: a swap must drop it."""
    for cache, empty in (("api_info", None), ("all_app_info", None), ("page_api_info", {})):
        if hasattr(running_app, cache):
            setattr(running_app, cache, empty)


def _no_block() -> None:
    """Stands in for Blocks.block_thread while devreload launches the app."""


def _file_error_sentence(error: OSError) -> str | None:
    """For an OSError about a file (a css_paths entry that does not exist), one sentence."""
    if error.filename is None:
        return None
    reason = error.strerror or type(error).__name__
    return (
        f"launch() could not read {os.path.abspath(error.filename)} ({reason}); "
        "create that file or fix its path in the launch() arguments (css_paths, "
        "head_paths, ssl_keyfile, ...) and save."
    )


def _launch_error(error: OSError, host: str, port: int | None) -> ServeError:
    """Say what failed: a file launch() reads, else the server's socket."""
    sentence = _file_error_sentence(error)
    if sentence is not None:
        return ServeError(sentence)
    return ServeError(
        f"Gradio could not start on {host}:{port or DEFAULT_PORT} ({error}); "
        "pass a free port with --port N."
    )


def _require_free_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As servers do: a port left in TIME_WAIT by a previous run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise ServeError(
                f"Port {port} on {host} is in use; stop the other server or pass --port N."
            ) from None
