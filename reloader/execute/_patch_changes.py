"""What a save changed, function by function, and which live objects get new code.

Two ways to find out, the quick one first: where the edit lies inside one
function, that function alone is compiled again (:mod:`reloader.execute._spans`);
otherwise the old and new modules are compared whole, with every function body
blanked out. Either way the outcome is a :class:`PatchSet` of swaps (live
function, new code) checked by :mod:`reloader.execute._patch_safety`, or the
:class:`Fallback` that says why only a full reload shows the save."""

from __future__ import annotations

import ast
import functools
import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FunctionType, ModuleType
from typing import Any, NamedTuple, TypeGuard

from reloader._parse import copy_node, parse_shared
from reloader.execute import _spans
from reloader.execute._no_reload import compile_module
from reloader.execute._patch_safety import Fallback, Swap, unsafe_new_code
from reloader.execute._spans import CompiledDef, Def, Layout

__all__ = ["ModuleSource", "PatchSet", "compile_source", "plan_file", "read_source"]


@dataclass
class ModuleSource:
    """The source a module last ran from, and what was learnt from it."""

    name: str
    source: str
    #: The very source the live module ran from (not read from the file later).
    exact: bool = True
    #: Where its functions are; computed when first needed, then carried forward.
    cached_layout: Layout | None = None
    #: Its syntax tree, parsed when first needed (read only). Kept here, with the one
    #: source it belongs to, so that what is kept is bounded by the modules, not the saves.
    cached_tree: ast.Module | None = None
    parsed: bool = False
    #: The source the module's top-level code was compiled from, where it is not
    #: ``source`` (a patch or a literal edit since changed the source, not that code).
    ran_from: str | None = None

    @property
    def ran(self) -> str:
        return self.source if self.ran_from is None else self.ran_from

    def tree(self) -> ast.Module | None:
        """The syntax tree; None where the source does not parse."""
        if not self.parsed:
            self.cached_tree, self.parsed = _parsed(self.source), True
        return self.cached_tree

    def layout(self) -> Layout | None:
        if self.cached_layout is None:
            tree = self.tree()
            self.cached_layout = _spans.layout_of(tree) if tree is not None else None
        return self.cached_layout


@dataclass
class PatchSet:
    """What a patch would change, none of it done yet."""

    swaps: list[Swap] = field(default_factory=list)
    #: Functions below an edit that changed the line count: same code, new line numbers.
    moves: list[tuple[FunctionType, CodeType]] = field(default_factory=list)
    #: Decorators with a cache (functools.cache, lru_cache) in front of a patched function.
    caches: list[Any] = field(default_factory=list)
    #: The sources the patched modules then run from.
    sources: dict[Path, ModuleSource] = field(default_factory=dict)


class _WholeModule(Exception):
    """The one-function comparison cannot decide; compare the whole modules."""


def read_source(path: Path) -> str:
    """The file's text decoded as the executor decodes it."""
    return importlib.util.decode_source(path.read_bytes())


def compile_source(source: str, path: Path) -> CodeType:
    """Compile as :meth:`reloader.execute._executor.Executor.compile` does (NO_RELOAD and all)."""
    return compile_module(source, str(path))[0]


def plan_file(
    path: Path,
    remembered: ModuleSource | None,
    modules: Mapping[str, ModuleType],
    patch: PatchSet,
) -> Fallback | None:
    """Add the swaps the save of ``path`` needs to ``patch``; the Fallback if the save
    changed more than function bodies (or cannot be read)."""
    if remembered is None or path.suffix != ".py":
        return Fallback(f"{path.name} is not a module devreload has run")
    module = modules.get(remembered.name)
    if module is None:
        return Fallback(f"{path.name} is no longer loaded")
    try:
        source = read_source(path)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return Fallback(f"{path.name} does not compile")
    if remembered.exact:
        try:
            return _plan_one_function(path, remembered, source, module, patch)
        except _WholeModule:
            pass
    return _plan_whole_module(path, remembered, source, module, patch)


# -- one function: the edit lies inside it ------------------------------------------


@dataclass(frozen=True)
class _Edit:
    """The lines a save changed: ``old_lines[first:old_end]`` became
    ``new_lines[first:new_end]``."""

    old_lines: list[str]
    new_lines: list[str]
    first: int
    old_end: int
    new_end: int

    @property
    def delta(self) -> int:
        """How many lines the file grew by."""
        return len(self.new_lines) - len(self.old_lines)


