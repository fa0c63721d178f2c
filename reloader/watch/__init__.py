"""Stage 1, watch: watchfiles on the source tree, the relevance filter, and the
change stream that turns raw events into settled batches of really changed files."""

from __future__ import annotations

from reloader._paths import (
    VENDORED_DIR_NAMES,
    VIRTUALENV_MARKERS,
    containing_root,
    in_virtualenv,
    is_under,
    is_vendored,
    parts_below,
)
from reloader.watch._changes import REAPPEAR_SECONDS, ChangeStream, digest
from reloader.watch._filter import (
    IGNORED_DIR_NAMES,
    IGNORED_NAME_GLOBS,
    RELEVANT_SUFFIXES,
    SourceFilter,
)
from reloader.watch._watcher import (
    ROOT_CHECK_MS,
    Batch,
    Watcher,
    WatchNotice,
    watch_roots,
)

__all__ = [
    "IGNORED_DIR_NAMES",
    "IGNORED_NAME_GLOBS",
    "REAPPEAR_SECONDS",
    "RELEVANT_SUFFIXES",
    "ROOT_CHECK_MS",
    "VENDORED_DIR_NAMES",
    "VIRTUALENV_MARKERS",
    "Batch",
    "ChangeStream",
    "SourceFilter",
    "WatchNotice",
    "Watcher",
    "containing_root",
    "digest",
    "in_virtualenv",
    "is_under",
    "is_vendored",
    "parts_below",
    "watch_roots",
]
