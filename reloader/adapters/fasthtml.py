"""FastHTML: ``app, rt = fast_app()`` ... ``serve()``.

A FastHTML app is a Starlette ASGI app, so the asgi adapter serves it; this
adapter only captures ``serve()`` (which would start uvicorn with its own
reloader) and claims the app with a higher score than the generic asgi one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from reloader.adapters.asgi import ASGIAdapter
from reloader.adapters.base import MATCH_EXACT, ServeOptions
from reloader.adapters.capture import RunCapture

__all__ = ["FastHTMLAdapter"]


class FastHTMLAdapter(ASGIAdapter):
    name = "fasthtml"
    framework_modules = ("fasthtml", "uvicorn")
    default_port = 5001

    def __init__(self) -> None:
        super().__init__()
        self._capture = RunCapture()
        self._patched = False

    def framework_imported(self, module_name: str) -> None:
        super().framework_imported(module_name)
        if module_name != "fasthtml" or self._patched:
            return
        import fasthtml.common
        import fasthtml.core

        self._capture.patch(fasthtml.core, "serve")
        fasthtml.common.serve = fasthtml.core.serve
        self._patched = True

    @contextmanager
    def executing(self, first_load: bool) -> Iterator[None]:
        with super().executing(first_load), self._capture.capturing():
            yield

    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        if name is None:
            call = self._capture.last()
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
        kwargs: dict[str, Any] = {"port": 5001}
        call = self._capture.last()
        if call is not None:
            arguments = call.arguments()
            kwargs.update({key: arguments[key] for key in ("host", "port") if arguments.get(key)})
        return self.serve_asgi(app, options, kwargs)
