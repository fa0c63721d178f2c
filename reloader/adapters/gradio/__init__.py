"""Gradio adapter: Blocks, Interface and ChatInterface apps (Gradio 5.x and 6.x).

How it fits Gradio, one module a job:

* ``demo.launch(...)`` in the user's file is captured, not run: devreload
  launches the app once itself, with those keyword arguments (``_launch``); on
  later reloads the new call's arguments apply as a fresh run of the file would
  have them, except those fixed when the server started (``_settings``).
* Each new Blocks is swapped into the running server the way Gradio's own
  reload mode does it (``_swap``), and what Gradio built once for the first
  Blocks (the queue's API calls, the MCP server) follows it (``_entry_points``).
* While the file runs again, the running server's app stands in for the one
  each new Blocks would build (``_swap``), which is most of what makes a reload
  fast.
* A multipage app's pages (``Blocks.route``) are routed as each save has them
  (``_pages``): Gradio routes them only for the Blocks it launched.
* Gradio's frontend listens on ``{api_prefix}/dev/reload`` when the config has
  ``dev_mode`` on; devreload serves a stream there that pushes the moment a
  reload is done, beside its other routes (``_routes``), and adds its scripts to
  the page (``_page_scripts``).
* Every Gradio internal used is listed, and checked on import, in ``compat``.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import FunctionType
from typing import TYPE_CHECKING, Any

from reloader._literal_edits import ArgumentEdit
from reloader.adapters.address import bind, serving_address
from reloader.adapters.base import (
    MATCH_EXACT,
    MATCH_TYPE,
    Adapter,
    AppNotFound,
    PageUpdate,
    ServeError,
    ServeOptions,
)
from reloader.adapters.capture import RunCall, RunCapture
from reloader.adapters.gradio._caches import Introspection, install_caches
from reloader.adapters.gradio._calls import CallSites, described_again, updated_in_place
from reloader.adapters.gradio._config_answers import KeptConfigAnswers, keep_config_answers
from reloader.adapters.gradio._entry_points import (
    forget_api_description,
    retarget_entry_points,
)
from reloader.adapters.gradio._ids import BlockIds
from reloader.adapters.gradio._launch import DEFAULT_PORT, Launch, ServerSettings, copy_served_at
from reloader.adapters.gradio._page_scripts import inject_client, stamp_version
from reloader.adapters.gradio._pages import PageRoutes
from reloader.adapters.gradio._props import props_update
from reloader.adapters.gradio._queue import wake_on_work
from reloader.adapters.gradio._routes import install_routes, reports_page_state
from reloader.adapters.gradio._schemas import cache_model_schemas
from reloader.adapters.gradio._swap import Swapper, reusing_running_app
from reloader.adapters.gradio.compat import GradioInternals, resolve
from reloader.channel import ProgramChannel
from reloader.notify import Broadcaster, Message, Tabs

if TYPE_CHECKING:
    from gradio.blocks import Blocks
    from gradio.routes import App

__all__ = ["GradioAdapter"]


class GradioAdapter(Adapter):
    name = "gradio"
    framework_modules = ("gradio",)
    default_port = DEFAULT_PORT

    def __init__(self) -> None:
        self.broadcaster = Broadcaster()
        self._capture = RunCapture()
        #: Gradio's own launch(), set when Gradio is imported.
        self._launch: Launch | None = None
        self._launched: Blocks | None = None
        self._running_app: App | None = None
        self._swapper: Swapper | None = None
        #: The routes of a multipage app's pages, following each save (see _pages).
        self._pages: PageRoutes | None = None
        self._api_prefix = "/gradio_api"
        self._ids: BlockIds | None = None
        #: Set by the engine before the first load (None in unit tests: launch() then
        #: only records its arguments).
        self._options: ServeOptions | None = None
        #: A failure of the real launch() made on the first load, or a Gradio
        #: internal this release lacks; serve() reports it.
        self._serve_error: ServeError | None = None
        self._gr: GradioInternals | None = None
        #: The status and MCP routes, for editors and agents.
        self._channel: ProgramChannel | None = None
        #: The server-bound settings the server started with (told when a save changes one).
        self._server_settings = ServerSettings()
        #: Gradio's per-instance introspection, answered per class (see _caches).
        self._introspection: Introspection | None = None
        #: What the last swap changed when it changed only props (see _props): the
        #: next reload hands it to the tabs, which apply it without re-rendering.
        self._props_update: dict[int, dict[str, Any]] | None = None
        #: Which component each top-level call built (literal edits update it in place).
        self._call_sites = CallSites()
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
        self._launch = Launch(self._capture.patch(Blocks, "launch", returns=self._captured_launch))
        try:
            self._gr = gr = resolve()
        except ServeError as error:
            self._serve_error = error
            return
        self._api_prefix = gr.api_prefix
        self._ids = BlockIds(gr.Context, gr.Block, on_built=self._call_sites.record)
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
            self._call_sites.begin()
            if self._introspection is not None and not first_load:
                self._introspection.clear()  # nothing kept outlives the version it describes
            try:
                if first_load or self._running_app is None or self._gr is None:
                    yield
                else:
                    with reusing_running_app(self._gr, self._running_app):
                        yield
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
            copy_served_at(blocks, served)
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
        if self._gr is not None:  # else serve() says which internal this Gradio lacks
            candidates = {
                key: blocks
                for key, blocks in candidates.items()
                if blocks.custom_mount_path is None
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
        self._call_sites.commit()
        return str(self._launched.local_url)

    def _start(self, app: Any, kwargs: dict[str, Any]) -> None:
        """Gradio's own launch(), made not to block, open a browser or share."""
        options = self._options or ServeOptions()
        self._server_settings.start(kwargs, app)
        # No port asked for: Gradio takes the first free one from 7860.
        address = serving_address(
            options,
            kwargs.get("server_name"),
            kwargs.get("server_port"),
            default_port=None,
            variables=("GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT"),
        )
        host, port = address.host, address.port
        if port is not None:
            bind(host, port).close()  # a taken port is one sentence, before Gradio starts
        assert self._launch is not None and self._gr is not None
        self._launch.start(self._gr, app, kwargs, host, port)
        self._launched = app
        self._running_app = app.server_app
        self._swapper = Swapper(self._gr, self._launch, app.server_app, app)
        self._pages = PageRoutes(app.server_app, app, self._gr.page_routing)
        if self._gr.queue is not None and isinstance(app._queue, self._gr.queue):
            wake_on_work(app._queue)  # an idle server does not poll for events
        self._channel = install_routes(
            self._running_app, self._api_prefix, self.broadcaster, self._options
        )
        self._config_answers = keep_config_answers(self._running_app)
        self._prepare_page(app)

    def swap(self, app: Any) -> None:
        assert self._swapper is not None
        kwargs = self._launch_kwargs(app)
        self._props_update = self._swapper.swap(app, kwargs, self._keep_state(), self._prepare_page)
        if self._pages is not None:
            self._pages.follow(app)
        if self._ids is not None:
            self._ids.commit(app)
        self._call_sites.commit()
        self._forget_config_answers()  # app_id was set in the served config
        self._server_settings.tell_changes(kwargs, app)

    def _forget_config_answers(self) -> None:
        for kept in self._config_answers:
            kept.forget()

    updates_calls = True

    def update_calls(self, edits: Sequence[ArgumentEdit]) -> bool:
        served = self._running_app.blocks if self._running_app is not None else None
        if served is None or self._gr is None or self._swapper is None:
            return False
        from gradio.components import Component

        old_config = served.config
        updated = updated_in_place(edits, self._call_sites, served, Component)
        if updated is None:
            return False
        config = described_again(old_config, served.default_config, updated)
        served.config = config if config is not None else served.get_config_file()
        self._props_update = props_update(old_config, served.config) if self._keep_state() else None
        forget_api_description(self._gr, self._running_app)
        # The MCP server's tools are described from the components (a dropdown's choices).
        retarget_entry_points(self._gr, served, served)
        self._forget_config_answers()
        return True

    def refuses_patch(self, function: FunctionType) -> str | None:
        """A ``@gr.render`` function's output is on the page: a patch would leave it
        there until the render's next trigger, so its edit reloads (and re-renders)."""
        served = self._running_app.blocks if self._running_app is not None else None
        for renderable in served.renderables if served is not None else ():
            rendered = renderable.fn
            try:  # under its decorators (functools.wraps)
                rendered = inspect.unwrap(rendered, stop=lambda fn: fn is function)
            except ValueError:  # a __wrapped__ cycle
                continue
            if rendered is function:
                return (
                    f"{function.__name__}() is a @gr.render function, whose output is on the page"
                )
        return None

    def notify(self, event: PageUpdate) -> int:
        props, self._props_update = self._props_update, None
        if event.kind == "patch":  # the page is unchanged; its next event runs the new code
            return 0
        if event.kind == "error":
            return self.broadcaster.error(event.headline, event.details, event.title)
        # Pages served from now on are of the version this reload publishes (also when
        # no new Blocks came with it: the watcher back after a problem, say).
        served = self._running_app.blocks if self._running_app is not None else None
        stamp_version(served, self.broadcaster.version + 1)
        self._forget_config_answers()  # the served config's head changed
        return self.broadcaster.publish(Message("reload", self._reload_data(props)))

    def _reload_data(self, props: dict[int, dict[str, Any]] | None) -> str:
        """A reload's message: the pages the app now has, as its config lists them (a
        tab on a page the save removed keeps it, and says why; one whose navigation bar
        is stale reloads); with only props changed, those props, and the version they
        apply to (a tab showing another re-renders from the config instead)."""
        served = self._running_app.blocks if self._running_app is not None else None
        pages = [list(entry) for entry in getattr(served, "pages", None) or ()]
        if props is not None:
            try:
                return json.dumps(
                    {"pages": pages, "props": props, "from": self.broadcaster.version}
                )
            except (TypeError, ValueError):  # a prop JSON cannot say: the tab re-renders
                pass
        return json.dumps({"pages": pages})

    def tab_confirmations(self) -> Tabs:
        return self.broadcaster.tabs

    def shutdown(self) -> None:
        # Every stream an open tab holds would keep the server waiting for its response
        # to end: devreload's reload channel, and Gradio's heartbeat, which Gradio's own
        # close() ends by setting the app's stop_event.
        self.broadcaster.close()
        if self._channel is not None:
            self._channel.close()
        launched = self._launched
        if launched is not None and self._running_app is not None:
            launched.is_running = False
            self._running_app.stop_event.set()
            launched.server.close()

    # -- the page ----------------------------------------------------------------

    def _keep_state(self) -> bool:
        return self._options is None or self._options.keep_state

    def _inject_client(self, blocks: Any) -> None:
        inject_client(
            blocks,
            self.broadcaster.version,
            self._api_prefix,
            self._keep_state(),
            reports_page_state(self._options),
        )

    def _prepare_page(self, app: Any) -> None:
        """devreload's scripts in the page's head, then the page config Gradio serves,
        with the ``js=True`` events translated to JavaScript as ``launch()`` does first
        (Gradio 5.x's later releases and 6)."""
        self._inject_client(app)
        transpile = getattr(app, "transpile_to_js", None)
        if transpile is not None:
            transpile(quiet=True)
        app.config = app.get_config_file()


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
        if value.parent is None
        and not any(other is not value and value._id in other.blocks for other in apps.values())
    }


def _names(candidates: Mapping[str, Any]) -> str:
    return ", ".join(sorted(candidates)) or "none"
