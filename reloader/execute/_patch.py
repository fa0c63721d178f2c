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
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FunctionType, ModuleType
from typing import Any

from reloader.execute import _spans
from reloader.execute._no_reload import transform
from reloader.execute._spans import Def, Layout

__all__ = ["Fallback", "PatchResult", "Patcher"]

logger = logging.getLogger("reloader.patch")

_KIND_FLAGS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
#: Inner code objects whose function objects never outlive the call that makes them.
_TRANSIENT = frozenset({"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"})


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
class _ModuleSource:
    name: str
    source: str
    #: The very source the live module ran from (not read from the file later).
    exact: bool = True
    #: Where its functions are; computed when first needed, then carried forward.
    layout: Layout | None = None
    #: Its syntax tree, parsed when first needed (read only). Kept here, with the one
    #: source it belongs to, so that what is kept is bounded by the modules, not the saves.
    tree: ast.Module | None = None
    parsed: bool = False


class _WholeModule(Exception):
    """The one-function comparison cannot decide; compare the whole modules."""


@dataclass
class _PatchSet:
    swaps: list[tuple[FunctionType, CodeType, str]] = field(default_factory=list)
    #: Functions below an edit that changed the line count: same code, new line numbers.
    moves: list[tuple[FunctionType, CodeType]] = field(default_factory=list)
    #: Decorators with a cache (functools.cache, lru_cache) in front of a patched function.
    caches: list[Any] = field(default_factory=list)
    sources: dict[Path, _ModuleSource] = field(default_factory=dict)


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
        self._known: dict[Path, _ModuleSource] = {}
        #: Names of the functions that may run while the known modules load
        #: (:func:`_called_while_loading`); computed once per load, see :meth:`_check_load_time`.
        self._running_at_load: frozenset[str] | None = None
        #: The engine's thread patches; :meth:`prepare` may run on another.
        self._lock = threading.Lock()

    def remember(self, modules: Iterable[tuple[str, Path, str | None]]) -> None:
        """Record the sources just executed (``None``: read the file now)."""
        with self._lock:
            self._running_at_load = None
            for name, path, source in modules:
                try:
                    self._known[path] = _ModuleSource(
                        name,
                        source if source is not None else read_source(path),
                        exact=source is not None,
                    )
                except (OSError, UnicodeDecodeError, SyntaxError):
                    self._known.pop(path, None)

    def prepare(self) -> None:
        """Analyse the remembered sources now rather than in the next save's patch
        (the engine calls it when idle after a load)."""
        with self._lock:
            try:
                self._load_time_names()
                for known in self._known.values():
                    _layout(known)
            except Exception:  # the next patch computes (and reports) it
                logger.debug("could not analyse the sources ahead of a patch", exc_info=True)

    def knows(self, path: Path) -> bool:
        return path in self._known

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
                plan = _PatchSet()
                for path in paths:
                    found = self._plan_file(path, modules, plan)
                    if isinstance(found, Fallback):
                        return found
                refused = (
                    _refused(plan.swaps, refuse)
                    or _live_inner_functions(plan.swaps)
                    or self._check_load_time(plan)
                )
            except Exception as error:  # never crash the engine: a full reload is always safe
                logger.exception("the patcher failed; falling back to a full reload")
                return Fallback(f"the patcher failed ({type(error).__name__}: {error})")
            if refused:
                return refused
            names = []
            for function, code, label in plan.swaps:
                function.__code__ = code
                names.append(label)
            for function, code in plan.moves:
                function.__code__ = code
            for cached in plan.caches:
                # Results computed by the old body would otherwise outlive it.
                try:
                    cached.cache_clear()
                except Exception:
                    logger.exception("could not clear the cache of a patched function")
            self._known.update(plan.sources)
            return PatchResult(functions=tuple(dict.fromkeys(names)), files=tuple(paths))

    def _load_time_names(self) -> frozenset[str]:
        if self._running_at_load is None:
            self._running_at_load = frozenset(
                _called_while_loading(_tree(known) for known in self._known.values())
            )
        return self._running_at_load

    def _check_load_time(self, plan: _PatchSet) -> Fallback | None:
        """Refuse a patch of a function that may run while the modules load: its result
        may be built into the app (a header, a layout helper), and only running the
        modules again shows the change.

        The names called at load time depend on module-level code, which a patch
        never changes, and on the bodies of the functions reached from it. So while
        no function whose body changed (the patched ones and the functions defined
        inside them) is among the names before the patch, the names after it are
        the same: kept, not recomputed. Otherwise they are computed from the new
        sources, as they would be after a full reload.
        """
        if not plan.swaps:
            return None
        before = self._load_time_names()
        touched = set()
        for live, new_code, label in plan.swaps:
            touched.add(_load_time_name(label))
            touched.update(inner.co_name for inner in _inner_codes(live.__code__))
            touched.update(inner.co_name for inner in _inner_codes(new_code))
        after = before
        if touched & before:
            knowns = {**self._known, **plan.sources}
            after = frozenset(_called_while_loading(_tree(known) for known in knowns.values()))
        for _, _, label in plan.swaps:
            if _load_time_name(label) in after:
                return Fallback(f"{label} runs while the modules load; they run again")
        self._running_at_load = after
        return None

    def _plan_file(
        self, path: Path, modules: Mapping[str, ModuleType], plan: _PatchSet
    ) -> Fallback | None:
        known = self._known.get(path)
        if known is None or path.suffix != ".py":
            return Fallback(f"{path.name} is not a module devreload has run")
        module = modules.get(known.name)
        if module is None:
            return Fallback(f"{path.name} is no longer loaded")
        try:
            source = read_source(path)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            return Fallback(f"{path.name} does not compile")
        if known.exact:
            try:
                return _plan_one_function(path, known, source, module, plan)
            except _WholeModule:
                pass
        return _plan_whole_module(path, known, source, module, plan)


