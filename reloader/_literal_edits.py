"""A save that changed only literal arguments of calls: what the engine hands an adapter.

``gr.Markdown("# Title")`` edited to ``gr.Markdown("# Analyzer")``: running the whole
app again would build the same components with one property changed, which at 500
components is about 100 ms of the framework's work. The engine finds such saves
(:mod:`reloader.execute._literals`); an adapter that knows which objects each call
built can update them in place (:meth:`reloader.adapters.Adapter.update_calls`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ArgumentEdit", "CallSite"]


@dataclass(frozen=True)
class CallSite:
    """Where a call is in the code that ran: its file and the span of its expression,
    as the call's instruction reports it (``code.co_positions()``)."""

    filename: str
    lineno: int
    col_offset: int
    end_lineno: int
    end_col_offset: int


@dataclass(frozen=True)
class ArgumentEdit:
    """One argument of the call at ``site`` now has the literal ``value``: the
    ``position``-th positional one, or the one passed as ``keyword``."""

    site: CallSite
    position: int | None
    keyword: str | None
    value: Any
