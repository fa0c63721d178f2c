"""Capture a framework's blocking ``run()``/``launch()`` call instead of running it.

An app file ends with ``demo.launch()``, ``uvicorn.run(app)``, ``app.run()`` or
``ui.run()``: under plain Python that call serves the app and never returns.
Under devreload the user's code runs on the engine's thread, and the call must
return at once, so that devreload serves the app itself, once, with the same
arguments. Every adapter does this through one :class:`RunCapture`:

    capture = RunCapture()
    capture.patch(gradio.Blocks, "launch", kind="gradio", returns=lambda call: (None, None, None))
    with capture.capturing():
        run_the_user_module()
    call = capture.last(kind="gradio")  # RunCall(args=(demo,), kwargs={"server_port": 7861})

An adapter built on another one (Dash on the wsgi adapter, Shiny on the asgi
one) patches its framework's run call into the same capture under its own
``kind``, and reads the calls of that kind: one capture per adapter, one
``capturing()`` block per execution.

Calls from any other thread (the app's own server threads, a test harness)
reach the real function, so the patch is harmless outside an execution.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunCall", "RunCapture"]

#: The keywords of a run call that say where to serve, in uvicorn.run()'s words.
_ADDRESS = ("host", "port")


@dataclass
class RunCall:
    """One captured call: positional arguments (``self`` first for a method) and keywords."""

    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    #: The function that was called, unpatched (to read its signature or call it later).
    original: Callable[..., Any] | None = None
    #: What was called, as the adapter named it when patching ("uvicorn", "dash", ...).
    kind: str = ""

    @property
    def target(self) -> Any:
        """The first argument: the app of ``uvicorn.run(app)``, ``self`` of ``demo.launch()``."""
        return self.args[0] if self.args else None

    def arguments(self) -> dict[str, Any]:
        """Every argument by parameter name, positional ones included (``self`` left out)."""
        named = dict(self.kwargs)
        if self.original is None:
            return named
        try:
            parameters = list(inspect.signature(self.original).parameters.values())
        except (TypeError, ValueError):
            return named
        for parameter, value in zip(parameters[1:], self.args[1:], strict=False):
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                break
            named.setdefault(parameter.name, value)
        return named

    def address(self) -> dict[str, Any]:
        """The host and port the call asked for (those given), as uvicorn.run() keywords:
        ``app.run(port=8051)`` gives ``{"port": 8051}``."""
        arguments = self.arguments()
        return {key: arguments[key] for key in _ADDRESS if arguments.get(key)}


class RunCapture:
    """Records patched calls made on the thread that is executing the user's modules."""

    def __init__(self) -> None:
        self.calls: list[RunCall] = []
        self._thread: int | None = None
        self._patches: list[tuple[Any, str, Any, bool]] = []
        #: (id(owner), name) -> the original, for what this capture has patched.
        self._originals: dict[tuple[int, str], Callable[..., Any]] = {}

    @property
    def active(self) -> bool:
        """True on the thread executing the user's code, while it does."""
        return self._thread is not None and self._thread == threading.get_ident()

    @contextmanager
    def capturing(self) -> Iterator[list[RunCall]]:
        """Capture calls made on this thread until the block ends; yields the list."""
        self.calls = []
        self._thread = threading.get_ident()
        try:
            yield self.calls
        finally:
            self._thread = None

    def patch(
        self,
        owner: Any,
        name: str,
        *,
        returns: Callable[[RunCall], Any] = lambda call: None,
        kind: str = "",
        reexported_by: Iterable[Any] = (),
    ) -> Callable[..., Any]:
        """Replace ``owner.name`` (a module's function or a class's method) by a capturing
        wrapper; return the original. ``returns(call)`` is what the captured call returns;
        the calls are recorded with ``kind``. ``reexported_by`` are the modules that
        bound the same function at their import (``from .core import serve`` in
        ``fasthtml.common``, ``from .main import run`` in ``uvicorn``), so that the
        user's ``from fasthtml.common import serve`` gets the wrapper: each one that
        still holds the original is re-pointed at the wrapper. Patching the same name
        again is a no-op (a framework hook may run twice): the original is returned."""
        known = self._originals.get((id(owner), name))
        if known is not None:
            return known
        in_dict = isinstance(owner, type) and name in owner.__dict__
        original = owner.__dict__[name] if in_dict else getattr(owner, name)
        capture = self

        @functools.wraps(original)
        def captured(*args: Any, **kwargs: Any) -> Any:
            if capture.active:
                call = RunCall(args, kwargs, original, kind)
                capture.calls.append(call)
                return returns(call)
            return original(*args, **kwargs)

        for holder in (owner, *reexported_by):
            if holder is owner or getattr(holder, name, None) is original:
                setattr(holder, name, captured)
                self._patches.append((holder, name, original, in_dict))
        self._originals[(id(owner), name)] = original
        return original

    def of_kind(self, kind: str) -> list[RunCall]:
        """The calls captured by the last execution that were patched with ``kind``."""
        return [call for call in self.calls if call.kind == kind]

    def last(
        self, where: Callable[[RunCall], bool] = lambda call: True, *, kind: str | None = None
    ) -> RunCall | None:
        """The newest captured call (of ``kind``, if given) that matches, if any."""
        for call in reversed(self.calls):
            if (kind is None or call.kind == kind) and where(call):
                return call
        return None

    def restore(self) -> None:
        """Undo every patch, newest first (a framework this adapter does not serve)."""
        while self._patches:
            owner, name, original, _ = self._patches.pop()
            setattr(owner, name, original)
        self._originals.clear()
