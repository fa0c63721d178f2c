"""Checking a framework's private internals that an adapter relies on, in one place.

An adapter that reaches into a framework beyond its public API lists each internal in
its ``compat`` module as :class:`Internal` (module, attribute path, what it is for).
:func:`check` looks them all up when the framework is first imported, so that a
release which renames or drops one is reported in one sentence naming it, instead of
failing with an AttributeError in the middle of a reload.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reloader.adapters.base import ServeError

__all__ = ["Internal", "check", "lookup"]


@dataclass(frozen=True)
class Internal:
    module: str
    #: Dotted attribute path inside ``module`` ("Client.page_routes").
    path: str
    #: What the adapter uses it for, completing "devreload uses it ...".
    purpose: str


def lookup(module_name: str, path: str) -> Any:
    """``module_name``'s attribute at ``path``; ImportError or AttributeError if absent."""
    value: Any = importlib.import_module(module_name)
    for part in path.split("."):
        value = getattr(value, part)
    return value


def check(framework: str, supported: str, required: Sequence[Internal]) -> ServeError | None:
    """The error naming the first of ``required`` this installation lacks, or None.

    ``framework`` is the distribution's import name ("nicegui"); ``supported`` says
    which versions devreload is tested with ("3.x")."""
    for internal in required:
        try:
            lookup(internal.module, internal.path)
        except (ImportError, AttributeError):
            return ServeError(
                f"This {framework} release ({_version(framework)}) has no "
                f"{internal.module}.{internal.path}, which devreload uses {internal.purpose}; "
                f"install a {framework} version devreload supports ({supported}) "
                "or upgrade devreload."
            )
    return None


def _version(framework: str) -> str:
    try:
        return str(importlib.import_module(framework).__version__)
    except (ImportError, AttributeError):
        return "unknown version"
