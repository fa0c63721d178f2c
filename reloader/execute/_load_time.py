"""Which functions may run while the modules load, read from their syntax trees.

A function that runs while the modules load (``gr.Markdown(header())``) may have
its result built into the app; patching its body changes nothing the page shows,
so the patch tier leaves such a function to a full reload."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import TypeGuard

__all__ = ["called_while_loading", "load_time_name"]

_Function = ast.FunctionDef | ast.AsyncFunctionDef

#: Methods that run when their class is called: an object built while the modules
#: load (``greeter = Greeter()``) keeps what its constructor did then.
_CONSTRUCTORS = frozenset({"__init__", "__new__", "__post_init__"})
#: Calls that call a function passed to them at once (``map(label, items)``).
_CALLS_ITS_ARGUMENTS = frozenset(
    {"map", "filter", "sorted", "min", "max", "reduce", "starmap", "accumulate", "groupby"}
    | {"filterfalse", "takewhile", "dropwhile"}
)


def called_while_loading(trees: Iterable[ast.Module | None]) -> set[str]:
    """Names of the functions that may run while modules execute, not only later.

    Conservative, by name: every call made by module-level code (class bodies,
    decorators and default values included; function and lambda bodies not), then
    every call made by the functions of those names, in any of ``trees``, until
    nothing new is found. A handler only passed to ``btn.click(shout, ...)`` is not
    called at load time; ``gr.Markdown(header())`` makes ``header`` one.
    """
    graph = _CallGraph()
    found: set[str] = set()
    for tree in trees:
        if tree is not None:
            graph.collect(tree, found, at_module_level=True)
    graph.follow(found)
    found.discard("")
    return found


def load_time_name(label: str) -> str:
    """The name by which a patched function would be called while loading: its
    own, or its class's for a constructor (``Greeter.__init__()``: ``Greeter``)."""
    owner, _, name = label.removesuffix("()").rpartition(".")
    return owner.rpartition(".")[2] if name in _CONSTRUCTORS and owner else name


class _CallGraph:
    """The calls found in code, and for each name what runs when it is called (the
    bodies of the functions of that name, the constructors of the classes)."""

    def __init__(self) -> None:
        self._bodies: dict[str, list[ast.AST]] = {}
        #: A name imported as another -> the names it stands for.
        self._aliases: dict[str, set[str]] = {}

    def collect(self, node: ast.AST, into: set[str], *, at_module_level: bool) -> None:
        """Add to ``into`` the names ``node`` calls when it runs.

        At module level a ``def`` runs only its decorators, defaults and annotations;
        its body is indexed under its name. Inside a function being followed, a
        nested def's body runs when it is called: it is counted with its parent."""
        if _is_function(node):
            self._collect_def(node, into, at_module_level)
        elif isinstance(node, ast.Lambda):
            self.collect(node.args, into, at_module_level=at_module_level)
            if not at_module_level:
                self.collect(node.body, into, at_module_level=False)
        else:
            self._note(node, into)
            for child in ast.iter_child_nodes(node):
                self.collect(child, into, at_module_level=at_module_level)

    def follow(self, found: set[str]) -> None:
        """Add to ``found`` the names called by what runs for the names in it, and so
        on, until nothing new is found."""
        frontier = set(found)
        while frontier:
            more: set[str] = set()
            for name in frontier:
                more |= self._aliases.get(name, set())
                for statement in self._bodies.get(name, []):
                    self.collect(statement, more, at_module_level=False)
            frontier = more - found
            found |= more

    def _collect_def(self, node: _Function, into: set[str], at_module_level: bool) -> None:
        if at_module_level:
            self._bodies.setdefault(node.name, []).extend(node.body)
        for decorator in node.decorator_list:
            into.add(_callee(decorator))
            self.collect(decorator, into, at_module_level=at_module_level)
        self.collect(node.args, into, at_module_level=at_module_level)
        if node.returns is not None:
            self.collect(node.returns, into, at_module_level=at_module_level)
        for statement in node.body:
            if at_module_level:  # methods and nested classes still get indexed
                self._index(statement)
            else:
                self.collect(statement, into, at_module_level=False)

    def _note(self, node: ast.AST, into: set[str]) -> None:
        """What one node tells: a call, a name imported as another, a class's constructor."""
        if isinstance(node, ast.Call):
            into.update(_called_by(node))
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:  # `from helpers import build as header`
                if alias.asname:
                    self._aliases.setdefault(alias.asname, set()).add(alias.name)
        elif isinstance(node, ast.ClassDef):  # calling the class runs its constructor
            self._bodies.setdefault(node.name, []).extend(_constructor_bodies(node))

    def _index(self, node: ast.AST) -> None:
        """Index every function and class under ``node`` by name, without counting calls."""
        for child in ast.walk(node):
            if _is_function(child):
                self._bodies.setdefault(child.name, []).extend(child.body)
            elif isinstance(child, ast.ClassDef):
                self._bodies.setdefault(child.name, []).extend(_constructor_bodies(child))


def _is_function(node: ast.AST) -> TypeGuard[_Function]:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)


def _called_by(call: ast.Call) -> set[str]:
    """The function a call calls, and those it passes to a call that calls them at once."""
    callee = _callee(call.func)
    if not _calls_its_arguments(callee):
        return {callee}
    passed = [*call.args, *(keyword.value for keyword in call.keywords)]
    return {callee, *(_callee(argument) for argument in passed)}


def _calls_its_arguments(callee: str) -> bool:
    return callee in _CALLS_ITS_ARGUMENTS


def _constructor_bodies(node: ast.ClassDef) -> list[ast.stmt]:
    return [
        statement
        for member in node.body
        if _is_function(member) and member.name in _CONSTRUCTORS
        for statement in member.body
    ]


def _callee(node: ast.AST) -> str:
    """The name a call goes to (``header`` for ``header()`` and ``ui.header()``); "" if none."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""
