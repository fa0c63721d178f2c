"""Shiny: core apps (``app = App(app_ui, server)``, optionally ``shiny.run_app(app)``)
and Express apps (a file that imports ``shiny.express``, run with ``shiny run``).

A Shiny App is an ASGI app, so the asgi adapter serves it; this adapter captures
``shiny.run_app()`` (which would start uvicorn with its own reloader) and claims
the app with a higher score than the generic asgi one.

An Express file defines no app: Shiny builds one from the file
(``shiny.express.wrap_express_app``), running it once for the page and again for
every session. devreload runs it as Shiny's page pass does (inside Express's stub
session), then has Shiny build the App from it, on the first load and on every
save. Function bodies are never patched in place there: the sessions run their
own copy of the file, so every save is a full reload, and each open page gets a
new session on the new App.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

from reloader.adapters.asgi import ASGIAdapter, page_scripts
from reloader.adapters.base import MATCH_EXACT, AppNotFound, ServeError, ServeOptions
from reloader.adapters.shiny.compat import problem

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
    page_script = page_scripts("keep_built.js", "shiny_reload.js")
    #: The page script opens the page's new session itself; an old session ends
    #: when its page has moved on (or when its tab closes).
    close_replaced_sockets = False

    def __init__(self) -> None:
        super().__init__()
        #: The app's file when it is a Shiny Express app; None for a core app.
        self.express_file: Path | None = None
        #: Set when this Shiny lacks an internal devreload needs (compat.problem()).
        self._serve_error: ServeError | None = None

    def configure(self, options: ServeOptions) -> None:
        super().configure(options)
        path = options.app_path
        self.express_file = path if path is not None and is_express_file(path) else None

    @contextmanager
    def executing(self, first_load: bool) -> Iterator[None]:
        with ExitStack() as stack:
            stack.enter_context(super().executing(first_load))
            if self.express_file is not None:
                stack.enter_context(_express_page_pass())
            yield

    def refuses_patch(self, function: FunctionType) -> str | None:
        express = self.express_file
        if express is not None and function.__code__.co_filename == str(express):
            return (
                f"Shiny Express runs its own copy of {express.name} in each session: "
                "it is run again"
            )
        return None

    def framework_imported(self, module_name: str) -> None:
        super().framework_imported(module_name)
        if module_name != "shiny":
            return
        self._serve_error = problem()
        import shiny
        import shiny._main._run

        self.capture.patch(
            shiny._main._run, "run_app", kind=SHINY, reexported_by=(shiny._main, shiny)
        )

    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        if self.express_file is not None and name is None:
            return _wrap_express(self.express_file)
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
                "this module uses Shiny Express (it imports shiny.express), but it is not "
                "the app's file; devreload serves an Express app when it is given its file "
                "(devreload app.py, as shiny run app.py): see docs/adapters.md, 'Shiny Express'."
            )
        return app

    def match(self, app: Any) -> int:
        shiny = sys.modules.get("shiny")
        if shiny is not None and isinstance(app, shiny.App):
            return MATCH_EXACT
        return 0

    def serve(self, app: Any, options: ServeOptions) -> str:
        if self._serve_error is not None:
            raise self._serve_error
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


def is_express_file(path: Path) -> bool:
    """Whether ``path`` is a Shiny Express app, decided as ``shiny run`` decides it
    (``shiny.express.is_express_app``: it imports ``shiny.express``, or says
    ``# shiny_mode: express``). Shiny is imported only for a file that names it."""
    try:
        if "shiny" not in path.read_text(encoding="utf-8"):
            return False
        from shiny.express import is_express_app
    except (OSError, UnicodeDecodeError, ImportError):
        return False
    return bool(is_express_app(str(path), None))


@contextmanager
def _express_page_pass() -> Iterator[None]:
    """What Shiny sets up around an Express file's page pass: a stub session (which
    ``ui.page_opts()`` and the other Express calls need) and the top-level container
    that ``with ui.sidebar():`` and the like attach to."""
    from shiny.express import _run
    from shiny.express._stub_session import ExpressStubSession
    from shiny.session import session_context

    shown = sys.displayhook
    # The page goes to Shiny's display hook, as in Shiny's own pass; devreload only
    # needs the module's globals, so the page is dropped rather than printed.
    sys.displayhook = lambda value: None
    try:
        with session_context(ExpressStubSession()):
            _run.reset_top_level_recall_context_manager()
            _run.get_top_level_recall_context_manager().__enter__()
            try:
                yield
            finally:
                _run.get_top_level_recall_context_manager().__exit__(None, None, None)
    finally:
        sys.displayhook = shown


def _wrap_express(path: Path) -> Any:
    """The App Shiny builds from the Express file ``path``: a new one on each call."""
    from shiny.express import wrap_express_app

    try:
        return wrap_express_app(path)
    except Exception as error:
        raise AppNotFound(
            f"Shiny could not build the Express app from {path.name}: "
            f"{type(error).__name__}: {error}"
        ) from None
