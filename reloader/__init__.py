"""devreload: in-process hot reload for Python UI apps.

``devreload app.py`` runs the app once and keeps it running; each save
re-executes the changed modules, keeps what ``if reloader.NO_RELOAD:`` (or
``if gr.NO_RELOAD:``) blocks created, swaps the new app in and pushes the
change to every open browser tab.
"""

from __future__ import annotations

from typing import Any

from reloader._cli import main
from reloader._config import Config
from reloader._dispose import on_dispose
from reloader._errors import ReloaderError
from reloader._events import ErrorInfo, Event
from reloader.adapters.base import (
    MATCH_EXACT,
    MATCH_GENERIC,
    MATCH_TYPE,
    Adapter,
    AppNotFound,
    PageUpdate,
    ServeError,
    ServeOptions,
    SwapError,
)
from reloader.adapters.capture import RunCall, RunCapture

__all__ = [
    "MATCH_EXACT",
    "MATCH_GENERIC",
    "MATCH_TYPE",
    "NO_RELOAD",
    "Adapter",
    "AppNotFound",
    "Config",
    "ErrorInfo",
    "Event",
    "PageUpdate",
    "ReloaderError",
    "RunCall",
    "RunCapture",
    "ServeError",
    "ServeOptions",
    "SwapError",
    "load_ipython_extension",
    "main",
    "on_dispose",
    "unload_ipython_extension",
]

#: True under plain ``python app.py``, so production runs every block. Under
#: devreload, ``if reloader.NO_RELOAD:`` blocks are rewritten to run once and
#: keep what they bound (see reloader.execute._no_reload); the value itself never changes.
NO_RELOAD = True


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext reloader`` in a notebook: the ``%%devreload`` cell magic
    (see reloader.notebook); imported only then, so ``import reloader`` stays light."""
    from reloader.notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from reloader.notebook import unload_ipython_extension as unload

    unload(ipython)
