"""reloader._parse: parsing from several threads at once (the reload thread and the
patch tier's warm-up), which on Python 3.11 raised ``SystemError: AST constructor
recursion depth mismatch`` now and then."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reloader._parse import parse

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
