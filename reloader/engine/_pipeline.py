"""The reload pipeline: watch, plan, execute, swap, notify. Framework-free.

The process-wide parts live elsewhere: signals, the hang watchdog and the hard
exit in :mod:`reloader.engine._supervisor`, ``sys.argv``/``sys.path``/import hooks in
:mod:`reloader.engine._interpreter`, both entered by :meth:`Engine.run` and undone
when it returns. What the engine does is reported as typed events
(:mod:`reloader._events`) through the reporter.

The pipeline itself runs in-process without any of that (tests/test_engine_pipeline.py)::

    engine = Engine(config, [adapter], reporter)
    with engine.interpreter():          # sys.argv/sys.path/import hooks, undone on exit
        engine.load()                   # the first load: finds the app and its adapter
        outcome = engine.reload(batch)  # the "reloaded"/"patched"/"failed" event
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from reloader._config import Config
from reloader._dispose import Disposers
from reloader._errors import (
    EXIT_APP_ERROR,
    EXIT_NO_APP,
    EXIT_OK,
    EXIT_SERVE,
    ReloaderError,
    UserError,
)
from reloader._events import ErrorInfo, Event, StatusBoard
from reloader._frames import is_user_file
from reloader._report import ReloadTiming, Reporter
from reloader.adapters import Adapter, AppNotFound, PageUpdate, ServeError, ServeOptions, SwapError
from reloader.engine._interpreter import prepared_interpreter, return_to
from reloader.engine._shown import ShownLines
from reloader.engine._supervisor import (
    Abandoned,
    Interrupter,
    Stop,
    Watchdog,
    capture_signals,
    hard_exit_after,
    ignore_stop_signals,
    stop_signals_deferred,
)
from reloader.engine._threads import ThreadCensus
from reloader.execute import ExecutionError, Executor, Fallback, Patcher, Result
from reloader.plan import LocalModule, Plan, Planner
from reloader.watch import Batch, ChangeStream, SourceFilter, Watcher, WatchNotice, watch_roots

#: How long after a load the patch tier analyses the sources it will compare with.
PATCH_WARM_UP_SECONDS = 0.5

__all__ = ["Engine"]

logger = logging.getLogger("reloader.engine")


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
        self.app_module = LocalModule(
            config.import_name or "__main__", self.app_path, run_as=config.module
        )
        self.disposers = Disposers(is_user_code=self._is_user_code)
        self.threads = ThreadCensus(self._is_user_code)
        self.executor = Executor(self.roots, disposers=self.disposers)
        self.planner = Planner(self.roots, self.app_module)
        #: The patch tier: body-only edits swap function code in place.
        self.patcher = Patcher()
        self._patch_warm_up = _Debounced(self.patcher.prepare, PATCH_WARM_UP_SECONDS)
        self.changes = ChangeStream(
            Watcher(self.roots, SourceFilter(config.ignore, self.roots), step_ms=config.step_ms),
            on_notice=self._watch_notice,
        )
        self.adapter: Adapter | None = None
        self.app: Any = None
        #: The last execution failed: the next relevant save retries the whole app.
        self.failing = False
        #: Versions put in service after the first load (the status endpoint's generation).
        self.generation = 0
        #: A watch problem is shown in the tabs (cleared when the watcher is back).
        self._watch_problem = False
        self.interrupter = Interrupter(self.roots)
        self.status = StatusBoard()
        self.reporter.listeners.append(self.status)
        #: A save's line waits for the tabs to show it (never the swap or the push).
        self.shown = ShownLines(self.reporter.emit)

    # -- set-up --------------------------------------------------------------

    def _is_user_code(self, filename: str) -> bool:
        return is_user_file(filename, self.roots)

    def _short_path(self, filename: str) -> str:
        """A file's path as the terminal shows it: relative to where devreload started."""
        path = Path(filename)
        return str(path.relative_to(self.cwd)) if path.is_relative_to(self.cwd) else filename

    @contextmanager
    def interpreter(self) -> Iterator[None]:
        """The process as `python app.py ARGS` (or `python -m pkg.app ARGS`) would have it,
        for the duration: everything it changes in ``sys`` is put back on exit."""
        with (
            self.threads.recording(),
            prepared_interpreter(
                argv=[str(self.config.app_path), *self.config.app_args],
                path_entry=(
                    self.cwd
                    if self.config.module or self.config.import_name
                    else self.app_path.parent
                ),
                executor=self.executor,
                is_local=self.planner.is_local,
                adapters=self.adapters,
                disposers=self.disposers,
            ),
        ):
            yield

    @contextmanager
    def _executing(self, first_load: bool) -> Iterator[None]:
        """Around one execution of user code: the adapters' captures and the watchdog,
        which may interrupt this execution, and only this one, for a newer save."""
        with ExitStack() as stack:
            for adapter in self.adapters if self.adapter is None else [self.adapter]:
                stack.enter_context(adapter.executing(first_load))
            token = stack.enter_context(self.interrupter.running())
            stack.enter_context(
                Watchdog(
                    self.interrupter,
                    token,
                    after_seconds=self.config.hang_report_seconds,
                    roots=self.roots,
                    saves_seen=self.changes.saves_seen,
                    say=self.reporter.say,
                    first_load=first_load,
                )
            )
            yield

    def _find_app(self, namespace: dict[str, Any]) -> tuple[Adapter, Any]:
        """Ask every adapter; the one that matches the app best serves it."""
        candidates = self.adapters if self.adapter is None else [self.adapter]
        found: list[tuple[int, int, Adapter, Any]] = []
        broken: list[str] = []
        for order, adapter in enumerate(candidates):
            try:
                app = adapter.find_app(namespace, self.config.app_name)
                if app is not None:
                    found.append((adapter.match(app), -order, adapter, app))
            except AppNotFound:
                raise
            except Exception as error:  # one adapter's bug must not take devreload down
                logger.debug(
                    "the %s adapter failed to look for the app", adapter.name, exc_info=True
                )
                broken.append(f"the {adapter.name} adapter failed: {type(error).__name__}: {error}")
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
            + "".join(f" ({note})" for note in broken)
        )

    # -- running ---------------------------------------------------------------

    def run(self) -> int:
        """Serve the app and reload it on every save until Ctrl+C or SIGTERM; the exit code."""
        code = EXIT_APP_ERROR  # unless something below says otherwise
        with capture_signals(self.interrupter):
            try:
                code = self._run()
            except (KeyboardInterrupt, Stop):
                self.shown.emit(Event("stopping", generation=self.generation, message="stopping"))
                code = EXIT_OK
            except UserError as error:
                code = error.exit_code
                raise
            finally:
                ignore_stop_signals()
                if self.config.hard_exit_seconds is not None:
                    hard_exit_after(self.config.hard_exit_seconds, code)
                self._shutdown()
        return code

    def _run(self) -> int:
        if not self.app_path.is_file():
            raise UserError(
                f"{self.config.app_path} does not exist; pass the path of your app file."
            )
        with self.interpreter():
            return self._serve_and_reload()

    def _serve_and_reload(self) -> int:
        options = ServeOptions(
            host=self.config.host,
            port=self.config.port,
            watch_roots=tuple(self.roots),
            status=self.status,
            keep_state=self.config.keep_state,
            app_path=self.app_path,
            say=self.reporter.say,
        )
        # Before the first load: an app may start its server there (Gradio's launch()).
        for adapter in self.adapters:
            adapter.configure(options)
        self.changes.start()
        while not self.load():
            self.reporter.say("waiting for a fix: save the file to try again")
            self._wait_for_changes()
        assert self.adapter is not None
        try:
            url = self.adapter.serve(self.app, options)
        except ServeError as error:
            raise UserError(error.headline, EXIT_SERVE) from None
        self.reporter.serving(url, self.adapter.name, self.roots)
        if self.config.host == "0.0.0.0":
            self.reporter.say(
                "warning: --host 0.0.0.0 makes the app, its reload channel and its error "
                "tracebacks reachable from the network."
            )
        while True:
            self.reload_safely(self._wait_for_changes())

    def load(self) -> bool:
        """The first load: run the app file, find the app and the adapter that serves it.
        False (reported) if the app file failed; the caller waits for a fix."""
        try:
            with self._executing(first_load=True):
                result = self.executor.run(Plan(modules=[self.app_module]))
        except ExecutionError as error:
            self._dispose(self.disposers.discard)
            # A save of the file made while it loaded is then a change: it is retried.
            self.changes.remember(error.sources)
            self._explain(error)
            nothing = "the first load failed; nothing is served yet."
            self.reporter.emit(Event("failed", error=_error_info(error), message=nothing))
            return False
        except Abandoned as abandoned:
            self._dispose(self.disposers.discard)
            self.reporter.say(f"abandoned the load stuck at {abandoned.where} for a newer save")
            return False
        self._remember_sources(result.sources)
        try:
            self.adapter, self.app = self._find_app(result.modules[self.app_module.name].__dict__)
        except AppNotFound as error:
            raise UserError(error.headline, EXIT_NO_APP) from None
        tabs = self.adapter.tab_confirmations()
        self.shown.watch(tabs)
        self.status.tabs = tabs.snapshot if tabs is not None else None
        self._dispose(self.disposers.commit, result.modules)
        return True

    def _wait_for_changes(self) -> Batch:
        batch = self.changes.next_batch()
        assert batch is not None
        return batch

    def _remember_sources(self, loaded: Mapping[Path, bytes]) -> None:
        """The files just executed were loaded from ``loaded``: a save is a change from that."""
        modules = [self.app_module, *self.planner.local_modules()]
        self.changes.remember(loaded)
        self.patcher.remember((m.name, m.path, self._executed_source(m)) for m in modules)
        # The first patch after a load would otherwise analyse every source (about
        # 20 ms for a 500-component app); done a moment later, once the tabs have
        # fetched the new version, it costs the developer nothing.
        self._patch_warm_up.request()

    def _executed_source(self, local: LocalModule) -> str | None:
        """The source the live module ran from; None if that module is not the live one
        (e.g. a failed reload ran a newer source that was rolled back)."""
        found = self.executor.executed.get(local.path)
        if found is None:
            return None
        module, source = found[0](), found[1]
        return source if module is not None and sys.modules.get(local.name) is module else None

    def _watch_notice(self, notice: WatchNotice) -> None:
        """A watch problem (or its end), told in the terminal and in every open tab."""
        with self._step("reporting a watch problem", "devreload keeps watching"):
            self._tell_watch_notice(notice)

    def _tell_watch_notice(self, notice: WatchNotice) -> None:
        if notice.kind == "root_back":
            return_to(self.cwd)
        self.shown.emit(
            Event(
                "watch",
                files=tuple(notice.paths),
                message=notice.message,
                error=ErrorInfo(notice.message) if notice.deaf else None,
            )
        )
        if self.adapter is None:
            return
        if notice.deaf:
            self._watch_problem = True
            self.adapter.notify(
                PageUpdate(
                    "error",
                    notice.paths,
                    headline=notice.message,
                    details="The page keeps running; saves are not reloaded until this clears.",
                    title=_WATCH_TITLES.get(notice.kind, _WATCH_TITLES["stopped"]),
                )
            )
        elif notice.kind in ("resumed", "root_back") and self._watch_problem:
            self._watch_problem = False
            if not self.failing:  # a failed reload's error stays up until it is fixed
                self.adapter.notify(PageUpdate("reload"))

    def reload_safely(self, batch: Batch) -> Event | None:
        """``reload(batch)``, with devreload's own bugs reported instead of raised: a
        failing step must never take the server down."""
        try:
            return self.reload(batch)
        except Exception as error:
            self._dispose(self.disposers.discard)
            self.failing = True  # the next save runs the whole app again
            self._report_bug(
                f"reloading {', '.join(path.name for path in sorted(batch.paths))}",
                error,
                "the last good version keeps serving",
            )
            return None

    def reload(self, batch: Batch) -> Event | None:
        """Put one batch of saves in service: the outcome event ("reloaded", "patched",
        "failed", or a message for an abandoned run), also emitted; None if the batch
        touched nothing the app uses."""
        assert self.adapter is not None
        started = time.perf_counter()
        return_to(self.cwd)
        changed = sorted(batch.paths)
        detect_ms = _detect_ms(changed, batch.received)
        assets = [path for path in changed if path.suffix != ".py"]
        if assets == changed and self.adapter.handles_without_reexecution(assets):
            told = self.adapter.notify(PageUpdate("css", tuple(changed)))
            push_ms = (time.perf_counter() - started) * 1000
            return self._emit(
                Event(
                    "reloaded",
                    generation=self.generation,
                    tier="css",
                    files=tuple(changed),
                    digests=self._digests(changed),
                    timings_ms={
                        "detect": detect_ms,
                        "execute": 0.0,
                        "swap": 0.0,
                        "push": push_ms,
                        "total": detect_ms + push_ms,
                    },
                    tabs=told,
                )
            )
        patched = self._try_patch(changed, started, detect_ms)
        if patched is not None:
            return patched
        plan = self.planner.plan(changed, retry_app=self.failing)
        for path in plan.unused:
            logger.info("%s changed but nothing loaded imports it", path)
        if plan.empty:
            return None
        try:
            with self._executing(first_load=False):
                result = self.executor.run(plan)
            app = self._app_from(result)
        except (ExecutionError, AppNotFound) as error:
            self._dispose(self.disposers.discard)
            return self._report_failure(error, changed)
        except Abandoned as abandoned:
            self._dispose(self.disposers.discard)
            self.failing = True
            return self._emit(
                Event(
                    "message",
                    message=f"abandoned the reload stuck at {abandoned.where} for a newer "
                    "save; the last good version keeps serving",
                )
            )
        executed = time.perf_counter()
        try:
            self.adapter.swap(app)
        except SwapError as error:
            self._dispose(self.disposers.discard)
            return self._report_failure(error, changed)
        self.app = app
        swapped = time.perf_counter()
        self.failing = False
        self.generation += 1
        # The new version serves whatever happens next: a step failing from here is
        # devreload's bug, reported; the steps after it still run.
        serving = "the new version is serving"
        told = 0
        mark = self.shown.mark()
        with self._step("telling the open tabs", serving):
            told = self.adapter.notify(PageUpdate("reload", tuple(changed)))
        pushed = time.perf_counter()
        with self._step("disposing of the replaced version", serving):
            # The old versions no longer serve: let them clean up (reloader.on_dispose,
            # their atexit handlers), once the tabs are on their way to the new one.
            self._dispose(self.disposers.commit, result.modules)
        with self._step("counting the app's threads", serving):
            for sentence in self.threads.piled_up(self._short_path):
                self.reporter.say(sentence)
        with self._step("recording the sources it loaded", serving):
            self._remember_sources(result.sources)
        timing = ReloadTiming(
            changed,
            detect_ms,
            (executed - started) * 1000,
            (swapped - executed) * 1000,
            (pushed - swapped) * 1000,
            told,
        )
        reloaded = Event(
            "reloaded",
            generation=self.generation,
            tier="full",
            files=tuple(changed),
            digests=self._digests(changed),
            timings_ms=timing.as_dict(),
            tabs=told,
        )
        with self._step("reporting the reloaded event", serving):
            return self.shown.submit(reloaded, mark)
        return reloaded

    def _try_patch(self, changed: list[Path], started: float, detect_ms: float) -> Event | None:
        """The patch tier: the "patched" event if every change was a body-only edit, now
        live in place; None if the save needs a full reload.

        The adapter decides what open pages do: a Gradio page stays as it is (its
        next event runs the new code); a server-rendered page is patched from the
        new HTML. A failing app is always re-executed, so its error overlay clears.
        """
        if self.failing or not all(path.suffix == ".py" for path in changed):
            return None
        assert self.adapter is not None
        outcome = self.patcher.try_patch(changed, sys.modules, refuse=self.adapter.refuses_patch)
        if isinstance(outcome, Fallback):
            logger.info("full reload: %s", outcome.reason)
            return None
        patch_ms = (time.perf_counter() - started) * 1000
        assert self.adapter is not None
        mark = self.shown.mark()
        told = self.adapter.notify(PageUpdate("patch", tuple(changed)))
        self.generation += 1
        patched = Event(
            "patched",
            generation=self.generation,
            tier="patch",
            files=tuple(changed),
            functions=outcome.functions,
            digests=self._digests(changed),
            timings_ms={"detect": detect_ms, "patch": patch_ms, "total": detect_ms + patch_ms},
            tabs=told,
        )
        with self._step("reporting the patched event", "the new code is live"):
            return self.shown.submit(patched, mark)
        return patched

    def _dispose(self, step: Callable[..., None], *args: Any) -> None:
        """Run a disposal step (the app's on_dispose callbacks and atexit handlers): a
        Ctrl+C that comes meanwhile waits for it, as a flush cut short loses data."""
        with stop_signals_deferred():
            step(*args)

    def _emit(self, event: Event) -> Event:
        with self._step(f"reporting the {event.event} event", "devreload keeps running"):
            return self.shown.emit(event)
        return event

    @contextmanager
    def _step(self, doing: str, outcome: str) -> Iterator[None]:
        """Around one step whose failure would be devreload's bug: report it, carry on."""
        try:
            yield
        except Exception as error:
            self._report_bug(doing, error, outcome)

    def _report_bug(self, doing: str, error: Exception, outcome: str) -> None:
        """Say that devreload itself failed, with the traceback to report; never raise."""
        headline = (
            f"internal error (a devreload bug) while {doing} ({type(error).__name__}: "
            f"{error}); {outcome}. Please report it with this traceback:"
        )
        details = "".join(traceback.format_exception(error))
        try:
            self.reporter.emit(
                Event("message", message=headline, error=ErrorInfo(headline, details))
            )
        except Exception:  # the reporter is what failed: the log still gets it
            logger.error("%s\n%s", headline, details)

    def _digests(self, paths: list[Path]) -> dict[Path, str]:
        found = {path: self.changes.digest_of(path) for path in paths}
        return {path: digest for path, digest in found.items() if digest}

    def _app_from(self, result: Result) -> Any:
        assert self.adapter is not None
        namespace = result.modules[self.app_module.name].__dict__
        app = self.adapter.find_app(namespace, self.config.app_name)
        if app is None:
            raise AppNotFound(
                f"{self.config.app_path} no longer defines a {self.adapter.name} app; "
                "the last good one keeps serving."
            )
        return app

    def _explain(self, error: ReloaderError) -> None:
        """Add what works to the headline of an error whose cause is how the app was run."""
        if (
            isinstance(error, ExecutionError)
            and isinstance(error.error, ImportError)
            and "no known parent package" in str(error.error)
            and error.module.name == "__main__"
            and self.config.module is None
        ):
            error.headline += "; " + _run_as_module(self.app_path, self.cwd)

    def _report_failure(self, error: ReloaderError, changed: list[Path]) -> Event:
        assert self.adapter is not None
        self._explain(error)
        self.failing = True
        told = self.adapter.notify(
            PageUpdate(
                "error",
                tuple(changed),
                headline=error.headline,
                details=error.details,
                title=_failure_title(error),
            )
        )
        return self._emit(
            Event(
                "failed",
                generation=self.generation,
                files=tuple(changed),
                error=_error_info(error),
                tabs=told,
            )
        )

    def _shutdown(self) -> None:
        self.changes.stop()
        self.disposers.dispose_all()
        if self.adapter is not None:
            try:
                self.adapter.shutdown()
            except Exception:  # shutting down: report, never hang
                logger.exception("adapter shutdown failed")
        if self.config.hard_exit_seconds is not None:
            # The console script's own process: run the app's atexit handlers now,
            # before the interpreter waits for the app's non-daemon threads (which
            # those handlers often stop) and within the hard-exit deadline.
            atexit._run_exitfuncs()


