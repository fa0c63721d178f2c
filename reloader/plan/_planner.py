"""Plan what to re-run after a change: the changed local modules, their dependents, the app.

A *local* module is one whose file lies under a watched folder and outside
site-packages and virtual environments. Dependencies come from a static read
of each local module's imports, so planning never runs user code.
"""

from __future__ import annotations

import ast
import importlib.util
import logging
import os
import sys
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from reloader._parse import parse_shared
from reloader._paths import containing_root, is_vendored

__all__ = ["LocalModule", "Plan", "Planner", "imported_names"]

logger = logging.getLogger("reloader.plan")


@dataclass(frozen=True)
class LocalModule:
    name: str
    path: Path
    #: For the app run as ``-m pkg.app``: its real module name, so that it runs as
    #: ``python -m`` runs it (``__package__ == "pkg"``, relative imports work).
    run_as: str | None = None


@dataclass
class Plan:
    #: Local modules to re-execute, dependencies first; the app comes last.
    modules: list[LocalModule] = field(default_factory=list)
    #: Local modules whose file is gone: dropped from sys.modules so that an
    #: import of them fails loudly instead of silently using the stale copy.
    deleted: list[str] = field(default_factory=list)
    #: Changed files that nothing loaded uses (reported, not reloaded).
    unused: list[Path] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.modules


def imported_names(tree: ast.Module, module_name: str, is_package: bool) -> set[str]:
    """Every module name the source may import, at any depth, parents included.

    ``from a.b import c`` yields ``a``, ``a.b`` and ``a.b.c`` (c may be a
    submodule); relative imports are resolved against ``module_name``.
    """
    package = module_name if is_package else module_name.rpartition(".")[0]
    found: set[str] = set()

    def add(dotted: str) -> None:
        parts = dotted.split(".")
        for end in range(1, len(parts) + 1):
            found.add(".".join(parts[:end]))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".") if package else []
                if node.level > 1:
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base:
                add(base)
            for alias in node.names:
                if alias.name != "*":
                    add(f"{base}.{alias.name}" if base else alias.name)
    return found


def _weakly(module: ModuleType) -> Callable[[], object]:
    """A weak reference to ``module``; for what sys.modules holds that takes none (an
    object put there in a module's place), one that is never the module again."""
    try:
        return weakref.ref(module)
    except TypeError:
        return object


class Planner:
    """Knows the local modules and their imports; turns changed paths into a Plan."""

    def __init__(self, roots: Iterable[Path], app: LocalModule) -> None:
        self._roots = [root.resolve() for root in roots]
        self.app = app
        self._imports: dict[tuple[str, Path, int], set[str]] = {}
        #: module __file__ -> resolved path if local, else None (sys.modules is large)
        self._local_files: dict[str, Path | None] = {}
        self._folders: dict[str, Path] = {}
        #: Per module name: the module last seen under it (weakly: a module taken out of
        #: sys.modules, and what its globals hold, must not be kept), and whether it is local.
        self._seen: dict[str, tuple[Callable[[], object], LocalModule | None]] = {}

    def is_local(self, path: Path) -> bool:
        root = containing_root(path, self._roots)
        return root is not None and not is_vendored(path, root)

    def local_modules(self, modules: Mapping[str, ModuleType] | None = None) -> list[LocalModule]:
        """Local modules currently loaded, in the order they were imported."""
        loaded = list((modules if modules is not None else sys.modules).items())
        # Going through every loaded module takes milliseconds (thousands with Gradio),
        # twice per reload; only the names whose module is not the one seen last under
        # them (each reload replaces __main__, at least) are looked at again.
        found: list[LocalModule] = []
        seen = self._seen
        for name, module in loaded:
            known = seen.get(name)
            if known is None or known[0]() is not module:
                known = (_weakly(module), self._as_local(name, module))
                seen[name] = known
            if known[1] is not None:
                found.append(known[1])
        return found

    def _as_local(self, name: str, module: ModuleType) -> LocalModule | None:
        file = getattr(module, "__file__", None)
        if not file or name == "__main__" or not file.endswith(".py"):
            return None
        if file not in self._local_files:
            resolved = self._resolve(file)
            self._local_files[file] = resolved if self.is_local(resolved) else None
        path = self._local_files[file]
        if path is None or path == self.app.path:
            return None
        return LocalModule(name, path)

    def _resolve(self, file: str) -> Path:
        """``Path(file).resolve()``, the folder resolved once for all its modules (the
        first look goes through every loaded module: over 1,600 with Gradio)."""
        if os.path.islink(file):
            return Path(file).resolve()
        folder, name = os.path.split(file)
        resolved = self._folders.get(folder)
        if resolved is None:
            resolved = self._folders[folder] = Path(folder).resolve()
        return resolved / name

    def _imports_of(self, module: LocalModule) -> set[str]:
        try:
            stat = module.path.stat()
            cache_key = (module.name, module.path, stat.st_mtime_ns)
            if cache_key not in self._imports:
                source = importlib.util.decode_source(module.path.read_bytes())
                tree = parse_shared(source, str(module.path))
                is_package = module.path.name == "__init__.py"
                self._imports[cache_key] = imported_names(tree, module.name, is_package)
            return self._imports[cache_key]
        except (OSError, SyntaxError, ValueError):
            # An unreadable or broken module still depends on whatever it
            # imported before; executing it will report the real problem.
            return set()

    def plan(
        self,
        changed: Iterable[Path],
        *,
        retry_app: bool = False,
        modules: Mapping[str, ModuleType] | None = None,
    ) -> Plan:
        """What to re-run for these changed files; ``modules`` defaults to sys.modules."""
        changed = {path.resolve() for path in changed}
        plan = Plan()
        local = self.local_modules(modules)
        by_path = {module.path: module for module in local}
        dirty: set[str] = set()
        app_changed = retry_app
        for path in changed:
            if path == self.app.path:
                app_changed = True
            elif path in by_path:
                module = by_path[path]
                if path.exists():
                    dirty.add(module.name)
                else:
                    plan.deleted.append(module.name)
            elif path.suffix != ".py":
                # Assets (css, templates, data): the app reads them when it runs.
                app_changed = True
            else:
                plan.unused.append(path)
        if plan.deleted:
            app_changed = True
        if not dirty and not app_changed:
            return plan

        names = [module.name for module in local]
        deps = {module.name: self._imports_of(module) & set(names) for module in local}
        deleted = set(plan.deleted)
        # Every module that imports a changed (or deleted) one, transitively.
        affected = set(dirty)
        frontier = dirty | deleted
        while frontier:
            frontier = {name for name in names if name not in affected and deps[name] & frontier}
            frontier -= deleted
            affected |= frontier
        plan.modules = [*_dependency_order(local, deps, affected), self.app]
        logger.debug("plan for %s: %s", changed, [m.name for m in plan.modules])
        return plan


def _dependency_order(
    local: list[LocalModule], deps: dict[str, set[str]], affected: set[str]
) -> list[LocalModule]:
    """Kahn's order over the affected modules; a cycle falls back to import order."""
    by_name = {module.name: module for module in local}
    pending = {name: deps[name] & affected - {name} for name in affected}
    order: list[LocalModule] = []
    while pending:
        ready = sorted(name for name, needs in pending.items() if not needs)
        if not ready:  # an import cycle: take the earliest imported
            ready = [next(m.name for m in local if m.name in pending)]
        for name in ready:
            order.append(by_name[name])
            del pending[name]
        for needs in pending.values():
            needs.difference_update(ready)
    return order
