"""What a page answers when the app fails to render it.

A template with a syntax error, or a view that raises, makes the framework
answer a bare "Internal Server Error". The tab that refetches its page after a
save (the client sends :data:`REFRESH_HEADER`) would reload into that answer
and lose what the user typed; a tab that loads it has no client left to follow
the save that fixes it. So :class:`~reloader.adapters.asgi.inject.ClientInjection`
holds such an answer back until the app's call has ended, when the exception
behind it is known: Starlette raises it again after its 500 (for the server's
log), and the wsgi adapter records the one Flask keeps to itself (its
``got_request_exception`` signal) with :func:`record_error`. Then:

* the client's refetch gets the error as JSON (title and text for its
  overlay, with the template's file and line where the exception carries them):
  the tab keeps the last good page, typed values and all, and the save that
  fixes the error patches it back;
* a page load gets a page of devreload's own that says the same, with the
  client in it, so the tab follows the save that fixes it.
"""

from __future__ import annotations

import html
import http
import json
import linecache
import re
import traceback
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reloader._frames import is_user_file

__all__ = [
    "ERRORS_KEY",
    "REFRESH_HEADER",
    "PageError",
    "describe",
    "is_refresh_request",
    "record_error",
]

#: Sent by the client when it refetches its page after a save.
REFRESH_HEADER = b"x-devreload-refresh"
#: The scope key of the list that the exceptions of a request are recorded in.
ERRORS_KEY = "devreload.errors"
#: How much of an error answer's own body is shown, when no exception says more.
BODY_EXCERPT = 2000


def is_refresh_request(scope: MutableMapping[str, Any]) -> bool:
    return any(key.lower() == REFRESH_HEADER for key, _ in scope.get("headers", []))


def record_error(scope: MutableMapping[str, Any] | None, error: BaseException) -> None:
    """Record ``error`` as the reason for the error answer of the request of ``scope``
    (for a framework that answers its exceptions itself instead of raising them)."""
    errors = scope.get(ERRORS_KEY) if scope is not None else None
    if isinstance(errors, list):
        errors.append(error)


@dataclass(frozen=True)
class PageError:
    status: int
    #: What kind of problem, for the overlay's heading.
    title: str
    #: The exception, where it happened (the template line), and the user's frames.
    text: str

    def as_json(self) -> bytes:
        return json.dumps({"status": self.status, "title": self.title, "text": self.text}).encode()

    def as_page(self) -> bytes:
        """A page of its own (the client goes in before ``</body>``)."""
        reason = _phrase(self.status)
        return (
            '<!doctype html><html><head><meta charset="utf-8">'
            f"<title>{self.status} {html.escape(reason)} (devreload)</title></head>"
            '<body style="margin:0;background:#1e1e1e;color:#f8f8f2;'
            'font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;">'
            '<div style="border-top:4px solid #e5484d;padding:12px 16px;">'
            '<div style="color:#ff6b6b;font-weight:bold;margin-bottom:6px;">'
            f"{html.escape(self.title)}</div>"
            f'<pre style="margin:0;white-space:pre-wrap;">{html.escape(self.text)}</pre>'
            "</div></body></html>"
        ).encode()


def describe(
    status: int,
    body: bytes,
    content_type: bytes,
    error: BaseException | None,
    roots: Sequence[Path],
    *,
    refresh: bool,
) -> PageError:
    """The error answer of a page: from ``error`` if the app raised one, else from the
    app's own answer (``status``, and its ``body`` of type ``content_type``)."""
    reason = f"{status} {_phrase(status)}".strip()
    if refresh:
        title = (
            f"devreload: this page now answers {reason}; the tab keeps the last good "
            "version until a save fixes it."
        )
    else:
        title = f"devreload: this page answered {reason}; a save that fixes it loads it again."
    if error is None:
        return PageError(status, title, _excerpt(body, content_type))
    lines = [f"{type(error).__name__}: {error}".rstrip(": ")]
    where = _where(error, roots)
    if where is not None:
        path, line = where
        lines.append(f"  {_shown(path)}, line {line}")
        source = linecache.getline(str(path), line).strip()
        if source:
            lines.append(f"    {source}")
    frames = _user_frames(error, roots)
    if frames:
        lines += ["", "Traceback (most recent call last):", *traceback.format_list(frames)]
    return PageError(status, title, "\n".join(line.rstrip("\n") for line in lines))


def _where(error: BaseException, roots: Sequence[Path]) -> tuple[Path, int] | None:
    """The file and line the error is about: its own ``filename`` and ``lineno`` where
    it carries them (a template's syntax error, like Python's own), else the innermost
    frame of the user's (template engines put template lines in the traceback)."""
    filename, lineno = getattr(error, "filename", None), getattr(error, "lineno", None)
    if isinstance(filename, str) and filename and isinstance(lineno, int):
        return _absolute(filename), lineno
    frames = _user_frames(error, roots)
    if frames and frames[-1].lineno is not None:
        return _absolute(frames[-1].filename), frames[-1].lineno
    return None


def _user_frames(error: BaseException, roots: Sequence[Path]) -> list[traceback.FrameSummary]:
    frames = traceback.extract_tb(error.__traceback__)
    return [frame for frame in frames if is_user_file(str(_absolute(frame.filename)), roots)]


def _absolute(filename: str) -> Path:
    # Templates loaded from a relative folder ("templates") carry relative names.
    if filename.startswith("<"):
        return Path(filename)
    path = Path(filename)
    return path if path.is_absolute() else Path.cwd() / path


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _excerpt(body: bytes, content_type: bytes) -> str:
    text = body.decode("utf-8", "replace")
    if b"html" in content_type.lower():
        text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", "", text)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
        text = "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
    text = text.strip()
    return text if len(text) <= BODY_EXCERPT else text[:BODY_EXCERPT] + " ..."


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""
