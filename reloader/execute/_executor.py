"""Run a plan of modules in fresh namespaces, all or nothing.

Each module of the plan is executed into a brand-new module object, so names
deleted from the source do not linger. The new objects go into ``sys.modules``
as they are made (a later module of the plan imports the earlier ones), and if
anything raises, every entry is put back as it was: the running app, and every
module it uses, stay exactly as before.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import logging
import sys
import traceback
import weakref
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, ModuleType, TracebackType

from reloader._dispose import Disposers
from reloader._errors import ReloaderError
from reloader._frames import user_frames, user_traceback
from reloader._parse import parse
from reloader.execute._no_reload import RUNTIME_NAME, NoReloadRuntime, NoReloadStore, transform
from reloader.plan import LocalModule, Plan

__all__ = ["ExecutionError", "Executor", "LocalImporter", "Result"]

logger = logging.getLogger("reloader.execute")

_SENTINEL = ModuleType("__devreload_absent__")


@dataclass
class Result:
    modules: dict[str, ModuleType] = field(default_factory=dict)
    #: NO_RELOAD block keys that ran, and that were carried over, per module.
    ran_blocks: dict[str, list[str]] = field(default_factory=dict)
    restored_blocks: dict[str, list[str]] = field(default_factory=dict)
    #: The bytes each file was executed from in this run: the plan's modules and the
    #: local modules it imported for the first time. A file saved while the run was
    #: under way differs from these, so the save is not taken for what was loaded.
    sources: dict[Path, bytes] = field(default_factory=dict)


class ExecutionError(ReloaderError):
    """User code failed; ``details`` is the traceback cut to the user's own frames."""

    def __init__(
        self,
        error: BaseException,
        module: LocalModule,
        user_roots: list[Path],
        sources: dict[Path, bytes] | None = None,
    ) -> None:
        self.error = error
        self.module = module
        #: The bytes each file of the failed run was read from (see ``Result.sources``).
        self.sources = sources or {}
        self.filename, self.lineno = _user_location(error, user_roots, module.path)
        super().__init__(self._headline(), user_traceback(error, user_roots))

    def _headline(self) -> str:
        """One sentence: what failed and where."""
        where = f"{self.filename}, line {self.lineno}" if self.lineno else self.filename
        kind = type(self.error).__name__
        if isinstance(self.error, SyntaxError):
            message = self.error.msg or ""
        else:
            message = str(self.error).splitlines()[0] if str(self.error) else ""
        return f"{kind} in {where}: {message}".rstrip(": ")


def _user_location(
    error: BaseException, user_roots: list[Path], fallback: Path
) -> tuple[str, int | None]:
    if isinstance(error, SyntaxError) and error.filename:
        return error.filename, error.lineno
    frames = user_frames(traceback.extract_tb(error.__traceback__), user_roots)
    if frames:
        return frames[-1].filename, frames[-1].lineno
    return str(fallback), None


