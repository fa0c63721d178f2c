"""Stage 3, execute: run modules all-or-nothing in fresh namespaces (NO_RELOAD kept),
or patch changed function bodies in place; user-only tracebacks."""

from __future__ import annotations

from reloader._frames import (
    Whereabouts,
    is_user_file,
    user_frames,
    user_traceback,
    whereabouts,
)
from reloader.execute._executor import ExecutionError, Executor, LocalImporter, Result
from reloader.execute._hooks import AfterImport
from reloader.execute._no_reload import (
    RUNTIME_NAME,
    NoReloadRuntime,
    NoReloadStore,
    is_no_reload_test,
    transform,
)
from reloader.execute._patch import Fallback, Patcher, PatchResult

__all__ = [
    "RUNTIME_NAME",
    "AfterImport",
    "ExecutionError",
    "Executor",
    "Fallback",
    "LocalImporter",
    "NoReloadRuntime",
    "NoReloadStore",
    "PatchResult",
    "Patcher",
    "Result",
    "Whereabouts",
    "is_no_reload_test",
    "is_user_file",
    "transform",
    "user_frames",
    "user_traceback",
    "whereabouts",
]
