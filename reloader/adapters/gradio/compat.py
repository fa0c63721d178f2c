"""Every Gradio internal devreload relies on, resolved in one place and checked at start-up.

devreload swaps a new Blocks into Gradio's running server the way Gradio's own
reload mode does, which needs about a dozen names that are not Gradio's public
API. They are listed here, each with what it is for, so that a Gradio release
that renames or drops one is reported in one sentence naming it, when Gradio is
imported, instead of failing with an AttributeError in the middle of a reload.
The rest of the adapter reaches them only through :class:`GradioInternals`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reloader.adapters.base import ServeError

__all__ = ["REQUIRED", "GradioInternals", "resolve"]

#: (module, attribute path, what devreload uses it for). All must exist.
REQUIRED: tuple[tuple[str, str, str], ...] = (
    ("gradio.blocks", "Blocks.launch", "to capture demo.launch() and start the server"),
    ("gradio.blocks", "Blocks.block_thread", "to keep launch(debug=True) from blocking"),
    ("gradio.blocks", "Blocks.get_config_file", "to build the page config once per reload"),
    ("gradio.blocks", "Block.__init__", "to number block ids across reloads"),
    ("gradio.context", "Context.id", "to give reloaded components their previous ids"),
    ("gradio.routes", "App.create_app", "to reuse the running server's app on reloads"),
    ("gradio.utils", "BaseReloader.swap_blocks", "to swap the new Blocks into the server"),
    ("gradio.utils", "reassign_keys", "to keep values typed into the page across reloads"),
    ("gradio.utils", "TupleNoPrint", "to return what launch() returns"),
    ("gradio.utils", "_parse_file_size", "to apply launch(max_file_size=...) on a save"),
    ("gradio.utils", "get_space", "to apply launch()'s defaults on a save"),
    ("gradio.cli.commands.reload", "reload_thread", "to apply launch()'s theme and css"),
    ("gradio.route_utils", "API_PREFIX", "to find the /dev/reload route the page listens on"),
)

#: Gradio's event-loop-per-call lock factories (replaced while re-executing); a
#: release without them simply has nothing to replace.
LOCK_FACTORIES: tuple[tuple[str, str], ...] = (
    ("gradio.utils", "safe_get_lock"),
    ("gradio.utils", "safe_get_stop_event"),
    ("gradio.queueing", "safe_get_lock"),
    ("gradio.queueing", "safe_get_stop_event"),
)

#: The route Gradio's frontend opens when the config has dev_mode on; devreload
#: serves its own event stream there (``data: {"type": "reload"}`` messages).
DEV_RELOAD_ROUTE = "/dev/reload"


@dataclass(frozen=True)
class GradioInternals:
    Blocks: type[Any]
    Block: type[Any]
    Context: type[Any]
    App: type[Any]
    BaseReloader: type[Any]
    reassign_keys: Callable[[Any, Any], None]
    TupleNoPrint: type[Any]
    parse_file_size: Callable[[Any], Any]
    get_space: Callable[[], Any]
    reload_thread: Any
    api_prefix: str
    #: (module, name) pairs of LOCK_FACTORIES that this release has.
    lock_factories: tuple[tuple[Any, str], ...]


def _lookup(module_name: str, path: str) -> Any:
    value: Any = importlib.import_module(module_name)
    for part in path.split("."):
        # A class's attribute must be its own: devreload replaces it in that class.
        value = vars(value)[part] if isinstance(value, type) else getattr(value, part)
    return value


def resolve() -> GradioInternals:
    """Every internal of :data:`REQUIRED`; ServeError naming the first one that is missing."""
    found: dict[str, Any] = {}
    for module_name, path, purpose in REQUIRED:
        try:
            found[path] = _lookup(module_name, path)
        except (ImportError, AttributeError, KeyError):
            raise ServeError(
                f"This Gradio release ({_version()}) has no {module_name}.{path}, which "
                f"devreload uses {purpose}; install a Gradio version devreload supports "
                "(5.x or 6.x) or upgrade devreload."
            ) from None
    locks = []
    for module_name, name in LOCK_FACTORIES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, name):
            locks.append((module, name))
    return GradioInternals(
        Blocks=_lookup("gradio.blocks", "Blocks"),
        Block=_lookup("gradio.blocks", "Block"),
        Context=_lookup("gradio.context", "Context"),
        App=_lookup("gradio.routes", "App"),
        BaseReloader=_lookup("gradio.utils", "BaseReloader"),
        reassign_keys=found["reassign_keys"],
        TupleNoPrint=found["TupleNoPrint"],
        parse_file_size=found["_parse_file_size"],
        get_space=found["get_space"],
        reload_thread=found["reload_thread"],
        api_prefix=str(found["API_PREFIX"]),
        lock_factories=tuple(locks),
    )


def _version() -> str:
    try:
        return str(importlib.import_module("gradio").__version__)
    except (ImportError, AttributeError):
        return "unknown version"
