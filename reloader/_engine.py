"""The reload loop: watch, plan, execute, swap, notify. Framework-free."""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from ._config import Config
from ._errors import EXIT_NO_APP, EXIT_OK, EXIT_SERVE, ReloaderError, UserError
from ._execute import ExecutionError, Executor, LocalImporter, Result
from ._frames import innermost_user_frame
from ._hooks import AfterImport
from ._plan import LocalModule, Plan, Planner
from ._report import ReloadTiming, Reporter
from ._watch import Batch, SourceFilter, Watcher, watch_roots
from .adapters import Adapter, AppNotFound, ReloadEvent, ServeError, ServeOptions, SwapError

__all__ = ["Engine"]

logger = logging.getLogger("reloader.engine")

#: A file that vanished in a batch (an editor's rename-away-and-back) gets this
#: long to reappear before its absence is treated as a deletion.
REAPPEAR_SECONDS = 0.25


class _Stop(BaseException):
    """Raised in the main thread by SIGTERM, like KeyboardInterrupt for SIGINT."""


class _Abandoned(BaseException):
    """Raised in the main thread when a newer save arrives while user code hangs."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


class Engine:
    def __init__(
        self, config: Config, adapters: list[Adapter], reporter: Reporter | None = None
    ) -> None:
        self.config = config
        self.adapters = adapters
        self.reporter = reporter or Reporter()
        self.cwd = Path.cwd()
        self.app_path = config.app_path.resolve()
        self.roots = watch_roots(config.watch_paths(self.cwd))
        self.app_module = LocalModule("__main__", self.app_path)
        self.executor = Executor(self.roots)
        self.planner = Planner(self.roots, self.app_module)
        self.watcher = Watcher(self.roots, SourceFilter(config.ignore), step_ms=config.step_ms)
        self.adapter: Adapter | None = None
        self.app: Any = None
        #: The last execution failed: the next relevant save retries the whole app.
        self.failing = False
        self.reloads = 0
        self._hashes: dict[Path, str] = {}
        #: Where stuck user code was when the watchdog interrupted it.
        self._abandon_where: str | None = None

    # -- set-up --------------------------------------------------------------

    def _prepare_interpreter(self) -> None:
        """Make the process look like `python app.py ARGS` to the app."""
        sys.argv = [str(self.config.app_path), *self.config.app_args]
        sys.path.insert(0, str(self.app_path.parent))
        sys.meta_path.insert(0, LocalImporter(self.executor, self.planner.is_local))
        # Several adapters may hook the same framework (uvicorn): call them all.
        listeners: dict[str, list[Adapter]] = {}
        for adapter in self.adapters:
            for module_name in adapter.framework_modules:
                listeners.setdefault(module_name, []).append(adapter)
        AfterImport(
            {name: _notify_imported(adapters, name) for name, adapters in listeners.items()}
        ).install()

    @contextmanager
    def _executing(self, first_load: bool) -> Iterator[None]:
        with ExitStack() as stack:
            for adapter in self.adapters if self.adapter is None else [self.adapter]:
                stack.enter_context(adapter.executing(first_load))
            with _Watchdog(
                self.reporter,
                self.config.hang_report_seconds,
                self.roots,
                newer_changes=lambda: not self.watcher.batches.empty(),
                interrupt=self._interrupt,
                first_load=first_load,
            ):
                try:
                    yield
                finally:
                    self._abandon_where = None

    def _find_app(self, namespace: dict[str, Any]) -> tuple[Adapter, Any]:
        """Ask every adapter; the one that matches the app best serves it."""
        candidates = self.adapters if self.adapter is None else [self.adapter]
        found: list[tuple[int, int, Adapter, Any]] = []
        for order, adapter in enumerate(candidates):
            app = adapter.find_app(namespace, self.config.app_name)
            if app is not None:
                found.append((adapter.match(app), -order, adapter, app))
        if found:
            _, _, adapter, app = max(found, key=lambda item: item[:2])
            logger.info(
                "adapters that can serve the app: %s",
                ", ".join(f"{a.name} ({score})" for score, _, a, _ in found),
            )
            return adapter, app
        if self.config.app_name is not None:
            raise AppNotFound(f"{self.config.app_path} has no app named {self.config.app_name!r}.")
        kinds = ", ".join(adapter.name for adapter in candidates)
        raise AppNotFound(
            f"{self.config.app_path} defines no app that devreload can serve (tried: {kinds}); "
            "create one at module level, or name it with --app NAME."
        )

    def _interrupt(self, where: str) -> None:
        """From the watchdog thread: stop the stuck execution in the main thread."""
        self._abandon_where = where
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGUSR1)

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        where, self._abandon_where = self._abandon_where, None
        if where is not None:  # else a stray SIGUSR1 after the execution ended
            raise _Abandoned(where)

    # -- running ---------------------------------------------------------------

    def run(self) -> int:
        """Serve the app and reload it on every save until Ctrl+C or SIGTERM."""
        previous_term = signal.signal(signal.SIGTERM, _raise_stop)
        previous_usr1 = signal.signal(signal.SIGUSR1, self._on_interrupt)
        try:
            return self._run()
        except (KeyboardInterrupt, _Stop):
            self.reporter.say("stopping")
            return EXIT_OK
        finally:
            self._shutdown()
            signal.signal(signal.SIGTERM, previous_term)
            signal.signal(signal.SIGUSR1, previous_usr1)

    def _run(self) -> int:
        if not self.app_path.is_file():
            raise UserError(
                f"{self.config.app_path} does not exist; pass the path of your app file."
            )
        self._prepare_interpreter()
        options = ServeOptions(
            host=self.config.host, port=self.config.port, watch_roots=tuple(self.roots)
        )
        for adapter in self.adapters:
            adapter.configure(options)
        self.watcher.start()
        while not self._first_load():
            self.reporter.say("waiting for a fix: save the file to try again")
            self._wait_for_changes()
        assert self.adapter is not None
        try:
            url = self.adapter.serve(self.app, options)
        except ServeError as error:
            raise UserError(str(error), EXIT_SERVE) from None
        self.reporter.serving(url, self.adapter.name, self.roots)
        if self.config.host == "0.0.0.0":
            self.reporter.say(
                "warning: --host 0.0.0.0 makes the app, its reload channel and its error "
                "tracebacks reachable from the network."
            )
        while True:
            batch = self._wait_for_changes()
            self.reload(batch)

    def _first_load(self) -> bool:
        try:
            with self._executing(first_load=True):
                result = self.executor.run(Plan(modules=[self.app_module]))
        except ExecutionError as error:
            self.reporter.failed(error.headline, error.details, 0)
            return False
        except _Abandoned as abandoned:
            self.reporter.say(f"abandoned the load stuck at {abandoned.where} for a newer save")
            return False
        self._remember_sources()
        try:
            self.adapter, self.app = self._find_app(result.modules["__main__"].__dict__)
        except AppNotFound as error:
            raise UserError(str(error), EXIT_NO_APP) from None
        return True

    def _wait_for_changes(self) -> Batch:
        while True:
            batch = self.watcher.next_changes()
            assert batch is not None
            batch = self._settle(batch)
            changed = self._really_changed(batch.paths)
            if changed:
                return Batch(frozenset(changed), batch.received)

    def _settle(self, batch: Batch) -> Batch:
        """Give files that vanished (renamed away by an editor) a moment to come back."""
        deadline = time.monotonic() + REAPPEAR_SECONDS
        paths = set(batch.paths)
        while any(not path.exists() for path in paths) and time.monotonic() < deadline:
            more = self.watcher.next_changes(timeout=max(0.0, deadline - time.monotonic()))
            if more is not None:
                paths |= more.paths
        return Batch(frozenset(paths), batch.received)

    def _really_changed(self, paths: frozenset[Path]) -> list[Path]:
        """Drop files whose content is what we last saw (touches, no-op saves)."""
        changed = []
        for path in sorted(paths):
            digest = _digest(path)
            if digest is not None and self._hashes.get(path) == digest:
                continue
            self._hashes[path] = digest or ""
            changed.append(path)
        return changed

    def _remember_sources(self) -> None:
        for module in [self.app_module, *self.planner.local_modules()]:
            if module.path in self._hashes:  # already known: saves record their own hash
                continue
            digest = _digest(module.path)
            if digest is not None:
                self._hashes.setdefault(module.path, digest)

    def reload(self, batch: Batch) -> None:
        assert self.adapter is not None
        started = time.perf_counter()
        changed = sorted(batch.paths)
        detect_ms = _detect_ms(changed, batch.received)
        assets = [path for path in changed if path.suffix != ".py"]
        if assets == changed and self.adapter.handles_without_reexecution(assets):
            told = self.adapter.notify(ReloadEvent("css", tuple(changed)))
            push_ms = (time.perf_counter() - started) * 1000
            self.reporter.reloaded(ReloadTiming(changed, detect_ms, 0, 0, push_ms, told))
            return
        plan = self.planner.plan(changed, retry_app=self.failing)
        for path in plan.unused:
            logger.info("%s changed but nothing loaded imports it", path)
        if plan.empty:
            return
        try:
            with self._executing(first_load=False):
                result = self.executor.run(plan)
            app = self._app_from(result)
        except (ExecutionError, AppNotFound) as error:
            self._report_failure(error, changed)
            return
        except _Abandoned as abandoned:
            self.failing = True
            self.reporter.say(
                f"abandoned the reload stuck at {abandoned.where} for a newer save; "
                "the last good version keeps serving"
            )
            return
        executed = time.perf_counter()
        try:
            self.adapter.swap(app)
        except SwapError as error:
            self._report_failure(error, changed)
            return
        self.app = app
        swapped = time.perf_counter()
        told = self.adapter.notify(ReloadEvent("reload", tuple(changed)))
        pushed = time.perf_counter()
        self.failing = False
        self.reloads += 1
        self._remember_sources()
        self.reporter.reloaded(
            ReloadTiming(
                changed,
                detect_ms,
                (executed - started) * 1000,
                (swapped - executed) * 1000,
                (pushed - swapped) * 1000,
                told,
            )
        )

    def _app_from(self, result: Result) -> Any:
        assert self.adapter is not None
        namespace = result.modules["__main__"].__dict__
        app = self.adapter.find_app(namespace, self.config.app_name)
        if app is None:
            raise AppNotFound(
                f"{self.config.app_path} no longer defines a {self.adapter.name} app; "
                "the last good one keeps serving."
            )
        return app

    def _report_failure(self, error: ReloaderError, changed: list[Path]) -> None:
        assert self.adapter is not None
        self.failing = True
        headline, details = error.headline, error.details
        told = self.adapter.notify(
            ReloadEvent("error", tuple(changed), headline=headline, details=details)
        )
        self.reporter.failed(headline, details, told)

    def _shutdown(self) -> None:
        # Whatever happens below, the process is gone within two seconds.
        killer = threading.Timer(1.5, os._exit, args=(EXIT_OK,))
        killer.daemon = True
        killer.start()
        self.watcher.stop()
        if self.adapter is not None:
            try:
                self.adapter.shutdown()
            except Exception:  # shutting down: report, never hang
                logger.exception("adapter shutdown failed")


class _Watchdog:
    """Watches one execution of user code from another thread.

    After ``after_seconds`` it says where the code is stuck (file and line);
    if a newer save then arrives, it interrupts the stuck code (SIGUSR1 to the
    main thread, which raises _Abandoned there) so that the newer save, a fix
    presumably, is loaded without a restart.
    """

    def __init__(
        self,
        reporter: Reporter,
        after_seconds: float,
        roots: list[Path],
        newer_changes: Callable[[], bool],
        interrupt: Callable[[str], None],
        first_load: bool = False,
    ) -> None:
        self._reporter = reporter
        self._after = after_seconds
        self._roots = roots
        self._newer_changes = newer_changes
        self._interrupt = interrupt
        self._first_load = first_load
        self._thread_id = threading.get_ident()
        self._done = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="devreload-hang", daemon=True)

    def __enter__(self) -> None:
        self._watchdog.start()

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()

    def _where(self) -> str:
        frame = sys._current_frames().get(self._thread_id)
        return innermost_user_frame(frame, self._roots)

    def _watch(self) -> None:
        if self._done.wait(self._after):
            return
        if self._first_load:
            # A slow first load is normal (a model in a NO_RELOAD block): say where, calmly.
            self._reporter.say(
                f"still loading the app after {self._after:.0f} s; it is at {self._where()}. "
                "If it is stuck, save a fix and it will be interrupted."
            )
        else:
            self._reporter.say(
                f"the reload has been running for {self._after:.0f} s; it is at "
                f"{self._where()}. The last good version keeps serving; save a fix to try again."
            )
        while not self._done.wait(0.1):
            if self._newer_changes() and threading.main_thread().ident == self._thread_id:
                self._interrupt(self._where())
                return


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def _notify_imported(adapters: list[Adapter], module_name: str) -> Callable[[], None]:
    def notify() -> None:
        for adapter in adapters:
            adapter.framework_imported(module_name)

    return notify


def _digest(path: Path) -> str | None:
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return None


def _detect_ms(changed: list[Path], received: float) -> float:
    """From the newest save (its mtime) to the batch reaching the engine."""
    mtimes = []
    for path in changed:
        try:
            mtimes.append(path.stat().st_mtime)
        except OSError:
            continue
    if not mtimes:
        return 0.0
    # received is perf_counter(); convert the wall-clock mtime into that scale.
    saved_at = max(mtimes) - time.time() + time.perf_counter()
    return max(0.0, (received - saved_at) * 1000)
