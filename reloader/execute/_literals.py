"""Find a save that changed only literal arguments of calls the module's top level makes.

``gr.Markdown("# Title")`` → ``gr.Markdown("# Analyzer")``, ``label="Name"`` →
``label="Full name"``, ``choices=["a", "b"]`` → ``choices=["a", "b", "c"]``: the
new source is the old one with some literal arguments of some calls changed, and
nothing else. Each becomes an :class:`~reloader._literal_edits.ArgumentEdit`, which
an adapter may apply to what that call built (else the module runs again).

The rule is strict, so that applying the edits is what running the file again would
do: the same number of lines; every statement that spans only unchanged lines is
the same (it parses the same); every other one has the same syntax tree but for
the values of constants; and each changed constant is, alone or in a literal list,
tuple, set or dict, a whole argument of a call that is not inside a function, a
class, a lambda, a comprehension or a NO_RELOAD block, and that passes no
``*args`` or ``**kwargs``. Whether the call ran exactly once and built one thing
is the adapter's to check: it saw the module run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from reloader._literal_edits import ArgumentEdit, CallSite
from reloader._parse import parse_shared
from reloader.execute._no_reload import is_no_reload_test
from reloader.execute._patch_safety import Fallback

__all__ = ["literal_edits"]

#: Nodes whose code runs later, or more than once, or not as the module loads.
_DEFERRED = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


class _NotLiteral(Exception):
    """The save changed more than literal arguments (the message says what)."""


def literal_edits(ran: str, old: str, new: str, filename: str) -> list[ArgumentEdit] | Fallback:
    """The argument edits that turn ``old`` into ``new``, at the call sites of ``ran``
    (the source the running module was compiled from: ``old`` is ``ran`` with earlier
    literal edits, so the two have the same tree but for constants, and the running
    code knows its calls by ``ran``'s positions)."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    if len(old_lines) != len(new_lines):
        return Fallback("lines were added or removed")
    changed = {
        number for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=True), 1) if a != b
    }
    if not changed:
        return Fallback("the text is the same")
    try:
        trees = [parse_shared(source, filename) for source in (ran, old, new)]
    except (SyntaxError, ValueError):
        return Fallback("it does not parse")
    finder = _Finder(filename, changed)
    try:
        finder.statements(trees[0].body, trees[1].body, trees[2].body, scope=())
    except _NotLiteral as reason:
        return Fallback(str(reason))
    if not finder.edits:
        return Fallback("no literal argument changed")
    read = _read_while_loading(trees[2], finder.assigned)
    if read:
        return Fallback(f"an attribute of {read} is read as the module loads")
    return finder.edits


class _Finder:
    def __init__(self, filename: str, changed: set[int]) -> None:
        self.filename = filename
        self.changed = changed
        self.edits: list[ArgumentEdit] = []
        #: Names the edited calls' results are assigned to (``name = gr.Textbox(...)``).
        self.assigned: set[str] = set()
        self._targets: dict[int, list[str]] = {}

    def statements(
        self, ran: list[ast.stmt], old: list[ast.stmt], new: list[ast.stmt], scope: tuple[str, ...]
    ) -> None:
        if not len(ran) == len(old) == len(new):
            raise _NotLiteral("statements were added or removed")
        for r, o, n in zip(ran, old, new, strict=True):
            if (o.lineno, o.end_lineno) != (n.lineno, n.end_lineno):
                raise _NotLiteral("a statement moved")
            if not any(o.lineno <= line <= (o.end_lineno or o.lineno) for line in self.changed):
                continue  # its lines are unchanged, so is its tree
            self.node(r, o, n, scope)

    def node(self, ran: ast.AST, old: ast.AST, new: ast.AST, scope: tuple[str, ...]) -> None:
        if not type(ran) is type(old) is type(new):
            raise _NotLiteral("the code changed")
        if isinstance(old, ast.Constant):
            if _same_constant(old, new):  # type: ignore[arg-type]
                return
            raise _NotLiteral("a literal outside a call's arguments changed")
        if isinstance(old, _DEFERRED):
            scope = (*scope, "deferred")
        if isinstance(old, ast.If) and is_no_reload_test(old.test):
            scope = (*scope, "no_reload")
        if isinstance(new, ast.Assign | ast.AnnAssign) and isinstance(new.value, ast.Call):
            targets = new.targets if isinstance(new, ast.Assign) else [new.target]
            names = [target.id for target in targets if isinstance(target, ast.Name)]
            self._targets[id(new.value)] = names
        if isinstance(old, ast.Call):
            self.call(ran, old, new, scope)  # type: ignore[arg-type]
            return
        self.fields(ran, old, new, scope)

    def fields(self, ran: ast.AST, old: ast.AST, new: ast.AST, scope: tuple[str, ...]) -> None:
        for name in old._fields:
            r, o, n = (getattr(node, name, None) for node in (ran, old, new))
            if isinstance(o, list):
                if (
                    not isinstance(n, list)
                    or not isinstance(r, list)
                    or not len(r) == len(o) == len(n)
                ):
                    raise _NotLiteral("the code changed")
                if o and isinstance(o[0], ast.stmt):
                    self.statements(r, o, n, scope)
                    continue
                for ri, oi, ni in zip(r, o, n, strict=True):
                    self._child(ri, oi, ni, scope)
            else:
                self._child(r, o, n, scope)

    def _child(self, ran: Any, old: Any, new: Any, scope: tuple[str, ...]) -> None:
        if isinstance(old, ast.AST):
            self.node(ran, old, new, scope)
        elif not (old == new and type(old) is type(new)):
            raise _NotLiteral("the code changed")

    def call(self, ran: ast.Call, old: ast.Call, new: ast.Call, scope: tuple[str, ...]) -> None:
        self.node(ran.func, old.func, new.func, scope)
        if len(old.args) != len(new.args) or len(old.keywords) != len(new.keywords):
            raise _NotLiteral("a call's arguments were added or removed")
        arguments: list[tuple[int | None, str | None, ast.expr, ast.expr, ast.expr]] = [
            (position, None, r, o, n)
            for position, (r, o, n) in enumerate(zip(ran.args, old.args, new.args, strict=True))
        ]
        for r_kw, o_kw, n_kw in zip(ran.keywords, old.keywords, new.keywords, strict=True):
            if o_kw.arg != n_kw.arg or r_kw.arg != o_kw.arg:
                raise _NotLiteral("a call's keywords changed")
            arguments.append((None, o_kw.arg, r_kw.value, o_kw.value, n_kw.value))
        edits = []
        for position, keyword, r, o, n in arguments:
            if _is_literal(o) and _is_literal(n) and _changed_constants(r, o, n):
                edits.append((position, keyword, n))
            else:
                self.node(r, o, n, scope)
        if not edits:
            return
        if scope:
            raise _NotLiteral("a literal changed in code that does not run as the module loads")
        if any(isinstance(arg, ast.Starred) for arg in old.args) or any(
            kw.arg is None for kw in old.keywords
        ):
            raise _NotLiteral("a call with *args or **kwargs changed")
        site = CallSite(
            self.filename,
            ran.lineno,
            ran.col_offset,
            ran.end_lineno or ran.lineno,
            ran.end_col_offset or 0,
        )
        self.assigned.update(self._targets.get(id(new), ()))
        for position, keyword, node in edits:
            self.edits.append(ArgumentEdit(site, position, keyword, ast.literal_eval(node)))


