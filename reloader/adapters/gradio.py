"""Gradio adapter: Blocks, Interface and ChatInterface apps (Gradio 5.x and 6.x).

How it fits Gradio:

* ``demo.launch(...)`` in the user's file is captured, not run: devreload
  launches the app once itself, with those keyword arguments, and on later
  reloads only takes the appearance arguments (theme, css, js, head) from it.
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

import functools
import inspect
import logging
import os
import socket
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._push import Broadcaster, Message, client_script
from .base import Adapter, AppNotFound, ReloadEvent, ServeError, ServeOptions

if TYPE_CHECKING:
    from gradio.blocks import Blocks
    from gradio.routes import App

__all__ = ["GradioAdapter"]

logger = logging.getLogger("reloader.adapters.gradio")

#: launch() arguments that shape the page rather than the server (Gradio 6
#: moved them from the Blocks constructor to launch()).
_APPEARANCE_ARGS = ("theme", "css", "css_paths", "js", "head", "head_paths")
_CLIENT_MARKER = "__devreload_client__"
DEFAULT_PORT = 7860


@dataclass
class _LaunchCall:
    blocks: Blocks
    kwargs: dict[str, Any] = field(default_factory=dict)


class GradioAdapter(Adapter):
    name = "gradio"
    framework_modules = ("gradio",)

    def __init__(self) -> None:
        self.broadcaster = Broadcaster()
        self._original_launch: Any = None
        self._capture_thread: int | None = None
        self._launches: list[_LaunchCall] = []
        self._launched: Blocks | None = None
        self._running_app: App | None = None
        self._swapper: _Swapper | None = None
        self._launch_parameters: frozenset[str] = frozenset()
        self._api_prefix = "/gradio_api"

    # -- hooks into Gradio ---------------------------------------------------

    def framework_imported(self, module_name: str) -> None:
        # Each Blocks() would start a thread posting usage analytics, once per
        # reload; a development loop has no use for that (the user may still opt in).
        os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
        from gradio.blocks import Blocks

        original = Blocks.launch
        adapter = self

        @functools.wraps(original)
        def launch(blocks: Blocks, *args: Any, **kwargs: Any) -> Any:
            if adapter._capture_thread == threading.get_ident():
                if args:  # launch() takes keywords only in practice; keep positionals too
                    kwargs = {**_positional_as_keywords(original, args), **kwargs}
                adapter._launches.append(_LaunchCall(blocks, kwargs))
                return None, None, None
            return original(blocks, *args, **kwargs)

        Blocks.launch = launch  # type: ignore[method-assign, assignment]
        self._original_launch = original
        # Gradio 5 and 6 take different launch() arguments: keep only those this one has.
        self._launch_parameters = frozenset(inspect.signature(original).parameters)

    @contextmanager
    def executing(self, first_load: bool) -> Iterator[None]:
        self._launches = []
        self._capture_thread = threading.get_ident()
        try:
            if first_load or self._running_app is None or "gradio" not in sys.modules:
                yield
                return
            from gradio.blocks import Blocks
            from gradio.context import Context
            from gradio.routes import App

            running_app = self._running_app
            original_create_app = App.__dict__["create_app"]
            original_get_config = Blocks.__dict__["get_config_file"]
            App.create_app = staticmethod(lambda *args, **kwargs: running_app)  # type: ignore[method-assign]
            # Blocks.__exit__ builds the page config, and swap() builds it again
            # once launch()'s theme and css are applied: only the second counts,
            # and for a large app each costs a third of the reload.
            Blocks.get_config_file = _deferred_config  # type: ignore[method-assign, assignment]
            # Same ids as on the first load, so the page matches old and new
            # components (gradio-app/gradio#10253).
            Context.id = 0
            with _no_event_loop_per_lock():
                try:
                    yield
                finally:
                    App.create_app = original_create_app  # type: ignore[method-assign]
                    Blocks.get_config_file = original_get_config  # type: ignore[method-assign]
        finally:
            self._capture_thread = None

    # -- finding the app -----------------------------------------------------

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
        launched = [call.blocks for call in self._launches if isinstance(call.blocks, Blocks)]
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

    def _launch_kwargs(self, blocks: Blocks) -> dict[str, Any]:
        for call in reversed(self._launches):
            if call.blocks is blocks:
                return dict(call.kwargs)
        return {}

    # -- serving ---------------------------------------------------------------

    def serve(self, app: Any, options: ServeOptions) -> str:
        kwargs = self._launch_kwargs(app)
        host = options.host or kwargs.get("server_name") or os.environ.get("GRADIO_SERVER_NAME")
        host = host or "127.0.0.1"
        port = options.port or kwargs.get("server_port")
        if port is None and os.environ.get("GRADIO_SERVER_PORT"):
            port = int(os.environ["GRADIO_SERVER_PORT"])
        if port is not None:
            _require_free_port(host, int(port))
        if kwargs.get("share"):
            logger.warning("share=True is ignored under devreload")
        kwargs.update(
            server_name=host,
            server_port=port,
            prevent_thread_lock=True,
            inbrowser=False,
            share=False,
            quiet=True,
            ssr_mode=False,
        )
        kwargs = {key: value for key, value in kwargs.items() if key in self._launch_parameters}
        app.dev_mode = True
        try:
            self._original_launch(app, **kwargs)
        except OSError as error:
            raise ServeError(
                f"Gradio could not start on {host}:{port or DEFAULT_PORT} ({error}); "
                "pass a free port with --port N."
            ) from None
        self._launched = app
        self._running_app = app.server_app
        self._swapper = _Swapper(app.server_app)
        _calm_idle_queue(app)
        self._api_prefix = _api_prefix()
        self._install_push_route()
        self._inject_client(app)
        app.config = app.get_config_file()
        return str(app.local_url or f"http://{host}:{app.server_port}/")

    def swap(self, app: Any) -> None:
        from gradio.cli.commands.reload import reload_thread
        from gradio.utils import reassign_keys

        assert self._running_app is not None
        kwargs = self._launch_kwargs(app)
        appearance = {key: kwargs[key] for key in _APPEARANCE_ARGS if key in kwargs}
        appearance = {
            key: value for key, value in appearance.items() if key in self._launch_parameters
        }
        # In Gradio's reload thread, launch() only applies these and returns.
        reload_thread.running_reload = True
        try:
            self._original_launch(app, **appearance)
        finally:
            reload_thread.running_reload = False
        app.dev_mode = True
        old = self._running_app.blocks
        assert self._swapper is not None
        self._swapper.swap_blocks(app)
        if old is not None:
            reassign_keys(old, app)
        self._inject_client(app)
        app.config = app.get_config_file()

    def notify(self, event: ReloadEvent) -> int:
        if event.kind == "error":
            return self.broadcaster.error(event.headline, event.details)
        return self.broadcaster.publish(Message("reload"))

    def shutdown(self) -> None:
        launched = self._launched
        if launched is not None and getattr(launched, "server", None) is not None:
            launched.is_running = False
            launched.server.close()

    # -- browser push ------------------------------------------------------------

    def _install_push_route(self) -> None:
        from fastapi.routing import APIRoute
        from starlette.requests import Request
        from starlette.responses import StreamingResponse

        assert self._running_app is not None
        broadcaster = self.broadcaster

        async def dev_reload(request: Request) -> StreamingResponse:
            counted = request.query_params.get("client") != "overlay"
            return StreamingResponse(
                broadcaster.stream(counted=counted),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )

        # Set by hand: with postponed annotations FastAPI could not resolve
        # these names, which are imported here to keep FastAPI out of start-up.
        dev_reload.__annotations__ = {"request": Request, "return": StreamingResponse}
        path = f"{self._api_prefix}/dev/reload"
        original = _find_route(self._running_app.router.routes, "/dev/reload")
        if original is None:
            raise ServeError(
                f"This Gradio version has no {path} route; devreload cannot push to it."
            )
        # Ahead of Gradio's route, with the same auth dependencies: with
        # `auth` set, the reload channel and error details need a login.
        self._running_app.router.routes.insert(
            0, APIRoute(path, dev_reload, methods=["GET"], dependencies=original.dependencies)
        )

    def _inject_client(self, blocks: Any) -> None:
        head: str = blocks.head or ""
        if _CLIENT_MARKER in head:
            return
        events = f"{self._api_prefix}/dev/reload?client=overlay"
        blocks.head = (
            f"{head}<script>/*{_CLIENT_MARKER}*/window.__devreload={{events:"
            f'"{events}",reloadPage:false}};\n{client_script(morph=False)}</script>'
        )


#: Gradio's queue loop sleeps 1 ms between checks when it has nothing to do:
#: a thousand wake-ups a second, about 3.5% of a core on an idle 2-core
#: machine. 10 ms keeps an idle dev server near 1% and adds at most 10 ms
#: before a click's event starts, which nobody notices while developing.
IDLE_QUEUE_SLEEP_SECONDS = 0.01


def _calm_idle_queue(blocks: Any) -> None:
    queue = getattr(blocks, "_queue", None)
    if queue is not None and getattr(queue, "sleep_when_free", 1.0) < IDLE_QUEUE_SLEEP_SECONDS:
        queue.sleep_when_free = IDLE_QUEUE_SLEEP_SECONDS


@contextmanager
def _no_event_loop_per_lock() -> Iterator[None]:
    """Stop each new Blocks from leaking an event loop (an epoll fd and a socket pair).

    Gradio's ``safe_get_lock``/``safe_get_stop_event`` make a new event loop
    when called outside a running one, as in the reload thread, and never
    close it. Since Python 3.10 asyncio.Lock and asyncio.Event bind to a loop
    only when first used, so no loop is needed to make them; and the new
    Blocks' queue is dropped at the swap anyway (the running queue is kept).
    """
    import asyncio

    import gradio.queueing
    import gradio.utils

    saved = []
    for module in (gradio.utils, gradio.queueing):
        for name, factory in (
            ("safe_get_lock", asyncio.Lock),
            ("safe_get_stop_event", asyncio.Event),
        ):
            if hasattr(module, name):
                saved.append((module, name, getattr(module, name)))
                setattr(module, name, factory)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def _deferred_config(blocks: Any) -> dict[str, Any]:
    """Stands in for Blocks.get_config_file while re-executing; swap() makes the real one."""
    return {}


def _swapper_base() -> type:
    from gradio.utils import BaseReloader

    return BaseReloader


class _Swapper:
    """Gradio's BaseReloader.swap_blocks bound to the running app."""

    def __init__(self, running_app: App) -> None:
        base = _swapper_base()

        class Reloader(base):  # type: ignore[misc, valid-type]
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


def _api_prefix() -> str:
    try:
        from gradio.route_utils import API_PREFIX
    except ImportError:  # older layouts
        return "/gradio_api"
    return str(API_PREFIX)


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


def _positional_as_keywords(function: Any, args: tuple[Any, ...]) -> dict[str, Any]:
    parameters = [p for p in inspect.signature(function).parameters.values()][1:]
    return {parameter.name: value for parameter, value in zip(parameters, args, strict=False)}


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
