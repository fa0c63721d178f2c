"""devreload in a notebook: ``%load_ext reloader``, then a ``%%devreload`` cell.

The first run of the cell serves the app it defines; each re-run swaps the new
app into the same server, and the open tabs follow with their state, as a save
does under ``devreload app.py``. The only parts of devreload this package uses
are the adapters (serve, swap, notify), the executor (NO_RELOAD blocks), the
patch tier, and on_dispose's registry; IPython is imported by the kernel, never
by devreload itself.
"""

from __future__ import annotations

from typing import Any

from reloader.notebook._magic import NotebookReloader

__all__ = ["NotebookReloader", "load_ipython_extension", "unload_ipython_extension"]

#: The kernel's reloader (one per IPython shell), kept to stop its servers on unload.
_loaded: dict[int, NotebookReloader] = {}


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext reloader``: the ``%%devreload`` cell magic and ``%devreload_view``."""
    if id(ipython) in _loaded:
        return
    reloader = _loaded[id(ipython)] = NotebookReloader(ipython)
    ipython.register_magic_function(reloader.magic, magic_kind="cell", magic_name="devreload")
    ipython.register_magic_function(reloader.view, magic_kind="line", magic_name="devreload_view")


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext reloader``: stop every cell's server."""
    reloader = _loaded.pop(id(ipython), None)
    if reloader is not None:
        reloader.shutdown()
