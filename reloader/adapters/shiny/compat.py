"""Every Shiny internal the Shiny adapter relies on, checked when Shiny is imported
(see :mod:`reloader.adapters.internals`). The adapter reaches Shiny beyond its
public API only for these."""

from __future__ import annotations

from reloader.adapters.base import ServeError
from reloader.adapters.internals import Internal, check

__all__ = ["REQUIRED", "SUPPORTED", "problem"]

SUPPORTED = "1.x"

REQUIRED: tuple[Internal, ...] = (
    Internal("shiny._main._run", "run_app", "to capture shiny.run_app() and serve once"),
    Internal("shiny._main", "run_app", "to capture run_app imported from shiny._main"),
    Internal(
        "shiny.express._stub_session",
        "ExpressStubSession",
        "to run an Express file's page pass outside a session",
    ),
    Internal(
        "shiny.express._run",
        "reset_top_level_recall_context_manager",
        "to give an Express file's page pass its top-level container",
    ),
    Internal(
        "shiny.express._run",
        "get_top_level_recall_context_manager",
        "to give an Express file's page pass its top-level container",
    ),
    Internal("shiny.express", "wrap_express_app", "to build the App of an Express file"),
    Internal("shiny.express", "is_express_app", "to tell an Express file from a core app"),
    Internal("shiny.session", "session_context", "to run an Express page pass in a session"),
)


def problem() -> ServeError | None:
    """Why this Shiny cannot be served by devreload, or None."""
    return check("shiny", SUPPORTED, REQUIRED)
