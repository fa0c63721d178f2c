"""Everything devreload says goes through here: typed events, rendered for people.

The engine emits :class:`~reloader._events.Event` objects; the reporter prints
each as one ``devreload: ...`` line on stderr (or, with ``--events json``, as
one JSON line) and hands it to the listeners (the JSON lines file of
``--events-file``, the status endpoint's board).
"""

from __future__ import annotations

import io
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from reloader._events import ErrorInfo, Event, JsonLines

__all__ = ["Reporter", "diagnostics"]

#: devreload's own diagnostics (``logging``), as text on stderr.
LOG_FORMAT = "devreload[%(name)s]: %(message)s"


def _working_folder() -> Path | None:
    try:
        return Path.cwd()
    except OSError:  # started in a folder that was deleted
        return None


def _short(path: Path, base: Path | None) -> str:
    """``path`` relative to ``base`` when it lies below it.

    ``base`` is the folder devreload started in, taken once: asking the process
    later fails once that folder was deleted (a branch switch, a deploy script).
    """
    if base is not None and path.is_relative_to(base):
        return str(path.relative_to(base))
    return str(path)


def _files(paths: Sequence[Path], base: Path | None) -> str:
    shown = ", ".join(_short(path, base) for path in paths[:3])
    if len(paths) > 3:
        shown += f" (+{len(paths) - 3} more)"
    return shown


def _tabs(event: Event) -> str:
    """``1 tab told``, or, where the tabs confirm, ``2 of 2 tabs show it in 41 ms``."""
    noun = "tab" if event.tabs == 1 else "tabs"
    if event.tabs_shown is None:
        return f"{event.tabs} {noun} told"
    shown = event.timings_ms.get("shown")
    when = f" in {shown:.0f} ms" if shown is not None and event.tabs_shown else ""
    verb = "shows" if event.tabs_shown == 1 else "show"
    return f"{event.tabs_shown} of {event.tabs} {noun} {verb} it{when}"


def render(event: Event, base: Path | None = None) -> str:
    """The line (or lines) a person reads for ``event``, without the ``devreload:`` prefix;
    paths below ``base`` are shown relative to it."""
    timings = event.timings_ms
    if event.event == "serving":
        watched = ", ".join(_short(root, base) or "." for root in event.roots)
        return f"serving {event.url} ({event.adapter}); watching {watched}"
    if event.event == "reloaded" and event.tier == "props":
        return (
            f"reloaded {_files(event.files, base)} in {timings.get('total', 0):.0f} ms, in place: "
            f"only literal arguments changed (detect {timings.get('detect', 0):.0f}, "
            f"update {timings.get('update', 0):.0f}, push {timings.get('push', 0):.0f} ms; "
            f"{_tabs(event)})"
        )
    if event.event == "reloaded":
        return (
            f"reloaded {_files(event.files, base)} in {timings.get('total', 0):.0f} ms "
            f"(detect {timings.get('detect', 0):.0f}, execute {timings.get('execute', 0):.0f}, "
            f"swap {timings.get('swap', 0):.0f}, push {timings.get('push', 0):.0f} ms; "
            f"{_tabs(event)})"
        )
    if event.event == "patched":
        count = len(event.functions)
        if count == 0:  # comments or blank lines: the compiled code is the same
            return (
                f"no code changed in {_files(event.files, base)} (comments or blank lines only); "
                f"nothing to run ({timings.get('total', 0):.0f} ms)"
            )
        names = ", ".join(event.functions[:3]) + (" ..." if count > 3 else "")
        noun = "function" if count == 1 else "functions"
        shown = f"; {_tabs(event)}" if event.tabs_shown is not None else ""
        return (
            f"patched {names} in {_files(event.files, base)} in {timings.get('total', 0):.0f} ms "
            f"({count} {noun}{shown})"
        )
    if event.event == "failed" and (event.message or not event.files):
        # The first load: nothing serves yet (the engine says so in its message).
        error = event.error or ErrorInfo("the app failed to load")
        # The engine says next how to retry ("waiting for a fix: save the file ...").
        said = event.message or "the first load failed; nothing is served yet."
        return f"{said}\n{error.details.rstrip()}\ndevreload: {error.headline}"
    if event.event == "failed":
        error = event.error or ErrorInfo("the reload failed")
        return (
            "reload failed, still serving the last good version; fix and save to retry.\n"
            f"{error.details.rstrip()}\n"
            f"devreload: {error.headline} ({_tabs(event)})"
        )
    if event.event == "watch" and event.error is not None:
        return event.error.headline
    if event.event == "message" and event.error is not None and event.error.details:
        return f"{event.message}\n{event.error.details.rstrip()}"
    return event.message