def _tree(known: _ModuleSource) -> ast.Module | None:
    if not known.parsed:
        known.tree, known.parsed = _parsed(known.source), True
    return known.tree


def _layout(known: _ModuleSource) -> Layout | None:
    if known.layout is None:
        tree = _tree(known)
        known.layout = _spans.layout_of(tree) if tree is not None else None
    return known.layout


def _plan_one_function(
    path: Path, known: _ModuleSource, source: str, module: ModuleType, plan: _PatchSet
) -> Fallback | None:
    """Plan a save that changed the lines of one function only, compiling that
    function alone; :class:`_WholeModule` where that cannot decide."""
    layout = _layout(known)
    if layout is None:
        raise _WholeModule
    old_lines, new_lines = _spans.lines_of(known.source), _spans.lines_of(source)
    change = _spans.changed_range(old_lines, new_lines)
    if change is None:  # the same text: nothing to do
        plan.sources[path] = known
        return None
    first, old_end, new_end = change
    if len(new_lines) != len(old_lines) and layout.untracked_below(first):
        raise _WholeModule  # it decides whether a lambda below moved
    index = layout.enclosing(first, old_end)
    if index is None:
        if not layout.touches_a_function(first, old_end) and (
            _spans.same_code(old_lines[first:old_end], new_lines[first:new_end]) is False
        ):
            # Only code outside every function changed (a layout edit): a full reload,
            # known without comparing the whole modules (which a 500-component app's
            # save would pay for on top of the reload).
            return Fallback(f"{path.name} changed more than function bodies")
        raise _WholeModule  # several functions, comments, layout: compare the whole modules
    definition = layout.defs[index]
    delta = len(new_lines) - len(old_lines)
    filename = str(path)
    old = _spans.compile_def(
        old_lines[definition.start : definition.end], definition, filename, layout.compiler_flags
    )
    new = _spans.compile_def(
        new_lines[definition.start : definition.end + delta],
        definition,
        filename,
        layout.compiler_flags,
    )
    if old is None or new is None or old.skeleton != new.skeleton:
        raise _WholeModule
    if new.end != definition.end + delta:
        raise _WholeModule  # lines after the function now belong to it, or it ends sooner
    found = _live_function(module, definition, filename, layout.defs)
    if isinstance(found, Fallback) or found is None:
        raise _WholeModule  # found None: an earlier definition of a name defined twice
    if found is not None:
        live, wrappers = found
        if live.__code__ != old.code:
            raise _WholeModule
        refused = _plan_swap(definition, live, wrappers, new.code, plan)
        if refused is not None:
            return refused
    if delta:
        for later in layout.defs[index + 1 :]:
            moved = _live_function(module, later, filename, layout.defs)
            if isinstance(moved, Fallback):
                raise _WholeModule
            if moved is None:
                continue
            if moved[0].__code__.co_firstlineno != later.start + 1:
                raise _WholeModule
            plan.moves.append((moved[0], _spans.shifted(moved[0].__code__, delta)))
    plan.sources[path] = _ModuleSource(
        known.name, source, layout=layout.after_edit(index, new.end, delta)
    )
    return None


