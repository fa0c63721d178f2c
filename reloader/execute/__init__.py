"""Stage 3, execute: run modules all-or-nothing in fresh namespaces (NO_RELOAD kept),
or patch changed function bodies in place.

Used by the engine and the notebook; the rule for which frames of a traceback
are the user's is in :mod:`reloader._frames`, shared with the engine and the
adapters."""

from __future__ import annotations

from reloader.execute._executor import ExecutionError, Executor, LocalImporter, Result
from reloader.execute._hooks import AfterImport
from reloader.execute._patch import Fallback, LiteralEdit, Patcher

__all__ = [
    "AfterImport",
    "ExecutionError",
    "Executor",
    "Fallback",
    "LiteralEdit",
    "LocalImporter",
    "Patcher",
    "Result",
]
