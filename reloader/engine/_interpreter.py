"""Make the process look like ``python app.py ARGS`` (or ``python -m pkg.app``) to the app.

A context manager, so that everything it changes in the interpreter
(``sys.argv``, ``sys.path``, ``sys.meta_path``, the dispose registry) is put
back when devreload stops, and the engine can be run inside another program
or a test.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from reloader._dispose import Disposers
from reloader.adapters import Adapter
from reloader.engine._heap import any_frozen, freeze_what_exists, unfreeze
from reloader.execute import AfterImport, Executor, LocalImporter

__all__ = ["prepared_interpreter", "return_to"]


@contextmanager
def prepared_interpreter(
    *,
    argv: Sequence[str],
    path_entry: Path,
    executor: Executor,
    is_local: Callable[[Path], bool],
    adapters: Sequence[Adapter],
    disposers: Disposers,
) -> Iterator[None]:
    """``argv`` becomes sys.argv, ``path_entry`` goes first on sys.path (the app's
    folder, or the current one for ``-m``), the user's local modules are imported
    through the executor (so their NO_RELOAD blocks are recorded from the first
    import), and each adapter hears when its framework is imported."""
    saved_argv = sys.argv
    sys.argv = list(argv)
    sys.path.insert(0, str(path_entry))
    importer = LocalImporter(executor, is_local)
    sys.meta_path.insert(0, importer)
    # Several adapters may hook the same framework (uvicorn): call them all.
    listeners: dict[str, list[Adapter]] = {}
    for adapter in adapters:
        for module_name in adapter.framework_modules:
            listeners.setdefault(module_name, []).append(adapter)
    # Frozen once, by the first framework import; not if something else froze already.
    freeze = not any_frozen()
    hooks = AfterImport(
        {name: _notify(found, name, freeze=freeze) for name, found in listeners.items()}
    )
    hooks.install()
    disposers.install()
    try:
        yield
    finally:
        disposers.uninstall()
        hooks.uninstall()
        if freeze:
            unfreeze()
        # Only what was added here: the app may have added entries of its own.
        if importer in sys.meta_path:
            sys.meta_path.remove(importer)
        if str(path_entry) in sys.path:
            sys.path.remove(str(path_entry))
        sys.argv = saved_argv


def _notify(adapters: list[Adapter], module_name: str, *, freeze: bool) -> Callable[[], None]:
    def notify() -> None:
        for adapter in adapters:
            adapter.framework_imported(module_name)
        if freeze:
            # What exists now (the framework's modules and all they imported)
            # lives as long as the process: see reloader.engine._heap.
            freeze_what_exists()

    return notify


def return_to(folder: Path) -> None:
    """Work in ``folder`` again if the process's working folder was deleted and
    ``folder`` re-created (a branch switch, a deploy script: ``rm -rf proj && mkdir
    proj``), so the app opens its relative paths there as ``python app.py`` started
    now would; a working folder that exists is left alone (the app may have moved)."""
    try:
        os.getcwd()
    except FileNotFoundError:
        if folder.is_dir():
            os.chdir(folder)
