"""Path predicates shared by the watcher and the planner."""

from __future__ import annotations

import site
import sys
from functools import cache
from pathlib import Path

__all__ = ["VENDORED_DIR_NAMES", "is_under", "is_vendored"]

#: Folders that hold installed or generated code, never the user's own.
VENDORED_DIR_NAMES = frozenset(
    {
        "site-packages",
        "dist-packages",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
    }
)


def is_under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


@cache
def _install_prefixes() -> tuple[Path, ...]:
    prefixes = {Path(p).resolve() for p in site.getsitepackages()}
    prefixes.add(Path(site.getusersitepackages()).resolve())
    prefixes.add(Path(sys.base_prefix).resolve() / "lib")
    return tuple(prefixes)


def is_vendored(path: Path) -> bool:
    """Installed packages and virtual environments: not the user's code to reload."""
    if VENDORED_DIR_NAMES.intersection(path.parts):
        return True
    return any(is_under(path, prefix) for prefix in _install_prefixes())
