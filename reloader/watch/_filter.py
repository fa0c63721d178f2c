"""Which changed files matter: source and asset files of the user's own project.

Folder-name rules apply below the watched root only (see ``_paths``), so where
the project lives never decides whether its files count.

Folders whose name starts with a dot hold what tools and apps write, not code
(``.git``, ``.venv``, NiceGUI's ``.nicegui`` storage, Gradio's ``.gradio`` cache);
no Python package can have such a name. Their files never trigger a reload, as
under uvicorn's and NiceGUI's own reloaders: an app that writes its storage at
run time must not reload itself, and every open tab, on each write.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from pathlib import Path

import watchfiles

from reloader._paths import (
    VENDORED_DIR_NAMES,
    VIRTUALENV_MARKERS,
    containing_root,
    in_virtualenv,
    parts_below,
)

__all__ = ["IGNORED_DIR_NAMES", "IGNORED_NAME_GLOBS", "RELEVANT_SUFFIXES", "SourceFilter"]

RELEVANT_SUFFIXES = frozenset(
    {".py", ".css", ".js", ".html", ".md", ".json", ".yaml", ".yml", ".toml"}
)
#: Version control, tool caches and installed code. No importable package can
#: have one of these names, so a project's own ``env/`` or ``venv/`` package
#: still counts; environments of any name are found by their marker file.
IGNORED_DIR_NAMES = VENDORED_DIR_NAMES | {
    ".git",
    ".hg",
    ".svn",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".idea",
    ".ipynb_checkpoints",
}
#: Editors' swap, backup, lock and temp files (vim, emacs, JetBrains, VS Code, Kate, gedit).
IGNORED_NAME_GLOBS = (
    "*.swp",
    "*.swo",
    "*.swx",
    "*~",
    ".#*",
    "#*#",
    "4913",
    "*.tmp",
    "*.bak",
    "*.orig",
    "*___jb_tmp___",
    "*___jb_old___",
    ".goutputstream-*",
    "*.kate-swp",
    "*.crswap",
)


class SourceFilter(watchfiles.BaseFilter):
    """Keeps changes to source and asset files; drops VCS, venvs, caches, editor droppings.

    ``roots`` are the watched folders: folder rules look at the path below the
    root that holds it. ``ignore_globs`` (``--ignore``) match the absolute path,
    the path relative to its root, or the file name.
    """

    def __init__(self, ignore_globs: Sequence[str] = (), roots: Iterable[Path] = ()) -> None:
        super().__init__()
        self.ignore_globs = tuple(ignore_globs)
        self.roots = tuple(roots)

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return self.is_relevant(Path(path))

    def is_relevant(self, path: Path) -> bool:
        if path.suffix not in RELEVANT_SUFFIXES:
            return False
        name = path.name
        if any(fnmatch.fnmatchcase(name, glob) for glob in IGNORED_NAME_GLOBS):
            return False
        root = containing_root(path, self.roots)
        below = parts_below(path, root)
        if IGNORED_DIR_NAMES.intersection(below) or (root is not None and _hidden(below)):
            return False
        if self.ignore_globs and self._ignored_by_user(path, root):
            return False
        return root is None or not in_virtualenv(path, root)

    def keeps_folder(self, folder: Path) -> bool:
        """Whether a walk of the tree should go into ``folder`` (a folder below a root)."""
        if folder.name in IGNORED_DIR_NAMES or _hidden((folder.name,)):
            return False
        return not any((folder / marker).exists() for marker in VIRTUALENV_MARKERS)

    def keeps_tree(self, folder: Path) -> bool:
        """Whether files in ``folder`` can count at all (not inside VCS, caches, environments)."""
        inside = folder / "_"
        root = containing_root(inside, self.roots)
        below = parts_below(inside, root)
        if IGNORED_DIR_NAMES.intersection(below) or (root is not None and _hidden(below)):
            return False
        if root is not None and in_virtualenv(inside, root):
            return False
        return self.keeps_folder(folder)

    def _ignored_by_user(self, path: Path, root: Path | None) -> bool:
        texts = [str(path), path.name]
        if root is not None:
            texts.append(path.relative_to(root).as_posix())
        return any(fnmatch.fnmatch(text, glob) for glob in self.ignore_globs for text in texts)


def _hidden(folders: Sequence[str]) -> bool:
    """Whether one of these folder names starts with a dot (see the module's docstring)."""
    return any(name.startswith(".") and name not in (".", "..") for name in folders)
