"""Stage 1, watch: watchfiles on the source tree, the relevance filter, and the
change stream that turns raw events into settled batches of really changed files.

The engine is this stage's only user; the path rules it shares with the planner
are in :mod:`reloader._paths`."""

from __future__ import annotations

from reloader.watch._changes import ChangeStream
from reloader.watch._filter import SourceFilter
from reloader.watch._watcher import Batch, Watcher, WatchNotice, watch_roots

__all__ = ["Batch", "ChangeStream", "SourceFilter", "WatchNotice", "Watcher", "watch_roots"]
