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
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import inspect
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FunctionType, ModuleType
from typing import Any

from reloader.execute._no_reload import transform

__all__ = ["Fallback", "PatchResult", "Patcher"]

logger = logging.getLogger("reloader.patch")

_KIND_FLAGS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
_ACCESSORS = {"getter": "fget", "setter": "fset", "deleter": "fdel"}


@dataclass(frozen=True)
class Fallback:
    """The save needs a full reload; ``reason`` says why, in one sentence."""

    reason: str


@dataclass
class PatchResult:
    #: Functions whose code was swapped, e.g. ``("shout()", "Model.run()")``.
    functions: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()


@dataclass
class _Def:
    """A module-level function or a method of a module-level class."""

    qualname: str
    owner: str | None  # the class name, for a method
    name: str
    accessor: str | None  # fget/fset/fdel for a property's functions


@dataclass
class _Known:
    name: str
    source: str


@dataclass
class _Plan:
    swaps: list[tuple[FunctionType, CodeType, str]] = field(default_factory=list)
    #: Decorators with a cache (functools.cache, lru_cache) in front of a patched function.
    caches: list[Any] = field(default_factory=list)
    sources: dict[Path, _Known] = field(default_factory=dict)


def read_source(path: Path) -> str:
    """The file's text decoded as the executor decodes it."""
    return importlib.util.decode_source(path.read_bytes())


def compile_source(source: str, path: Path) -> CodeType:
    """Compile as :meth:`reloader.execute._executor.Executor.compile` does (NO_RELOAD and all)."""
    tree = ast.parse(source, str(path))
    return compile(transform(tree).tree, str(path), "exec", dont_inherit=True)


class Patcher:
    """Remembers the source each local module last ran from; patches body-only edits."""

    def __init__(self) -> None:
        self._known: dict[Path, _Known] = {}

    def remember(self, modules: Iterable[tuple[str, Path, str | None]]) -> None:
        """Record the sources just executed (``None``: read the file now)."""
        for name, path, source in modules:
            try:
                self._known[path] = _Known(
                    name, source if source is not None else read_source(path)
                )
            except (OSError, UnicodeDecodeError, SyntaxError):
                self._known.pop(path, None)

    def knows(self, path: Path) -> bool:
        return path in self._known

    def try_patch(
        self, changed: Iterable[Path], modules: Mapping[str, ModuleType]
    ) -> PatchResult | Fallback:
        """Patch every changed file in place, or nothing (with the reason)."""
        paths = list(changed)
        try:
            plan = _Plan()
            for path in paths:
                found = self._plan_file(path, modules, plan)
                if isinstance(found, Fallback):
                    return found
        except Exception as error:  # never crash the engine: a full reload is always safe
            logger.exception("the patcher failed; falling back to a full reload")
            return Fallback(f"the patcher failed ({type(error).__name__}: {error})")
        sources = {path: known.source for path, known in self._known.items()}
        sources.update({path: known.source for path, known in plan.sources.items()})
        running_at_load = _called_while_loading(sources.values())
        stale = _live_inner_functions(plan.swaps)
        if stale:
            # Functions made by an earlier call (a Shiny session's outputs, a
            # factory's closures) keep the old inner code: patching would leave
            # them running it without saying so.
            return Fallback(f"{stale}() made inner functions that are still alive")
        for _, _, label in plan.swaps:
            name = label.removesuffix("()").rpartition(".")[2]
            if name in running_at_load:
                # Its result may be built into the app (a header, a layout helper):
                # only running the modules again shows the change.
                return Fallback(f"{label} runs while the modules load; they run again")
        names = []
        for function, code, label in plan.swaps:
            function.__code__ = code
            names.append(label)
        for cached in plan.caches:
            # Results computed by the old body would otherwise outlive it.
            try:
                cached.cache_clear()
            except Exception:
                logger.exception("could not clear the cache of a patched function")
        self._known.update(plan.sources)
        return PatchResult(functions=tuple(dict.fromkeys(names)), files=tuple(paths))

    def _plan_file(
        self, path: Path, modules: Mapping[str, ModuleType], plan: _Plan
    ) -> Fallback | None:
        known = self._known.get(path)
        if known is None or path.suffix != ".py":
            return Fallback(f"{path.name} is not a module devreload has run")
        module = modules.get(known.name)
        if module is None:
            return Fallback(f"{path.name} is no longer loaded")
        try:
            source = read_source(path)
            new_defs, new_skeleton, new_codes = _analysis(source, str(path))
            old_defs, old_skeleton, old_codes = _analysis(known.source, str(path))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            return Fallback(f"{path.name} does not compile")
        if old_skeleton != new_skeleton or old_defs != new_defs:
            return Fallback(f"{path.name} changed more than function bodies")
        seen: dict[str, int] = {}
        for definition in new_defs:
            index = seen.get(definition.qualname, 0)
            seen[definition.qualname] = index + 1
            candidates = new_codes.get(definition.qualname, [])
            if index >= len(candidates):
                return Fallback(f"no code found for {definition.qualname} in {path.name}")
            new_code = candidates[index]
            found = _live_function(module, definition, str(path), new_defs)
            if isinstance(found, Fallback):
                return Fallback(f"{found.reason} in {path.name}")
            if found is None:
                continue  # an earlier definition that a later one replaced: not live
            live, wrappers = found
            old_code = live.__code__
            if old_code not in old_codes.get(definition.qualname, []):
                # The running code is not the source remembered (a save raced the
                # last load, or a failed load left an older version running).
                return Fallback(f"the running {definition.qualname}() is not the last loaded code")
            if old_code == new_code:
                continue
            if old_code.co_freevars != new_code.co_freevars:
                return Fallback(f"{definition.qualname}() now uses different outer variables")
            if old_code.co_flags & _KIND_FLAGS != new_code.co_flags & _KIND_FLAGS:
                return Fallback(
                    f"{definition.qualname}() changed kind (generator, coroutine or plain)"
                )
            plan.swaps.append((live, new_code, f"{definition.qualname}()"))
            plan.caches.extend(w for w in wrappers if callable(getattr(w, "cache_clear", None)))
        plan.sources[path] = _Known(known.name, source)
        return None


