"""reloader._parse: parsing from several threads at once (the reload thread and the
patch tier's warm-up), which on Python 3.11 raised ``SystemError: AST constructor
recursion depth mismatch`` now and then."""

from __future__ import annotations

import ast
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reloader._parse import parse, parse_shared

SOURCE = (
    Path(__file__).resolve().parent.parent / "reloader" / "execute" / "_patch_changes.py"
).read_text()


class _Finalized:
    def __del__(self) -> None:
        pass


@contextmanager
def _thread_switches_mid_parse() -> Iterator[None]:
    """Threads switched as often as possible, and the garbage collector running
    finalizers (Python code) on a parsing thread: the interleaving that broke parses."""
    stop = threading.Event()

    def make_cycles() -> None:
        while not stop.is_set():
            a, b = _Finalized(), _Finalized()
            a.other, b.other = b, a  # type: ignore[attr-defined]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    cycles = threading.Thread(target=make_cycles)
    cycles.start()
    try:
        yield
    finally:
        stop.set()
        cycles.join()
        sys.setswitchinterval(interval)


def test_threads_parsing_at_once_each_get_their_tree() -> None:
    errors: list[BaseException] = []
    expected = len(parse(SOURCE).body)

    def parse_often() -> None:
        for _ in range(30):
            try:
                assert len(parse(SOURCE).body) == expected
            except BaseException as error:
                errors.append(error)
                return

    with _thread_switches_mid_parse():
        parsers = [threading.Thread(target=parse_often) for _ in range(4)]
        for thread in parsers:
            thread.start()
        for thread in parsers:
            thread.join()
    assert errors == []


def test_reloader_parses_only_through_it() -> None:
    package = Path(__file__).resolve().parent.parent / "reloader"
    parsing = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "_parse.py"
        and any(call in path.read_text() for call in ("ast.parse(", "PyCF_ONLY_AST"))
    ]
    assert parsing == []


SHARED_SOURCE = """
import reloader
from helper import TEXT

if reloader.NO_RELOAD:
    model = object()
else:
    if reloader.NO_RELOAD:
        nested = 1
try:
    if reloader.NO_RELOAD:
        cache = {}
except ImportError:
    if reloader.NO_RELOAD:
        fallback = {}
with open(__file__) as demo:
    def handler(x):
        return x + 1
match TEXT:
    case "a":
        if reloader.NO_RELOAD:
            matched = 1

class Panel:
    def render(self):
        return TEXT
"""


def test_every_reader_of_a_shared_tree_leaves_it_as_parsed(tmp_path: Path) -> None:
    """One parse serves the planner, the patch tier and the executor (parse_shared):
    none of them may change the tree the others read."""
    from reloader.execute._no_reload import compile_module
    from reloader.execute._patch_changes import _analysis, _parsed
    from reloader.plan._planner import LocalModule, Planner

    app = tmp_path / "app.py"
    app.write_text(SHARED_SOURCE, encoding="utf-8")
    tree = parse_shared(SHARED_SOURCE, str(app))
    parsed = ast.dump(tree, include_attributes=True)

    code, bound = compile_module(SHARED_SOURCE, str(app))
    assert len(bound) == 5  # every NO_RELOAD block was rewritten, in its copy
    assert "enter" in code.co_names or any(
        "enter" in getattr(const, "co_names", ()) for const in code.co_consts
    )
    defs = _analysis(SHARED_SOURCE, str(app)).defs
    assert [d.qualname for d in defs] == ["handler", "Panel.render"]
    Planner([tmp_path], LocalModule("__main__", app))._imports_of(LocalModule("__main__", app))
    assert _parsed(SHARED_SOURCE) is tree
    assert parse_shared(SHARED_SOURCE, str(app)) is tree
    assert ast.dump(tree, include_attributes=True) == parsed
