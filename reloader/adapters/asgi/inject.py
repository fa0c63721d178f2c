"""The devreload client in every HTML page: a standalone ASGI middleware.

:class:`ClientInjection` wraps an ASGI app; HTML pages it answers get the
client (reload on save, error overlay, CSS in place) before ``</body>``: as an
inline script, or, on a page whose Content-Security-Policy is set, as a
same-origin ``<script src>`` with the policy's nonce if it has one.
Compressed, streamed-with-length-over-the-limit and non-HTML bodies pass, and
so do the answers to fragment requests (htmx's ``HX-Request``, Hotwire's
``Turbo-Frame``): the page that asked already runs the client, and a second
copy swapped into it would open a second event stream per request.
A page that answers a POST (or any method but GET) is marked as such: the
client never loads it again, which would send the form again.
The client's URLs lead back to devreload's routes from wherever the page is
served: behind a proxy at a sub-path too (see :func:`routes_base`).
An error answer to a page load or to the client's own refetch is held back
until the app's call has ended and answered as :mod:`.page_errors` says.
The proxy applies it to every app it serves.
"""

from __future__ import annotations

import functools
import html
from collections.abc import (
    Awaitable,
    Callable,
    MutableMapping,
    Sequence,
)
from pathlib import Path
from typing import Any

from reloader.adapters.asgi.page_errors import ERRORS_KEY, describe, is_refresh_request
from reloader.notify import client_script

__all__ = [
    "CLIENT_PATH",
    "EVENTS_PATH",
    "INJECT_LIMIT",
    "ClientInjection",
    "routes_base",
    "send_client",
]

EVENTS_PATH = "/__devreload__/events"
CLIENT_PATH = "/__devreload__/client.js"
#: HTML bodies larger than this are passed through without the client.
INJECT_LIMIT = 8 * 1024 * 1024
#: Request headers of a page's own fragment requests (htmx, Hotwire Turbo frames).
FRAGMENT_HEADERS = (b"hx-request", b"turbo-frame")
#: How much of an error answer's body is held back to be shown (the rest is dropped).
ERROR_BODY_LIMIT = 256 * 1024
#: Sent by a proxy that serves the app under a prefix it strips from the requests
#: (jupyter-server-proxy, Traefik's StripPrefix, many nginx setups).
FORWARDED_PREFIX = b"x-forwarded-prefix"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ClientInjection:
    """ASGI middleware: puts the devreload client into the HTML pages of ``app``."""

    def __init__(
        self,
        app: Any,
        page_script: str = "",
        *,
        morph: bool = True,
        version: int | None = None,
        roots: Sequence[Path] = (),
    ) -> None:
        self.app = app
        #: The adapter's own addition to the client (see ASGIAdapter.page_script).
        self.page_script = page_script
        #: False (``--no-keep-state``): a save reloads the page instead of morphing it.
        self.morph = morph
        #: The reloads published so far (Broadcaster.version): a page that misses one
        #: while it loads is told when its stream opens.
        self.version = version
        #: The watched folders: an error's frames under them are the user's.
        self.roots = tuple(roots)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_fragment_request(scope):
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        refresh, page_load = is_refresh_request(scope), accepts_html(scope)
        if refresh or page_load:
            # Pages come back uncompressed, so that the client can go in.
            scope["headers"] = [
                (key, value)
                for key, value in scope.get("headers", [])
                if key.lower() != b"accept-encoding"
            ]
        errors: list[BaseException] = []
        scope[ERRORS_KEY] = errors
        method = str(scope.get("method", "GET"))
        snippets = _snippets_for(
            routes_base(scope, self.app),
            self.page_script,
            self.morph,
            self.version,
            method not in ("GET", "HEAD"),
        )
        held = None
        if method != "HEAD" and (refresh or page_load):
            held = _ErrorAnswer(refresh, self.roots)
        injector = _Injector(send, snippets, method == "HEAD", held)
        try:
            await self.app(scope, receive, injector.send)
        except Exception as error:
            await injector.finish(error)
            raise  # for the server's log, as without devreload
        await injector.finish(errors[-1] if errors else None)


def routes_base(scope: Scope, app: Any = None) -> str:
    """Where devreload's routes are for the page answering ``scope``, ending in "/".

    Under the root path the server or the app declares (uvicorn's ``root_path``,
    FastAPI's), else under the prefix a proxy says it strips (``X-Forwarded-Prefix``),
    else relative to the page (``./``, ``../``): behind a proxy at a prefix nobody
    told the app (JupyterHub's ``/user/NAME/proxy/8000/``), the page's own URL still
    leads back to the server that served it.
    """
    declared = getattr(app, "root_path", None)
    for root in (scope.get("root_path"), declared if isinstance(declared, str) else None):
        if root:
            return str(root).rstrip("/") + "/"
    prefix = _forwarded_prefix(scope)
    if prefix is not None:
        return prefix + "/"
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else str(scope.get("path", "/"))
    depth = path.split("?", 1)[0].count("/") - 1
    return "../" * depth if depth > 0 else "./"


