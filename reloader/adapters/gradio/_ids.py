"""Block ids (``Context.id``) across reloads: stable, and never shared by two live blocks.

Gradio numbers every block from one class-level counter, ``Context.id``, and
refuses to render two blocks with the same id into one Blocks
(``DuplicateBlockError``). A reload must restart the counter at 0, so that the
new version's components get the ids the page already shows
(gradio-app/gradio#10253). Gradio's own reload mode does only that, and then
moves the counter past the new app's ids (gradio-app/gradio#12078). It breaks
on three layouts this module handles:

* Components built at import time by a module that is not re-executed (an
  unedited helper, or a page module whose Blocks the app renders on a route)
  keep their ids; the re-executed app, counting from 0, hands the same ids
  to its own components. Here every id remembers which module's top level
  built it, and a re-execution skips the ids of modules it has not re-run.
* A failed re-execution moved the counter back into the ids of the version
  still served, whose ``@gr.render`` then built blocks with taken ids. Here
  the counter, and what each module owns, change only when a new version is
  swapped in (:meth:`BlockIds.commit`); a failure puts the counter back.
* ``@gr.render`` at runtime numbers from the counter: after a swap it is past
  every id ever handed out, so runtime blocks never collide with live ones.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["BlockIds"]


class BlockIds:
    """Owns ``Context.id`` while the user's modules execute on the capturing thread."""

    def __init__(
        self,
        context: Any,
        block_type: type[Any],
        on_built: Callable[[Any, FrameType | None], None] | None = None,
    ) -> None:
        self._context = context
        #: Told of each block built while numbering, with the frame that built it.
        self._on_built = on_built
        #: id -> name of the module whose top-level code built that block (committed version).
        self._owners: dict[int, str] = {}
        #: Same, for the execution in progress or just finished (committed by a swap).
        self._pending: dict[int, str] = {}
        #: Modules that built blocks in the pending execution (their old ids are free).
        self._rerun: set[str] = set()
        self._reserved: set[int] = set()
        self._thread: int | None = None
        self._running_counter = 0
        self._first_load = True
        self._patch(block_type)

    def _patch(self, block_type: type[Any]) -> None:
        original: Callable[..., None] = block_type.__dict__["__init__"]
        ids = self

        def __init__(block: Any, *args: Any, **kwargs: Any) -> None:
            # Gradio 6 runs a block's __init__ once (compat.OPTIONAL_ATTRIBUTES); 5 has no flag.
            if ids._thread != threading.get_ident() or getattr(block, "_is_initialized", False):
                original(block, *args, **kwargs)
                return
            owner = _building_module(sys._getframe(1))
            if owner is not None and owner not in ids._rerun:
                ids._rerun.add(owner)
                ids._reserved -= {i for i, name in ids._owners.items() if name == owner}
            context = ids._context
            while context.id in ids._reserved:
                context.id += 1
            before = context.id
            original(block, *args, **kwargs)
            if owner is not None and block._id == before and context.id == before + 1:
                ids._pending[before] = owner
            if ids._on_built is not None:
                ids._on_built(block, sys._getframe(1))

        __init__.__wrapped__ = original  # type: ignore[attr-defined]
        block_type.__init__ = __init__

    def begin(self, first_load: bool) -> None:
        """Number the blocks built on this thread from now until :meth:`end`.

        On a reload the counter restarts at 0 and skips ids still owned by
        modules that are not re-run.
        """
        context = self._context
        self._first_load = first_load
        self._running_counter = int(context.id)
        self._pending = {}
        self._rerun = set()
        self._reserved = set(self._owners)
        if not first_load:
            context.id = 0
        self._thread = threading.get_ident()

    def end(self) -> None:
        """Whatever happened, the served version's counter is back (:meth:`commit` moves it on)."""
        if self._thread is None:
            return
        self._thread = None
        if not self._first_load:
            self._context.id = self._running_counter

    def commit(self, blocks: Any) -> None:
        """``blocks`` is now served: record who owns its ids, move the counter past all of them."""
        owners = {i: name for i, name in self._owners.items() if name not in self._rerun}
        owners.update(self._pending)
        self._owners = owners
        self._pending = {}
        self._rerun = set()
        used = [int(i) for i in getattr(blocks, "blocks", {})]
        highest = max([*used, *owners, -1])
        self._context.id = max(int(self._context.id), self._running_counter, highest + 1)


def _building_module(frame: FrameType | None) -> str | None:
    """The module whose top-level code is running this construction, if not Gradio's own."""
    while frame is not None:
        if frame.f_code.co_name == "<module>":
            name = frame.f_globals.get("__name__")
            if not isinstance(name, str) or name == "gradio" or name.startswith("gradio."):
                return None
            return name
        frame = frame.f_back
    return None
