"""NO_RELOAD blocks: run once, keep what they bound.

A module-level ``if gr.NO_RELOAD:`` (or ``if reloader.NO_RELOAD:``, or a bare
``if NO_RELOAD:``) is rewritten before the module runs so that:

* on the first load it behaves exactly as plain Python (the original test is
  still evaluated, so ``gr.NO_RELOAD`` being true is what runs the body);
* once the body has completed, the names it bound are remembered, keyed by a
  hash of the block's source;
* on a reload of an unchanged block, those very objects are put back into the
  fresh namespace instead of running the body, and the ``else:`` branch runs,
  as in Gradio's reload mode;
* a block whose source changed has a new key, so it, and only it, runs again.

Only statements at module level are rewritten (including those nested in
module-level ``if``/``try``/``with``/``for``/``while``), never function or
class bodies: those run later, when every NO_RELOAD decision is long made.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

from reloader._parse import copy_node, parse_shared

__all__ = [
    "RUNTIME_NAME",
    "NoReloadRuntime",
    "NoReloadStore",
    "compile_module",
    "is_no_reload_test",
    "transform",
]

#: The global that rewritten modules call into. Dunder, so `import *` skips it.
RUNTIME_NAME = "__devreload_no_reload__"
FLAG_NAME = "NO_RELOAD"


def is_no_reload_test(test: ast.expr) -> bool:
    """``NO_RELOAD`` or ``anything.NO_RELOAD`` (``gr.``, ``gradio.``, ``reloader.``)."""
    if isinstance(test, ast.Name):
        return test.id == FLAG_NAME
    return isinstance(test, ast.Attribute) and test.attr == FLAG_NAME


@dataclass
class NoReloadStore:
    """What NO_RELOAD blocks bound, per module and block key; lives for the process."""

    blocks: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def for_module(self, module_name: str) -> dict[str, dict[str, Any]]:
        return self.blocks.setdefault(module_name, {})

    def prune(self, module_name: str, live_keys: set[str]) -> None:
        """Forget blocks that no longer exist in the module's source."""
        kept = self.for_module(module_name)
        for key in list(kept):
            if key not in live_keys:
                del kept[key]


class NoReloadRuntime:
    """Called by rewritten modules; one instance per execution of a module."""

    def __init__(
        self,
        namespace: MutableMapping[str, Any],
        carried: dict[str, dict[str, Any]],
        bound_names: dict[str, frozenset[str]],
    ) -> None:
        self._namespace = namespace
        self._carried = carried
        self._bound_names = bound_names
        self._before: dict[str, dict[str, int]] = {}
        self.ran: list[str] = []
        self.restored: list[str] = []

    def enter(self, key: str) -> bool:
        """True when the block must run; else restore what it bound last time."""
        kept = self._carried.get(key)
        if kept is not None:
            self._namespace.update(kept)
            self.restored.append(key)
            return False
        self._before[key] = {name: id(value) for name, value in self._namespace.items()}
        return True

    def leave(self, key: str) -> None:
        """The block's body completed: remember every name it bound."""
        before = self._before.pop(key, {})
        names = set(self._bound_names.get(key, ()))
        # Names bound dynamically (globals()[...] = ..., exec) count too.
        names.update(
            name
            for name, value in self._namespace.items()
            if before.get(name) != id(value) and name != RUNTIME_NAME
        )
        self._carried[key] = {
            name: self._namespace[name] for name in names if name in self._namespace
        }
        self.ran.append(key)


