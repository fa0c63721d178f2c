"""Dash: ``app = Dash(__name__)`` ... ``app.run(debug=True)``.

A Dash app serves through its Flask server (``app.server``), so the wsgi
adapter serves that; this adapter captures ``Dash.run`` (whose debug reloader
would fork a second process) and claims the Dash app over the generic ones.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from importlib import resources
from typing import Any

from reloader.adapters.base import MATCH_EXACT, ServeError, ServeOptions
from reloader.adapters.wsgi import WSGIAdapter

__all__ = ["DashAdapter"]

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
    page_script = resources.files("reloader").joinpath("data", "dash_reload.js").read_text("utf-8")

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
        found = {id(v): v for k, v in namespace.items() if not k.startswith("_") and _is_dash(v)}
        return next(iter(found.values())) if len(found) == 1 else None

    def match(self, app: Any) -> int:
        return MATCH_EXACT if _is_dash(app) else 0

    def serve(self, app: Any, options: ServeOptions) -> str:
        try:
            from a2wsgi import WSGIMiddleware
        except ImportError:
            raise ServeError(
                "Serving a Dash app needs a2wsgi: pip install 'devreload[dash]'."
            ) from None
        self._bridge = WSGIMiddleware(app.server)
        return self.serve_asgi(self._bridge, options, self.run_call_kwargs(DASH))

    def swap(self, app: Any) -> None:
        super().swap(app.server)


def _is_dash(value: Any) -> bool:
    dash = sys.modules.get("dash")
    return dash is not None and isinstance(value, dash.Dash)
