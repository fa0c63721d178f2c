"""devreload: in-process hot reload for Python UI apps.

``devreload app.py`` runs the app once and keeps it running; each save
re-executes the changed modules, keeps what ``if reloader.NO_RELOAD:`` (or
``if gr.NO_RELOAD:``) blocks created, swaps the new app in and pushes the
change to every open browser tab.
"""

from __future__ import annotations

from ._cli import main
from ._config import Config
from .adapters.base import Adapter, AppNotFound, ReloadEvent, ServeError, ServeOptions

__all__ = [
    "NO_RELOAD",
    "Adapter",
    "AppNotFound",
    "Config",
    "ReloadEvent",
    "ServeError",
    "ServeOptions",
    "main",
]

#: True under plain ``python app.py``, so production runs every block. Under
#: devreload, ``if reloader.NO_RELOAD:`` blocks are rewritten to run once and
#: keep what they bound (see reloader._no_reload); the value itself never changes.
NO_RELOAD = True
