"""Python source to an AST, safe from several threads at once.

On Python 3.11, two threads parsing at once can fail with ``SystemError: AST
constructor recursion depth mismatch``: turning the parser's tree into Python
objects counts its depth in one counter per interpreter, and a thread switch in the
middle (a finalizer the garbage collector runs, say) mixes two parses' counts
(CPython keeps the count per call from 3.12). devreload parses on the reload thread
while it prepares the next patch on another, so on 3.11 parsing holds a lock; it
holds the GIL anyway, so nothing that could run in parallel waits.

A save's source is read by several stages (the planner's imports, the patch tier's
comparison, the executor's compile, the warm-up for the next patch), and on a large
app file each parse holds the GIL for about 8 ms (700 lines): :func:`parse_shared`
parses a source once for all of them; they only read the tree.
"""

from __future__ import annotations

import ast
import sys
import threading
from collections import OrderedDict
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar, cast

__all__ = ["copy_node", "parse", "parse_shared"]

_parsing: AbstractContextManager[object] = (
    threading.Lock() if sys.version_info < (3, 12) else nullcontext()
)


def parse(source: str | bytes, filename: str = "<unknown>", flags: int = 0) -> ast.Module:
    """``ast.parse(source, filename)``; ``flags`` are compiler flags (``__future__``
    features) the source is parsed with. Raises SyntaxError or ValueError as it does."""
    with _parsing:
        tree = compile(source, filename, "exec", ast.PyCF_ONLY_AST | flags, dont_inherit=True)
    return cast(ast.Module, tree)


#: Trees kept by :func:`parse_shared`: a save's sources until its stages have all read
#: them. Few: a tree is as many objects as the source has nodes (12,000 for a
#: 500-component app), each walked by every full garbage collection while kept.
_MOST_SHARED = 4
_shared: OrderedDict[str, ast.Module] = OrderedDict()
_sharing = threading.Lock()


def parse_shared(source: str, filename: str = "<unknown>") -> ast.Module:
    """``parse(source, filename)``, one tree per source text for every caller: callers
    must not change it (copy what they rewrite). ``filename`` only names the file in
    a SyntaxError, which is never kept."""
    with _sharing:
        tree = _shared.get(source)
        if tree is not None:
            _shared.move_to_end(source)
            return tree
    tree = parse(source, filename)
    with _sharing:
        _shared[source] = tree
        if len(_shared) > _MOST_SHARED:
            _shared.popitem(last=False)
    return tree


Node = TypeVar("Node", bound=ast.AST)


def copy_node(node: Node) -> Node:
    """A new node of the same type, fields and position: what a caller of
    :func:`parse_shared` changes instead of the shared node."""
    fields: dict[str, Any] = {
        name: getattr(node, name) for name in node._fields if hasattr(node, name)
    }
    return ast.copy_location(type(node)(**fields), node)
