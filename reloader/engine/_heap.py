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


#: Objects made since the last collection, in gen-0 thresholds, above which the
#: deferred saves count as having built (and replaced) a version.
_BUILT_A_VERSION = 10


class DeferredCollection:
    """Pauses automatic collection from :meth:`defer` until :meth:`collect`."""

    def __init__(self, most_deferred: int = 4) -> None:
        #: Reloads in a row without an idle moment before one collects up front.
        self.most_deferred = most_deferred
        self._lock = threading.Lock()
        self._deferred = 0
        self._was_enabled = False

    def defer(self) -> None:
        """A save is about to be put in service: collect later, not meanwhile."""
        with self._lock:
            if self._deferred == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            elif self._deferred >= self.most_deferred:
                if _versions_replaced():  # saves without a pause: several versions' garbage
                    gc.collect()
                self._deferred = 0
            self._deferred += 1

    def collect(self) -> None:
        """devreload is idle: collect what the deferred saves left, and resume."""
        with self._lock:
            if self._deferred == 0:
                return
            self._deferred = 0
            if _versions_replaced():
                gc.collect()
            if self._was_enabled:
                gc.enable()

    def resume(self) -> None:
        """Automatic collection as it was before the first :meth:`defer` (on exit)."""
        with self._lock:
            if self._deferred and self._was_enabled:
                gc.enable()
            self._deferred = 0


def _versions_replaced() -> bool:
    """Whether the saves since the last collection built (and so replaced) a version.

    A full collection walks every object the app has (about 50 ms at 500
    components): worth it where a version was replaced (its objects are garbage by
    now), not after saves that built little (a patch, an update in place), whose
    objects the automatic collections take as they come."""
    return gc.get_count()[0] > _BUILT_A_VERSION * gc.get_threshold()[0]
