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
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import gc
import html
import inspect
import logging
import socket
import sys
import threading
import time
import traceback
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    MutableMapping,
    Sequence,
)
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, cast

from .._frames import user_frames, user_traceback
from .._push import Broadcaster, Message, client_script
from .._report import Reporter
from .base import (
    MATCH_EXACT,
    MATCH_GENERIC,
    MATCH_TYPE,
    Adapter,
    AppNotFound,
    ReloadEvent,
    ServeError,
    ServeOptions,
    SwapError,
)
from .capture import RunCall, RunCapture

__all__ = [
    "ASGIAdapter",
    "ASGIProxy",
    "ServedRun",
    "is_asgi_app",
    "positional_arity",
    "server_run_arguments",
]

logger = logging.getLogger("reloader.adapters.asgi")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
EVENTS_PATH = "/__devreload__/events"
CLIENT_PATH = "/__devreload__/client.js"
#: How long serve() waits for the server (and the app's lifespan startup).
START_SECONDS = 60.0
#: How long an old app's lifespan shutdown may take before it is cancelled.
LIFESPAN_SHUTDOWN_SECONDS = 5.0
#: How long requests that started on the old app may run on after a swap
#: before its lifespan is shut down under them (and that is reported).
DRAIN_SECONDS = 10.0
#: A new app's lifespan startup still running after this long is reported.
STARTUP_REPORT_SECONDS = 5.0
#: HTML bodies larger than this are passed through without the client.
INJECT_LIMIT = 8 * 1024 * 1024

#: uvicorn.run() arguments that are passed on to the server devreload runs;
#: the others (reload, workers, uds, fd, app_dir, env_file, ...) do not apply.
_SERVER_ARGS = (
    "loop",
    "http",
    "ws",
    "ws_max_size",
    "ws_max_queue",
    "ws_ping_interval",
    "ws_ping_timeout",
    "ws_per_message_deflate",
    "log_config",
    "log_level",
    "access_log",
    "use_colors",
    "proxy_headers",
    "server_header",
    "date_header",
    "forwarded_allow_ips",
    "root_path",
    "limit_concurrency",
    "backlog",
    "timeout_keep_alive",
    "ssl_keyfile",
    "ssl_certfile",
    "ssl_keyfile_password",
    "ssl_version",
    "ssl_cert_reqs",
    "ssl_ca_certs",
    "ssl_ciphers",
    "headers",
    "h11_max_incomplete_event_size",
)


@dataclass
class ServedRun:
    """One captured run of an app: the app (or its ``"module:name"`` string) and
    the server arguments (``uvicorn.run()``'s keywords)."""

    app: Any
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Failure:
    headline: str
    details: str


