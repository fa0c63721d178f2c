"""Path predicates shared by the watcher and the planner.

Every rule about folder names applies to the part of a path below the watched
root, never to the folders above it: a project that lives in ``/home/x/env/proj``
is the user's code, and so is a package named ``env`` inside the project.
Virtual environments are recognised by what they are (the marker file every
tool writes), not by what they are called.
"""

from __future__ import annotations

import site
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path

__all__ = [
    "VENDORED_DIR_NAMES",
    "VIRTUALENV_MARKERS",
    "containing_root",
    "in_virtualenv",
    "is_under",
    "is_vendored",
    "parts_below",
]

#: Folders that hold installed or generated code, never the user's own. None of
#: these can be the name of an importable package (``.venv`` starts with a dot,
#: ``site-packages`` has a dash...), so matching them by name costs no false alarm.
VENDORED_DIR_NAMES = frozenset(
    {
        "site-packages",
        "dist-packages",
        ".venv",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
    }
)

#: A folder holding one of these is a Python environment: ``pyvenv.cfg`` (venv,
#: virtualenv, uv, poetry, pdm, tox) or ``conda-meta`` (conda, mamba, pixi).
VIRTUALENV_MARKERS = ("pyvenv.cfg", "conda-meta")


def is_under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def containing_root(path: Path, roots: Iterable[Path]) -> Path | None:
    """The deepest of ``roots`` that holds ``path`` (None: outside them all)."""
    found: Path | None = None
    for root in roots:
        if is_under(path, root) and (found is None or len(root.parts) > len(found.parts)):
            found = root
    return found


def parts_below(path: Path, root: Path | None) -> tuple[str, ...]:
    """The folder names between ``root`` and ``path`` (``path``'s own name excluded)."""
    if root is not None and is_under(path, root):
        return path.relative_to(root).parts[:-1]
    return path.parts[1:-1]  # no root known: every folder but the filesystem's anchor


def in_virtualenv(path: Path, root: Path) -> bool:
    """Whether a folder between ``root`` (excluded) and ``path`` is a Python environment."""
    folder = path.parent
    while folder != root and root in folder.parents:
        if any((folder / marker).exists() for marker in VIRTUALENV_MARKERS):
            return True
        folder = folder.parent
    return False


@cache
def _install_prefixes() -> tuple[Path, ...]:
    prefixes = {Path(p).resolve() for p in site.getsitepackages()}
    prefixes.add(Path(site.getusersitepackages()).resolve())
    prefixes.add(Path(sys.base_prefix).resolve() / "lib")
    return tuple(prefixes)


def is_vendored(path: Path, root: Path | None = None) -> bool:
    """Installed packages and virtual environments: not the user's code to reload.

    ``root`` is the watched folder that holds ``path``: name and environment rules
    look only below it.
    """
    if VENDORED_DIR_NAMES.intersection(parts_below(path, root)):
        return True
    if root is not None and in_virtualenv(path, root):
        return True
    return any(is_under(path, prefix) for prefix in _install_prefixes())