def _plan_whole_module(
    path: Path, known: _ModuleSource, source: str, module: ModuleType, plan: _PatchSet
) -> Fallback | None:
    """Plan a save by comparing the whole old and new modules."""
    try:
        new_defs, new_skeleton, new_codes = _analysis(source, str(path))
        old_defs, old_skeleton, old_codes = _analysis(known.source, str(path))
    except (SyntaxError, ValueError):
        return Fallback(f"{path.name} does not compile")
    if old_skeleton != new_skeleton or old_defs != new_defs:
        return Fallback(f"{path.name} changed more than function bodies")
    old_tree, new_tree = _tree(known), _parsed(source)
    if old_tree is None or new_tree is None:
        return Fallback(f"{path.name} does not compile")
    if _spans.layout_of(old_tree).untracked != _spans.layout_of(new_tree).untracked:
        # Their running code would keep its old line numbers (tracebacks would
        # point at the wrong lines), and nothing holds them that a patch can reach.
        return Fallback(f"lines moved under a lambda or a nested function in {path.name}")
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
            # An earlier definition that a later one replaced in the namespace; the app
            # may still hold it (a handler registered in between): not patchable.
            old_candidates = old_codes.get(definition.qualname, [])
            if index >= len(old_candidates) or not _same_but_moved(old_candidates[index], new_code):
                return Fallback(f"{definition.qualname}() is defined twice in {path.name}")
            continue
        live, wrappers = found
        if live.__code__ not in old_codes.get(definition.qualname, []):
            # The running code is not the source remembered (a save raced the
            # last load, or a failed load left an older version running).
            return Fallback(f"the running {definition.qualname}() is not the last loaded code")
        refused = _plan_swap(definition, live, wrappers, new_code, plan)
        if refused is not None:
            return refused
    plan.sources[path] = _ModuleSource(known.name, source, tree=new_tree, parsed=True)
    return None


def _plan_swap(
    definition: Def, live: FunctionType, wrappers: list[Any], new_code: CodeType, plan: _PatchSet
) -> Fallback | None:
    """Add ``live``'s swap to ``new_code`` to the plan, unless the change is unsafe."""
    old_code = live.__code__
    if old_code == new_code:
        return None
    if _same_but_moved(old_code, new_code):
        plan.moves.append((live, new_code))  # only moved: not reported as patched
        return None
    if old_code.co_freevars != new_code.co_freevars:
        return Fallback(f"{definition.qualname}() now uses different outer variables")
    if old_code.co_flags & _KIND_FLAGS != new_code.co_flags & _KIND_FLAGS:
        return Fallback(f"{definition.qualname}() changed kind (generator, coroutine or plain)")
    if _docstring(old_code) != _docstring(new_code):
        # Frameworks read it when they build the app (Gradio's API and MCP
        # descriptions): only running the modules again shows the new one.
        return Fallback(f"the docstring of {definition.qualname}() changed")
    plan.swaps.append((live, new_code, f"{definition.qualname}()"))
    plan.caches.extend(w for w in wrappers if callable(getattr(w, "cache_clear", None)))
    return None


def _refused(
    swaps: Iterable[tuple[FunctionType, CodeType, str]],
    refuse: Callable[[FunctionType], str | None] | None,
) -> Fallback | None:
    if refuse is None:
        return None
    for live, _, _ in swaps:
        reason = refuse(live)
        if reason:
            return Fallback(reason)
    return None


def _same_but_moved(old: CodeType, new: CodeType) -> bool:
    return old == new or _spans.shifted(old, new.co_firstlineno - old.co_firstlineno) == new


def _docstring(code: CodeType) -> str | None:
    """A function's docstring, read from its code (the first constant up to 3.13;
    3.14 says with a flag whether there is one)."""
    flag = getattr(inspect, "CO_HAS_DOCSTRING", None)
    first = code.co_consts[0] if code.co_consts else None
    if flag is not None and not code.co_flags & flag:
        return None
    return first if isinstance(first, str) else None


def _inner_codes(code: CodeType) -> list[CodeType]:
    found = []
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found.append(const)
            found.extend(_inner_codes(const))
    return found


def _live_inner_functions(swaps: Iterable[tuple[FunctionType, CodeType, str]]) -> Fallback | None:
    """Refuse a patch of a function whose changed inner functions exist as live function
    objects (made by an earlier call: a Shiny session's outputs, a factory's closures):
    they would keep running the old inner code without saying so."""
    changed: dict[CodeType, str] = {}
    for live, new_code, label in swaps:
        old_inner = _inner_codes(live.__code__)
        new_inner = _inner_codes(new_code)
        if len(old_inner) != len(new_inner) or any(
            old != new for old, new in zip(old_inner, new_inner, strict=True)
        ):
            for old in old_inner:
                if old.co_name not in _TRANSIENT:
                    changed[old] = label.removesuffix("()")
    if not changed:
        return None
    import gc

    # The referrers of a code object are the functions made from it and the
    # constants of the code that holds it; gc finds them in C, not object by object.
    for obj in gc.get_referrers(*changed):
        if isinstance(obj, FunctionType) and obj.__code__ in changed:
            return Fallback(f"{changed[obj.__code__]}() made inner functions that are still alive")
    return None