class Executor:
    """Executes modules from source with NO_RELOAD handling."""

    def __init__(
        self,
        user_roots: list[Path],
        store: NoReloadStore | None = None,
        disposers: Disposers | None = None,
    ) -> None:
        self.user_roots = [root.resolve() for root in user_roots]
        self.store = store or NoReloadStore()
        self.disposers = disposers
        #: Per file, the module last executed from it without error and that source
        #: text (the patch tier's baseline; the engine checks the module is still live).
        self.executed: dict[Path, tuple[weakref.ref[ModuleType], str]] = {}
        self._compiled: dict[Path, str] = {}
        #: The run under way records here the bytes each file is executed from.
        self._reading: dict[Path, bytes] | None = None

    def _fresh_module(self, local: LocalModule) -> ModuleType:
        previous = sys.modules.get(local.name)
        module = ModuleType(local.name)
        is_package = local.path.name == "__init__.py"
        spec = getattr(previous, "__spec__", None)
        if spec is None:
            loader = importlib.machinery.SourceFileLoader(local.name, str(local.path))
            spec = importlib.util.spec_from_file_location(
                local.name,
                local.path,
                loader=loader,
                submodule_search_locations=[str(local.path.parent)] if is_package else None,
            )
        module.__spec__ = spec
        module.__file__ = str(local.path)
        module.__loader__ = getattr(spec, "loader", None)
        if local.name == "__main__":
            module.__package__ = local.run_as.rpartition(".")[0] if local.run_as else None
        else:
            module.__package__ = local.name if is_package else local.name.rpartition(".")[0]
        if is_package:
            module.__path__ = [str(local.path.parent)]
        module.__dict__["__builtins__"] = __builtins__
        if local.name == "__main__":
            # `python app.py` has no spec for __main__; keep that so that
            # code testing `__spec__` behaves as under plain Python. `python -m
            # pkg.app` has the spec of pkg.app.
            module.__spec__ = None
            if local.run_as:
                module.__spec__ = importlib.util.spec_from_file_location(local.run_as, local.path)
        return module

    def compile(self, local: LocalModule) -> tuple[CodeType, dict[str, frozenset[str]]]:
        data = local.path.read_bytes()
        if self._reading is not None:
            self._reading[local.path] = data
        source = importlib.util.decode_source(data)
        tree = parse(source, str(local.path))
        transformed = transform(tree)
        code = compile(transformed.tree, str(local.path), "exec", dont_inherit=True)
        self._compiled[local.path] = source
        return code, transformed.bound_names

    def exec_into(self, module: ModuleType, local: LocalModule) -> NoReloadRuntime:
        """Run the module's current source in its namespace, honouring NO_RELOAD."""
        code, bound_names = self.compile(local)
        runtime = NoReloadRuntime(module.__dict__, self.store.for_module(local.name), bound_names)
        module.__dict__[RUNTIME_NAME] = runtime
        with self.disposers.registering_for(local.name) if self.disposers else nullcontext():
            exec(code, module.__dict__)
        self.executed[local.path] = (weakref.ref(module), self._compiled.pop(local.path))
        self.store.prune(local.name, set(bound_names))
        return runtime

    def run(
        self,
        plan: Plan,
        around_each: Callable[[LocalModule], AbstractContextManager[object]] | None = None,
    ) -> Result:
        """Execute the plan; on any exception restore sys.modules and raise ExecutionError."""
        saved: dict[str, ModuleType] = {}
        result = Result()
        for name in plan.deleted:
            saved.setdefault(name, sys.modules.get(name, _SENTINEL))
            sys.modules.pop(name, None)
        current: LocalModule | None = None
        self._reading = result.sources
        try:
            for local in plan.modules:
                current = local
                module = self._fresh_module(local)
                saved.setdefault(local.name, sys.modules.get(local.name, _SENTINEL))
                sys.modules[local.name] = module
                with around_each(local) if around_each else nullcontext():
                    runtime = self.exec_into(module, local)
                result.modules[local.name] = module
                result.ran_blocks[local.name] = runtime.ran
                result.restored_blocks[local.name] = runtime.restored
                _bind_in_parent(local.name, module)
        except BaseException as error:
            for name, module in saved.items():
                if module is _SENTINEL:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = module
                    _bind_in_parent(name, module)
            # Ctrl+C, SIGTERM and the engine's own interruptions are not the
            # user's errors; sys.exit() at a module's top level is.
            if not isinstance(error, Exception | SystemExit):
                raise
            assert current is not None
            raise ExecutionError(_strip(error), current, self.user_roots, result.sources) from None
        finally:
            self._reading = None
        return result


class LocalImporter(importlib.abc.MetaPathFinder):
    """Imports the user's own modules through the Executor, so their NO_RELOAD
    blocks are recorded from the very first import."""

    def __init__(self, executor: Executor, is_local: Callable[[Path], bool]) -> None:
        self._executor = executor
        self._is_local = is_local
        #: A package folder (an entry of a package's ``__path__``) -> whether modules
        #: in it can be local. Most imports are submodules of installed packages
        #: (over 1,500 for Gradio); they are turned away here, without a search.
        self._folders: dict[str, bool] = {}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if path is not None and not any(self._may_hold_local(entry) for entry in path):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            return None
        origin = Path(spec.origin).resolve()
        if not self._is_local(origin):
            return None
        spec.loader = _LocalLoader(self._executor, LocalModule(fullname, origin))
        return spec

    def _may_hold_local(self, folder: str) -> bool:
        known = self._folders.get(folder)
        if known is None:
            # Whether a module is local depends on its folder only (the roots, and
            # the vendored folders below them); resolved, as a module's origin is.
            known = self._folders[folder] = self._is_local(Path(folder).resolve() / "module.py")
        return known


class _LocalLoader(importlib.abc.Loader):
    def __init__(self, executor: Executor, local: LocalModule) -> None:
        self._executor = executor
        self._local = local

    def exec_module(self, module: ModuleType) -> None:
        self._executor.exec_into(module, self._local)


def _strip(error: BaseException) -> BaseException:
    """Drop the executor's own frames from the head of the traceback."""
    tb: TracebackType | None = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return error.with_traceback(tb)


def _bind_in_parent(name: str, module: ModuleType) -> None:
    """`import pkg.sub` reads `pkg.sub` as an attribute: point it at the new module."""
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name) if parent_name else None
    if parent is not None:
        setattr(parent, child, module)