class _Debounced:
    """Runs ``function`` once ``delay`` seconds after the latest request, on one thread
    for the process (not one per request: saves come many a second)."""

    def __init__(self, function: Callable[[], None], delay: float) -> None:
        self._function = function
        self._delay = delay
        self._due: float | None = None
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        with self._condition:
            self._due = time.monotonic() + self._delay
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="devreload-patch-warm-up", daemon=True
                )
                self._thread.start()
            self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                if self._due is None:
                    self._condition.wait()
                    continue
                left = self._due - time.monotonic()
                if left > 0:
                    self._condition.wait(left)
                    continue
                self._due = None
            try:
                self._function()
            except Exception:  # a warm-up only: the next patch does the work itself
                logger.debug("the patch warm-up failed", exc_info=True)


_WATCH_TITLES = {
    "root_gone": "devreload: a watched folder is gone; saves are not reloaded until it is back.",
    "stopped": "devreload: the file watcher stopped; saves are not reloaded until it restarts.",
}


def _failure_title(error: ReloaderError) -> str:
    """The overlay's title for a failed reload: which step failed."""
    kept = "the page still runs the last good version."
    if isinstance(error, AppNotFound):
        return f"devreload: the last save defines no app to serve; {kept}"
    if isinstance(error, SwapError):
        return f"devreload: the new version could not be put in service; {kept}"
    return f"devreload: the last save failed; {kept}"


def _run_as_module(app_path: Path, cwd: Path) -> str:
    """How to run ``app_path`` so that its relative imports work: as a module of its
    package (the folders above it that hold an ``__init__.py``, or that lead down to
    it from the current folder), as ``python -m`` runs it."""
    parts, folder = [app_path.stem], app_path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if len(parts) == 1 and app_path.parent != cwd and app_path.is_relative_to(cwd):
        folder, parts = cwd, list(app_path.relative_to(cwd).with_suffix("").parts)
    if len(parts) == 1:
        return "a relative import works only in a module of a package (python -m pkg.app)"
    from_folder = "" if folder == cwd else f" from {folder}"
    return (
        "run it as a module of its package, as python -m does: "
        f"devreload -m {'.'.join(parts)}{from_folder}"
    )


def _error_info(error: ReloaderError) -> ErrorInfo:
    return ErrorInfo(
        error.headline,
        error.details,
        file=getattr(error, "filename", None),
        line=getattr(error, "lineno", None),
    )


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