def _forwarded_prefix(scope: Scope) -> str | None:
    """The proxy's ``X-Forwarded-Prefix`` (its first value), without a trailing "/"."""
    for key, value in scope.get("headers", []):
        if bytes(key).lower() == FORWARDED_PREFIX:
            prefix = bytes(value).decode("latin-1").split(",")[0].strip().rstrip("/")
            if not prefix or (prefix.startswith("/") and not prefix.startswith("//")):
                return prefix
            return None
    return None


@functools.lru_cache(maxsize=64)
def _snippets_for(
    base: str,
    page_script: str = "",
    morph: bool = True,
    version: int | None = None,
    posted: bool = False,
) -> _Snippets:
    return _Snippets(base, page_script, morph, version, posted)


async def send_client(send: Send, page_script: str = "", morph: bool = True) -> None:
    body = (client_script(morph) + page_script).encode("utf-8")
    headers = [
        (b"content-type", b"text/javascript; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-cache"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Snippets:
    """The client tags for the pages whose devreload routes are under ``base``."""

    def __init__(
        self,
        base: str,
        page_script: str = "",
        morph: bool = True,
        version: int | None = None,
        posted: bool = False,
    ) -> None:
        self.events = base + EVENTS_PATH.lstrip("/")
        self.client = base + CLIENT_PATH.lstrip("/")
        self.version = version
        #: The page answers a POST: the client must not load it again.
        self.posted = posted
        self.inline = _client_snippet(self.events, page_script, morph, version, posted)

    def for_policy(self, policy: bytes | None) -> bytes:
        """The inline script, or, for a page with a CSP, a same-origin <script src>
        (allowed by ``script-src 'self'``) carrying the policy's nonce if it has one."""
        if policy is None:
            return self.inline
        nonce = _script_nonce(policy)
        attributes = [("src", self.client), ("data-events", self.events)]
        if self.version is not None:
            attributes.append(("data-version", str(self.version)))
        if nonce is not None:
            attributes.append(("nonce", nonce))
        text = " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes)
        posted = " data-posted" if self.posted else ""
        return f"<script {text} data-reload-page{posted}></script>".encode("ascii", "replace")


def _script_nonce(policy: bytes) -> str | None:
    """The nonce that lets a script element run under ``policy``, if it names one."""
    directives: dict[str, list[str]] = {}
    for part in policy.decode("latin-1").replace(",", ";").split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    for name in ("script-src-elem", "script-src", "default-src"):
        if name in directives:
            for source in directives[name]:
                if source.lower().startswith("'nonce-") and source.endswith("'"):
                    return source[len("'nonce-") : -1]
            return None
    return None


class _ErrorAnswer:
    """What an error answer turns into: JSON for the client's refetch (any status from
    400), or, for a page load that fails (500 and up), devreload's own page when the
    app raised or did not answer with HTML (see :mod:`.page_errors`)."""

    def __init__(self, refresh: bool, roots: Sequence[Path]) -> None:
        self.refresh = refresh
        self.roots = roots

    def holds(self, status: int) -> bool:
        return status >= (400 if self.refresh else 500)

    def answer(
        self, start: MutableMapping[str, Any] | None, body: bytes, error: BaseException | None
    ) -> tuple[int, bytes, bytes] | None:
        """(status, content type, body), or None: the app's own answer stands."""
        status = int(start.get("status", 500)) if start is not None else 500
        headers = dict(
            (bytes(key).lower(), bytes(value)) for key, value in (start or {}).get("headers", [])
        )
        content_type = headers.get(b"content-type", b"")
        readable = headers.get(b"content-encoding", b"identity").strip().lower() == b"identity"
        if not readable:
            body = b""
        html_page = readable and content_type.lower().startswith(b"text/html")
        if not self.refresh and error is None and html_page:
            return None
        described = describe(status, body, content_type, error, self.roots, refresh=self.refresh)
        if self.refresh:
            return status, b"application/json", described.as_json()
        return status, b"text/html; charset=utf-8", described.as_page()


class _Injector:
    """Wraps ``send`` to put the client script into an HTML response, and to hold an
    error answer back for ``errors`` until :meth:`finish`."""

    def __init__(
        self, send: Send, snippets: _Snippets, head: bool, errors: _ErrorAnswer | None = None
    ) -> None:
        self._send = send
        self._snippets = snippets
        self._snippet = snippets.inline
        self._head = head
        self._errors = errors
        self._mode = "pass"
        self._started = False
        self._start: MutableMapping[str, Any] | None = None
        self._chunks: list[bytes] = []
        self._held_size = 0

    async def send(self, message: MutableMapping[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            await self._on_start(message)
            return
        if self._mode == "held":
            if kind == "http.response.body" and self._held_size < ERROR_BODY_LIMIT:
                body = bytes(message.get("body", b""))[: ERROR_BODY_LIMIT - self._held_size]
                self._chunks.append(body)
                self._held_size += len(body)
            return
        if kind != "http.response.body" or self._mode == "pass":
            await self._send(message)
            return
        more = bool(message.get("more_body", False))
        body = bytes(message.get("body", b""))
        if self._mode == "append":
            if not more:
                message = {**message, "body": body + self._snippet}
            await self._send(message)
            return
        # "buffer": the length is known, the body is collected and sent in one piece.
        self._chunks.append(body)
        if more:
            return
        page = _inject(b"".join(self._chunks), self._snippet)
        assert self._start is not None
        headers = _with_length(self._start.get("headers", []), len(page))
        await self._send({**self._start, "headers": headers})
        await self._send({"type": "http.response.body", "body": page, "more_body": False})

    async def finish(self, error: BaseException | None) -> None:
        """The app's call has ended (``error``: what it raised, or recorded): send an
        error answer held back, or answer for an app that raised before answering."""
        if self._errors is None:
            return
        if self._mode == "held":
            answer = self._errors.answer(self._start, b"".join(self._chunks), error)
            if answer is None:  # an HTML error page of the app's own: it gets the client
                assert self._start is not None
                page = _inject(b"".join(self._chunks), self._snippet)
                headers = _with_length(self._start.get("headers", []), len(page))
                await self._send({**self._start, "headers": headers})
                await self._send({"type": "http.response.body", "body": page})
                return
        elif error is not None and not self._started:
            answer = self._errors.answer(None, b"", error)
        else:
            return
        assert answer is not None
        status, content_type, body = answer
        if content_type.startswith(b"text/html"):
            body = _inject(body, self._snippet)
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"x-devreload-error", b"1"),
        ]
        await self._send({"type": "http.response.start", "status": status, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})

    async def _on_start(self, message: MutableMapping[str, Any]) -> None:
        self._started = True
        headers = [(bytes(key).lower(), bytes(value)) for key, value in message.get("headers", [])]
        status = int(message.get("status", 200))
        policies = [value for key, value in headers if key == b"content-security-policy"]
        self._snippet = self._snippets.for_policy(b",".join(policies) if policies else None)
        if self._errors is not None and self._errors.holds(status):
            self._mode = "held"
            self._start = message
            return
        values = dict(headers)
        content_type = values.get(b"content-type", b"").lower()
        encoding = values.get(b"content-encoding", b"identity").strip().lower()
        length = values.get(b"content-length")
        if (
            not content_type.startswith(b"text/html")
            or encoding != b"identity"
            or b"charset=utf-16" in content_type
            or b"charset=utf-32" in content_type
            or status < 200
            or status in (204, 304)
            or message.get("trailers")
            or (length is not None and not length.strip().isdigit())
        ):
            await self._send(message)
            return
        if self._head:
            if length is not None:
                size = int(length) + len(self._snippet)
                message = {**message, "headers": _with_length(message.get("headers", []), size)}
            await self._send(message)
            return
        if length is None:
            self._mode = "append"
            await self._send(message)
        elif int(length) > INJECT_LIMIT:
            await self._send(message)
        else:
            self._mode = "buffer"
            self._start = message


def _client_snippet(
    events_url: str,
    page_script: str = "",
    morph: bool = True,
    version: int | None = None,
    posted: bool = False,
) -> bytes:
    """The client as one ASCII <script>: it fits any ASCII-compatible page encoding."""
    served_at = "" if version is None else f",version:{int(version)}"
    if posted:
        served_at += ",posted:true"
    script = (
        f"<script>window.__devreload={{events:{_js_string(events_url)},reloadPage:true"
        f"{served_at}}};\n"
        f"{client_script(morph)}{page_script}</script>"
    )
    escaped = []
    for char in script:
        if ord(char) < 128:
            escaped.append(char)
        else:  # \\u escapes are valid in JS strings, comments and identifiers
            units = char.encode("utf-16-be")
            escaped.extend(
                f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2)
            )
    return "".join(escaped).encode("ascii")


def _js_string(text: str) -> str:
    import json

    return json.dumps(text).replace("<", "\\u003c")


def _inject(page: bytes, snippet: bytes) -> bytes:
    lowered = page.lower()
    at = lowered.rfind(b"</body>")
    if at < 0:
        at = lowered.find(b"</head>")
    if at < 0:
        return page + snippet
    return page[:at] + snippet + page[at:]


def _with_length(headers: Sequence[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    kept = [(key, value) for key, value in headers if bytes(key).lower() != b"content-length"]
    return [*kept, (b"content-length", str(length).encode())]


def is_fragment_request(scope: Scope) -> bool:
    """A request a page makes for a piece of HTML to swap into itself."""
    return any(key.lower() in FRAGMENT_HEADERS for key, _ in scope.get("headers", []))


def accepts_html(scope: Scope) -> bool:
    for key, value in scope.get("headers", []):
        if key.lower() == b"accept":
            return b"text/html" in value.lower()
    return False
