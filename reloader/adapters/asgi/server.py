"""Serving with uvicorn: capturing the user's ``uvicorn.run()`` (or
``uvicorn.Server(config).run()``/``serve()``), running the server on a thread, on
the socket :func:`reloader.adapters.address.bind` bound. :func:`serve_with_uvicorn`
is shared by the asgi and wsgi adapters and by framework adapters built on them.
"""

from __future__ import annotations

import inspect
import logging
import sys
import threading
import time
from collections.abc import (
    Callable,
    Mapping,
)
from dataclasses import dataclass, field
from typing import Any

from reloader.adapters.address import bind
from reloader.adapters.base import AppNotFound, ServeError
from reloader.adapters.capture import RunCall, RunCapture

__all__ = [
    "DEFAULT_PORT",
    "UVICORN",
    "RunningServer",
    "ServedRun",
    "capture_uvicorn",
    "resolve_run_target",
    "serve_with_uvicorn",
    "served_run",
    "server_run_arguments",
]

logger = logging.getLogger("reloader.adapters.asgi")

#: The ``kind`` of captured uvicorn calls (:class:`reloader.adapters.capture.RunCall`).
UVICORN = "uvicorn"
#: uvicorn's own default port.
DEFAULT_PORT = 8000
#: How long serve() waits for the server (and the app's lifespan startup).
START_SECONDS = 60.0

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


def capture_uvicorn(capture: RunCapture) -> None:
    """Make ``uvicorn.run()``, ``uvicorn.Server.run()`` and ``.serve()`` captured
    calls of ``capture`` (on the executing thread only)."""
    import uvicorn

    # `uvicorn.main` the attribute is the click command; the module is this one.
    capture.patch(sys.modules["uvicorn.main"], "run", kind=UVICORN, reexported_by=(uvicorn,))
    # uvicorn's programmatic form: uvicorn.Server(uvicorn.Config(app, ...)).run(),
    # or `await server.serve()` under asyncio.run().
    capture.patch(uvicorn.Server, "run", kind=UVICORN)
    capture.patch(uvicorn.Server, "serve", kind=UVICORN, returns=lambda call: _nothing())


@dataclass
class RunningServer:
    """A uvicorn server running on its own thread."""

    server: Any
    thread: threading.Thread
    url: str

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(1.0)


def serve_with_uvicorn(
    app: Any,
    host: str,
    port: int,
    run_kwargs: Mapping[str, Any],
    *,
    explain: Callable[[], ServeError | None] = lambda: None,
) -> RunningServer:
    """Serve ``app`` with uvicorn on a thread, once it is listening; ``run_kwargs`` are
    uvicorn.run()'s keywords (those that make sense here are passed on). ``explain``
    gives a better error than "could not start" when the server did not start."""
    import uvicorn

    kwargs = run_kwargs
    for ignored in ("reload", "workers", "uds", "fd"):
        if kwargs.get(ignored):
            logger.warning("uvicorn.run(%s=...) is ignored under devreload", ignored)
    listener = bind(host, port)
    accepted = inspect.signature(uvicorn.Config).parameters
    server_args = {key: kwargs[key] for key in _SERVER_ARGS if key in kwargs and key in accepted}
    server_args.setdefault("log_level", "warning")
    server_args.setdefault("access_log", "log_level" in kwargs)
    if "timeout_graceful_shutdown" in accepted:
        # Open event streams would otherwise hold the server up on exit.
        server_args["timeout_graceful_shutdown"] = 1
    config = uvicorn.Config(app, host=host, lifespan="on", **server_args)
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
            better = explain()
            if better is not None:
                raise better
            if thread.is_alive():
                raise ServeError(f"uvicorn did not start within {START_SECONDS:.0f} s.")
            raise ServeError(f"uvicorn could not start on {host}:{port}; see the log above.")
        time.sleep(0.005)
    scheme = "https" if server_args.get("ssl_certfile") else "http"
    shown = f"[{host}]" if ":" in host else host
    return RunningServer(server, thread, f"{scheme}://{shown}:{listener.getsockname()[1]}/")


def resolve_run_target(call: ServedRun, namespace: Mapping[str, Any]) -> Any:
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


def served_run(call: RunCall) -> ServedRun | None:
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
