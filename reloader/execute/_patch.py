"""The patch tier: a save that only changes function bodies swaps their code in place.

Re-executing a module rebuilds everything it defines (the app, its clients, its
caches). When a save changes nothing but the bodies of existing functions, the
objects the app already holds can keep running with new code: each live
function gets ``fn.__code__ = new_code``. Everything that refers to the function
(an event handler registered with Gradio, a route, ``from helper import fn``)
then runs the new body on its next call, and a call already running finishes on
the old one.

The rule is all or nothing over every changed file, and strict: the module with
every function body blanked out must be identical, token for token, to the one
last executed (decorators, signatures, defaults, class attributes, module
statements). Anything else falls back to a full reload, with the reason.

Three jobs, three modules: :mod:`~reloader.execute._patch_changes` finds what a save
changed and which live functions get which code, :mod:`~reloader.execute._patch_safety`
decides whether swapping it in is safe, and the :class:`Patcher` here remembers the
sources and applies the swaps.
"""

from __future__ import annotations

import ast
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FunctionType, ModuleType

from reloader._literal_edits import ArgumentEdit
from reloader.execute._literals import literal_edits
from reloader.execute._patch_changes import ModuleSource, PatchSet, plan_file, read_source
from reloader.execute._patch_safety import (
    Fallback,
    LoadTimeCalls,
    adapter_refusal,
    live_inner_functions,
)

__all__ = ["Fallback", "LiteralEdit", "PatchResult", "Patcher"]

logger = logging.getLogger("reloader.patch")


@dataclass
class LiteralEdit:
    """A save that changed only literal arguments of top-level calls (see _literals)."""

    arguments: list[ArgumentEdit] = field(default_factory=list)
    #: The sources the edited modules then run from.
    sources: dict[Path, ModuleSource] = field(default_factory=dict)


@dataclass
class PatchResult:
    #: Functions whose code was swapped, e.g. ``("shout()", "Model.run()")``.
    functions: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()


class Patcher:
    """Remembers the source each local module last ran from; patches body-only edits."""

    def __init__(self) -> None:
        self._remembered: dict[Path, ModuleSource] = {}
        #: The functions that may run while the remembered modules load.
        self._load_time = LoadTimeCalls()
        #: The engine's thread patches; :meth:`prepare` may run on another.
        self._lock = threading.Lock()

    def remember(self, modules: Iterable[tuple[str, Path, str | None]]) -> None:
        """Record the sources just executed (``None``: read the file now)."""
        with self._lock:
            self._load_time.forget()
            for name, path, source in modules:
                try:
                    self._remembered[path] = ModuleSource(
                        name,
                        source if source is not None else read_source(path),
                        exact=source is not None,
                    )
                except (OSError, UnicodeDecodeError, SyntaxError):
                    self._remembered.pop(path, None)

    def prepare(self) -> None:
        """Analyse the remembered sources now rather than in the next save's patch
        (the engine calls it when idle after a load)."""
        with self._lock:
            try:
                self._load_time.names(self._trees)
                for remembered in self._remembered.values():
                    remembered.layout()
            except Exception:  # the next patch computes (and reports) it
                logger.debug("could not analyse the sources ahead of a patch", exc_info=True)

    def literal_edits(
        self, changed: Iterable[Path], modules: Mapping[str, ModuleType]
    ) -> LiteralEdit | Fallback:
        """The saves as edits of literal call arguments (see _literals), or why not; the
        edit is only remembered once :meth:`accept` says it was applied."""
        edit = LiteralEdit()
        with self._lock:
            for path in changed:
                remembered = self._remembered.get(path)
                if remembered is None or not remembered.exact or path.suffix != ".py":
                    return Fallback(f"{path.name} is not a module devreload has run")
                if remembered.name not in modules:
                    return Fallback(f"{path.name} is no longer loaded")
                try:
                    source = read_source(path)
                except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
                    return Fallback(f"{path.name} does not compile")
                found = literal_edits(remembered.ran, remembered.source, source, str(path))
                if isinstance(found, Fallback):
                    return Fallback(f"{found.reason} in {path.name}")
                edit.arguments.extend(found)
                edit.sources[path] = ModuleSource(remembered.name, source, ran_from=remembered.ran)
        return edit

    def accept(self, edit: LiteralEdit) -> None:
        """``edit`` was applied: its sources are what the next save is compared with."""
        with self._lock:
            self._load_time.forget()
            self._remembered.update(edit.sources)

    def knows(self, path: Path) -> bool:
        return path in self._remembered

    def try_patch(
        self,
        changed: Iterable[Path],
        modules: Mapping[str, ModuleType],
        refuse: Callable[[FunctionType], str | None] | None = None,
    ) -> PatchResult | Fallback:
        """Patch every changed file in place, or nothing (with the reason). ``refuse``
        (the adapter's) may name a reason not to patch a running function."""
        paths = list(changed)
        with self._lock:
            try:
                patch = self._find_changes(paths, modules)
                if isinstance(patch, Fallback):
                    return patch
                refused = self._refusal(patch, refuse)
            except Exception as error:  # never crash the engine: a full reload is always safe
                logger.exception("the patcher failed; falling back to a full reload")
                return Fallback(f"the patcher failed ({type(error).__name__}: {error})")
            if refused:
                return refused
            return self._apply(patch, paths)

    def _find_changes(
        self, paths: list[Path], modules: Mapping[str, ModuleType]
    ) -> PatchSet | Fallback:
        patch = PatchSet()
        for path in paths:
            refused = plan_file(path, self._remembered.get(path), modules, patch)
            if refused is not None:
                return refused
        return patch

    def _refusal(
        self, patch: PatchSet, refuse: Callable[[FunctionType], str | None] | None
    ) -> Fallback | None:
        def trees_after() -> Iterable[ast.Module | None]:
            after = {**self._remembered, **patch.sources}
            return (remembered.tree() for remembered in after.values())

        return (
            adapter_refusal(patch.swaps, refuse)
            or live_inner_functions(patch.swaps)
            or self._load_time.refusal(patch.swaps, self._trees, trees_after)
        )

    def _apply(self, patch: PatchSet, paths: list[Path]) -> PatchResult:
        names = []
        for function, code, label in patch.swaps:
            function.__code__ = code
            names.append(label)
        for function, code in patch.moves:
            function.__code__ = code
        for cached in patch.caches:
            # Results computed by the old body would otherwise outlive it.
            try:
                cached.cache_clear()
            except Exception:
                logger.exception("could not clear the cache of a patched function")
        self._remembered.update(patch.sources)
        return PatchResult(functions=tuple(dict.fromkeys(names)), files=tuple(paths))

    def _trees(self) -> Iterable[ast.Module | None]:
        return (remembered.tree() for remembered in self._remembered.values())
