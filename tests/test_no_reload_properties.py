"""Property-based tests of the NO_RELOAD rewrite on generated modules.

* The first load behaves exactly as plain Python: same names, same values.
* On a reload, the names bound under NO_RELOAD carry the very same objects;
  the rest is computed afresh.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reloader.execute._executor import Executor
from reloader.execute._no_reload import RUNTIME_NAME
from reloader.plan._planner import LocalModule, Plan

pytestmark = __import__("pytest").mark.faults

#: NO_RELOAD bodies bind their own names, as real code does (model, client);
#: rebinding one later at module level is covered by an example test.
OUTSIDE_NAMES = st.sampled_from(["a", "b", "c", "d"])
INSIDE_NAMES = st.sampled_from(["model", "client", "tokenizer"])
VALUES = st.sampled_from(["[]", "{}", "object()", "[1, 2]", "'text'", "len([1])"])


@st.composite
def statement(draw: st.DrawFn, names: st.SearchStrategy[str] = OUTSIDE_NAMES) -> str:
    name, value = draw(names), draw(VALUES)
    kind = draw(st.sampled_from(["assign", "def", "import", "augment"]))
    if kind == "def":
        return f"def {name}():\n    return {value}"
    if kind == "import":
        return f"from collections import OrderedDict as {name}"
    if kind == "augment":
        return f"{name} = [{value}]\n{name} += [0]"
    return f"{name} = {value}"


@st.composite
def module_source(draw: st.DrawFn) -> str:
    parts = ["import reloader", "import gradio_flag as gr", "log = []"]
    for index in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            flag = draw(st.sampled_from(["reloader.NO_RELOAD", "gr.NO_RELOAD"]))
            body = [draw(statement(INSIDE_NAMES)) for _ in range(draw(st.integers(1, 3)))]
            block = f"if {flag}:\n" + "\n".join(
                "    " + line for text in body for line in text.splitlines()
            )
            block += f"\n    log.append('ran {index}')"
            if draw(st.booleans()):
                block += f"\nelse:\n    log.append('else {index}')"
            parts.append(block)
        else:
            parts.append(draw(statement()))
    return "\n".join(parts) + "\n"


def plain_python(source: str, path: Path) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "generated"}
    exec(compile(source, str(path), "exec"), namespace)
    return namespace


def comparable(namespace: dict[str, object]) -> dict[str, object]:
    """Values by shape: fresh objects differ by identity between two runs."""
    shaped: dict[str, object] = {}
    for name, value in namespace.items():
        if name.startswith("__") or name == RUNTIME_NAME:
            continue
        if callable(value) and getattr(value, "__code__", None) is not None:
            result = value()
            shaped[name] = ("function", "object()" if type(result) is object else result)
        elif type(value) is object:
            shaped[name] = "object()"
        elif isinstance(value, type(sys)):
            shaped[name] = ("module", value.__name__)
        elif isinstance(value, list):
            shaped[name] = ["object()" if type(item) is object else item for item in value]
        else:
            shaped[name] = value
    return shaped


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(source=module_source())
def test_first_load_is_plain_python(source: str, tmp_path: Path) -> None:
    (tmp_path / "gradio_flag.py").write_text("NO_RELOAD = True\n")
    path = tmp_path / "generated.py"
    path.write_text(source)
    sys.path.insert(0, str(tmp_path))
    try:
        expected = comparable(plain_python(source, path))
        executor = Executor([tmp_path])
        result = executor.run(Plan(modules=[LocalModule("generated", path)]))
        assert comparable(result.modules["generated"].__dict__) == expected
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("generated", "gradio_flag"):
            sys.modules.pop(name, None)


@SETTINGS
@given(source=module_source())
def test_reload_carries_exactly_the_no_reload_names(source: str, tmp_path: Path) -> None:
    (tmp_path / "gradio_flag.py").write_text("NO_RELOAD = True\n")
    path = tmp_path / "generated.py"
    path.write_text(source)
    sys.path.insert(0, str(tmp_path))
    try:
        executor = Executor([tmp_path])
        plan = Plan(modules=[LocalModule("generated", path)])
        first = dict(executor.run(plan).modules["generated"].__dict__)
        second = executor.run(plan).modules["generated"].__dict__
        kept = {name for block in executor.store.for_module("generated").values() for name in block}
        for name in kept:
            assert second[name] is first[name], name
        # The NO_RELOAD bodies did not run again; every else branch did.
        log = second["log"]
        assert isinstance(log, list)
        assert not [entry for entry in log if entry.startswith("ran")]
        assert len(log) == source.count("\nelse:")
        # Names bound only outside NO_RELOAD blocks are made afresh.
        for name, value in second.items():
            if name not in kept and isinstance(value, list) and value and name != "log":
                assert value is not first.get(name)
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("generated", "gradio_flag"):
            sys.modules.pop(name, None)
