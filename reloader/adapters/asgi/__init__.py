"""ASGI adapter: Starlette, FastAPI and any ASGI callable, served by uvicorn.

How it fits ASGI:

* ``uvicorn.run(app, host=..., port=...)`` in the user's file (usually under
  ``if __name__ == "__main__":``) is captured, not run: devreload serves the app
  itself, once, with those arguments. So are ``uvicorn.Server(config).run()``
  and ``await server.serve()``, with the ``uvicorn.Config``'s arguments.
* uvicorn serves a small *proxy* app that forwards every connection, with its
  ASGI scope untouched, to the *current* app. A swap only changes which app
  the next connection goes to: a request in progress completes on the app it
  started on, and mounts, ``url_for``, middleware, static files and websockets
  work as they do without devreload.
* The proxy answers the server's lifespan by driving the current app's
  lifespan protocol (one lifespan task per app, on the server's loop). A swap
  starts the new app's lifespan first, while the old app keeps serving, and
  switches only once that startup is complete; the old app's lifespan is shut
  down after the requests that started on it have finished (at most
  :data:`DRAIN_SECONDS`). For a moment both lifespans are up: resources they
  open (a port, a file lock, a pool) must allow two holders, or belong under
  ``if reloader.NO_RELOAD:``. A startup still running after
  :data:`STARTUP_REPORT_SECONDS` is reported with where it is stuck; the old
  app keeps serving, and a newer save abandons it.
* The proxy adds two routes, ``/__devreload__/events`` (server-sent events)
  and ``/__devreload__/client.js``, and puts the devreload client in every
  HTML page it forwards: a reload makes the page reload itself, a failed one
  shows an overlay, and a CSS-only change swaps the stylesheets in place.
  The client goes in as an inline script, or, on a page whose
  Content-Security-Policy is set, as ``<script src>`` from the same origin
  with the policy's nonce if it has one. Nothing else is served by devreload.
* A page that fails to render (a template error, a view that raises) is
  answered so that the tab keeps its last good page with the error over it,
  or, loaded afresh, shows the error with the client (see :mod:`.page_errors`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from reloader.adapters.address import serving_address
from reloader.adapters.asgi.discovery import (
    is_asgi_app,
    is_starlette,
    positional_arity,
    top_level_apps,
)
from reloader.adapters.asgi.inject import CLIENT_PATH, EVENTS_PATH, ClientInjection
from reloader.adapters.asgi.proxy import STARTUP_REPORT_SECONDS, ASGIProxy
from reloader.adapters.asgi.server import (
    DEFAULT_PORT,
    UVICORN,
    RunningServer,
    ServedRun,
    capture_uvicorn,
    resolve_run_target,
    serve_with_uvicorn,
    served_run,
    server_run_arguments,
)
from reloader.adapters.base import (
    MATCH_EXACT,
    MATCH_GENERIC,
    MATCH_TYPE,
    Adapter,
    AppNotFound,
    PageUpdate,
    ServeError,
    ServeOptions,
    SwapError,
)
from reloader.adapters.capture import RunCapture
from reloader.notify import Broadcaster, Message, Tabs

__all__ = [
    "CLIENT_PATH",
    "EVENTS_PATH",
    "ASGIAdapter",
    "ASGIProxy",
    "ClientInjection",
    "RunningServer",
    "ServedRun",
    "is_asgi_app",
    "page_scripts",
    "positional_arity",
    "serve_with_uvicorn",
    "server_run_arguments",
]

logger = logging.getLogger("reloader.adapters.asgi")


def page_scripts(*names: str) -> str:
    """An adapter's :attr:`ASGIAdapter.page_script`: these files of reloader/data, in order."""
    data = resources.files("reloader").joinpath("data")
    return "\n".join(data.joinpath(name).read_text("utf-8") for name in names)


