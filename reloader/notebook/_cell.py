"""One notebook cell that holds an app: the first run serves it, each re-run swaps it in.

A cell's run is devreload's reload with the cell as the file: the cell's source
is written to a file of its own (so that the executor compiles it, the patch
tier compares it, and tracebacks and ``inspect`` read its lines like any
module's), then either a body-only edit is patched in place, or the cell runs
in the notebook's namespace with its ``NO_RELOAD`` blocks kept and the app it
defines is swapped into the cell's server by the adapter that serves it.

A run that does not end with its app in service changes nothing: the names it
bound are put back as they were, and the last good app keeps serving.
"""

from __future__ import annotations

import ast
import logging
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from reloader._dispose import Disposers
from reloader._errors import ReloaderError
from reloader._events import ErrorInfo, Event, StatusBoard
from reloader._frames import user_traceback
from reloader._parse import parse
from reloader.adapters import (
    Adapter,
    AppNotFound,
    PageUpdate,
    ServeError,
    ServeOptions,
    SwapError,
)
from reloader.execute import AfterImport, Executor, Fallback, Patcher
from reloader.plan import LocalModule

__all__ = ["CellApp", "CellFailed", "CellOptions", "Outcome", "Shared"]

logger = logging.getLogger("reloader.notebook")

#: The tabs' overlay title when a re-run of the cell fails.
_FAILED_TITLE = "devreload: the last run of the cell failed; the page still runs the last good app."
_NO_APP_TITLE = (
    "devreload: the last run of the cell defines no app to serve; "
    "the page still runs the last good app."
)
_SWAP_TITLE = (
    "devreload: the new app could not be put in service; the page still runs the last good app."
)


@dataclass(frozen=True)
class CellOptions:
    """What ``%%devreload`` takes on its first line (see reloader.notebook._magic)."""

    app: str | None = None
    adapter: str | None = None
    host: str | None = None
    port: int | None = None
    keep_state: bool = True

    def serving(self) -> tuple[Any, ...]:
        """What decides the server: a re-run that changes these starts a new one."""
        return (self.adapter, self.host, self.port, self.keep_state)


@dataclass
class Shared:
    """What every cell of one kernel shares: NO_RELOAD values and on_dispose callbacks
    by cell, and the patch tier (which must see every cell's source, since one cell's
    top level may call another's function)."""

    folder: Path
    executor: Executor
    patcher: Patcher
    disposers: Disposers
    #: The notebook's namespace, as a module (the executor runs code in a module).
    namespace: ModuleType
    #: module name -> the namespace, for every cell that ran (the patch tier's view).
    cells: dict[str, ModuleType] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    kind: Literal["served", "reloaded", "patched"]
    url: str
    generation: int
    #: For "patched": the functions whose code was swapped.
    functions: tuple[str, ...] = ()
    tabs: int = 0
    timings_ms: Mapping[str, float] = field(default_factory=dict)


class CellFailed(Exception):
    """The run did not put an app in service; ``error`` is the user's exception
    (traceback from the cell's first line on) or a :class:`ReloaderError`."""

    def __init__(self, error: BaseException, told: int) -> None:
        super().__init__(str(error))
        self.error = error
        #: Open tabs that show the error.
        self.told = told


