"""Property: after a body-only edit, patched code behaves like a fresh run of the new source."""

from __future__ import annotations

import tempfile
import traceback
from pathlib import Path
from types import ModuleType

from hypothesis import example, given, settings
from hypothesis import strategies as st

from reloader.execute._patch import Patcher, PatchResult
from reloader.execute._patch_changes import compile_source, read_source

EXPRESSIONS = st.recursive(
    st.sampled_from(["a", "b", "1", "2", "LIMIT", "helper(a)"]),
    lambda inner: st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    ),
    max_leaves=6,
)

BODY = st.tuples(
    st.integers(0, 3),  # blank lines before the body: line numbers move
    EXPRESSIONS,
    st.booleans(),  # raise instead of returning: the traceback's line must be right
)


def render(bodies: list[tuple[int, str, bool]]) -> str:
    def body(blank: int, expression: str, fails: bool, indent: str) -> str:
        statement = f"raise ValueError({expression})" if fails else f"return {expression}"
        return "\n" * blank + f"{indent}{statement}\n"

    (b1, b2, b3) = bodies
    return (
        "LIMIT = 7\n\n"
        "def helper(a, b=3):\n" + body(*b1, "    ") + "\n"
        "class Box:\n"
        "    def method(self, a, b=5):\n" + body(*b2, "        ") + "\n"
        "    @staticmethod\n"
        "    def static(a, b=4):\n" + body(*b3, "        ")
    )


def load(path: Path, name: str) -> ModuleType:
    module = ModuleType(name)
    module.__file__ = str(path)
    exec(compile_source(read_source(path), path), module.__dict__)
    return module


def outcome(call: object) -> tuple[str, object]:
    assert callable(call)
    try:
        return "ok", call()
    except ValueError as error:
        line = traceback.extract_tb(error.__traceback__)[-1].lineno
        return "raised", (str(error), line)
    except RecursionError:
        return "recursion", None


def behaviour(module: ModuleType) -> list[tuple[str, object]]:
    box = module.Box()
    results = []
    for a in (0, 1, -2):
        results.append(outcome(lambda a=a: module.helper(a)))
        results.append(outcome(lambda a=a: box.method(a)))
        results.append(outcome(lambda a=a: module.Box.static(a)))
    return results


def codes(module: ModuleType) -> list[object]:
    box = vars(module.Box)
    return [module.helper.__code__, box["method"].__code__, box["static"].__func__.__code__]


@settings(max_examples=60, deadline=None)
@given(before=st.lists(BODY, min_size=3, max_size=3), after=st.lists(BODY, min_size=3, max_size=3))
# Blank lines moving from one function to another: a line diff may pair them across
# the class line between, which is no change outside the functions.
@example(
    before=[(3, "a", False), (0, "a", False), (0, "a", False)],
    after=[(0, "b", False), (3, "a", False), (0, "a", False)],
)
def test_patched_behaviour_equals_a_fresh_run(
    before: list[tuple[int, str, bool]], after: list[tuple[int, str, bool]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mod.py"
        path.write_text(render(before))
        live = load(path, "mod")
        patcher = Patcher()
        patcher.remember([("mod", path, read_source(path))])
        path.write_text(render(after))
        result = patcher.try_patch([path], {"mod": live})
        assert isinstance(result, PatchResult), result
        fresh = load(path, "fresh")
        assert behaviour(live) == behaviour(fresh)
        # The very code a fresh run compiles, line numbers and all.
        assert codes(live) == codes(fresh)
