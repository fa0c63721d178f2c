"""Typed reload events: data first, text second.

Every step the engine reports (serving, reloaded, patched, failed, ...) is a
:class:`Event`. The reporter renders it as one line for people; ``--events
json`` writes it as one JSON line for programs (an editor, a coding agent, the
benchmark); ``GET /__devreload__/status`` on the served app returns the newest
one with the generation number, so a program that just saved a file can check
that its save is live before it looks at the page (``?after=N&wait=S`` waits for the
next outcome: :mod:`reloader.channel`).

The JSON form is a versioned contract, described by the JSON Schema in
``reloader/data/events.schema.json``: every line carries ``"v":``
:data:`SCHEMA_VERSION`, which changes only when a field is removed, renamed, or
changes its type or meaning; new fields and new event kinds come within the same
``v``, and readers ignore what they do not know.

JSON lines look like::

    {"v": 1, "event": "reloaded", "generation": 3, "tier": "full", "files": ["app.py"],
     "digests": {"app.py": "9f2c..."}, "timings_ms": {"detect": 2.1, "execute": 8.4,
     "swap": 1.9, "push": 0.2, "total": 12.6, "shown": 41.0}, "tabs": 1, "tabs_shown": 1,
     "shown_by": [1], "time": 1795000000.1}
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

__all__ = [
    "OUTCOMES",
    "SCHEMA_VERSION",
    "ErrorInfo",
    "Event",
    "EventKind",
    "JsonLines",
    "StatusBoard",
    "Tier",
]

#: The ``v`` of every JSON event and status answer (see the module's docstring).
SCHEMA_VERSION = 1

EventKind = Literal["serving", "reloaded", "patched", "failed", "stopping", "watch", "message"]
Tier = Literal["full", "props", "patch", "css"]
#: The events that end a load or a save: what ``status?wait=`` waits for.
OUTCOMES = frozenset({"serving", "reloaded", "patched", "failed"})


@dataclass(frozen=True)
class ErrorInfo:
    headline: str
    details: str = ""
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Event:
    event: EventKind
    #: How many versions have been put in service so far (0: the first load).
    generation: int = 0
    tier: Tier | None = None
    files: tuple[Path, ...] = ()
    #: blake2b digests of ``files`` as they were read for this version.
    digests: Mapping[Path, str] = field(default_factory=dict)
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    #: How many tabs were told (reloaded, patched, failed).
    tabs: int = 0
    #: How many of them confirmed they show the new version (timings_ms["shown"]: when
    #: the slowest did, from the save); None when the pages do not confirm.
    tabs_shown: int | None = None
    #: Which tabs those are (their numbers, as in the status's ``tabs``).
    shown_by: tuple[int, ...] = ()
    error: ErrorInfo | None = None
    #: serving: the URL, adapter and watched folders; watch/message: the text;
    #: failed: what is served meanwhile, when it is not the last good version.
    url: str = ""
    adapter: str = ""
    roots: tuple[Path, ...] = ()
    message: str = ""
    #: For a patch: the functions whose code was swapped, e.g. "shout()".
    functions: tuple[str, ...] = ()
    #: A message's origin when not devreload's own sentence (``--events json``): a
    #: logger's name (``reloader.engine``, ``uvicorn.error``, ``py.warnings``), or
    #: ``stderr`` for a line the app or a library wrote there.
    source: str = ""
    time: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "v": SCHEMA_VERSION,
            "event": self.event,
            "generation": self.generation,
        }
        if self.tier is not None:
            data["tier"] = self.tier
        if self.files:
            data["files"] = [str(path) for path in self.files]
        if self.digests:
            data["digests"] = {str(path): digest for path, digest in self.digests.items()}
        if self.timings_ms:
            data["timings_ms"] = {key: round(value, 2) for key, value in self.timings_ms.items()}
        if self.event in ("reloaded", "patched", "failed"):
            data["tabs"] = self.tabs
        if self.tabs_shown is not None:
            data["tabs_shown"] = self.tabs_shown
            data["shown_by"] = list(self.shown_by)
        if self.error is not None:
            data["error"] = {
                "headline": self.error.headline,
                "details": self.error.details,
                "file": self.error.file,
                "line": self.error.line,
            }
        if self.url:
            data["url"] = self.url
        if self.adapter:
            data["adapter"] = self.adapter
        if self.roots:
            data["roots"] = [str(root) for root in self.roots]
        if self.message:
            data["message"] = self.message
        if self.functions:
            data["functions"] = list(self.functions)
        if self.source:
            data["source"] = self.source
        data["time"] = round(self.time, 3)
        return data


class JsonLines:
    """Writes each event as one JSON line (``--events json``)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        line = json.dumps(event.to_json(), ensure_ascii=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class StatusBoard:
    """The newest outcome and the state, read by the app's status route and MCP tools
    (any thread). Outcomes are numbered (``seq``): a program that saw ``seq`` N waits
    for a newer one (:meth:`subscribe` tells it when something changed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: Event | None = None
        self._last_failed: Event | None = None
        self._generation = 0
        self._seq = 0
        self._state = "starting"
        self._subscribers: list[Callable[[], None]] = []
        #: The open tabs and the version each shows (the adapter's, when its pages say).
        self.tabs: Callable[[], list[dict[str, Any]]] | None = None

    def __call__(self, event: Event) -> None:
        with self._lock:
            if event.event in OUTCOMES:
                self._last = event
                self._seq += 1
                self._generation = event.generation
                self._state = "failed" if event.event == "failed" else "serving"
                if event.event == "failed":
                    self._last_failed = event
            elif event.event == "watch" and event.error is not None:
                self._state = "not watching"
            elif event.event == "watch":
                self._state = "serving" if self._state == "not watching" else self._state
            else:
                return
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber()

    @property
    def seq(self) -> int:
        """How many outcomes (the first load, then each save's) there have been."""
        with self._lock:
            return self._seq

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` (on the reporting thread) after each change; returns the
        function that unsubscribes it."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock, suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    def snapshot(self) -> dict[str, Any]:
        """``{"v": 1, "seq": N, "generation": G, "state": "serving"|"failed"|...,
        "last": {...event}}``, and ``"tabs": [{"tab": 1, "path": "/", "title": ...,
        "version": N}, ...]`` where the pages say which version each shows."""
        with self._lock:
            last = self._last.to_json() if self._last is not None else None
            found = {
                "v": SCHEMA_VERSION,
                "seq": self._seq,
                "generation": self._generation,
                "state": self._state,
                "last": last,
            }
        if self.tabs is not None:
            found["tabs"] = self.tabs()
        return found

    def last_error(self) -> dict[str, Any]:
        """The newest failed outcome (``"failed"``, None if none yet), and whether it
        still stands (no outcome served since)."""
        with self._lock:
            failed = self._last_failed
            return {
                "v": SCHEMA_VERSION,
                "seq": self._seq,
                "generation": self._generation,
                "state": self._state,
                "standing": failed is not None and self._last is failed,
                "failed": failed.to_json() if failed is not None else None,
            }


Listener = Callable[[Event], None]
