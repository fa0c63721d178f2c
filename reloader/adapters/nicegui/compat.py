"""Every NiceGUI internal the NiceGUI adapter relies on, checked when NiceGUI is
imported (see :mod:`reloader.adapters.internals`). The adapter and its ``pages``
module reach NiceGUI beyond its public API only for these."""

from __future__ import annotations

from reloader.adapters.base import ServeError
from reloader.adapters.internals import Internal, check

__all__ = ["CLIENT_HANDLER_LISTS", "HANDLER_LISTS", "REQUIRED", "SUPPORTED", "problem"]

SUPPORTED = "3.x"

#: ``nicegui.app``'s per-client handler lists, which a reload replaces.
HANDLER_LISTS = (
    "_connect_handlers",
    "_disconnect_handlers",
    "_delete_handlers",
    "_exception_handlers",
)

#: A client's own lifecycle handlers, which its page function registers (instance
#: attributes: checked on a client when a page is rebuilt, not here).
CLIENT_HANDLER_LISTS = ("connect_handlers", "disconnect_handlers", "delete_handlers")

REQUIRED: tuple[Internal, ...] = (
    *(
        Internal("nicegui", f"app.{name}", "to replace the previous version's client handlers")
        for name in HANDLER_LISTS
    ),
    Internal("nicegui.client", "Client.page_routes", "to drop the previous version's pages"),
    Internal("nicegui.client", "Client.instances", "to rebuild each open page in place"),
    Internal("nicegui.slot", "Slot.get_stack", "to build a reload's elements on a clean slot"),
    Internal("nicegui.core", "script_mode", "to tell a script-mode app from a page app"),
    Internal("nicegui.core", "root", "to serve the new version's root page"),
    Internal("nicegui.core", "loop", "to rebuild open pages on NiceGUI's event loop"),
    Internal("nicegui.ui_run", "run", "to capture ui.run() and start the server once"),
    Internal("nicegui.storage", "request_contextvar", "to give a rebuilt page its request"),
    Internal(
        "nicegui.elements.mixins.value_element",
        "ValueElement",
        "to keep the values users entered in a rebuilt page",
    ),
)


def problem() -> ServeError | None:
    """Why this NiceGUI cannot be served by devreload, or None."""
    return check("nicegui", SUPPORTED, REQUIRED)
