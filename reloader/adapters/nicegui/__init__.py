"""NiceGUI adapter: ``ui.run()`` apps, served by uvicorn through the ASGI proxy.

How it fits NiceGUI:

* ``ui.run(...)`` at the end of the file is captured, not run (it would start
  NiceGUI's own server and never return). After the first load devreload calls
  the real ``ui.run`` once, with the same arguments but with NiceGUI's server
  start replaced by a no-op: so NiceGUI's own setup (run config, title,
  middlewares, storage secret, ``root=``) is done exactly as NiceGUI does it.
  Then its one ASGI app, ``nicegui.app`` (socket.io mounted under it), is
  served like any ASGI app, by uvicorn behind the proxy, which drives its
  lifespan (NiceGUI's startup: ``app.on_startup`` handlers, storage) once.
* NiceGUI has a single, process-wide app: a reload does not build a new app
  but re-registers routes on the same one. Before each re-execution the routes
  of the previous version's ``@ui.page`` functions are removed, so a page that
  was deleted is gone and the new version's pages serve (``@ui.page`` itself
  replaces a route of the same path). ``root=`` of the new ``ui.run`` call
  replaces the old one. ``app.storage`` and everything else on ``nicegui.app``
  survive a reload.
* NiceGUI builds a page per client, on the server, and sends its elements over
  socket.io. After a save each connected client's page is emptied and built again
  by the new version's page function, called as NiceGUI called it for that client,
  with the values the user entered put back (see :mod:`.pages`), so the open tab
  updates without reloading (what cannot be rebuilt that way is reloaded).
  devreload's client, in every NiceGUI page, then only shows or hides the error
  overlay.
* ``app.add_middleware`` at module level: replaced on each save, in its place.

NiceGUI's "script mode" (UI elements created at module level, without
``@ui.page`` or ``root=``) re-runs the file per client, as NiceGUI does; a
reload runs it once more in a throwaway client, then in each open client.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from reloader.adapters.asgi import ASGIAdapter
from reloader.adapters.base import (
    MATCH_EXACT,
    AppNotFound,
    PageUpdate,
    ServeError,
    ServeOptions,
)
from reloader.adapters.capture import RunCall
from reloader.adapters.nicegui.compat import HANDLER_LISTS, problem
from reloader.adapters.nicegui.pages import REBUILD_SECONDS, PageCalls, rebuild_clients

__all__ = ["NiceGUIAdapter"]

logger = logging.getLogger("reloader.adapters.nicegui")

#: ``ui.run`` keywords devreload decides itself (one server, no browser opened,
#: no uvicorn reloader of NiceGUI's own).
_OVERRIDDEN = {"reload": False, "show": False, "show_welcome_message": False}

_MIDDLEWARE_AND_HANDLERS = (*HANDLER_LISTS, "user_middleware")


@contextmanager
def _script_client(first_load: bool) -> Iterator[None]:
    """NiceGUI's script mode (UI made at module level) builds each page by re-running
    the file per request; a reload's execution of the module needs a client for its
    module-level elements, thrown away after."""
    from nicegui import core

    if first_load or not core.script_mode:
        yield
        return
    from nicegui.client import Client
    from nicegui.page import page
    from nicegui.slot import Slot

    # The first load's pseudo client (NiceGUI's script_client, which ui.run() deletes
    # but never exits) is still on this thread's slot stack: a client made on top of
    # it would hang its layout under that dead client ("The parent slot of div(id=3)
    # has been deleted" on a ui.header()). Build this one on an empty stack.
    stack = Slot.get_stack()
    outer = stack[:]
    stack.clear()
    client = Client(page("/"))
    try:
        with client:
            yield
    finally:
        client.delete()
        stack[:] = outer


def _script_source() -> tuple[str, str] | None:
    """The app file as it is now (the executor reads it a moment later; a save in
    between triggers another reload, which reads it again)."""
    path = sys.argv[0] if sys.argv else ""
    try:
        with open(path, "rb") as file:
            return path, importlib.util.decode_source(file.read())
    except OSError:
        return None


def _ignored(handler: Any) -> None:
    """``app.on_startup``/``on_shutdown`` during a reload: registered on the first load."""


class NiceGUIAdapter(ASGIAdapter):
    name = "nicegui"
    framework_modules = ("nicegui", "uvicorn")
    default_port = 8080
    #: NiceGUI builds each page per client (Vue, socket.io), never morphed from HTML:
    #: notify() rebuilds each connected client's page in place over its socket and
    #: reloads the tabs it cannot; the devreload client only hides its overlay.
    patch_message = '{"page": "keep"}'
    reload_message = '{"page": "keep"}'

    def __init__(self) -> None:
        super().__init__()
        self._run: RunCall | None = None
        self._original_run: Any = None
        #: Set when this NiceGUI lacks an internal devreload needs (compat.problem()).
        self._serve_error: ServeError | None = None
        #: The lifecycle handlers the last good execution registered, per list.
        self._handlers: dict[str, list[Any]] = {}
        #: The middleware the last good execution added (``app.add_middleware``).
        self._middleware: list[Any] = []
        #: Script mode: the path and source of the last good version, which each new
        #: client's page runs (NiceGUI itself would run the file as it is on disk).
        self._script: tuple[str, str] | None = None
        #: How NiceGUI called each client's page function, to call the new one alike.
        self._calls = PageCalls()

    # -- hooks into NiceGUI ------------------------------------------------------

    def framework_imported(self, module_name: str) -> None:
        if module_name != "nicegui":
            super().framework_imported(module_name)
            return
        # A devreload started by a test inherits PYTEST_CURRENT_TEST; NiceGUI would
        # then take the paths of its own test harness (a port from its test
        # environment, no gzip): devreload's process never is that harness.
        os.environ.pop("PYTEST_CURRENT_TEST", None)
        self._serve_error = problem()
        from nicegui import ui, ui_run

        self._original_run = self.capture.patch(ui_run, "run", reexported_by=(ui,))
        self._calls.install()

    @contextmanager
    def executing(self, first_load: bool) -> Iterator[None]:
        script = _script_source()
        if "nicegui" not in sys.modules:
            # Not a NiceGUI app so far (it may import NiceGUI now): nothing to reset,
            # and NiceGUI is never imported on behalf of an app that does not use it.
            with super().executing(first_load):
                yield
            self._after_execution({attr: set() for attr in _MIDDLEWARE_AND_HANDLERS}, script)
            return
        import nicegui

        app = nicegui.app
        from nicegui import core

        # Script mode has no @ui.page (NiceGUI forbids both): its "/" stays.
        saved = None if first_load or core.script_mode else self._forget_pages()
        handlers = {attr: list(getattr(app, attr)) for attr in HANDLER_LISTS}
        middleware = list(app.user_middleware)
        if not first_load:
            # The previous version's app.on_connect(...) & co. give way to the new ones.
            for attr in HANDLER_LISTS:
                gone = {id(handler) for handler in self._handlers.get(attr, ())}
                getattr(app, attr)[:] = [h for h in getattr(app, attr) if id(h) not in gone]
            # NiceGUI has started: its startup/shutdown handlers were registered once and
            # app.on_startup() would raise now (NiceGUI's own re-executions skip them too).
            app.on_startup = app.on_shutdown = _ignored  # type: ignore[method-assign]
            app.add_middleware = self._replacing_middleware(app)  # type: ignore[method-assign]
        before = {attr: {id(h) for h in getattr(app, attr)} for attr in _MIDDLEWARE_AND_HANDLERS}
        try:
            with super().executing(first_load), _script_client(first_load):
                yield
        except BaseException:
            app.user_middleware[:] = middleware
            if saved is not None:  # a failed reload: the last good pages keep serving
                self._restore_pages(saved)
                for attr, kept in handlers.items():
                    getattr(app, attr)[:] = kept
            raise
        finally:
            for name in ("on_startup", "on_shutdown", "add_middleware"):
                vars(app).pop(name, None)
        if [id(entry) for entry in app.user_middleware] != [id(entry) for entry in middleware]:
            app.middleware_stack = None  # Starlette builds the new stack for the next request
        self._after_execution(before, script)

    def _replacing_middleware(self, app: Any) -> Any:
        """``app.add_middleware`` during a reload. Starlette refuses it once the app
        has started: the previous version's middleware are taken out instead, and the
        new version's go where they were (their order among NiceGUI's own, whose
        session and request tracking ``app.storage`` needs, stays as on the first
        load), then the stack is rebuilt for the next request."""
        from starlette.middleware import Middleware

        old = {id(entry) for entry in self._middleware}
        at = next(
            (i for i, entry in enumerate(app.user_middleware) if id(entry) in old),
            len(app.user_middleware),
        )
        app.user_middleware[:] = [m for m in app.user_middleware if id(m) not in old]

        def add_middleware(middleware_class: Any, *args: Any, **kwargs: Any) -> None:
            app.user_middleware.insert(at, Middleware(middleware_class, *args, **kwargs))

        return add_middleware

    def _after_execution(self, before: dict[str, set[int]], script: tuple[str, str] | None) -> None:
        """Remember the handlers this version added, its ui.run() call and, in script
        mode, its source."""
        if "nicegui" in sys.modules:
            from nicegui import core

            if core.script_mode and script is not None:
                self._script = script
            app = sys.modules["nicegui"].app
            self._handlers = {
                attr: [h for h in getattr(app, attr) if id(h) not in before[attr]]
                for attr in HANDLER_LISTS
            }
            self._middleware = [
                m for m in app.user_middleware if id(m) not in before["user_middleware"]
            ]
        original = self._original_run
        self._run = self.capture.last(lambda call: call.original is original)

    @staticmethod
    def _forget_pages() -> tuple[list[Any], dict[Any, str]]:
        """Remove the previous version's ``@ui.page`` routes (the new version adds its
        own, and a page it no longer has is gone); return what was there."""
        import nicegui
        from nicegui.client import Client

        routes = nicegui.app.router.routes
        saved = (list(routes), dict(Client.page_routes))
        paths = set(Client.page_routes.values())
        routes[:] = [route for route in routes if getattr(route, "path", None) not in paths]
        Client.page_routes.clear()
        return saved

    @staticmethod
    def _restore_pages(saved: tuple[list[Any], dict[Any, str]]) -> None:
        import nicegui
        from nicegui.client import Client

        nicegui.app.router.routes[:] = saved[0]
        Client.page_routes.clear()
        Client.page_routes.update(saved[1])

    # -- finding the app ---------------------------------------------------------

    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        if self._run is None:
            return None
        if name is not None:
            raise AppNotFound(
                "A NiceGUI app has one app, the one ui.run() serves: run it without --app."
            )
        import nicegui

        return nicegui.app

    def match(self, app: Any) -> int:
        nicegui = sys.modules.get("nicegui")
        return MATCH_EXACT if nicegui and self._run is not None and app is nicegui.app else 0

    # -- serving -----------------------------------------------------------------

    def serve(self, app: Any, options: ServeOptions) -> str:
        if self._serve_error is not None:
            raise self._serve_error
        call = self._run
        assert call is not None
        arguments = call.kwargs
        config = self._setup(call)
        from nicegui import core

        if core.script_mode:  # ui.run() just set NiceGUI's own file-running root
            self._root_runs_last_good_script()
        # Host and port as ui.run() asked, else devreload's defaults (127.0.0.1, not
        # NiceGUI's 0.0.0.0): serve_asgi() decides them as every adapter does.
        run_kwargs = {
            key: value
            for key, value in arguments.items()
            if key not in _OVERRIDDEN and key != "root"
        }
        if config is not None:
            run_kwargs.setdefault("ws", config.ws)
        return self.serve_asgi(app, options, run_kwargs)

    def _setup(self, call: RunCall) -> Any:
        """Run NiceGUI's ``ui.run`` for its setup, with the server start made a no-op;
        return the server config it built."""
        from nicegui import storage
        from nicegui.server import Server

        built: list[Any] = []

        def run_nothing(server: Any, sockets: Any = None) -> None:
            built.append(server.config)
            server.started = True  # ui.run exits the process if the server "did not start"

        real_run = Server.__dict__["run"]
        Server.run = run_nothing  # type: ignore[method-assign,assignment]
        try:
            self._original_run(*call.args, **{**call.kwargs, **_OVERRIDDEN})
        except SystemExit as error:
            raise ServeError(
                f"NiceGUI's ui.run() exited ({error.code}); see the log above."
            ) from None
        except (RuntimeError, ValueError) as error:
            raise ServeError(f"NiceGUI's ui.run() refused to start: {error}") from None
        finally:
            Server.run = real_run  # type: ignore[method-assign]
        if not built:
            return None
        config = built[-1]
        storage.set_storage_secret(config.storage_secret, config.session_middleware_kwargs)
        return config

    def swap(self, app: Any) -> None:
        # The same nicegui.app keeps serving, its routes already replaced by the
        # new execution; only ui.run(root=...) lives outside it.
        from nicegui import core

        if core.script_mode:
            self._root_runs_last_good_script()
        elif self._run is not None:
            core.root = _root(self._run)

    def notify(self, event: PageUpdate) -> int:
        if event.kind in ("reload", "patch"):
            self._update_clients()
        return super().notify(event)

    def _update_clients(self) -> None:
        """Rebuild every connected client's page in place from the new version's page
        function for its path (``@ui.page`` ones, the ``root`` of ``ui.run(root)``
        or, in script mode, the file), over its socket; NiceGUI sends the new
        elements as for a ``ui.refreshable``. A tab that cannot be rebuilt reloads."""
        from nicegui import core
        from nicegui.client import Client

        loop = core.loop
        if loop is None or not loop.is_running():
            return
        builders: dict[str, Any] = {path: func for func, path in Client.page_routes.items()}
        if core.root is not None:
            builders[""] = core.root  # NiceGUI serves the root as page("")
        future = asyncio.run_coroutine_threadsafe(rebuild_clients(self._calls, builders), loop)
        try:
            future.result(timeout=REBUILD_SECONDS + 2.0)
        except Exception:  # a rebuild that hangs or breaks: the tabs reload themselves
            logger.debug("rebuilding NiceGUI clients failed", exc_info=True)

    def _root_runs_last_good_script(self) -> None:
        """In script mode NiceGUI builds each client's page by running the file from
        disk (``runpy.run_path``): a tab opened while a save is broken would get a 500
        page. Run the source of the last good version instead, as runpy would."""
        from nicegui import core

        if self._script is None:
            return
        path, source = self._script
        code = compile(source, path, "exec", dont_inherit=True)

        def run_last_good_script() -> None:
            exec(code, {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__})

        core.root = run_last_good_script


def _root(call: RunCall) -> Any:
    """``root`` of a captured ``ui.run(root, ...)`` call (a module function: no ``self``)."""
    return call.args[0] if call.args else call.kwargs.get("root")
