"""NO_RELOAD blocks: run once, keep the very same objects, rerun only an edited block."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from reloader.execute._executor import ExecutionError, Executor
from reloader.plan._planner import LocalModule, Plan

MODULE = "devreload_test_no_reload"


@pytest.fixture
def module_file(tmp_path: Path) -> Path:
    return tmp_path / f"{MODULE}.py"


@pytest.fixture
def executor(tmp_path: Path) -> Executor:
    yield Executor([tmp_path])
    sys.modules.pop(MODULE, None)


def load(executor: Executor, path: Path, source: str) -> dict[str, object]:
    path.write_text(source)
    result = executor.run(Plan(modules=[LocalModule(MODULE, path)]))
    return result.modules[MODULE].__dict__


SOURCE = """
import reloader
calls = []
if reloader.NO_RELOAD:
    model = object()
    calls.append("loaded")
    from collections import OrderedDict as Cache
    def helper():
        return 1
else:
    calls.append("reloaded")
header = "{header}"
"""


def test_first_load_runs_block(executor: Executor, module_file: Path) -> None:
    namespace = load(executor, module_file, SOURCE.format(header="v1"))
    assert namespace["calls"] == ["loaded"]
    assert namespace["header"] == "v1"


def test_reload_keeps_identity_and_runs_else(executor: Executor, module_file: Path) -> None:
    first = load(executor, module_file, SOURCE.format(header="v1"))
    second = load(executor, module_file, SOURCE.format(header="v2"))
    assert second["header"] == "v2"
    assert second["calls"] == ["reloaded"]
    for name in ("model", "Cache", "helper"):
        assert second[name] is first[name]


def test_fresh_namespace_drops_deleted_names(executor: Executor, module_file: Path) -> None:
    load(executor, module_file, "a = 1\nb = 2\n")
    namespace = load(executor, module_file, "a = 1\n")
    assert "b" not in namespace


def test_changed_block_and_only_it_runs_again(executor: Executor, module_file: Path) -> None:
    source = """
import gradio_stub as gr
if gr.NO_RELOAD:
    client = object()
if gr.NO_RELOAD:
    model = ["{model}"]
"""
    stub = module_file.parent / "gradio_stub.py"
    stub.write_text("NO_RELOAD = True\n")
    sys.path.insert(0, str(stub.parent))
    try:
        first = load(executor, module_file, source.format(model="small"))
        same = load(executor, module_file, source.format(model="small"))
        assert same["model"] is first["model"]
        changed = load(executor, module_file, source.format(model="large"))
        assert changed["model"] == ["large"]
        assert changed["client"] is first["client"]
    finally:
        sys.path.remove(str(stub.parent))
        sys.modules.pop("gradio_stub", None)


def test_block_moved_by_edits_above_keeps_objects(executor: Executor, module_file: Path) -> None:
    block = "import reloader\nif reloader.NO_RELOAD:\n    model = object()\n"
    first = load(executor, module_file, block)
    moved = load(executor, module_file, "# a comment\nx = 1\n\n" + block)
    assert moved["model"] is first["model"]


def test_block_that_raises_is_not_kept(executor: Executor, module_file: Path) -> None:
    source = "import reloader\nif reloader.NO_RELOAD:\n    model = object()\n    {tail}\n"
    with pytest.raises(ExecutionError):
        load(executor, module_file, source.format(tail="1 / 0"))
    # Same block source with the error fixed is a new block: it runs.
    namespace = load(executor, module_file, source.format(tail="pass"))
    assert "model" in namespace


def test_block_inside_try_and_dynamic_names(executor: Executor, module_file: Path) -> None:
    source = """
import reloader
try:
    if reloader.NO_RELOAD:
        globals()["dynamic"] = object()
        for item in [object()]:
            pass
except ImportError:
    pass
"""
    first = load(executor, module_file, source)
    second = load(executor, module_file, source)
    assert second["dynamic"] is first["dynamic"]
    assert second["item"] is first["item"]


def test_plain_python_runs_every_block(module_file: Path) -> None:
    import runpy

    module_file.write_text(SOURCE.format(header="v1"))
    namespace = runpy.run_path(str(module_file))
    assert namespace["calls"] == ["loaded"]


def test_name_rebound_after_the_block_takes_the_later_value(
    executor: Executor, module_file: Path
) -> None:
    source = "import reloader\nif reloader.NO_RELOAD:\n    a = object()\nkept = a\na = []\n"
    first = load(executor, module_file, source)
    second = load(executor, module_file, source)
    assert second["kept"] is first["kept"]  # restored where the block stands
    assert second["a"] == [] and second["a"] is not first["a"]
