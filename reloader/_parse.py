"""Python source to an AST, safe from several threads at once.

On Python 3.11, two threads parsing at once can fail with ``SystemError: AST
constructor recursion depth mismatch``: turning the parser's tree into Python
objects counts its depth in one counter per interpreter, and a thread switch in the
middle (a finalizer the garbage collector runs, say) mixes two parses' counts
(CPython keeps the count per call from 3.12). devreload parses on the reload thread
while it prepares the next patch on another, so on 3.11 parsing holds a lock; it
holds the GIL anyway, so nothing that could run in parallel waits.
"""

from __future__ import annotations

import ast
import sys
import threading
from contextlib import AbstractContextManager, nullcontext
from typing import cast

__all__ = ["parse"]

_parsing: AbstractContextManager[object] = (
    threading.Lock() if sys.version_info < (3, 12) else nullcontext()
)


def parse(source: str | bytes, filename: str = "<unknown>", flags: int = 0) -> ast.Module:
    """``ast.parse(source, filename)``; ``flags`` are compiler flags (``__future__``
    features) the source is parsed with. Raises SyntaxError or ValueError as it does."""
    with _parsing:
        tree = compile(source, filename, "exec", ast.PyCF_ONLY_AST | flags, dont_inherit=True)
    return cast(ast.Module, tree)
