"""FastHTML: ``app, rt = fast_app()`` ... ``serve()``.

A FastHTML app is a Starlette ASGI app, so the asgi adapter serves it; this
adapter captures ``serve()`` (which would start uvicorn with its own reloader)
and claims the app with a higher score than the generic asgi one.

Its pages are patched in place on a save, keeping what htmx swapped into them,
and htmx then processes the patched page (new ``hx-*`` attributes work); an
open WebSocket of a replaced app is closed for htmx to reconnect to the new one.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from reloader.adapters.asgi import ASGIAdapter, page_scripts
from reloader.adapters.base import MATCH_EXACT, ServeOptions

__all__ = ["FastHTMLAdapter"]

#: The ``kind`` of captured ``serve()`` calls.
FASTHTML = "fasthtml"


class FastHTMLAdapter(ASGIAdapter):
    name = "fasthtml"
    framework_modules = ("fasthtml", "uvicorn")
    default_port = 5001
    page_script = page_scripts("keep_built.js", "fasthtml_reload.js")

    def framework_imported(self, module_name: str) -> None:
        super().framework_imported(module_name)
        if module_name != "fasthtml":
            return
        import fasthtml.common
        import fasthtml.core

        self.capture.patch(
            fasthtml.core, "serve", kind=FASTHTML, reexported_by=(fasthtml.common, fasthtml)
        )

    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        if name is None:
            call = self.capture.last(kind=FASTHTML)
            if call is not None:
                app_name = call.arguments().get("app", "app")
                if isinstance(app_name, str) and app_name in namespace:
                    return namespace[app_name]
        return super().find_app(namespace, name)

    def match(self, app: Any) -> int:
        fasthtml = sys.modules.get("fasthtml.core")
        if fasthtml is not None and isinstance(app, fasthtml.FastHTML):
            return MATCH_EXACT
        return 0

    def serve(self, app: Any, options: ServeOptions) -> str:
        return self.serve_asgi(app, options, self.run_call_kwargs(FASTHTML))