def _plan_one_function(
    path: Path, remembered: ModuleSource, source: str, module: ModuleType, patch: PatchSet
) -> Fallback | None:
    """Plan a save that changed the lines of one function only, compiling that
    function alone; :class:`_WholeModule` where that cannot decide."""
    layout = remembered.layout()
    if layout is None:
        raise _WholeModule
    old_lines, new_lines = _spans.lines_of(remembered.source), _spans.lines_of(source)
    change = _spans.changed_range(old_lines, new_lines)
    if change is None:  # the same text: nothing to do
        patch.sources[path] = remembered
        return None
    edit = _Edit(old_lines, new_lines, *change)
    if edit.delta and layout.untracked_below(edit.first):
        raise _WholeModule  # it decides whether a lambda below moved
    index = layout.enclosing(edit.first, edit.old_end)
    if index is None:
        return _edit_outside_functions(path, layout, edit)
    definition = layout.defs[index]
    filename = str(path)
    old, new = _compile_edited(definition, layout, edit, filename)
    refused = _plan_edited_function(definition, old.code, new.code, layout, module, filename, patch)
    if refused is not None:
        return refused
    if edit.delta:
        _plan_moves_below(index, edit.delta, layout, module, filename, patch)
    patch.sources[path] = ModuleSource(
        remembered.name,
        source,
        cached_layout=layout.after_edit(index, new.end, edit.delta),
        ran_from=remembered.ran,
    )
    return None


def _edit_outside_functions(path: Path, layout: Layout, edit: _Edit) -> Fallback:
    """An edit no single function encloses: the Fallback where only code outside every
    function changed (a layout edit), known without comparing the whole modules
    (which a 500-component app's save would pay for on top of the reload)."""
    old_part = edit.old_lines[edit.first : edit.old_end]
    new_part = edit.new_lines[edit.first : edit.new_end]
    if (
        not layout.touches_a_function(edit.first, edit.old_end)
        and _spans.same_code(old_part, new_part) is False
    ):
        return Fallback(f"{path.name} changed more than function bodies")
    raise _WholeModule  # several functions, comments, layout: compare the whole modules


def _compile_edited(
    definition: Def, layout: Layout, edit: _Edit, filename: str
) -> tuple[CompiledDef, CompiledDef]:
    """The edited function compiled alone, before and after the save, where only its
    body changed and the edit ends inside it."""
    old = _spans.compile_def(
        edit.old_lines[definition.start : definition.end],
        definition,
        filename,
        layout.compiler_flags,
    )
    new = _spans.compile_def(
        edit.new_lines[definition.start : definition.end + edit.delta],
        definition,
        filename,
        layout.compiler_flags,
    )
    if old is None or new is None or old.skeleton != new.skeleton:
        raise _WholeModule
    if new.end != definition.end + edit.delta:
        raise _WholeModule  # lines after the function now belong to it, or it ends sooner
    return old, new


def _plan_edited_function(
    definition: Def,
    old_code: CodeType,
    new_code: CodeType,
    layout: Layout,
    module: ModuleType,
    filename: str,
    patch: PatchSet,
) -> Fallback | None:
    found = _live_function(module, definition, filename, layout.defs)
    if isinstance(found, Fallback) or found is None:
        raise _WholeModule  # found None: an earlier definition of a name defined twice
    live, wrappers = found
    if live.__code__ != old_code:
        raise _WholeModule
    return _plan_swap(definition, live, wrappers, new_code, patch)


def _plan_moves_below(
    index: int, delta: int, layout: Layout, module: ModuleType, filename: str, patch: PatchSet
) -> None:
    """The functions below the edited one keep their code at new line numbers."""
    for later in layout.defs[index + 1 :]:
        found = _live_function(module, later, filename, layout.defs)
        if isinstance(found, Fallback):
            raise _WholeModule
        if found is None:
            continue
        live = found[0]
        if live.__code__.co_firstlineno != later.start + 1:
            raise _WholeModule
        patch.moves.append((live, _spans.shifted(live.__code__, delta)))


# -- the whole module: every function compared ---------------------------------------


class _Analysis(NamedTuple):
    defs: list[Def]
    #: The module's dump with every function body blanked.
    skeleton: str
    #: Code objects of the module's functions and methods by qualname, in definition order.
    codes: dict[str, list[CodeType]]


def _plan_whole_module(
    path: Path, remembered: ModuleSource, source: str, module: ModuleType, patch: PatchSet
) -> Fallback | None:
    """Plan a save by comparing the whole old and new modules."""
    try:
        new = _analysis(source, str(path))
        old = _analysis(remembered.source, str(path))
    except (SyntaxError, ValueError):
        return Fallback(f"{path.name} does not compile")
    if old.skeleton != new.skeleton or old.defs != new.defs:
        return Fallback(f"{path.name} changed more than function bodies")
    old_tree, new_tree = remembered.tree(), _parsed(source)
    if old_tree is None or new_tree is None:
        return Fallback(f"{path.name} does not compile")
    if _spans.layout_of(old_tree).untracked != _spans.layout_of(new_tree).untracked:
        # Their running code would keep its old line numbers (tracebacks would
        # point at the wrong lines), and nothing holds them that a patch can reach.
        return Fallback(f"lines moved under a lambda or a nested function in {path.name}")
    seen: dict[str, int] = {}
    for definition in new.defs:
        index = seen.get(definition.qualname, 0)
        seen[definition.qualname] = index + 1
        refused = _plan_definition(path, definition, index, old, new, module, patch)
        if refused is not None:
            return refused
    patch.sources[path] = ModuleSource(
        remembered.name, source, cached_tree=new_tree, parsed=True, ran_from=remembered.ran
    )
    return None


