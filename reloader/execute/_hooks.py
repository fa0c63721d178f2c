"""Run a callback right after a given top-level module is imported.

Adapters patch their framework (say, to capture ``demo.launch()``) before the
user's code calls into it, without devreload importing any framework itself.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType

__all__ = ["AfterImport"]


class _CallbackLoader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader, callback: Callable[[], None]) -> None:
        self._loader = loader
        self._callback = callback

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        self._callback()

    def __getattr__(self, name: str) -> object:  # get_resource_reader, is_package, ...
        return getattr(self._loader, name)


class AfterImport(importlib.abc.MetaPathFinder):
    """``sys.meta_path`` entry calling ``callbacks[name]()`` once ``name`` is imported."""

    def __init__(self, callbacks: dict[str, Callable[[], None]]) -> None:
        self._callbacks = dict(callbacks)
        self._busy = threading.local()

    def install(self) -> None:
        for name in list(self._callbacks):
            if name in sys.modules:  # already imported: run now
                self._callbacks.pop(name)()
        if self._callbacks:
            sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._callbacks or getattr(self._busy, "on", False):
            return None
        self._busy.on = True
        try:
            # Ask the rest of sys.meta_path; this finder steps aside meanwhile.
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self._busy.on = False
        if spec.loader is None:
            return spec
        callback = self._callbacks.pop(fullname)
        if not self._callbacks:
            self.uninstall()
        spec.loader = _CallbackLoader(spec.loader, callback)
        return spec