def _bound_names(statements: list[ast.stmt]) -> frozenset[str]:
    """Names a list of statements binds at its own scope level (not in nested scopes)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            for decorator in node.decorator_list:
                visit(decorator)
            return  # the body is a nested scope
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp):
            return  # nested scopes
        elif isinstance(node, ast.GeneratorExp):
            return
        elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif (isinstance(node, ast.ExceptHandler) and node.name) or (
            isinstance(node, ast.MatchAs | ast.MatchStar) and node.name
        ):
            names.add(node.name)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for statement in statements:
        visit(statement)
    return frozenset(names)


@dataclass
class Transformed:
    tree: ast.Module
    #: block key -> names the block binds statically
    bound_names: dict[str, frozenset[str]]


def _block_key(block: ast.If, seen: dict[str, int]) -> str:
    # Positions are left out of the dump, so moving a block (editing code
    # above it) keeps its key; editing the block's own code changes it.
    digest = hashlib.sha1(
        "\n".join(ast.dump(statement) for statement in block.body).encode()
    ).hexdigest()[:16]
    occurrence = seen.get(digest, 0)
    seen[digest] = occurrence + 1
    return f"{digest}#{occurrence}"


def _module_level_blocks(statements: list[ast.stmt]) -> Iterator[ast.If]:
    for statement in statements:
        if isinstance(statement, ast.If) and is_no_reload_test(statement.test):
            yield statement
            # Nested NO_RELOAD blocks inside a NO_RELOAD body run with it.
            yield from _module_level_blocks(statement.orelse)
            continue
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for attribute in ("body", "orelse", "finalbody", "handlers"):
            children = getattr(statement, attribute, None)
            if not children:
                continue
            if attribute == "handlers":
                for handler in children:
                    yield from _module_level_blocks(handler.body)
            else:
                yield from _module_level_blocks(children)
        if isinstance(statement, ast.Match):
            for case in statement.cases:
                yield from _module_level_blocks(case.body)


def _runtime_call(method: str, key: str, anchor: ast.AST) -> ast.Call:
    call = ast.Call(
        func=ast.Attribute(
            value=ast.Name(id=RUNTIME_NAME, ctx=ast.Load()), attr=method, ctx=ast.Load()
        ),
        args=[ast.Constant(value=key)],
        keywords=[],
    )
    return ast.fix_missing_locations(ast.copy_location(call, anchor))


def transform(tree: ast.Module) -> Transformed:
    """The module with its NO_RELOAD blocks rewritten (line numbers are kept).

    ``if <test>: body`` becomes
    ``if RUNTIME.enter(key) and <test>: body; RUNTIME.leave(key)``.

    ``tree`` is left as it is (it is shared: :func:`reloader._parse.parse_shared`): the
    rewritten blocks are copies, and so are the statements that contain them; the
    rest of the new tree is ``tree``'s own nodes.
    """
    seen: dict[str, int] = {}
    bound: dict[str, frozenset[str]] = {}
    rewritten: dict[ast.stmt, ast.If] = {}
    for block in _module_level_blocks(tree.body):
        key = _block_key(block, seen)
        bound[key] = _bound_names(block.body)
        enter = _runtime_call("enter", key, block)
        leave = ast.Expr(value=_runtime_call("leave", key, block.body[-1]))
        copied = ast.If(
            test=ast.copy_location(
                ast.BoolOp(op=ast.And(), values=[enter, block.test]), block.test
            ),
            body=[*block.body, ast.copy_location(leave, block.body[-1])],
            orelse=block.orelse,
        )
        rewritten[block] = ast.copy_location(copied, block)
    module = ast.Module(body=_rewritten(tree.body, rewritten), type_ignores=tree.type_ignores)
    return Transformed(tree=module, bound_names=bound)


def _rewritten(statements: list[ast.stmt], blocks: dict[ast.stmt, ast.If]) -> list[ast.stmt]:
    """``statements`` with ``blocks`` put in for the NO_RELOAD blocks they contain,
    wherever :func:`_module_level_blocks` finds them; the same list if none is there."""
    copied = [_with_blocks(statement, blocks) for statement in statements]
    if all(new is old for new, old in zip(copied, statements, strict=True)):
        return statements
    return copied


def _with_blocks(statement: ast.stmt, blocks: dict[ast.stmt, ast.If]) -> ast.stmt:
    block = blocks.get(statement)
    if block is not None:
        block.orelse = _rewritten(block.orelse, blocks)
        return block
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return statement
    changes: dict[str, Any] = {}
    for attribute in ("body", "orelse", "finalbody"):
        children = getattr(statement, attribute, None)
        if children and (new := _rewritten(children, blocks)) is not children:
            changes[attribute] = new
    handlers = getattr(statement, "handlers", None)
    if handlers and (new := _each_body(handlers, blocks)) is not handlers:
        changes["handlers"] = new
    if (
        isinstance(statement, ast.Match)
        and (new := _each_body(statement.cases, blocks)) is not statement.cases
    ):
        changes["cases"] = new
    if not changes:
        return statement
    copy = copy_node(statement)
    for attribute, value in changes.items():
        setattr(copy, attribute, value)
    return copy


def _each_body(parts: list[Any], blocks: dict[ast.stmt, ast.If]) -> list[Any]:
    """Except handlers or match cases with their bodies rewritten (copied if changed)."""
    copied = []
    for part in parts:
        body = _rewritten(part.body, blocks)
        if body is not part.body:
            part = copy_node(part)
            part.body = body
        copied.append(part)
    if all(new is old for new, old in zip(copied, parts, strict=True)):
        return parts
    return copied


@functools.lru_cache(maxsize=8)
def compile_module(source: str, filename: str) -> tuple[CodeType, dict[str, frozenset[str]]]:
    """The module's code with its NO_RELOAD blocks rewritten, and the names each block
    binds. Cached: the executor runs a save's source and the patch tier's warm-up
    compiles the same source right after, and on a large app file parsing and
    compiling hold the GIL for tens of milliseconds, which a save made meanwhile waits
    for. Callers must not change what it returns."""
    transformed = transform(parse_shared(source, filename))
    code = compile(transformed.tree, filename, "exec", dont_inherit=True)
    return code, transformed.bound_names