def _plan_definition(
    path: Path,
    definition: Def,
    index: int,
    old: _Analysis,
    new: _Analysis,
    module: ModuleType,
    patch: PatchSet,
) -> Fallback | None:
    """Plan the swap of the ``index``-th definition of ``definition.qualname``."""
    candidates = new.codes.get(definition.qualname, [])
    if index >= len(candidates):
        return Fallback(f"no code found for {definition.qualname} in {path.name}")
    new_code = candidates[index]
    found = _live_function(module, definition, str(path), new.defs)
    if isinstance(found, Fallback):
        return Fallback(f"{found.reason} in {path.name}")
    old_codes = old.codes.get(definition.qualname, [])
    if found is None:
        # An earlier definition that a later one replaced in the namespace; the app
        # may still hold it (a handler registered in between): not patchable.
        if index >= len(old_codes) or not _same_but_moved(old_codes[index], new_code):
            return Fallback(f"{definition.qualname}() is defined twice in {path.name}")
        return None
    live, wrappers = found
    if live.__code__ not in old_codes:
        # The running code is not the source remembered (a save raced the
        # last load, or a failed load left an older version running).
        return Fallback(f"the running {definition.qualname}() is not the last loaded code")
    return _plan_swap(definition, live, wrappers, new_code, patch)


@functools.lru_cache(maxsize=8)
def _analysis(source: str, filename: str) -> _Analysis:
    """A source's functions, its skeleton and its code objects by qualname; cached, as
    each save's new source is the next save's old one (parsing and compiling a large
    app file is most of a patch's time). Callers must not change what it returns."""
    defs, skeleton = _skeleton(parse_shared(source, filename))
    return _Analysis(defs, skeleton, _codes_by_qualname(compile_source(source, Path(filename))))


def _skeleton(tree: ast.Module) -> tuple[list[Def], str]:
    """The module's functions, and its dump with their bodies blanked (on copies: the
    tree is shared, see :func:`reloader._parse.parse_shared`)."""
    defs: list[Def] = []

    def blanked(function: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.stmt:
        copy = copy_node(function)
        copy.body = [ast.Pass()]
        return copy

    def without_bodies(statements: list[ast.stmt]) -> list[ast.stmt]:
        # The statements _spans.module_level() finds, in its order.
        kept: list[ast.stmt] = []
        for statement in statements:
            if isinstance(statement, ast.With | ast.AsyncWith):
                statement = copy_node(statement)
                statement.body = without_bodies(statement.body)
            elif _is_function(statement):
                defs.append(Def(statement.name, None, statement.name, None))
                statement = blanked(statement)
            elif isinstance(statement, ast.ClassDef):
                members = []
                for member in statement.body:
                    if _is_function(member):
                        qualname = f"{statement.name}.{member.name}"
                        accessor = _spans.accessor_of(member)
                        defs.append(Def(qualname, statement.name, member.name, accessor))
                        member = blanked(member)
                    members.append(member)
                statement = copy_node(statement)
                statement.body = members
            kept.append(statement)
        return kept

    skeleton = ast.Module(body=without_bodies(tree.body), type_ignores=tree.type_ignores)
    return defs, ast.dump(skeleton)


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


# -- both ways: the live function and its swap ---------------------------------------


def _plan_swap(
    definition: Def, live: FunctionType, wrappers: list[Any], new_code: CodeType, patch: PatchSet
) -> Fallback | None:
    """Add ``live``'s swap to ``new_code`` to the patch, unless the change is unsafe."""
    old_code = live.__code__
    if old_code == new_code:
        return None
    if _same_but_moved(old_code, new_code):
        patch.moves.append((live, new_code))  # only moved: not reported as patched
        return None
    refused = unsafe_new_code(definition.qualname, old_code, new_code)
    if refused is not None:
        return refused
    patch.swaps.append((live, new_code, f"{definition.qualname}()"))
    patch.caches.extend(w for w in wrappers if callable(getattr(w, "cache_clear", None)))
    return None


def _same_but_moved(old: CodeType, new: CodeType) -> bool:
    return old == new or _spans.shifted(old, new.co_firstlineno - old.co_firstlineno) == new


def _live_function(
    module: ModuleType, definition: Def, filename: str, defs: Sequence[Def]
) -> tuple[FunctionType, list[Any]] | Fallback | None:
    """The function object the running app holds for this definition (and the
    decorators around it); None for an earlier definition of a name a later one
    replaced."""
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


def _parsed(source: str) -> ast.Module | None:
    """The source's tree, or None where it does not parse."""
    try:
        return parse_shared(source)
    except (SyntaxError, ValueError):
        return None


def _is_function(node: ast.AST) -> TypeGuard[ast.FunctionDef | ast.AsyncFunctionDef]:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
