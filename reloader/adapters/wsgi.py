"""WSGI adapter: Flask and any WSGI callable, served by uvicorn through a2wsgi.

It is the ASGI adapter (see :mod:`reloader.adapters.asgi`) with one WSGI-to-ASGI
bridge in front: ``app.run(host=..., port=...)`` of a Flask app is captured as
``uvicorn.run()`` is there, the bridge is served once, and a swap re-points the
bridge at the new app (a request in progress completes on the app it started
on). Pages get the same client: reload on save, error overlay, CSS in place.
Flask answers a view's exception with its own 500 instead of raising it; its
``got_request_exception`` signal hands the exception to the page's error answer
(see :mod:`reloader.adapters.asgi.page_errors`).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from reloader.adapters.asgi import ASGIAdapter, ServedRun, positional_arity
from reloader.adapters.asgi.page_errors import record_error
from reloader.adapters.base import (
    MATCH_EXACT,
    MATCH_GENERIC,
    MATCH_TYPE,
    ServeError,
    ServeOptions,
    the_one_app,
)

__all__ = ["WSGIAdapter", "wsgi_bridge"]

#: Flask's own default.
DEFAULT_PORT = 5000
#: The ``kind`` of captured ``Flask.run`` calls.
FLASK = "flask"


class WSGIAdapter(ASGIAdapter):
    name = "wsgi"
    framework_modules: ClassVar[Sequence[str]] = ("flask",)
    default_port = DEFAULT_PORT

    def __init__(self) -> None:
        super().__init__()
        self._bridge: Any = None

    def framework_imported(self, module_name: str) -> None:
        if module_name != "flask":
            return
        from flask import Flask, got_request_exception

        self.capture.patch(Flask, "run", kind=FLASK)
        # weak=False: the signal would otherwise drop a receiver only it refers to.
        got_request_exception.connect(_record_request_error, weak=False)

    def served_runs(self) -> list[ServedRun]:
        """``Flask.run()``, or ``uvicorn.run(flask_app, interface="wsgi")``: the runs
        of a Flask app, with the host and port they asked for."""
        return [
            ServedRun(call.target, call.address())
            for call in self.capture.calls
            if _is_flask(call.target)
        ]

    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        if name is not None:
            app = namespace.get(name)
            return app if name in namespace and _is_wsgi_app(app) else None
        if self.runs:
            return self.runs[-1].app
        return the_one_app(
            namespace, lambda v: _is_flask(v) or _is_wsgi_function(v), "WSGI", "app.run()"
        )

    def match(self, app: Any) -> int:
        if any(run.app is app for run in self.runs):
            return MATCH_EXACT
        return MATCH_TYPE if _is_flask(app) else MATCH_GENERIC

    def serve(self, app: Any, options: ServeOptions) -> str:
        self._bridge = wsgi_bridge(app, "a WSGI app", extra="wsgi")
        return self.serve_asgi(self._bridge, options, self.run_kwargs_of(app))

    def swap(self, app: Any) -> None:
        # a2wsgi reads .app when a request starts: in-flight ones keep theirs.
        self._bridge.app = app


def wsgi_bridge(app: Any, what: str, *, extra: str) -> Any:
    """``app`` (a WSGI callable) as an ASGI app, through a2wsgi; a ServeError saying
    how to install a2wsgi when it is missing."""
    try:
        from a2wsgi import WSGIMiddleware
    except ImportError:
        raise ServeError(
            f"Serving {what} needs a2wsgi: pip install a2wsgi "
            f"(devreload's {extra!r} extra has it), then start devreload again."
        ) from None
    return WSGIMiddleware(app)


def _record_request_error(sender: Any, exception: BaseException, **extra: Any) -> None:
    from flask import request

    # a2wsgi puts the ASGI scope of the request in its WSGI environ.
    record_error(request.environ.get("asgi.scope"), exception)


def _is_flask(value: Any) -> bool:
    flask = sys.modules.get("flask")
    return flask is not None and isinstance(value, flask.Flask)


def _is_wsgi_function(value: Any) -> bool:
    """``def application(environ, start_response)``, by those very parameter names."""
    if not inspect.isfunction(value) or inspect.iscoroutinefunction(value):
        return False
    return list(inspect.signature(value).parameters)[:2] == ["environ", "start_response"]


def _is_wsgi_app(value: Any) -> bool:
    """For a named global: Flask, or any synchronous callable taking two arguments."""
    if _is_flask(value) or _is_wsgi_function(value):
        return True
    if isinstance(value, type) or not callable(value):
        return False
    call = value if inspect.isroutine(value) else type(value).__call__
    if inspect.iscoroutinefunction(call):
        return False
    return positional_arity(call) == (2 if inspect.isroutine(value) else 3)
