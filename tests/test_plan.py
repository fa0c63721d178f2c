"""Dependency planning: the changed modules, their dependents in order, then the app."""

from __future__ import annotations

import ast
import gc
import weakref
from pathlib import Path
from types import ModuleType

from reloader.plan._planner import LocalModule, Planner, imported_names


def test_imported_names_resolves_relative_and_parents() -> None:
    tree = ast.parse("import a.b.c\nfrom . import sib\nfrom ..up import x\nfrom pkg.mod import f\n")
    names = imported_names(tree, "root.pkg.mod", is_package=False)
    assert {"a", "a.b", "a.b.c", "root.pkg.sib", "root.up", "root.up.x"} <= names
    assert {"pkg", "pkg.mod", "pkg.mod.f"} <= names


def make_tree(tmp_path: Path, files: dict[str, str]) -> dict[str, ModuleType]:
    modules: dict[str, ModuleType] = {}
    for name, source in files.items():
        path = tmp_path / (name.replace(".", "/") + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        module = ModuleType(name)
        module.__file__ = str(path)
        modules[name] = module
    return modules


def planner_for(tmp_path: Path) -> Planner:
    app = tmp_path / "app.py"
    app.write_text("import views\n")
    return Planner([tmp_path], LocalModule("__main__", app.resolve()))


def test_plan_reloads_dependents_in_dependency_order(tmp_path: Path) -> None:
    modules = make_tree(
        tmp_path,
        {
            "models": "X = 1\n",
            "services": "import models\n",
            "views": "from services import thing\nimport models\n",
            "unrelated": "Y = 2\n",
        },
    )
    planner = planner_for(tmp_path)
    plan = planner.plan([tmp_path / "models.py"], modules=modules)
    assert [m.name for m in plan.modules] == ["models", "services", "views", "__main__"]


def test_plan_for_leaf_change_leaves_others_alone(tmp_path: Path) -> None:
    modules = make_tree(tmp_path, {"models": "X = 1\n", "views": "import models\n"})
    plan = planner_for(tmp_path).plan([tmp_path / "views.py"], modules=modules)
    assert [m.name for m in plan.modules] == ["views", "__main__"]


def test_plan_for_asset_change_reruns_app_only(tmp_path: Path) -> None:
    modules = make_tree(tmp_path, {"views": "X = 1\n"})
    (tmp_path / "style.css").write_text("body {}")
    plan = planner_for(tmp_path).plan([tmp_path / "style.css"], modules=modules)
    assert [m.name for m in plan.modules] == ["__main__"]


def test_plan_ignores_unimported_python_file(tmp_path: Path) -> None:
    (tmp_path / "scratch.py").write_text("")
    plan = planner_for(tmp_path).plan([tmp_path / "scratch.py"], modules={})
    assert plan.empty and plan.unused == [(tmp_path / "scratch.py").resolve()]


def test_plan_for_deleted_module_drops_it_and_reruns_importers(tmp_path: Path) -> None:
    modules = make_tree(tmp_path, {"models": "X = 1\n", "views": "import models\n"})
    (tmp_path / "models.py").unlink()
    plan = planner_for(tmp_path).plan([tmp_path / "models.py"], modules=modules)
    assert plan.deleted == ["models"]
    assert [m.name for m in plan.modules] == ["views", "__main__"]


def test_import_cycle_still_plans_every_module(tmp_path: Path) -> None:
    modules = make_tree(tmp_path, {"a": "import b\n", "b": "import a\n"})
    plan = planner_for(tmp_path).plan([tmp_path / "a.py"], modules=modules)
    assert sorted(m.name for m in plan.modules) == ["__main__", "a", "b"]


def test_local_modules_follow_modules_coming_going_and_moving(tmp_path: Path) -> None:
    """The answer is kept between looks at unchanged modules, and only then."""
    modules = make_tree(tmp_path, {"models": "X = 1\n", "views": "import models\n"})
    elsewhere = ModuleType("json")
    elsewhere.__file__ = "/usr/lib/python3/json/__init__.py"
    modules["json"] = elsewhere
    planner = planner_for(tmp_path)

    def names() -> list[str]:
        return [m.name for m in planner.local_modules(modules)]

    assert names() == ["models", "views"]
    assert names() == ["models", "views"]
    modules.update(make_tree(tmp_path, {"helpers": "Y = 2\n"}))  # imported
    assert names() == ["models", "views", "helpers"]
    del modules["views"]  # unloaded
    assert names() == ["models", "helpers"]
    moved = make_tree(tmp_path, {"json": "Z = 3\n"})["json"]  # same name, now a local file
    modules["json"] = moved
    assert names() == ["models", "json", "helpers"]
    modules["odd"] = 42  # type: ignore[assignment]  # not a module, and takes no weak reference
    assert names() == ["models", "json", "helpers"]
    # A module taken out is not kept alive by what the planner remembers of it.
    unloaded = weakref.ref(modules.pop("helpers"))
    assert names() == ["models", "json"]
    gc.collect()
    assert unloaded() is None


def test_local_modules_seen_through_symlinks_are_local(tmp_path: Path) -> None:
    """A module loaded through a symlinked file or folder (an editable install that
    links the project into site-packages) is the project's file, found by its
    resolved path; the other modules of a linked folder are local too."""
    project = tmp_path / "project"
    outside = tmp_path / "site-packages"
    outside.mkdir()
    make_tree(project, {"models": "X = 1\n", "pkg.views": "Y = 1\n"})
    (project / "pkg" / "forms.py").write_text("Z = 1\n")
    (outside / "models.py").symlink_to(project / "models.py")
    (outside / "pkg").symlink_to(project / "pkg", target_is_directory=True)
    linked: dict[str, ModuleType] = {}
    for name, file in (
        ("models", outside / "models.py"),
        ("pkg.views", outside / "pkg" / "views.py"),
        ("pkg.forms", outside / "pkg" / "forms.py"),
    ):
        linked[name] = ModuleType(name)
        linked[name].__file__ = str(file)
    planner = planner_for(project)
    assert [(m.name, m.path) for m in planner.local_modules(linked)] == [
        ("models", (project / "models.py").resolve()),
        ("pkg.views", (project / "pkg" / "views.py").resolve()),
        ("pkg.forms", (project / "pkg" / "forms.py").resolve()),
    ]
