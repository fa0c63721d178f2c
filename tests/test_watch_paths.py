"""Issue 10 item 6: ignore rules look below the watched root; environments by what they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from reloader.plan._planner import LocalModule, Planner
from reloader.watch._filter import SourceFilter

#: Folder names that used to make a whole tree invisible wherever they appeared.
IGNORED_ELSEWHERE = ["env", "venv", ".venv", "site-packages", "node_modules", ".git"]


def project_under(tmp_path: Path, folder: str) -> Path:
    project = tmp_path / folder / "proj"
    project.mkdir(parents=True)
    (project / "app.py").write_text("import env.settings\n")
    return project.resolve()


def planner(project: Path) -> Planner:
    return Planner([project], LocalModule("__main__", project / "app.py"))


@pytest.mark.parametrize("folder", IGNORED_ELSEWHERE)
def test_a_project_under_any_folder_name_is_watched_and_local(tmp_path: Path, folder: str) -> None:
    project = project_under(tmp_path, folder)
    app = project / "app.py"
    assert SourceFilter(roots=[project]).is_relevant(app)
    assert planner(project).is_local(app)


@pytest.mark.parametrize("name", ["env", "venv"])
def test_a_package_named_like_an_environment_is_the_users(tmp_path: Path, name: str) -> None:
    project = project_under(tmp_path, "code")
    module = project / name / "settings.py"
    module.parent.mkdir()
    module.write_text("NAME = 'a'\n")
    (project / name / "__init__.py").write_text("")
    assert SourceFilter(roots=[project]).is_relevant(module)
    assert planner(project).is_local(module)


@pytest.mark.parametrize("marker", ["pyvenv.cfg", "conda-meta"])
def test_an_environment_of_any_name_is_ignored(tmp_path: Path, marker: str) -> None:
    project = project_under(tmp_path, "code")
    environment = project / "my-tools"
    module = environment / "lib" / "python3.11" / "tooling" / "cli.py"
    module.parent.mkdir(parents=True)
    module.write_text("")
    if marker == "pyvenv.cfg":
        (environment / marker).write_text("home = /usr/bin\n")
    else:
        (environment / marker).mkdir()
    assert not SourceFilter(roots=[project]).is_relevant(module)
    assert not planner(project).is_local(module)


def test_name_rules_still_apply_below_the_root(tmp_path: Path) -> None:
    project = project_under(tmp_path, "env")
    keep = SourceFilter(roots=[project])
    assert not keep.is_relevant(project / ".git" / "hooks.py")
    assert not keep.is_relevant(project / "node_modules" / "x" / "index.js")
    assert not keep.is_relevant(project / "pkg" / "__pycache__" / "m.py")
    assert not keep.is_relevant(project / ".venv" / "lib" / "m.py")
    assert not planner(project).is_local(project / ".venv" / "lib" / "site-packages" / "m.py")


def test_ignore_globs_match_relative_paths_too(tmp_path: Path) -> None:
    project = project_under(tmp_path, "env")
    keep = SourceFilter(["generated/*"], roots=[project])
    assert not keep.is_relevant(project / "generated" / "x.py")
    assert keep.is_relevant(project / "src" / "generated.py")


def test_files_apps_write_in_dot_folders_are_not_sources(tmp_path: Path) -> None:
    """NiceGUI writes app.storage.user to .nicegui/storage-user-<id>.json in the app's
    folder at run time; Gradio caches under .gradio. A dot-folder below the root is
    never a source (as for uvicorn's and NiceGUI's reloaders), a dot-folder above it
    decides nothing, and --ignore rules still apply."""
    project = project_under(tmp_path, ".config")  # the project itself under a dot-folder
    keep = SourceFilter(["*.local.py"], roots=[project])
    assert keep.is_relevant(project / "app.py")
    assert keep.is_relevant(project / "pages" / "home.py")
    assert not keep.is_relevant(project / ".nicegui" / "storage-user-1234.json")
    assert not keep.is_relevant(project / ".gradio" / "flagged" / "log.json")
    assert not keep.is_relevant(project / "data" / ".cache" / "index.json")
    assert not keep.is_relevant(project / "settings.local.py")
    assert not keep.keeps_folder(project / ".nicegui")
    assert keep.keeps_folder(project / "pages")