class ASGIAdapter(Adapter):
    name = "asgi"
    #: Only uvicorn needs a hook (to capture ``uvicorn.run``); apps are found by type.
    framework_modules = ("uvicorn",)

    def __init__(self) -> None:
        self.broadcaster = Broadcaster()
        self.capture = RunCapture()
        self._runs: list[ServedRun] = []
        self._proxy: ASGIProxy | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        #: A swap whose new app failed to start: told to the tabs instead of "reload".

    # -- hooks into uvicorn ----------------------------------------------------

    def framework_imported(self, module_name: str) -> None:
        if module_name != "uvicorn":
            return
        import uvicorn

        # `uvicorn.main` the attribute is the click command; the module is this one.
        self.capture.patch(sys.modules["uvicorn.main"], "run")
        self.capture.patch(uvicorn, "run")
        # uvicorn's programmatic form: uvicorn.Server(uvicorn.Config(app, ...)).run(),
        # or `await server.serve()` under asyncio.run().
        self.capture.patch(uvicorn.Server, "run")
        self.capture.patch(uvicorn.Server, "serve", returns=lambda call: _nothing())

    @contextmanager
    def executing(self, first_load: bool) -> Iterator[None]:
        self._runs = []
        with self.capture.capturing():
            yield
        self._runs = [run for call in self.capture.calls if (run := _served_run(call))]

    # -- finding the app ---------------------------------------------------------

    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        if name is not None:
            if name not in namespace:
                return None
            app = namespace[name]
            return app if is_asgi_app(app, strict=False) else None
        if self._runs:
            call = self._runs[-1]
            call.app = _resolve_run_target(call, namespace)
            return call.app
        candidates = _top_level_apps(namespace)
        if len(candidates) == 1:
            return next(iter(candidates.values()))
        if len(candidates) > 1:
            raise AppNotFound(
                f"Several ASGI apps are defined ({', '.join(sorted(candidates))}) and none is "
                "passed to uvicorn.run(); choose one with --app NAME."
            )
        return None

    def match(self, app: Any) -> int:
        if any(run.app is app for run in self._runs):
            return MATCH_EXACT
        return MATCH_TYPE if _is_starlette(app) else MATCH_GENERIC

    def _run_kwargs(self, app: Any) -> dict[str, Any]:
        for call in reversed(self._runs):
            if call.app is app:
                return dict(call.kwargs)
        return {}

    # -- serving -------------------------------------------------------------------

    def serve(self, app: Any, options: ServeOptions) -> str:
        return self.serve_asgi(app, options, self._run_kwargs(app))

    def serve_asgi(self, app: Any, options: ServeOptions, run_kwargs: dict[str, Any]) -> str:
        """Serve the ASGI ``app`` with uvicorn, ``run_kwargs`` being uvicorn.run()'s
        keyword arguments; return the URL. Later :meth:`swap` calls replace the app."""
        kwargs = run_kwargs
        import uvicorn

        for ignored in ("reload", "workers", "uds", "fd"):
            if kwargs.get(ignored):
                logger.warning("uvicorn.run(%s=...) is ignored under devreload", ignored)
        host = str(options.host or kwargs.get("host") or DEFAULT_HOST)
        port = options.port if options.port is not None else kwargs.get("port", DEFAULT_PORT)
        listener = _listen(host, int(port))
        proxy = ASGIProxy(
            app,
            self.broadcaster,
            lifespan=kwargs.get("lifespan") != "off",
            roots=options.watch_roots,
            reporter=Reporter(),
        )
        accepted = inspect.signature(uvicorn.Config).parameters
        server_args = {
            key: kwargs[key] for key in _SERVER_ARGS if key in kwargs and key in accepted
        }
        server_args.setdefault("log_level", "warning")
        server_args.setdefault("access_log", "log_level" in kwargs)
        if "timeout_graceful_shutdown" in accepted:
            # Open event streams would otherwise hold the server up on exit.
            server_args["timeout_graceful_shutdown"] = 1
        config = uvicorn.Config(proxy, host=host, lifespan="on", **server_args)
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [listener]}, name="devreload-uvicorn", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                listener.close()
                failure = proxy.startup_failure
                if failure is not None:
                    Reporter().say(f"the app's lifespan startup failed:\n{failure.details}")
                    raise ServeError(
                        f"The app's lifespan startup failed ({failure.headline}); "
                        "fix it and start devreload again."
                    )
                if thread.is_alive():
                    raise ServeError(f"uvicorn did not start within {START_SECONDS:.0f} s.")
                raise ServeError(f"uvicorn could not start on {host}:{port}; see the log above.")
            time.sleep(0.005)
        self._proxy, self._server, self._thread = proxy, server, thread
        scheme = "https" if server_args.get("ssl_certfile") else "http"
        shown = f"[{host}]" if ":" in host else host
        return f"{scheme}://{shown}:{listener.getsockname()[1]}/"

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

    def notify(self, event: ReloadEvent) -> int:
        if event.kind == "error":
            return self.broadcaster.error(event.headline, event.details)
        if event.kind == "css":
            return self.broadcaster.publish(Message("css"))
        return self.broadcaster.publish(Message("reload"))

    def handles_without_reexecution(self, changed: Sequence[Path]) -> bool:
        return bool(changed) and all(path.suffix.lower() == ".css" for path in changed)

    def shutdown(self) -> None:
        server, proxy, thread = self._server, self._proxy, self._thread
        if server is None or thread is None:
            return
        if proxy is not None and proxy.loop is not None:
            with suppress(RuntimeError):  # the loop is already closed
                proxy.loop.call_soon_threadsafe(proxy.close_streams)
        server.should_exit = True
        thread.join(1.0)