def _read_while_loading(tree: ast.Module, names: set[str]) -> str | None:
    """One of ``names`` whose attribute the module's top level reads (``name.value``),
    other than to call it (``name.click(...)``), or that it hands to a function called
    by name (``caption(name)``, which may read its attributes): what was read came from
    the old arguments, and only running the module again reads the new ones. (What a
    framework's own calls read, ``gr.Examples(inputs=[name])``, the adapter knows.)"""
    if not names:
        return None
    called: set[int] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            pending.extend(getattr(node, "decorator_list", ()))
            continue  # its body runs later, and reads the updated object
        if isinstance(node, ast.Call):
            called.add(id(node.func))
            if isinstance(node.func, ast.Name):
                handed = _names_in([*node.args, *(keyword.value for keyword in node.keywords)])
                if handed & names:
                    return min(handed & names)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in names
            and id(node) not in called
        ):
            return node.value.id
        pending.extend(ast.iter_child_nodes(node))
    return None


def _names_in(expressions: list[ast.expr]) -> set[str]:
    """The names these expressions read, outside lambdas."""
    found: set[str] = set()
    pending: list[ast.AST] = list(expressions)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name):
            found.add(node.id)
        pending.extend(ast.iter_child_nodes(node))
    return found


def _is_literal(node: ast.expr) -> bool:
    """A constant, or a list, tuple, set or dict of literals (a negative number too)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return isinstance(node.operand, ast.Constant) and isinstance(
            node.operand.value, int | float | complex
        )
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return all(_is_literal(element) for element in node.elts)
    if isinstance(node, ast.Dict):
        return all(key is not None and _is_literal(key) for key in node.keys) and all(
            _is_literal(value) for value in node.values
        )
    return False


def _changed_constants(ran: ast.expr, old: ast.expr, new: ast.expr) -> bool:
    """Whether the literal ``new`` differs from ``old`` (``ran`` must be a literal too,
    of the same shape as ``old``, which earlier literal edits keep)."""
    if not _is_literal(ran):
        raise _NotLiteral("the code changed")
    return not _same_literal(old, new)


def _same_literal(old: ast.AST, new: ast.AST) -> bool:
    if type(old) is not type(new):
        return False
    if isinstance(old, ast.Constant):
        return _same_constant(old, new)  # type: ignore[arg-type]
    if isinstance(old, ast.UnaryOp) and type(old.op) is not type(new.op):  # type: ignore[attr-defined]
        return False
    return all(
        _same_literal(a, b) for a, b in zip(_children(old), _children(new), strict=False)
    ) and len(list(_children(old))) == len(list(_children(new)))


def _children(node: ast.AST) -> Iterator[ast.AST]:
    if isinstance(node, ast.UnaryOp):
        yield node.operand
        return
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            assert key is not None
            yield key
            yield value
        return
    yield from node.elts  # type: ignore[attr-defined]


def _same_constant(old: ast.Constant, new: ast.Constant) -> bool:
    # 1 == 1.0 == True: the type counts; and a changed string kind (u"") does not matter.
    return type(old.value) is type(new.value) and old.value == new.value