class ASGIAdapter(Adapter):
    """The asgi adapter, and the base of every adapter whose framework serves an ASGI
    (or, through a bridge, WSGI) app: wsgi, dash, fasthtml, shiny, nicegui.

    What a subclass gets, and may override, besides :class:`Adapter`'s hooks (whose
    versions here capture ``uvicorn.run()`` and serve behind the proxy):

    * :attr:`capture`: the :class:`RunCapture` every execution of the user's modules
      runs in; patch the framework's own run call into it, under a ``kind`` of your
      own, in :meth:`framework_imported` (calling ``super()``'s first).
    * :meth:`served_runs` and :attr:`runs`: the runs of an app the last execution made.
    * :meth:`run_call_kwargs`: the host and port the framework's run call asked for.
    * :meth:`serve_asgi`: serve an ASGI app behind the proxy; :meth:`serve` calls it.
    * :attr:`reload_message`, :attr:`patch_message`, :attr:`page_script` and
      :attr:`close_replaced_sockets`: what the open pages do on a save.
    """

    name = "asgi"
    #: Only uvicorn needs a hook (to capture ``uvicorn.run``); apps are found by type.
    framework_modules: ClassVar[Sequence[str]] = ("uvicorn",)
    default_port: ClassVar[int] = DEFAULT_PORT
    #: What :meth:`notify` sends the open pages for a ``"reload"`` update (the data of
    #: the client's ``reload`` message): patch the page in place from the new HTML
    #: (``{}``), or, for pages that the framework's JavaScript builds from an unchanged
    #: HTML shell, reload it (``{"page": "reload"}``), or leave it to the adapter,
    #: which updates the pages itself (``{"page": "keep"}``).
    reload_message: ClassVar[str] = "{}"
    #: What :meth:`notify` sends for a ``"patch"`` update (function bodies swapped in
    #: place): server-rendered pages are patched from the new HTML (``{}``); None:
    #: nothing is sent (the page's next call runs the new code, as for pages built by
    #: the framework's JavaScript).
    patch_message: ClassVar[str | None] = "{}"
    #: JavaScript added to the client in every page (read once, by :meth:`serve_asgi`;
    #: :func:`page_scripts` reads it from reloader/data), for a framework whose own
    #: frontend can take a save in place: it listens for the client's cancelable
    #: ``devreload:reload`` window event and calls ``preventDefault()`` when it has
    #: updated the page itself (else the client reloads or patches the page).
    page_script: ClassVar[str] = ""
    #: A full reload closes the WebSockets still open on the replaced app (code 1012,
    #: "service restart": clients such as htmx's ws extension reconnect, to the new
    #: app). False for a framework whose page script moves the page itself.
    close_replaced_sockets: ClassVar[bool] = True

    def __init__(self) -> None:
        self.broadcaster = Broadcaster()
        #: Captures the run calls made while the user's modules execute (see
        #: :meth:`executing`); a subclass patches its framework's run call into it.
        self.capture = RunCapture()
        #: What :meth:`served_runs` gave after the last execution.
        self.runs: list[ServedRun] = []
        self._proxy: ASGIProxy | None = None
        self._running: RunningServer | None = None

    # -- hooks into uvicorn ----------------------------------------------------

    def framework_imported(self, module_name: str) -> None:
        if module_name != "uvicorn":
            return
        capture_uvicorn(self.capture)

    @contextmanager
    def executing(self, first_load: bool) -> Iterator[None]:
        """Captures the run calls made meanwhile (in :attr:`capture`); then sets
        :attr:`runs` from :meth:`served_runs`. A subclass that wraps the execution in
        more enters ``super().executing(first_load)`` too."""
        self.runs = []
        with self.capture.capturing():
            yield
        self.runs = self.served_runs()

    def served_runs(self) -> list[ServedRun]:
        """The runs of an app that the last execution made, oldest first: each the app
        (or its ``"module:name"``) and its server's arguments as uvicorn.run() keywords.
        Called once at the end of each :meth:`executing` block; :meth:`find_app` serves
        the newest, :meth:`match` scores its app ``MATCH_EXACT`` and :meth:`serve`
        passes its arguments on. Here: the captured ``uvicorn.run()`` calls (and
        ``uvicorn.Server(config).run()``); the wsgi adapter's are the runs of a Flask app."""
        return [run for call in self.capture.of_kind(UVICORN) if (run := served_run(call))]

    # -- finding the app ---------------------------------------------------------

    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        if name is not None:
            if name not in namespace:
                return None
            app = namespace[name]
            return app if is_asgi_app(app, strict=False) else None
        if self.runs:
            call = self.runs[-1]
            call.app = resolve_run_target(call, namespace)
            return call.app
        candidates = top_level_apps(namespace)
        if len(candidates) == 1:
            return next(iter(candidates.values()))
        if len(candidates) > 1:
            raise AppNotFound(
                f"Several ASGI apps are defined ({', '.join(sorted(candidates))}) and none is "
                "passed to uvicorn.run(); choose one with --app NAME."
            )
        return None

    def match(self, app: Any) -> int:
        if any(run.app is app for run in self.runs):
            return MATCH_EXACT
        return MATCH_TYPE if is_starlette(app) else MATCH_GENERIC

    def run_call_kwargs(self, kind: str) -> dict[str, Any]:
        """For a framework adapter whose framework has its own run call (``Dash.run``,
        ``shiny.run_app``, FastHTML's ``serve``), patched into :attr:`capture` with
        ``kind``: the host and port the newest such call of the last execution asked
        for, as uvicorn.run() keywords for :meth:`serve_asgi` (``{}``: none, or no
        call). Call it from :meth:`serve`."""
        call = self.capture.last(kind=kind)
        return call.address() if call is not None else {}

    def run_kwargs_of(self, app: Any) -> dict[str, Any]:
        """The uvicorn.run() keywords of the newest of :attr:`runs` that ran ``app``
        (``{}``: none did)."""
        for call in reversed(self.runs):
            if call.app is app:
                return dict(call.kwargs)
        return {}

    # -- serving -------------------------------------------------------------------

    def serve(self, app: Any, options: ServeOptions) -> str:
        return self.serve_asgi(app, options, self.run_kwargs_of(app))

    def serve_asgi(self, app: Any, options: ServeOptions, run_kwargs: Mapping[str, Any]) -> str:
        """Serve the ASGI ``app`` with uvicorn, behind the proxy (which later
        :meth:`swap` calls re-point), and return its URL; called once, from
        :meth:`serve`, by this adapter and by those built on it. ``run_kwargs`` are
        uvicorn.run()'s keywords: their ``host`` and ``port`` give way to ``--host``
        and ``--port`` and default to 127.0.0.1 and :attr:`default_port` (the
        precedence of :mod:`reloader.adapters.address`); uvicorn's server arguments
        among the others are passed on. Raises ServeError (a taken port, a failed
        lifespan startup)."""
        address = serving_address(
            options, run_kwargs.get("host"), run_kwargs.get("port"), default_port=self.default_port
        )
        host = address.host
        port = address.port if address.port is not None else self.default_port
        proxy = ASGIProxy(
            app,
            self.broadcaster,
            lifespan=run_kwargs.get("lifespan") != "off",
            roots=options.watch_roots,
            say=options.say,
            status=options.status,
            page_script=self.page_script,
            morph=options.keep_state,
            close_replaced_sockets=self.close_replaced_sockets,
        )

        def explain() -> ServeError | None:
            failure = proxy.startup_failure
            if failure is None:
                return None
            options.say(f"the app's lifespan startup failed:\n{failure.details}")
            return ServeError(
                f"The app's lifespan startup failed ({failure.headline}); "
                "fix it and start devreload again."
            )

        self._running = serve_with_uvicorn(proxy, host, port, run_kwargs, explain=explain)
        self._proxy = proxy
        return self._running.url

    def swap(self, app: Any) -> None:
        proxy = self._proxy
        assert proxy is not None and proxy.loop is not None
        future = asyncio.run_coroutine_threadsafe(proxy.swap(app), proxy.loop)
        try:
            failure = future.result(STARTUP_REPORT_SECONDS)
        except concurrent.futures.TimeoutError:
            # The startup goes on: the proxy switches to the new app if it ever
            # completes, and a newer swap abandons it. Meanwhile the old app serves.
            where, stack = asyncio.run_coroutine_threadsafe(
                proxy.where_startup_is(), proxy.loop
            ).result(5.0)
            raise SwapError(
                f"The new app's lifespan startup has not finished after "
                f"{STARTUP_REPORT_SECONDS:.0f} s; it is stuck at {where}. The last good "
                "version keeps serving; fix it and save (a newer save abandons this startup).",
                stack,
            ) from None
        if failure is not None:
            raise SwapError(
                f"the new app's lifespan startup failed: {failure.headline}", failure.details
            )

    def notify(self, event: PageUpdate) -> int:
        if event.kind == "error":
            return self.broadcaster.error(event.headline, event.details, event.title)
        if event.kind == "css":
            return self.broadcaster.publish(Message("css"))
        if event.kind == "patch":
            if self.patch_message is None:
                return 0
            return self.broadcaster.publish(Message("reload", self.patch_message))
        return self.broadcaster.publish(Message("reload", self.reload_message))

    def tab_confirmations(self) -> Tabs:
        return self.broadcaster.tabs

    def handles_without_reexecution(self, changed: Sequence[Path]) -> bool:
        return bool(changed) and all(path.suffix.lower() == ".css" for path in changed)

    def shutdown(self) -> None:
        running, proxy = self._running, self._proxy
        if running is None:
            return
        if proxy is not None and proxy.loop is not None:
            with suppress(RuntimeError):  # the loop is already closed
                proxy.loop.call_soon_threadsafe(proxy.close_streams)
        running.stop()