# -- the proxy -----------------------------------------------------------------------


class _Lifespan:
    """One app and its own run of the ASGI lifespan protocol."""

    def __init__(self, app: Any, enabled: bool) -> None:
        self.app = app
        self.enabled = enabled
        #: The lifespan state: each request to this app gets a shallow copy.
        self.state: dict[str, Any] = {}
        self.error: BaseException | None = None
        self._inbox: asyncio.Queue[dict[str, Any]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._received = False
        self._started: asyncio.Future[str | None] | None = None
        self._stopped: asyncio.Future[str | None] | None = None
        #: Requests and websockets in progress on this app, and set when there are none.
        self.active = 0
        self.idle = asyncio.Event()
        self.idle.set()
        #: Set when a newer swap gave up on this app's (unfinished) startup.
        self.abandoned = False

    def enter(self) -> None:
        self.active += 1
        self.idle.clear()

    def leave(self) -> None:
        self.active -= 1
        if self.active == 0:
            self.idle.set()

    def abandon(self) -> None:
        """Give up on an unfinished startup: cancel the lifespan task."""
        self.abandoned = True
        if self._task is not None:
            self._task.cancel()

    def where(self, roots: Sequence[Path]) -> tuple[str, str]:
        """Where the lifespan task is waiting (``file, line N`` of the innermost user
        frame) and the user frames of its await chain, innermost last."""
        if self._task is None or self._task.done():
            return "an unknown place", ""
        frames = _await_chain(self._task.get_coro())
        summary = traceback.StackSummary.extract((frame, frame.f_lineno) for frame in frames)
        shown = user_frames(summary, roots) or list(summary)
        if not shown:
            return "an unknown place", ""
        place = f"{shown[-1].filename}, line {shown[-1].lineno}"
        return place, "".join(traceback.format_list(shown))

    async def startup(self) -> str | None:
        """Run the app's startup; None when done (or unsupported), else the failure."""
        if not self.enabled:
            return None
        loop = asyncio.get_running_loop()
        self._inbox = asyncio.Queue()
        self._started = loop.create_future()
        self._stopped = loop.create_future()
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        self._task = loop.create_task(self._run(scope), name="devreload-lifespan")
        await self._inbox.put({"type": "lifespan.startup"})
        waiting: set[asyncio.Future[Any]] = {self._started, self._task}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if self._started.done():
            return self._started.result()
        if self.abandoned:
            return "abandoned for a newer save"
        if self.error is not None and self._received:
            return "".join(traceback.format_exception(self.error))
        # It raised without even reading the startup event, or returned: an
        # app that does not do lifespan, as uvicorn's lifespan="auto" sees it.
        logger.debug("%r does not support the lifespan protocol", self.app)
        return None

    async def shutdown(self) -> str | None:
        """Run the app's shutdown; None when done, else the failure."""
        task, stopped = self._task, self._stopped
        if task is None or stopped is None or task.done() or self._inbox is None:
            return None
        await self._inbox.put({"type": "lifespan.shutdown"})
        waiting: set[asyncio.Future[Any]] = {stopped, task}
        done, _ = await asyncio.wait(
            waiting, timeout=LIFESPAN_SHUTDOWN_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        if not done:
            task.cancel()
            return f"the lifespan shutdown did not finish within {LIFESPAN_SHUTDOWN_SECONDS:.0f} s"
        if stopped.done():
            return stopped.result()
        if self.error is not None:
            return "".join(traceback.format_exception(self.error))
        return None

    async def _run(self, scope: Scope) -> None:
        try:
            await self.app(scope, self._receive, self._send)
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # reported through startup()/shutdown()
            self.error = error
            if isinstance(error, KeyboardInterrupt | SystemExit):
                raise

    async def _receive(self) -> dict[str, Any]:
        assert self._inbox is not None
        self._received = True
        return await self._inbox.get()

    async def _send(self, message: MutableMapping[str, Any]) -> None:
        kind = message["type"]
        future = self._started if kind.startswith("lifespan.startup.") else self._stopped
        if future is None or future.done():
            return
        if kind.endswith(".failed"):
            future.set_result(str(message.get("message") or f"{kind} without a message"))
        else:
            future.set_result(None)


class ASGIProxy:
    """The app uvicorn serves: forwards each connection to the current app."""

    def __init__(
        self,
        app: Any,
        broadcaster: Broadcaster,
        *,
        lifespan: bool = True,
        roots: Sequence[Path] = (),
        reporter: Reporter | None = None,
    ) -> None:
        self.current = _Lifespan(app, lifespan)
        #: A new app whose lifespan startup is running; it becomes current once done.
        self.pending: _Lifespan | None = None
        #: Old apps waiting for their requests to end before their lifespan shutdown.
        self._retiring: dict[_Lifespan, asyncio.Task[None]] = {}
        self.reporter = reporter
        self.broadcaster = broadcaster
        self.loop: asyncio.AbstractEventLoop | None = None
        self._closing = asyncio.Event()
        self.startup_failure: _Failure | None = None
        #: Frames under these folders make up the tracebacks shown for lifespan errors.
        self.roots = tuple(roots)
        self._snippets: dict[str, _Snippets] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind == "http" and _path(scope) == EVENTS_PATH:
            await self._events(scope, receive, send)
            return
        if kind == "http" and _path(scope) == CLIENT_PATH:
            await _send_client(send)
            return
        target = self.current
        scope = dict(scope)
        # As uvicorn does for its app: this app's lifespan state, copied per request.
        scope["state"] = dict(target.state)
        if kind == "http":
            if _accepts_html(scope):
                # Pages come back uncompressed, so that the client can go in.
                scope["headers"] = [
                    (key, value)
                    for key, value in scope.get("headers", [])
                    if key.lower() != b"accept-encoding"
                ]
            root = str(scope.get("root_path", "")).rstrip("/")
            send = _Injector(send, self._snippets_for(root), scope.get("method") == "HEAD").send
        target.enter()
        try:
            await target.app(scope, receive, send)
        finally:
            target.leave()

    # -- lifespan ----------------------------------------------------------------

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        self.loop = asyncio.get_running_loop()
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                failure = await self.current.startup()
                if failure is None:
                    await send({"type": "lifespan.startup.complete"})
                else:
                    self.startup_failure = self._failure(failure, self.current)
                    await send({"type": "lifespan.startup.failed", "message": ""})
            elif message["type"] == "lifespan.shutdown":
                self.close_streams()
                if self.pending is not None:
                    self.pending.abandon()
                # The server is stopping: old apps are shut down without waiting.
                for old, task in list(self._retiring.items()):
                    task.cancel()
                    await old.shutdown()
                problem = await self.current.shutdown()
                if problem is not None:
                    logger.warning("the app's lifespan shutdown failed: %s", problem)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def swap(self, app: Any) -> _Failure | None:
        """Start ``app``'s lifespan while the current app keeps serving, and make it
        current once the startup is complete; then retire the old app. On a failed
        startup the old app stays; the failure is returned. A swap still waiting
        for its startup is abandoned by a newer one."""
        old = self.current
        if self.pending is not None:
            self.pending.abandon()
            self.pending = None
        if app is old.app:
            return None
        new = self.pending = _Lifespan(app, old.enabled)
        started = time.monotonic()
        failure = await new.startup()
        if new.abandoned:
            return None
        self.pending = None
        late = time.monotonic() - started > STARTUP_REPORT_SECONDS
        if failure is not None:
            if late and self.reporter is not None:
                self.reporter.say(f"the new app's lifespan startup failed:\n{failure}")
            return self._failure(failure, new)
        self.current = new
        self._retiring[old] = asyncio.get_running_loop().create_task(
            self._retire(old), name="devreload-retire"
        )
        if late:
            # The swap was reported as stuck; tell the terminal and the tabs it is done.
            if self.reporter is not None:
                self.reporter.say(
                    f"the new app's lifespan startup finished after "
                    f"{time.monotonic() - started:.0f} s; serving it"
                )
            self.broadcaster.publish(Message("reload"))
        return None

    async def where_startup_is(self) -> tuple[str, str]:
        """Where the pending app's lifespan startup is stuck, and its user frames."""
        if self.pending is None:
            return "an unknown place", ""
        return self.pending.where(self.roots)

    async def _retire(self, old: _Lifespan) -> None:
        """Shut ``old``'s lifespan down once the requests that started on it are done."""
        try:
            try:
                await asyncio.wait_for(old.idle.wait(), DRAIN_SECONDS)
            except TimeoutError:
                if self.reporter is not None:
                    self.reporter.say(
                        f"{old.active} request(s) still running on the previous version after "
                        f"{DRAIN_SECONDS:.0f} s; shutting its lifespan down under them"
                    )
            problem = await old.shutdown()
            if problem is not None:
                logger.warning("the old app's lifespan shutdown failed: %s", problem)
        finally:
            self._retiring.pop(old, None)

    def _failure(self, text: str, lifespan: _Lifespan) -> _Failure:
        error = lifespan.error
        if error is None:
            lines = [line for line in text.strip().splitlines() if line.strip()]
            headline = lines[-1] if lines else "lifespan startup failed"
            return _Failure(f"Lifespan startup failed: {headline}", text)
        details = user_traceback(error, self.roots)
        return _Failure(
            f"{type(error).__name__} in lifespan startup: {error}".rstrip(": "), details
        )

    # -- browser push ------------------------------------------------------------------

    def close_streams(self) -> None:
        """End every open event stream (call on the server's loop)."""
        self._closing.set()

    async def _events(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "GET":
            await send(
                {"type": "http.response.start", "status": 405, "headers": [(b"allow", b"GET")]}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream"),
                    (b"cache-control", b"no-cache"),
                    (b"x-accel-buffering", b"no"),
                ],
            }
        )
        stream = cast(AsyncGenerator[str, None], self.broadcaster.stream())

        async def pump() -> None:
            async for chunk in stream:
                await send(
                    {"type": "http.response.body", "body": chunk.encode(), "more_body": True}
                )

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        tasks = {
            asyncio.ensure_future(pump()),
            asyncio.ensure_future(disconnected()),
            asyncio.ensure_future(self._closing.wait()),
        }
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await stream.aclose()
        with suppress(Exception):  # the tab may be gone already
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _snippets_for(self, root: str) -> _Snippets:
        snippets = self._snippets.get(root)
        if snippets is None:
            snippets = self._snippets[root] = _Snippets(root)
        return snippets


async def _send_client(send: Send) -> None:
    body = client_script().encode("utf-8")
    headers = [
        (b"content-type", b"text/javascript; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-cache"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Snippets:
    """The client tags for the pages under one root path."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.inline = _client_snippet(root + EVENTS_PATH)

    def for_policy(self, policy: bytes | None) -> bytes:
        """The inline script, or, for a page with a CSP, a same-origin <script src>
        (allowed by ``script-src 'self'``) carrying the policy's nonce if it has one."""
        if policy is None:
            return self.inline
        nonce = _script_nonce(policy)
        attributes = [
            ("src", self.root + CLIENT_PATH),
            ("data-events", self.root + EVENTS_PATH),
        ]
        if nonce is not None:
            attributes.append(("nonce", nonce))
        text = " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes)
        return f"<script {text} data-reload-page></script>".encode("ascii", "replace")


def _script_nonce(policy: bytes) -> str | None:
    """The nonce that lets a script element run under ``policy``, if it names one."""
    directives: dict[str, list[str]] = {}
    for part in policy.decode("latin-1").replace(",", ";").split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    for name in ("script-src-elem", "script-src", "default-src"):
        if name in directives:
            for source in directives[name]:
                if source.lower().startswith("'nonce-") and source.endswith("'"):
                    return source[len("'nonce-") : -1]
            return None
    return None


class _Injector:
    """Wraps ``send`` to put the client script into an HTML response."""

    def __init__(self, send: Send, snippets: _Snippets, head: bool) -> None:
        self._send = send
        self._snippets = snippets
        self._snippet = snippets.inline
        self._head = head
        self._mode = "pass"
        self._start: MutableMapping[str, Any] | None = None
        self._chunks: list[bytes] = []

    async def send(self, message: MutableMapping[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            await self._on_start(message)
            return
        if kind != "http.response.body" or self._mode == "pass":
            await self._send(message)
            return
        more = bool(message.get("more_body", False))
        body = bytes(message.get("body", b""))
        if self._mode == "append":
            if not more:
                message = {**message, "body": body + self._snippet}
            await self._send(message)
            return
        # "buffer": the length is known, the body is collected and sent in one piece.
        self._chunks.append(body)
        if more:
            return
        page = _inject(b"".join(self._chunks), self._snippet)
        assert self._start is not None
        headers = _with_length(self._start.get("headers", []), len(page))
        await self._send({**self._start, "headers": headers})
        await self._send({"type": "http.response.body", "body": page, "more_body": False})

    async def _on_start(self, message: MutableMapping[str, Any]) -> None:
        headers = [(bytes(key).lower(), bytes(value)) for key, value in message.get("headers", [])]
        status = int(message.get("status", 200))
        values = dict(headers)
        policies = [value for key, value in headers if key == b"content-security-policy"]
        self._snippet = self._snippets.for_policy(b",".join(policies) if policies else None)
        content_type = values.get(b"content-type", b"").lower()
        encoding = values.get(b"content-encoding", b"identity").strip().lower()
        length = values.get(b"content-length")
        if (
            not content_type.startswith(b"text/html")
            or encoding != b"identity"
            or b"charset=utf-16" in content_type
            or b"charset=utf-32" in content_type
            or status < 200
            or status in (204, 304)
            or message.get("trailers")
            or (length is not None and not length.strip().isdigit())
        ):
            await self._send(message)
            return
        if self._head:
            if length is not None:
                size = int(length) + len(self._snippet)
                message = {**message, "headers": _with_length(message.get("headers", []), size)}
            await self._send(message)
            return
        if length is None:
            self._mode = "append"
            await self._send(message)
        elif int(length) > INJECT_LIMIT:
            await self._send(message)
        else:
            self._mode = "buffer"
            self._start = message


def _client_snippet(events_url: str) -> bytes:
    """The client as one ASCII <script>: it fits any ASCII-compatible page encoding."""
    script = (
        f"<script>window.__devreload={{events:{_js_string(events_url)},reloadPage:true}};\n"
        f"{client_script()}</script>"
    )
    escaped = []
    for char in script:
        if ord(char) < 128:
            escaped.append(char)
        else:  # \\u escapes are valid in JS strings, comments and identifiers
            units = char.encode("utf-16-be")
            escaped.extend(
                f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2)
            )
    return "".join(escaped).encode("ascii")


def _js_string(text: str) -> str:
    import json

    return json.dumps(text).replace("<", "\\u003c")


def _inject(page: bytes, snippet: bytes) -> bytes:
    lowered = page.lower()
    at = lowered.rfind(b"</body>")
    if at < 0:
        at = lowered.find(b"</head>")
    if at < 0:
        return page + snippet
    return page[:at] + snippet + page[at:]


def _with_length(headers: Sequence[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    kept = [(key, value) for key, value in headers if bytes(key).lower() != b"content-length"]
    return [*kept, (b"content-length", str(length).encode())]


def _path(scope: Scope) -> str:
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path", ""))
    if root and path.startswith(root + "/"):
        return path[len(root) :]
    return path


def _accepts_html(scope: Scope) -> bool:
    for key, value in scope.get("headers", []):
        if key.lower() == b"accept":
            return b"text/html" in value.lower()
    return False


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so that a taken port is one clear error."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (OSError, UnicodeError) as error:
        raise ServeError(
            f"Cannot listen on {host!r} ({error}); pass --host with an address."
        ) from None
    # The protocol must be IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off
    # (TCP_NODELAY) only on sockets that say so, and with it on every request on a
    # kept-alive connection waited 40 ms for the client's delayed ACK.
    sock = socket.socket(family, kind, protocol or socket.IPPROTO_TCP)
    # As uvicorn does: a port left in TIME_WAIT by a previous run is free.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise ServeError(
                f"Port {port} on {host} is in use; stop the other server or pass --port N."
            ) from None
        raise ServeError(f"Cannot listen on {host}:{port} ({error.strerror}).") from None
    return sock


# -- which globals are ASGI apps ----------------------------------------------------


def _is_starlette(value: Any) -> bool:
    module = sys.modules.get("starlette.applications")
    return module is not None and isinstance(value, module.Starlette)


def _is_component(value: Any) -> bool:
    """Routers and routes are ASGI callables, but parts of an app rather than apps."""
    routing = sys.modules.get("starlette.routing")
    return routing is not None and isinstance(value, routing.Router | routing.BaseRoute)


def is_asgi_app(value: Any, *, strict: bool = True) -> bool:
    """True for an ASGI app: a Starlette/FastAPI app, an object with ``async
    __call__(self, scope, receive, send)``, or ``async def app(scope, receive, send)``
    (with ``strict``, a function must use those very parameter names)."""
    return _is_asgi_instance(value) or _is_asgi_function(value, strict=strict)


def _is_asgi_instance(value: Any) -> bool:
    """A Starlette/FastAPI app, or an object with ``async __call__(self, scope, receive, send)``."""
    if _is_starlette(value):
        return True
    if isinstance(value, type) or inspect.isroutine(value):
        return False
    call = getattr(type(value), "__call__", None)  # noqa: B004 - the class's, not callable()
    return call is not None and inspect.iscoroutinefunction(call) and positional_arity(call) == 4


def _is_asgi_function(value: Any, *, strict: bool = True) -> bool:
    """``async def app(scope, receive, send)``; ``strict`` also wants those very names."""
    if not inspect.iscoroutinefunction(value) or inspect.ismethod(value):
        return False
    if positional_arity(value) != 3:
        return False
    if not strict:
        return True
    return list(inspect.signature(value).parameters)[:3] == ["scope", "receive", "send"]


def positional_arity(function: Any) -> int:
    """How many positional parameters ``function`` takes (-1 when it cannot be told)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return -1
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for parameter in parameters if parameter.kind in positional)


def _top_level_apps(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The module's apps, leaving out those mounted in or wrapped by another one."""
    found: dict[int, tuple[str, Any]] = {}
    for name, value in namespace.items():
        if name.startswith("_") or _is_component(value):
            continue
        if _is_asgi_instance(value) or _is_asgi_function(value):
            found.setdefault(id(value), (name, value))
    inner: set[int] = set()
    reached: dict[int, set[int]] = {}
    for key, (_, value) in found.items():
        reached[key] = _reachable(value)
        inner |= reached[key] - {key}
    roots = {key: pair for key, pair in found.items() if key not in inner}
    if len(roots) > 1:
        # A FastAPI/Starlette app (or a middleware wrapping one) wins over stray
        # ASGI helpers such as an unmounted StaticFiles.
        preferred = {
            key: pair
            for key, pair in roots.items()
            if any(_is_starlette(found[other][1]) for other in reached[key] if other in found)
        }
        roots = preferred or roots
    return {name: value for name, value in roots.values()}


def _reachable(app: Any, limit: int = 2000) -> set[int]:
    """Ids of the app and of the ASGI apps it wraps (``.app``) or mounts (routes)."""
    seen: set[int] = set()
    stack = [app]
    while stack and len(seen) < limit:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for attribute in ("app", "_base_app", "router"):
            child = _safe_getattr(current, attribute)
            if child is not None and not isinstance(child, type):
                stack.append(child)
        routes = _safe_getattr(current, "routes")
        if isinstance(routes, list):
            for route in routes:
                child = _safe_getattr(route, "app")
                if child is not None and (
                    _is_asgi_instance(child) or _is_component(child) or _is_asgi_function(child)
                ):
                    stack.append(child)
    return seen


def _safe_getattr(value: Any, name: str) -> Any:
    try:
        return getattr(value, name, None)
    except Exception:  # a property that raises: not an app
        return None


def _resolve_run_target(call: ServedRun, namespace: Mapping[str, Any]) -> Any:
    """The app of ``uvicorn.run(app)``, ``("main:app")`` or ``("main:make", factory=True)``."""
    app = call.app
    if isinstance(app, str):
        _, _, attribute = app.rpartition(":")
        head, *rest = attribute.split(".")
        if not attribute or head not in namespace:
            raise AppNotFound(
                f"uvicorn.run({app!r}) names no global of the app file; pass the app object, "
                "as in uvicorn.run(app)."
            )
        app = namespace[head]
        for part in rest:
            app = getattr(app, part)
    if call.kwargs.get("factory"):
        app = app()
    return app


async def _nothing() -> None:
    """What a captured ``await server.serve()`` awaits: it returns at once."""


def _served_run(call: RunCall) -> ServedRun | None:
    """The app and uvicorn.run() arguments of a captured ``uvicorn.run(app, ...)``
    or ``uvicorn.Server(config).run()`` / ``.serve()``."""
    target = call.target
    config = getattr(target, "config", None)
    if config is not None and hasattr(config, "app") and hasattr(target, "should_exit"):
        return ServedRun(config.app, server_run_arguments(config))
    if target is None:
        return None
    arguments = call.arguments()
    arguments.pop("app", None)
    return ServedRun(target, arguments)


def server_run_arguments(config: Any) -> dict[str, Any]:
    """A ``uvicorn.Config``'s arguments, as the keywords of ``uvicorn.run()``:
    those given a value other than the default."""
    import uvicorn

    kwargs: dict[str, Any] = {}
    for name, parameter in inspect.signature(uvicorn.Config).parameters.items():
        if name == "app" or not hasattr(config, name):
            continue
        value = getattr(config, name)
        if parameter.default is inspect.Parameter.empty or value != parameter.default:
            kwargs[name] = value
    return kwargs


def _await_chain(awaitable: Any, limit: int = 200) -> list[FrameType]:
    """The frames of a suspended coroutine and of everything it awaits, outermost
    first (a coroutine's ``cr_frame`` has no ``f_back`` while it is suspended)."""
    frames: list[FrameType] = []
    current = awaitable
    while current is not None and len(frames) < limit:
        frame = None
        for attribute in ("cr_frame", "gi_frame", "ag_frame"):
            frame = getattr(current, attribute, None)
            if frame is not None:
                break
        if frame is not None:
            frames.append(frame)
        following = None
        for attribute in ("cr_await", "gi_yieldfrom", "ag_await"):
            following = getattr(current, attribute, None)
            if following is not None:
                break
        if following is None and frame is None:
            # An async generator's asend()/athrow() awaitable (an @asynccontextmanager
            # lifespan) exposes its generator only as a referent.
            referents = gc.get_referents(current)
            following = next((ref for ref in referents if inspect.isasyncgen(ref)), None)
        current = following
    return frames