class CellApp:
    """The app of one cell: its file, its adapter and server, its generation."""

    def __init__(
        self,
        shared: Shared,
        number: int,
        options: CellOptions,
        adapters: list[Adapter],
    ) -> None:
        self.shared = shared
        self.options = options
        self.local = LocalModule(f"__devreload_cell_{number}__", shared.folder / f"cell{number}.py")
        #: Every adapter until the first run finds the app; then the one that serves it.
        self.adapters = adapters
        self.adapter: Adapter | None = None
        self.url = ""
        self.generation = 0
        self.status = StatusBoard()
        #: The last run failed: the next one runs the whole cell again (no patch).
        self.failing = False
        self._source: str | None = None
        self._serve_options = ServeOptions(
            host=options.host,
            port=options.port,
            watch_roots=(shared.folder, Path.cwd()),
            status=self.status,
            keep_state=options.keep_state,
            app_path=self.local.path,
        )
        for adapter in adapters:
            adapter.configure(self._serve_options)
        # An adapter hears of its framework's import before the cell calls into it
        # (to capture demo.launch(), uvicorn.run(), ...): now if it is imported already.
        self._hooks = AfterImport(_framework_hooks(adapters))
        self._hooks.install()

    @property
    def path(self) -> Path:
        return self.local.path

    def run(self, source: str) -> Outcome:
        """Put the cell's ``source`` in service; raise :class:`CellFailed` if it cannot be."""
        started = time.perf_counter()
        if self.adapter is not None and not self.failing and self._source is not None:
            if source == self._source:
                # The same cell again: run it again (it may read what other cells changed).
                pass
            else:
                patched = self._try_patch(source, started)
                if patched is not None:
                    return patched
        self.path.write_text(source, encoding="utf-8")
        namespace = self.shared.namespace.__dict__
        before = dict(namespace)
        first = self.adapter is None
        try:
            with ExitStack() as stack:
                for adapter in self.adapters:
                    stack.enter_context(adapter.executing(first))
                self.shared.executor.exec_into(self.shared.namespace, self.local)
            adapter, app = self._find_app(namespace, _top_level_names(source))
        except BaseException as error:
            _restore(namespace, before)
            self.shared.disposers.discard()
            if not isinstance(error, Exception | SystemExit):
                raise  # the kernel's interrupt
            raise self._failed(error, _FAILED_TITLE) from None
        executed = time.perf_counter()
        self.shared.cells[self.local.name] = self.shared.namespace
        try:
            if first:
                self.adapter, self.adapters = adapter, [adapter]
                self._hooks.uninstall()
                self.url = adapter.serve(app, self._serve_options)
            else:
                adapter.swap(app)
        except (ServeError, SwapError) as error:
            _restore(namespace, before)
            self.shared.disposers.discard()
            if first:
                self.adapter = None  # never served: the cell's server is started anew
            raise self._failed(error, _SWAP_TITLE) from None
        swapped = time.perf_counter()
        self.shared.disposers.commit([self.local.name])
        told = 0 if first else adapter.notify(PageUpdate("reload", (self.path,)))
        pushed = time.perf_counter()
        self.failing = False
        self._source = source
        self.shared.patcher.remember([(self.local.name, self.path, source)])
        timings = {
            "execute": (executed - started) * 1000,
            "swap": (swapped - executed) * 1000,
            "push": (pushed - swapped) * 1000,
            "total": (pushed - started) * 1000,
        }
        if first:
            self.status(Event("serving", url=self.url, adapter=adapter.name))
            return Outcome("served", self.url, 0, timings_ms=timings)
        self.generation += 1
        self.status(
            Event(
                "reloaded",
                generation=self.generation,
                tier="full",
                files=(self.path,),
                timings_ms=timings,
                tabs=told,
            )
        )
        return Outcome("reloaded", self.url, self.generation, tabs=told, timings_ms=timings)

    def _try_patch(self, source: str, started: float) -> Outcome | None:
        """The patch tier, as for a saved file: body-only edits swapped in place."""
        assert self.adapter is not None
        self.path.write_text(source, encoding="utf-8")
        outcome = self.shared.patcher.try_patch(
            [self.path], self.shared.cells, refuse=self.adapter.refuses_patch
        )
        if isinstance(outcome, Fallback):
            logger.info("full run of the cell: %s", outcome.reason)
            return None
        told = self.adapter.notify(PageUpdate("patch", (self.path,)))
        self._source = source
        self.generation += 1
        timings = {"patch": (time.perf_counter() - started) * 1000}
        timings["total"] = timings["patch"]
        self.status(
            Event(
                "patched",
                generation=self.generation,
                tier="patch",
                files=(self.path,),
                functions=outcome.functions,
                timings_ms=timings,
                tabs=told,
            )
        )
        return Outcome(
            "patched",
            self.url,
            self.generation,
            functions=outcome.functions,
            tabs=told,
            timings_ms=timings,
        )

    def _find_app(self, namespace: Mapping[str, Any], bound: Iterable[str]) -> tuple[Adapter, Any]:
        """The app this run defined: among the names the cell binds (the notebook may
        hold other cells' apps), or the one ``--app`` names; the adapter that fits it
        best serves it (as the engine chooses for a file)."""
        name = self.options.app
        where = (
            namespace if name is not None else {n: namespace[n] for n in bound if n in namespace}
        )
        found: list[tuple[int, int, Adapter, Any]] = []
        for order, adapter in enumerate(self.adapters):
            try:
                app = adapter.find_app(where, name)
            except AppNotFound:
                raise
            except Exception:  # one adapter's bug must not hide the others' apps
                logger.debug(
                    "the %s adapter failed to look for the app", adapter.name, exc_info=True
                )
                continue
            if app is not None:
                found.append((adapter.match(app), -order, adapter, app))
        if found:
            _, _, adapter, app = max(found, key=lambda item: item[:2])
            return adapter, app
        if name is not None:
            raise AppNotFound(f"The notebook has no app named {name!r}; --app names it.")
        if self.adapter is not None:
            raise AppNotFound(f"The cell no longer defines a {self.adapter.name} app.")
        kinds = ", ".join(adapter.name for adapter in self.adapters)
        raise AppNotFound(
            f"The cell defines no app that devreload can serve (tried: {kinds}); "
            "assign one to a name in the cell, or name it with --app NAME."
        )

    def _failed(self, error: BaseException, title: str) -> CellFailed:
        """Report the failure to the open tabs and the status route."""
        self.failing = self.adapter is not None
        if isinstance(error, ReloaderError):
            headline, details = error.headline, error.details
            if isinstance(error, AppNotFound):
                title = _NO_APP_TITLE
        else:
            error = _from_cell(error, self.path)
            headline, details = (
                _headline(error, self.path),
                user_traceback(error, self.shared.executor.user_roots),
            )
        self.status(
            Event(
                "failed",
                generation=self.generation,
                files=(self.path,),
                error=ErrorInfo(
                    headline, details, file=str(self.path), line=_cell_line(error, self.path)
                ),
            )
        )
        told = 0
        if self.adapter is not None:
            told = self.adapter.notify(
                PageUpdate("error", (self.path,), headline=headline, details=details, title=title)
            )
        return CellFailed(error, told)

    def shutdown(self) -> None:
        self._hooks.uninstall()
        # Before the app is found, any candidate may have started a server (a cell's
        # demo.launch() starts Gradio's at once).
        for adapter in self.adapters:
            try:
                adapter.shutdown()
            except Exception:  # stopping: report, never hang the kernel
                logger.exception("the %s adapter failed to stop", adapter.name)


