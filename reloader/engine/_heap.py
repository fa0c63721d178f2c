"""The cyclic garbage collector, kept off the path from a save to the page.

Profiled on a 500-component Gradio app, every other reload took 100 to 140 ms longer
than the others: a full collection walked the million objects the framework's
import had made, all of which live as long as the process. Two measures:

* :func:`freeze_what_exists`, right after the framework is imported (by the
  interpreter set-up): those objects move out of the collector's reach, so a full
  collection walks the app's objects only (25 to 70 ms at 500 components).
* :class:`DeferredCollection`: no automatic collection while a save is put in
  service; the garbage it left (the replaced version) is collected once devreload is
  idle, or at the latest after a few saves in a row, so memory stays bounded.
"""

from __future__ import annotations

import gc
import threading

__all__ = ["DeferredCollection", "any_frozen", "freeze_what_exists", "unfreeze"]


def freeze_what_exists() -> None:
    """Every object that exists now is left out of future collections (its cyclic
    garbage, if it ever became garbage, would never be freed: only call this when what
    exists lives as long as the process)."""
    gc.freeze()


def any_frozen() -> bool:
    return gc.get_freeze_count() > 0


def unfreeze() -> None:
    """Frozen objects are collectable again (when the engine stops inside a process)."""
    gc.unfreeze()


class DeferredCollection:
    """Pauses automatic collection from :meth:`defer` until :meth:`collect`."""

    def __init__(self, most_deferred: int = 4) -> None:
        #: Versions replaced in a row without an idle moment before one collects up front.
        self.most_deferred = most_deferred
        self._lock = threading.Lock()
        self._deferred = False
        self._was_enabled = False
        #: Versions replaced (or left half-built by a failure) since the last collection.
        self._replaced = 0

    def defer(self) -> None:
        """A save is about to be put in service: collect later, not meanwhile."""
        with self._lock:
            if not self._deferred:
                self._deferred = True
                self._was_enabled = gc.isenabled()
                gc.disable()
            elif self._replaced >= self.most_deferred:
                gc.collect()  # saves without a pause: several versions' garbage
                self._replaced = 0

    def replaced_a_version(self) -> None:
        """The save ran the app again: the version it replaced is garbage now (so is
        the new one, if it failed). A full collection walks every object the app has
        (about 50 ms at 500 components): worth it then, not after a patch or an update
        in place, which made little the automatic collections do not take."""
        with self._lock:
            self._replaced += 1

    def collect(self) -> None:
        """devreload is idle: collect what the replaced versions left, and resume."""
        with self._lock:
            if not self._deferred:
                return
            self._deferred = False
            if self._replaced:
                gc.collect()
                self._replaced = 0
            if self._was_enabled:
                gc.enable()

    def resume(self) -> None:
        """Automatic collection as it was before the first :meth:`defer` (on exit)."""
        with self._lock:
            if self._deferred and self._was_enabled:
                gc.enable()
            self._deferred = False