def _called_while_loading(trees: Iterable[ast.Module | None]) -> set[str]:
    """Names of the functions that may run while modules execute, not only later.

    Conservative, by name: every call made by module-level code (class bodies,
    decorators and default values included; function and lambda bodies not), then
    every call made by the functions of those names, in any of ``trees``, until
    nothing new is found. A handler only passed to ``btn.click(shout, ...)`` is not
    called at load time; ``gr.Markdown(header())`` makes ``header`` one.
    """
    bodies: dict[str, list[ast.AST]] = {}
    aliases: dict[str, set[str]] = {}  # a name imported as another -> the names it stands for
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
            callee = _callee(node.func)
            into.add(callee)
            if callee in _CALLS_ITS_ARGUMENTS:
                passed = [*node.args, *(keyword.value for keyword in node.keywords)]
                into.update(_callee(argument) for argument in passed)
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:  # `from helpers import build as header`
                if alias.asname:
                    aliases.setdefault(alias.asname, set()).add(alias.name)
        if isinstance(node, ast.ClassDef):  # calling the class runs its constructor
            bodies.setdefault(node.name, []).extend(_constructor_bodies(node))
        for child in ast.iter_child_nodes(node):
            calls(child, into, top)

    def _index(node: ast.AST) -> None:
        for child in ast.walk(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                bodies.setdefault(child.name, []).extend(child.body)
            elif isinstance(child, ast.ClassDef):
                bodies.setdefault(child.name, []).extend(_constructor_bodies(child))

    for tree in trees:
        if tree is not None:
            calls(tree, found, True)
    frontier = set(found)
    while frontier:
        more: set[str] = set()
        for name in frontier:
            more |= aliases.get(name, set())
            for statement in bodies.get(name, []):
                calls(statement, more, False)
        frontier = more - found
        found |= more
    found.discard("")
    return found


#: Methods that run when their class is called: an object built while the modules
#: load (``greeter = Greeter()``) keeps what its constructor did then.
_CONSTRUCTORS = frozenset({"__init__", "__new__", "__post_init__"})
#: Calls that call a function passed to them at once (``map(label, items)``).
_CALLS_ITS_ARGUMENTS = frozenset(
    {"map", "filter", "sorted", "min", "max", "reduce", "starmap", "accumulate", "groupby"}
    | {"filterfalse", "takewhile", "dropwhile"}
)


def _constructor_bodies(node: ast.ClassDef) -> list[ast.stmt]:
    return [
        statement
        for member in node.body
        if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef)
        and member.name in _CONSTRUCTORS
        for statement in member.body
    ]


def _load_time_name(label: str) -> str:
    """The name by which a patched function would be called while loading: its
    own, or its class's for a constructor (``Greeter.__init__()``: ``Greeter``)."""
    owner, _, name = label.removesuffix("()").rpartition(".")
    return owner.rpartition(".")[2] if name in _CONSTRUCTORS and owner else name


def _callee(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


@functools.lru_cache(maxsize=8)
def _analysis(source: str, filename: str) -> tuple[list[Def], str, dict[str, list[CodeType]]]:
    """A source's functions, its skeleton and its code objects by qualname; cached, as
    each save's new source is the next save's old one (parsing and compiling a large
    app file is most of a patch's time). Callers must not change what it returns."""
    defs, skeleton = _skeleton(ast.parse(source, filename))
    return defs, skeleton, _codes_by_qualname(compile_source(source, Path(filename)))


def _parsed(source: str) -> ast.Module | None:
    """The source's tree, or None where it does not parse."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _skeleton(tree: ast.Module) -> tuple[list[Def], str]:
    """The module's functions, and its dump with their bodies blanked."""
    defs: list[Def] = []

    def blank(node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        node.body = [ast.Pass()]

    for statement in _spans.module_level(tree):
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            defs.append(Def(statement.name, None, statement.name, None))
            blank(statement)
        elif isinstance(statement, ast.ClassDef):
            for member in statement.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                    defs.append(
                        Def(
                            f"{statement.name}.{member.name}",
                            statement.name,
                            member.name,
                            _spans.accessor_of(member),
                        )
                    )
                    blank(member)
    return defs, ast.dump(tree)


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
    module: ModuleType, definition: Def, filename: str, defs: Sequence[Def]
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