class Reporter:
    def __init__(self, stream: TextIO | None = None, *, json_lines: bool = False) -> None:
        self._stream = stream
        self._base = _working_folder()
        #: The generation being served, for events that do not say (messages).
        self._generation = 0
        self._json = JsonLines(stream or sys.stderr) if json_lines else None
        self.listeners: list[Callable[[Event], None]] = []

    def emit(self, event: Event) -> None:
        if event.event in ("serving", "reloaded", "patched", "failed", "stopping"):
            self._generation = event.generation
        elif event.generation == 0:
            event = replace(event, generation=self._generation)
        if self._json is not None:
            self._json(event)
        else:
            line = f"devreload: {render(event, self._base)}"
            print(line, file=self._stream or sys.stderr, flush=True)
        for listener in self.listeners:
            listener(event)

    def say(self, text: str) -> None:
        self.emit(Event("message", message=text))

    # Shorthands kept for callers that report outside the reload pipeline.

    def serving(self, url: str, adapter: str, roots: list[Path]) -> None:
        self.emit(Event("serving", url=url, adapter=adapter, roots=tuple(roots)))

    def failed(self, headline: str, details: str, tabs: int, generation: int = 0) -> None:
        self.emit(
            Event("failed", generation=generation, error=ErrorInfo(headline, details), tabs=tabs)
        )


@contextmanager
def diagnostics(reporter: Reporter, *, json_lines: bool) -> Iterator[None]:
    """Where diagnostics go for the duration: ``logging`` (warnings included) as text
    lines on stderr; or, under ``--events json``, everything that would reach stderr
    (log records, warnings, what the app and its libraries write there) as
    ``message`` events, so that stderr carries JSON lines only."""
    if not json_lines:
        logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
        yield
        return
    root = logging.getLogger()
    handler = _LogAsEvents(reporter)
    saved_level, saved_stderr = root.level, sys.stderr
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    events = sys.stderr = _StderrAsEvents(reporter, saved_stderr)
    try:
        yield
    finally:
        events.close()
        sys.stderr = saved_stderr
        logging.captureWarnings(False)
        root.removeHandler(handler)
        root.setLevel(saved_level)


class _LogAsEvents(logging.Handler):
    """A log record as a ``message`` event whose ``source`` is the logger's name."""

    def __init__(self, reporter: Reporter) -> None:
        super().__init__()
        self._reporter = reporter
        self._busy = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._busy, "on", False):  # reporting it logged something: drop that
            return
        self._busy.on = True
        try:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            self._reporter.emit(Event("message", message=text, source=record.name))
        except Exception:
            self.handleError(record)
        finally:
            self._busy.on = False


class _StderrAsEvents(io.TextIOBase):
    """``sys.stderr`` under ``--events json``: each line written (``\\r`` ends one too,
    as a progress bar draws) becomes a ``message`` event with source ``stderr``."""

    def __init__(self, reporter: Reporter, original: TextIO) -> None:
        super().__init__()
        self._reporter = reporter
        self._original = original
        self._pending = ""
        self._lock = threading.Lock()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._original, "encoding", None) or "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:  # faulthandler and the like write to the descriptor itself
        return self._original.fileno()

    def write(self, text: str) -> int:
        with self._lock:
            *lines, self._pending = re.split(r"\r\n|\r|\n", self._pending + text)
        for line in lines:
            if line.strip():
                self._reporter.emit(Event("message", message=line, source="stderr"))
        return len(text)

    def flush(self) -> None:
        """A partial line waits for its end; it is written out when devreload stops."""

    def close(self) -> None:
        """Write out a partial line; a writer that kept this stream may still write."""
        with self._lock:
            rest, self._pending = self._pending, ""
        if rest.strip():
            self._reporter.emit(Event("message", message=rest, source="stderr"))
