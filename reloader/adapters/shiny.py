"""Shiny core: ``app = App(app_ui, server)``, optionally ``shiny.run_app(app)``.

A Shiny App is an ASGI app, so the asgi adapter serves it; this
adapter only captures ``shiny.run_app()`` (which would start uvicorn with its own
reloader) and claims the app with a higher score than the generic asgi one.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from importlib import resources
from types import ModuleType
from typing import Any

from reloader.adapters.asgi import ASGIAdapter
from reloader.adapters.base import MATCH_EXACT, AppNotFound, ServeOptions

__all__ = ["ShinyAdapter"]

#: The ``kind`` of captured ``shiny.run_app`` calls.
SHINY = "shiny"


class ShinyAdapter(ASGIAdapter):
    name = "shiny"
    framework_modules = ("shiny", "uvicorn")
    default_port = 8000
    patch_message = None
    #: A page without the page script's Shiny up reloads (into a new session); with
    #: it, the page is patched in place and opens a new session on the new app.
    reload_message = '{"page": "reload"}'
    page_script = resources.files("reloader").joinpath("data", "shiny_reload.js").read_text("utf-8")

    def framework_imported(self, module_name: str) -> None:
        super().framework_imported(module_name)
        if module_name != "shiny":
            return
        import shiny
        import shiny._main._run

        self.capture.patch(shiny._main._run, "run_app", kind=SHINY)
        # `from shiny import run_app` binds the name at import: rebind it to the wrapper.
        for module in (shiny, shiny._main):
            setattr(module, "run_app", shiny._main._run.run_app)  # noqa: B010

    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        if name is None:
            call = self.capture.last(kind=SHINY)
            if call is not None:
                target = call.arguments().get("app", "app")
                if self.match(target):
                    return target
                if isinstance(target, str) and target.rpartition(":")[2] in namespace:
                    return namespace[target.rpartition(":")[2]]
        app = super().find_app(namespace, name)
        if app is None and _uses_shiny_express(namespace):
            raise AppNotFound(
                "this is a Shiny Express app (it imports shiny.express), which Shiny builds "
                "from the file itself; devreload serves Shiny core apps "
                "(app = App(app_ui, server)): see docs/adapters.md, 'Shiny Express'."
            )
        return app

    def match(self, app: Any) -> int:
        shiny = sys.modules.get("shiny")
        if shiny is not None and isinstance(app, shiny.App):
            return MATCH_EXACT
        return 0

    def serve(self, app: Any, options: ServeOptions) -> str:
        return self.serve_asgi(app, options, self.run_call_kwargs(SHINY))


def _uses_shiny_express(namespace: Mapping[str, Any]) -> bool:
    express = sys.modules.get("shiny.express")
    if express is None:
        return False

    def from_express(value: Any) -> bool:
        try:  # shiny.express.input raises on any attribute outside a session
            name = value.__name__ if isinstance(value, ModuleType) else ""
            return value is express or f"{type(value).__module__}.{name}".startswith(
                "shiny.express"
            )
        except Exception:
            return False

    return any(from_express(value) for value in namespace.values())
