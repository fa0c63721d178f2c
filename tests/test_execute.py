"""Transactional execution: all of the plan or nothing, errors pointing at user code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reloader.execute._executor import ExecutionError, Executor
from reloader.plan._planner import LocalModule, Plan


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    for name in ("tx_helper", "tx_app"):
        sys.modules.pop(name, None)


def run(executor: Executor, tree: Path, *names: str) -> dict[str, object]:
    plan = Plan(modules=[LocalModule(name, tree / f"{name}.py") for name in names])
    return {name: module.__dict__ for name, module in executor.run(plan).modules.items()}


def test_failure_restores_every_module(tree: Path) -> None:
    (tree / "tx_helper.py").write_text("VALUE = 1\n")
    (tree / "tx_app.py").write_text("import tx_helper\nSEEN = tx_helper.VALUE\n")
    executor = Executor([tree])
    sys.path.insert(0, str(tree))
    try:
        run(executor, tree, "tx_helper", "tx_app")
        helper_before, app_before = sys.modules["tx_helper"], sys.modules["tx_app"]
        (tree / "tx_helper.py").write_text("VALUE = 2\n")
        (tree / "tx_app.py").write_text("import tx_helper\nSEEN = tx_helper.VALUE\nboom()\n")
        with pytest.raises(ExecutionError) as caught:
            run(executor, tree, "tx_helper", "tx_app")
        assert sys.modules["tx_helper"] is helper_before
        assert sys.modules["tx_app"] is app_before
        assert caught.value.lineno == 3
        assert caught.value.headline.startswith("NameError in ")
        assert "tx_app.py, line 3" in caught.value.headline
    finally:
        sys.path.remove(str(tree))


def test_error_report_keeps_only_user_frames(tree: Path) -> None:
    (tree / "tx_app.py").write_text("import json\njson.loads('{')\n")
    with pytest.raises(ExecutionError) as caught:
        run(Executor([tree]), tree, "tx_app")
    report = caught.value.details
    assert "tx_app.py" in report and "line 2" in report
    assert "json/decoder.py" not in report and "_execute.py" not in report
    assert "JSONDecodeError" in report


def test_syntax_error_names_file_and_line(tree: Path) -> None:
    (tree / "tx_app.py").write_text("x = 1\ndef broken(:\n")
    with pytest.raises(ExecutionError) as caught:
        run(Executor([tree]), tree, "tx_app")
    assert caught.value.lineno == 2
    assert "SyntaxError in" in caught.value.headline


def test_local_importer_runs_local_submodules_and_turns_installed_ones_away(
    tmp_path: Path,
) -> None:
    """Submodules of a package outside the watched folders are turned away without a
    search; a local package's submodules, and a namespace package with a folder
    among the watched ones, still import through the executor."""
    from reloader._paths import containing_root
    from reloader.execute._executor import LocalImporter

    project, installed = tmp_path / "project", tmp_path / "installed"
    for folder in (project / "lipkg", installed / "nspkg", project / "nspkg"):
        folder.mkdir(parents=True)
    (project / "lipkg" / "__init__.py").write_text("")
    (project / "lipkg" / "views.py").write_text("")
    (installed / "nspkg" / "remote.py").write_text("")
    (project / "nspkg" / "mine.py").write_text("")
    roots = [project.resolve()]
    importer = LocalImporter(Executor(roots), lambda path: containing_root(path, roots) is not None)

    def local(name: str, *folders: Path) -> bool:
        spec = importer.find_spec(name, [str(folder) for folder in folders])
        return spec is not None

    assert local("lipkg.views", project / "lipkg")
    assert not local("nspkg.remote", installed / "nspkg")
    assert local("nspkg.mine", installed / "nspkg", project / "nspkg")
    assert not local("nspkg.remote", installed / "nspkg", project / "nspkg")
    assert not local("lipkg.absent", project / "lipkg")
