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
from reloader._events import ErrorInfo, Event, StatusBoard, Tier
from reloader._frames import is_user_file
from reloader._report import Reporter
from reloader.adapters import Adapter, AppNotFound, PageUpdate, ServeError, ServeOptions, SwapError
from reloader.engine._debounced import Debounced
from reloader.engine._discovery import app_of_new_version, find_app
from reloader.engine._failures import (
    add_how_to_run,
    error_info,
    failure_title,
    watch_problem_title,
)
from reloader.engine._heap import DeferredCollection
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
from reloader.engine._timings import Timings
from reloader.execute import ExecutionError, Executor, Fallback, Patcher, Result
from reloader.plan import LocalModule, Plan, Planner
from reloader.watch import Batch, ChangeStream, SourceFilter, Watcher, WatchNotice, watch_roots

#: How long after a load devreload counts as idle: the patch tier then analyses the
#: sources it will compare with, and the replaced version's garbage is collected.
IDLE_SECONDS = 0.5

__all__ = ["Engine"]

#: What a failing step after a swap (or an update in place) leaves: the new version.
_SERVING = "the new version is serving"

logger = logging.getLogger("reloader.engine")


class Engine:
    """Serves one app and puts each batch of saves in service, by the cheapest of three
    tiers that shows it: :meth:`_refresh_assets`, :meth:`_patch_in_place`, :meth:`_reexecute`."""

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
        #: The cyclic garbage collector waits while a save is put in service.
        self.collection = DeferredCollection()
        self._when_idle = Debounced(self._idle_work, IDLE_SECONDS, name="devreload-idle")
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
    def _supervised_execution(self, first_load: bool) -> Iterator[None]:
        """Around one execution of user code: the adapters' hooks (which capture the
        app's run call), and the watchdog, which may interrupt this execution, and
        only this one, for a newer save."""
        with ExitStack() as stack:
            for adapter in self._candidate_adapters():
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

    def _candidate_adapters(self) -> list[Adapter]:
        """Every adapter until one serves the app; then that one alone."""
        return self.adapters if self.adapter is None else [self.adapter]

    # -- running ---------------------------------------------------------------

    def run(self) -> int:
        """Serve the app and reload it on every save until Ctrl+C or SIGTERM; the exit code."""
        code = EXIT_APP_ERROR  # unless something below says otherwise
        with capture_signals(self.interrupter):
            try:
                code = self._run()
            except (KeyboardInterrupt, Stop):
                ignore_stop_signals()  # first: a second signal while saying so would raise
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
            with self._supervised_execution(first_load=True):
                result = self.executor.run(Plan(modules=[self.app_module]))
        except ExecutionError as error:
            self._dispose(self.disposers.discard)
            # A save of the file made while it loaded is then a change: it is retried.
            self.changes.remember(error.sources)
            self._add_how_to_run(error)
            nothing = "the first load failed; nothing is served yet."
            self.reporter.emit(Event("failed", error=error_info(error), message=nothing))
            return False
        except Abandoned as abandoned:
            self._dispose(self.disposers.discard)
            self.reporter.say(f"abandoned the load stuck at {abandoned.where} for a newer save")
            return False
        self._remember_sources(result.sources)
        try:
            self.adapter, self.app = find_app(
                self._candidate_adapters(),
                result.modules[self.app_module.name].__dict__,
                self.config.app_name,
                self.config.app_path,
            )
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
        self._when_idle.request()

    def _idle_work(self) -> None:
        """A moment after a load, once the tabs have fetched the new version: work that
        would otherwise slow the next save. The first patch after a load would analyse
        every source (about 20 ms for a 500-component app), and the replaced
        version's garbage is collected (25 to 70 ms)."""
        self.patcher.prepare()
        self.collection.collect()

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
                    title=watch_problem_title(notice.kind),
                )
            )
        elif notice.kind in ("resumed", "root_back") and self._watch_problem:
            self._watch_problem = False
            if not self.failing:  # a failed reload's error stays up until it is fixed
                self.adapter.notify(PageUpdate("reload"))

    # -- reloading: one method per tier ----------------------------------------

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
        touched nothing the app uses.

        The cheapest tier that can show the saves wins: assets the adapter refreshes by
        itself, then function bodies patched in place, then the modules run again."""
        assert self.adapter is not None
        timings = Timings.since_saved(batch.paths, batch.received)
        self.collection.defer()
        try:
            return_to(self.cwd)
            changed = sorted(batch.paths)
            assets = [path for path in changed if path.suffix != ".py"]
            if assets == changed and self.adapter.handles_without_reexecution(assets):
                return self._refresh_assets(changed, timings)
            patched = self._patch_in_place(changed, timings)
            if patched is not None:
                return patched
            updated = self._update_in_place(changed, timings)
            if updated is not None:
                return updated
            return self._reexecute(changed, timings)
        finally:
            self._when_idle.request()

    def _refresh_assets(self, changed: list[Path], timings: Timings) -> Event:
        """Non-Python files the adapter puts in service itself (a stylesheet the open
        pages swap): the tabs are told, nothing runs again."""
        assert self.adapter is not None
        told = self.adapter.notify(PageUpdate("css", tuple(changed)))
        timings.skipped("execute")
        timings.skipped("swap")
        timings.step("push")
        return self._emit(
            Event(
                "reloaded",
                generation=self.generation,
                tier="css",
                files=tuple(changed),
                digests=self._digests(changed),
                timings_ms=timings.as_dict(),
                tabs=told,
            )
        )

    def _patch_in_place(self, changed: list[Path], timings: Timings) -> Event | None:
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
        timings.step("patch")
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
            timings_ms=timings.as_dict(),
            tabs=told,
        )
        with self._step("reporting the patched event", "the new code is live"):
            return self.shown.submit(patched, mark)
        return patched

    def _update_in_place(self, changed: list[Path], timings: Timings) -> Event | None:
        """The literal tier: the "reloaded" event (tier "props") if the saves changed only
        literal arguments of top-level calls and the adapter updated what those calls
        built, in place; None if the modules must run again.

        At 500 components, running the app again is about 100 ms of the framework
        building components that are all the same but one property."""
        assert self.adapter is not None
        if (
            self.failing
            or not self.adapter.updates_calls
            or not all(path.suffix == ".py" for path in changed)
        ):
            return None
        edit = self.patcher.literal_edits(changed, sys.modules)
        if isinstance(edit, Fallback):
            logger.info("not a literal edit: %s", edit.reason)
            return None
        try:
            updated = self.adapter.update_calls(edit.arguments)
        except Exception as error:  # the full reload that follows builds everything anew
            self._report_bug("updating the edited calls in place", error, "running the app again")
            return None
        if not updated:
            return None
        self.patcher.accept(edit)
        timings.step("update")
        return self._publish("props", changed, timings)

    def _reexecute(self, changed: list[Path], timings: Timings) -> Event | None:
        """The full tier: run the changed modules and those that import them again, all
        or nothing, and swap the new app in; the last good version keeps serving
        if any of that fails."""
        assert self.adapter is not None
        plan = self.planner.plan(changed, retry_app=self.failing)
        for path in plan.unused:
            logger.info("%s changed but nothing loaded imports it", path)
        if plan.empty:
            return None
        self.collection.replaced_a_version()  # or half-built one, if it fails
        try:
            with self._supervised_execution(first_load=False):
                result = self.executor.run(plan)
            app = app_of_new_version(
                self.adapter,
                result.modules[self.app_module.name].__dict__,
                self.config.app_name,
                self.config.app_path,
            )
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
        timings.step("execute")
        try:
            self.adapter.swap(app)
        except SwapError as error:
            self._dispose(self.disposers.discard)
            return self._report_failure(error, changed)
        self.app = app
        timings.step("swap")
        self.failing = False
        return self._publish(
            "full", changed, timings, after_push=lambda: self._retire_replaced_version(result)
        )

    def _publish(
        self,
        tier: Tier,
        changed: list[Path],
        timings: Timings,
        after_push: Callable[[], None] | None = None,
    ) -> Event:
        """A new version is serving: the tabs are told, then the "reloaded" event is
        reported (its line waits briefly for the tabs to show it). Whatever happens
        next, it serves: a step failing from here is devreload's bug, reported, and
        the steps after it still run."""
        assert self.adapter is not None
        self.generation += 1
        told = 0
        mark = self.shown.mark()
        with self._step("telling the open tabs", _SERVING):
            told = self.adapter.notify(PageUpdate("reload", tuple(changed)))
        timings.step("push")
        if after_push is not None:
            after_push()
        reloaded = Event(
            "reloaded",
            generation=self.generation,
            tier=tier,
            files=tuple(changed),
            digests=self._digests(changed),
            timings_ms=timings.as_dict(),
            tabs=told,
        )
        with self._step("reporting the reloaded event", _SERVING):
            return self.shown.submit(reloaded, mark)
        return reloaded

    def _retire_replaced_version(self, result: Result) -> None:
        """Once the tabs are on their way to the new version: the old one cleans up
        (reloader.on_dispose, its atexit handlers), the threads it left are counted,
        and the sources just run become what the next save is compared with."""
        with self._step("disposing of the replaced version", _SERVING):
            self._dispose(self.disposers.commit, result.modules)
        with self._step("counting the app's threads", _SERVING):
            for sentence in self.threads.piled_up(self._short_path):
                self.reporter.say(sentence)
        with self._step("recording the sources it loaded", _SERVING):
            self._remember_sources(result.sources)

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

    def _add_how_to_run(self, error: ReloaderError) -> None:
        add_how_to_run(
            error,
            app_path=self.app_path,
            cwd=self.cwd,
            as_module=self.config.module is not None,
        )

    def _report_failure(self, error: ReloaderError, changed: list[Path]) -> Event:
        assert self.adapter is not None
        self._add_how_to_run(error)
        self.failing = True
        told = self.adapter.notify(
            PageUpdate(
                "error",
                tuple(changed),
                headline=error.headline,
                details=error.details,
                title=failure_title(error),
            )
        )
        return self._emit(
            Event(
                "failed",
                generation=self.generation,
                files=tuple(changed),
                error=error_info(error),
                tabs=told,
            )
        )

    def _shutdown(self) -> None:
        self.changes.stop()
        self.collection.resume()
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