def _inner_codes(code: CodeType) -> list[CodeType]:
    found = []
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found.append(const)
            found.extend(_inner_codes(const))
    return found


def _live_inner_functions(swaps: Iterable[tuple[FunctionType, CodeType, str]]) -> str | None:
    """The label of a patched function whose changed inner functions exist as live
    function objects (made by an earlier call), if any."""
    changed: dict[CodeType, str] = {}
    for live, new_code, label in swaps:
        old_inner = _inner_codes(live.__code__)
        new_inner = _inner_codes(new_code)
        if len(old_inner) != len(new_inner) or any(
            old != new for old, new in zip(old_inner, new_inner, strict=True)
        ):
            for old in old_inner:
                changed[old] = label.removesuffix("()")
    if not changed:
        return None
    import gc

    for obj in gc.get_objects():
        if isinstance(obj, FunctionType) and obj.__code__ in changed:
            return changed[obj.__code__]
    return None


def _called_while_loading(sources: Iterable[str]) -> set[str]:
    """Names of the functions that may run while modules execute, not only later.

    Conservative, by name: every call made by module-level code (class bodies,
    decorators and default values included; function and lambda bodies not), then
    every call made by the functions of those names, in any of ``sources``, until
    nothing new is found. A handler only passed to ``btn.click(shout, ...)`` is not
    called at load time; ``gr.Markdown(header())`` makes ``header`` one.
    """
    bodies: dict[str, list[ast.AST]] = {}
    found: set[str] = set()

    def calls(node: ast.AST, into: set[str], top: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if top:
                bodies.setdefault(node.name, []).extend(node.body)
            for decorator in node.decorator_list:
                into.add(_callee(decorator))
                calls(decorator, into, top)
            calls(node.args, into, top)
            if node.returns is not None:
                calls(node.returns, into, top)
            if not top:  # a nested def's body runs when it is called: count it with its parent
                for statement in node.body:
                    calls(statement, into, top)
            else:
                for statement in node.body:  # methods and nested classes still get indexed
                    _index(statement)
            return
        if isinstance(node, ast.Lambda):
            calls(node.args, into, top)
            if not top:
                calls(node.body, into, top)
            return
        if isinstance(node, ast.Call):
            into.add(_callee(node.func))
        for child in ast.iter_child_nodes(node):
            calls(child, into, top)

    def _index(node: ast.AST) -> None:
        for child in ast.walk(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                bodies.setdefault(child.name, []).extend(child.body)

    for source in sources:
        tree = _parsed(source)
        if tree is not None:
            calls(tree, found, True)
    frontier = set(found)
    while frontier:
        more: set[str] = set()
        for name in frontier:
            for statement in bodies.get(name, []):
                calls(statement, more, False)
        frontier = more - found
        found |= more
    found.discard("")
    return found


def _callee(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


@functools.lru_cache(maxsize=64)
def _analysis(source: str, filename: str) -> tuple[list[_Def], str, dict[str, list[CodeType]]]:
    """A source's functions, its skeleton and its code objects by qualname; cached, as
    each save's new source is the next save's old one (parsing and compiling a large
    app file is most of a patch's time). Callers must not change what it returns."""
    defs, skeleton = _skeleton(ast.parse(source, filename))
    return defs, skeleton, _codes_by_qualname(compile_source(source, Path(filename)))


@functools.lru_cache(maxsize=256)
def _parsed(source: str) -> ast.Module | None:
    """The source's tree, for reading only (shared between calls)."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _skeleton(tree: ast.Module) -> tuple[list[_Def], str]:
    """The module's functions, and its dump with their bodies blanked."""
    defs: list[_Def] = []

    def blank(node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        node.body = [ast.Pass()]

    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            defs.append(_Def(statement.name, None, statement.name, None))
            blank(statement)
        elif isinstance(statement, ast.ClassDef):
            for member in statement.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                    defs.append(
                        _Def(
                            f"{statement.name}.{member.name}",
                            statement.name,
                            member.name,
                            _accessor(member),
                        )
                    )
                    blank(member)
    return defs, ast.dump(tree)


def _accessor(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id == "property":
            return "fget"
        if isinstance(decorator, ast.Attribute) and decorator.attr in _ACCESSORS:
            return _ACCESSORS[decorator.attr]
    return None


def _codes_by_qualname(code: CodeType) -> dict[str, list[CodeType]]:
    """Code objects of the module's functions and methods, in definition order."""
    found: dict[str, list[CodeType]] = {}

    def walk(parent: CodeType, depth: int) -> None:
        for const in parent.co_consts:
            if isinstance(const, CodeType):
                found.setdefault(const.co_qualname, []).append(const)
                if depth == 0:
                    walk(const, 1)  # a class body: its methods

    walk(code, 0)
    return found


def _live_function(
    module: ModuleType, definition: _Def, filename: str, defs: list[_Def]
) -> tuple[FunctionType, list[Any]] | Fallback | None:
    """The function object the running app holds for this definition."""
    same = [d for d in defs if d.qualname == definition.qualname]
    namespace = module.__dict__
    if definition.owner is None:
        obj: Any = namespace.get(definition.name)
    else:
        cls = namespace.get(definition.owner)
        if not isinstance(cls, type):
            return Fallback(f"{definition.owner} is not a class")
        obj = cls.__dict__.get(definition.name)
        if isinstance(obj, staticmethod | classmethod):
            obj = obj.__func__
        elif isinstance(obj, property):
            if definition.accessor is None:
                return Fallback(f"{definition.qualname} is a property of unknown shape")
            obj = getattr(obj, definition.accessor)
            same = [d for d in same if d.accessor == definition.accessor]
    if same and same[-1] is not definition:
        return None
    found = _unwrap(obj, filename, definition.qualname)
    if found is None:
        return Fallback(f"cannot find the running {definition.qualname}()")
    return found


def _unwrap(obj: Any, filename: str, qualname: str) -> tuple[FunctionType, list[Any]] | None:
    """The function under unchanged decorators (``__wrapped__``), and the wrappers."""
    wrappers: list[Any] = []
    for _ in range(50):
        if obj is None:
            return None
        if (
            isinstance(obj, FunctionType)
            and obj.__code__.co_filename == filename
            and obj.__code__.co_qualname == qualname
        ):
            return obj, wrappers
        wrappers.append(obj)
        obj = getattr(obj, "__wrapped__", None)
    return None