def _framework_hooks(adapters: list[Adapter]) -> dict[str, Callable[[], None]]:
    listeners: dict[str, list[Adapter]] = {}
    for adapter in adapters:
        for module_name in adapter.framework_modules:
            listeners.setdefault(module_name, []).append(adapter)

    def told(found: list[Adapter], module_name: str) -> Callable[[], None]:
        def notify() -> None:
            for adapter in found:
                adapter.framework_imported(module_name)

        return notify

    return {name: told(found, name) for name, found in listeners.items()}


def _restore(namespace: MutableMapping[str, Any], before: Mapping[str, Any]) -> None:
    """Put the notebook's names back as they were before the run."""
    for name in [name for name in namespace if name not in before]:
        del namespace[name]
    for name, value in before.items():
        if namespace.get(name, _ABSENT) is not value:
            namespace[name] = value


_ABSENT = object()


def _top_level_names(source: str) -> set[str]:
    """Names the cell binds at its top level (in NO_RELOAD blocks, ``with``, ``for`` and
    ``if`` too; not in function or class bodies)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            return
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update(a.asname or a.name.split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(
            node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
        ):
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    with suppress(SyntaxError, ValueError):
        visit(parse(source))
    return names


def _from_cell(error: BaseException, path: Path) -> BaseException:
    """The error with its traceback starting at the cell's own frame (the executor's
    frames above it are devreload's, not the user's)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != str(path):
        tb = tb.tb_next
    if tb is not None:
        error.__traceback__ = tb
    return error


def _cell_line(error: BaseException, path: Path) -> int | None:
    """The line of the cell where ``error`` happened (its innermost frame in the cell)."""
    if isinstance(error, SyntaxError):
        return error.lineno if error.filename == str(path) else None
    line = None
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(path):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _headline(error: BaseException, path: Path) -> str:
    """One sentence for the tabs: what failed, and where in the cell."""
    kind = type(error).__name__
    message = error.msg if isinstance(error, SyntaxError) else str(error)
    message = (message or "").splitlines()[0] if message else ""
    line = _cell_line(error, path)
    where = f"the cell, line {line}" if line else "the cell"
    return f"{kind} in {where}: {message}".rstrip(": ")
