"""Dash: ``app = Dash(__name__)`` ... ``app.run(debug=True)``.

A Dash app serves through its Flask server (``app.server``), so the wsgi
adapter serves that; this adapter captures ``Dash.run`` (whose debug reloader
would fork a second process) and claims the Dash app over the generic ones.

A save that re-runs the file makes a new Dash app. The open page does not
reload: its page script has Dash's renderer fetch the new layout and callbacks
in place (the renderer's own ``RELOAD``), with the values the page holds (typed
inputs, clicks, outputs, lists a callback built) carried into the new layout
where the component still exists and the developer left that property as it was.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from reloader.adapters.asgi import page_scripts
from reloader.adapters.base import MATCH_EXACT, ServeOptions, the_one_app
from reloader.adapters.wsgi import WSGIAdapter, wsgi_bridge

__all__ = ["DashAdapter"]

logger = logging.getLogger("reloader.adapters.dash")

#: The ``kind`` of captured ``Dash.run`` calls.
DASH = "dash"


class DashAdapter(WSGIAdapter):
    name = "dash"
    framework_modules = ("dash", "flask")
    default_port = 8050
    patch_message = None
    #: The page is built by Dash's JavaScript from the layout: patching its HTML shell
    #: changes nothing. The page script has the renderer fetch the new layout and
    #: callbacks in place; a page without the renderer up reloads.
    reload_message = '{"page": "reload"}'
    page_script = page_scripts("dash_reload.js")

    def framework_imported(self, module_name: str) -> None:
        super().framework_imported(module_name)
        if module_name == "dash":
            import dash

            self.capture.patch(dash.Dash, "run", kind=DASH)

    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        if name is not None:
            return namespace.get(name) if _is_dash(namespace.get(name)) else None
        call = self.capture.last(kind=DASH)
        if call is not None and _is_dash(call.target):
            return call.target
        return the_one_app(namespace, _is_dash, "Dash", "app.run()")

    def match(self, app: Any) -> int:
        return MATCH_EXACT if _is_dash(app) else 0

    def serve(self, app: Any, options: ServeOptions) -> str:
        self._bridge = wsgi_bridge(SetUpFirst(app.server), "a Dash app", extra="dash")
        return self.serve_asgi(self._bridge, options, self.run_call_kwargs(DASH))

    def swap(self, app: Any) -> None:
        server = SetUpFirst(app.server)
        # The page re-fetches the callbacks right after the swap: made here first, the
        # request sets the app up, and the page's requests then run side by side.
        server.warm(app.config.routes_pathname_prefix + "_dash-dependencies")
        super().swap(server)


class SetUpFirst:
    """A new Dash app's first request runs alone: the others wait until it is answered.

    Dash sets an app up on its first request (``Dash._setup_server``, and the Pages
    router), behind a flag it raises before the work is done, with no lock: a
    request arriving meanwhile skips the set-up and is answered by a half-built
    app. A page load never meets that (the page comes first), but the renderer
    re-fetching the layout and the callbacks of a new app at once does, and then
    ``_dash-dependencies`` answers ``[]``: every callback of the page is dead.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._set_up = False

    def warm(self, path: str) -> None:
        """Make the first request, a GET of ``path``, here (its answer is dropped)."""
        from werkzeug.test import EnvironBuilder

        builder = EnvironBuilder(path=path)
        try:
            answer = self(builder.get_environ(), lambda status, headers, exc_info=None: None)
            for _ in answer:
                pass
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        except Exception:  # the page's own first request sets it up, one at a time
            logger.debug("warming the new Dash app up failed", exc_info=True)
        finally:
            builder.close()

    def __call__(self, environ: Any, start_response: Any) -> Iterable[bytes]:
        if not self._set_up:
            with self._lock:
                if not self._set_up:
                    try:
                        return self.app(environ, start_response)
                    finally:
                        self._set_up = True
        return self.app(environ, start_response)


def _is_dash(value: Any) -> bool:
    dash = sys.modules.get("dash")
    return dash is not None and isinstance(value, dash.Dash)
