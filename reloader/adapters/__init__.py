"""Adapters plug UI frameworks into the engine; see :mod:`reloader.adapters.base`.

Adapters are found through the ``devreload.adapters`` entry-point group, so a
third-party package adds one without editing devreload. What an adapter needs
is exported here: the interface (:class:`Adapter`, :class:`ServeOptions`,
:class:`PageUpdate`, the errors, the ``MATCH_*`` scores) and the helpers every
adapter uses for the same jobs: :class:`RunCapture` (capture the framework's
blocking run call), :func:`the_one_app` (the one app among the module's globals),
:func:`serving_address` (host and port, in the one precedence) and :func:`bind`
(the socket, with the one sentence for a taken port).
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from reloader._errors import EXIT_USAGE, UserError
from reloader.adapters.address import DEFAULT_HOST, Address, bind, serving_address
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
    the_one_app,
)
from reloader.adapters.capture import RunCall, RunCapture

__all__ = [
    "DEFAULT_HOST",
    "ENTRY_POINT_GROUP",
    "MATCH_EXACT",
    "MATCH_GENERIC",
    "MATCH_TYPE",
    "Adapter",
    "Address",
    "AppNotFound",
    "PageUpdate",
    "RunCall",
    "RunCapture",
    "ServeError",
    "ServeOptions",
    "SwapError",
    "available_adapters",
    "bind",
    "default_ports",
    "load_adapters",
    "serving_address",
    "the_one_app",
]

logger = logging.getLogger("reloader.adapters")

ENTRY_POINT_GROUP = "devreload.adapters"

#: Built-ins, also usable when devreload runs from a source tree that was never installed.
_BUILTIN = {
    "gradio": "reloader.adapters.gradio:GradioAdapter",
    "asgi": "reloader.adapters.asgi:ASGIAdapter",
    "wsgi": "reloader.adapters.wsgi:WSGIAdapter",
    "dash": "reloader.adapters.dash:DashAdapter",
    "fasthtml": "reloader.adapters.fasthtml:FastHTMLAdapter",
    "shiny": "reloader.adapters.shiny:ShinyAdapter",
    "nicegui": "reloader.adapters.nicegui:NiceGUIAdapter",
}


def available_adapters() -> dict[str, str]:
    """Adapter name -> "module:Class", built-ins first, then entry points."""
    found = dict(_BUILTIN)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry_point.name, entry_point.value)
    return found


def _load(name: str, target: str) -> Adapter:
    from importlib import import_module

    module_name, _, attribute = target.partition(":")
    try:
        adapter_class = getattr(import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise UserError(f"The {name!r} adapter ({target}) could not be loaded: {error}.") from None
    adapter = adapter_class()
    if not isinstance(adapter, Adapter):
        raise UserError(f"The {name!r} adapter ({target}) is not a reloader.Adapter subclass.")
    return adapter


def default_ports() -> dict[str, int]:
    """Adapter name -> the port it serves by default, for ``devreload --help``."""
    from importlib import import_module

    ports = {}
    for name, target in available_adapters().items():
        module_name, _, attribute = target.partition(":")
        try:
            port = getattr(getattr(import_module(module_name), attribute), "default_port", None)
        except Exception:  # a broken third-party adapter must not break --help
            continue
        if isinstance(port, int):
            ports[name] = port
    return ports


def load_adapters(only: str | None = None) -> list[Adapter]:
    """Instantiate the chosen adapter, or every available one (for detection)."""
    available = available_adapters()
    if only is not None:
        if only not in available:
            names = ", ".join(sorted(available))
            raise UserError(f"No adapter named {only!r}; available: {names}.", EXIT_USAGE)
        return [_load(only, available[only])]
    return [_load(name, target) for name, target in available.items()]
