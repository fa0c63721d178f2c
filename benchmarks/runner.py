"""Carry out the plan: start the tools, make the saves, take the measurements.

Within a variant all tools run at once, each on its own port with its own copy
of the app, and the saves are interleaved (tool A save 1, tool B save 1, ...),
so that a ratio devreload/peer compares two saves made moments apart on the same
machine. Variants marked ``sequential`` (the big watched trees) run one tool at
a time instead, because a tool that polls 50,000 files would slow the others.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .apps import INITIAL_MARKER, AppDir, add_extra_tree, new_marker, write_app
from .frameworks import FRAMEWORKS, framework_problem
from .hmr_env import HmrEnv
from .measure import (
    ApiCallProbe,
    ClickProbe,
    ConfigProbe,
    Tab,
    cpu_percent,
    rss_bytes,
    wait_http_ok,
)
from .plan import MemoryPlan, Variant
from .processes import ServerProcess, free_port
from .results import MemoryRun, SaveSample, ToolRun, VariantResult
from .tools import EVENTS_FILE, Tool, tool_by_key

if TYPE_CHECKING:
    from playwright.sync_api import Browser

__all__ = ["Runner"]

#: Saves in a row that never show before the run gives up on a tool.
MAX_LOST_IN_A_ROW = 3


@dataclass
class _Live:
    tool: Tool
    app: AppDir
    server: ServerProcess
    port: int
    run: ToolRun
    probe: ConfigProbe | ClickProbe | ApiCallProbe
    tab: Tab | None
    rounds: int
    save_timeout: float
    last_done: float = 0.0
    lost_in_a_row: int = 0
    #: Handler edits: saves after which the HTTP API still ran the old handler.
    api_stale: int = 0
    #: For tools that do not refresh the tab: checked once that they really do not.
    checked_never: bool = False
    #: Per save written, in order: whether it is measured (not a warm-up, nor a structure
    #: edit's preparing save), to pick devreload's own report of the measured saves.
    measured: list[bool] = field(default_factory=list)
    #: perf_counter when the server was started (its readiness is awaited after all the
    #: variant's servers are started).
    spawned: float = 0.0

    @property
    def active(self) -> bool:
        return self.run.status == "ok"


@dataclass(frozen=True)
class _Setup:
    """Where a variant's tools start: each writes its copy of the app under ``root``,
    gets the watched ``tree`` (big-tree variants) moved into it, and adds its run to
    ``result``."""

    variant: Variant
    root: Path
    tree: Path | None
    result: VariantResult


class Runner:
    def __init__(
        self,
        workdir: Path,
        browser: Browser | None,
        hmr: HmrEnv | None,
        skipped: dict[str, str],
        log: TextIO = sys.stderr,
    ) -> None:
        self.workdir = workdir
        self.browser = browser
        self.hmr = hmr
        #: Tools not run at all, with the reason (e.g. uvicorn-hmr in quick mode).
        self.skipped = skipped
        self.log_stream = log
        self.started = time.perf_counter()
        #: The variant being measured, so that an interrupted run can still report it.
        self.current: VariantResult | None = None

    def say(self, text: str) -> None:
        elapsed = time.perf_counter() - self.started
        print(f"[{elapsed:6.0f}s] {text}", file=self.log_stream, flush=True)

    # -- a latency variant -------------------------------------------------------------

    def run_variant(self, variant: Variant) -> VariantResult:
        started = time.perf_counter()
        result, root = self._begin(
            variant,
            {
                "rounds": variant.rounds,
                "slow_rounds": variant.slow_rounds,
                "warmup": variant.warmup,
                "sequential": variant.sequential,
                "gap_s": variant.gap,
                "idle_cpu_seconds": variant.idle_cpu_seconds,
                "idle_rest_seconds": variant.idle_rest_seconds,
            },
        )
        tree: Path | None = None
        try:
            if variant.spec.extra_files:
                self.say(f"writing {variant.spec.extra_files} extra .py files")
                tree = add_extra_tree(root / "shared-tree", variant.spec.extra_files)
            groups = [[t] for t in variant.tools] if variant.sequential else [list(variant.tools)]
            for group in groups:
                self._run_group(_Setup(variant, root, tree, result), group)
        finally:
            result.seconds = time.perf_counter() - started
            if tree is not None:
                shutil.rmtree(tree.parent, ignore_errors=True)
        result.compute_ratios(variant.sequential)
        self._summarise(result)
        return result

    def _begin(self, variant: Variant, settings: dict[str, object]) -> tuple[VariantResult, Path]:
        """The result a variant's run fills (``current`` until it is done, for the report
        of an interrupted run) and the folder its tools' apps are written in."""
        result = _new_result(variant, settings)
        self.current = result
        root = self.workdir / variant.key
        root.mkdir(parents=True, exist_ok=True)
        self._announce(variant)
        return result, root

    def _announce(self, variant: Variant) -> None:
        self.say(f"== {variant.key}: {variant.label} ({', '.join(variant.tools)})")

    def _run_group(self, setup: _Setup, keys: list[str]) -> None:
        variant, tree = setup.variant, setup.tree
        lives: list[_Live] = []
        try:
            lives = self._start_all(setup, keys)
            if not lives:
                return
            total_rounds = variant.warmup + max(live.rounds for live in lives)
            for round_ in range(total_rounds):
                if round_ == variant.warmup and variant.idle_cpu_seconds:
                    self._idle_cpu(lives, variant.idle_cpu_seconds)
                for live in lives:
                    if live.active and round_ < variant.warmup + live.rounds:
                        self._save(variant, live, round_, warmup=round_ < variant.warmup)
                if not any(live.active for live in lives):
                    break
            if variant.idle_rest_seconds and variant.idle_cpu_seconds:
                self._idle_rest_cpu(lives, variant.idle_rest_seconds, variant.idle_cpu_seconds)
            if variant.spec.edit == "insert":
                for live in lives:
                    self._rerender_floor(live)
        finally:
            for live in lives:
                self._stop(live, tree)

    def _start_all(self, setup: _Setup, keys: list[str]) -> list[_Live]:
        """Start the tools' servers: one after another for the variants whose starts are
        the cold-start figures, else all at once, then wait for each to be ready (a
        500-component app takes Gradio seconds to build; the tools need not take turns)."""
        lives: list[_Live] = []
        if not setup.variant.start_together:
            for key in keys:
                live = self._start(setup, tool_by_key(key))
                if live is not None:
                    lives.append(live)
            return lives
        for key in keys:
            live = self._launch(setup, tool_by_key(key))
            if live is not None:
                lives.append(live)
        for live in lives:
            if live.active:
                self._ready(setup.variant, live, open_tab=True)
        return lives

    def _start(self, setup: _Setup, tool: Tool, open_tab: bool = True) -> _Live | None:
        live = self._launch(setup, tool)
        if live is not None and live.active:
            self._ready(setup.variant, live, open_tab)
        return live

    def _launch(self, setup: _Setup, tool: Tool) -> _Live | None:
        """Write the tool's copy of the app and start its server (not waiting for it)."""
        variant, tree = setup.variant, setup.tree
        run = ToolRun(tool.key, tool.label, tab_mode="auto" if tool.auto_refresh else "f5")
        setup.result.runs.append(run)
        if tool.key in self.skipped:
            run.status, run.reason = "skipped", self.skipped[tool.key]
            return None
        if variant.spec.kind in FRAMEWORKS:
            problem = framework_problem(variant.spec.kind, tool.key)
            if problem is not None:
                run.status, run.reason = "skipped", problem
                return None
        hmr_executable: Path | None = None
        if tool.key == "uvicorn-hmr":
            if self.hmr is None or self.hmr.problem:
                run.status = "skipped"
                run.reason = self.hmr.problem if self.hmr and self.hmr.problem else "not set up"
                return None
            hmr_executable = self.hmr.executable
        folder = setup.root / tool.key
        try:
            app = write_app(folder / "app", variant.spec)
        except (OSError, ValueError, SyntaxError) as error:
            run.status = "skipped" if variant.spec.kind == "demo" else "failed"
            run.reason = f"could not write the app: {error}"
            return None
        if tree is not None:
            tree.rename(app.root / "extra")
        port = free_port()
        server = ServerProcess(
            tool.command(app, port, hmr_executable),
            cwd=app.root,
            env=tool.env(app, port),
            log_path=folder / "server.log",
        )
        save_timeout = (
            60.0 + 2 * variant.spec.no_reload_seconds
            if tool.slow or variant.spec.kind == "demo"
            else 30.0
        )
        if variant.observe == "api":
            # Gradio's reload mode never runs the new handler through the API (issue
            # 13): three saves of this long end its run instead of three of 30 s.
            save_timeout = 10.0
        rounds = variant.slow_rounds if tool.slow else variant.rounds
        probe: ConfigProbe | ClickProbe | ApiCallProbe = ConfigProbe(port, app.probe_path)
        if variant.observe == "api" and app.probe_api is not None:
            # A handler edit seen the way a script sees it: an HTTP API call runs it.
            probe = ApiCallProbe(port, app.probe_api)
        elif app.probe_click is not None and self.browser is not None:
            # A handler edit shows in no page or config: a click runs the handler.
            probe = ClickProbe(self.browser, f"http://127.0.0.1:{port}/", app.probe_click)
        live = _Live(tool, app, server, port, run, probe, None, rounds, save_timeout)
        try:
            live.spawned = server.start()
        except Exception as error:  # a tool that fails must not end the run
            run.fail(f"{type(error).__name__}: {error}")
        return live

    def _ready(self, variant: Variant, live: _Live, open_tab: bool) -> None:
        """Wait for the started server to serve the app, then open its tab."""
        tool, app, server, port, run = live.tool, live.app, live.server, live.port, live.run
        start_timeout = 90.0 + 2 * variant.spec.no_reload_seconds
        if not isinstance(live.probe, ConfigProbe) or not app.tab:
            open_tab = False  # a handler edit is seen through a click or a call, not a tab
        try:
            spawned = live.spawned
            cold = wait_http_ok(port, "/", spawned, spawned + start_timeout, server.alive)
            if cold is None:
                run.fail(f"did not serve a page within {start_timeout:.0f} s: {_tail(server)}")
                return
            run.cold_start_s.append(cold)
            if (
                live.probe.wait_for(INITIAL_MARKER, time.perf_counter(), time.perf_counter() + 30)
                is None
            ):
                run.fail(f"its {app.probe_path} never showed the app: {_tail(server)}")
                return
            self.say(f"{variant.key}: {tool.key} serving on :{port} after {cold * 1000:.0f} ms")
            if self.browser is not None and open_tab:
                live.tab = Tab(self.browser, f"http://127.0.0.1:{port}/")
                if not live.tab.open(INITIAL_MARKER, 60):
                    run.notes.append("the tab never showed the app; no browser figures")
                    live.tab.close()
                    live.tab = None
                    run.tab_mode = "none"
            else:
                run.tab_mode = "none"
        except Exception as error:  # a tool that fails must not end the run
            run.fail(f"{type(error).__name__}: {error}")
        live.last_done = time.perf_counter()

    def _stop(self, live: _Live, tree: Path | None) -> None:
        with contextlib.suppress(Exception):
            if live.tab is not None:
                live.tab.close()
        live.probe.close()
        if live.app.lifespan_probe is not None and live.active and live.run.samples:
            self._count_lifespan_starts(live, live.app.lifespan_probe)
        live.server.stop()
        if tree is not None and (live.app.root / "extra").exists():
            (live.app.root / "extra").rename(tree)
        if live.tool.key == "devreload":
            live.run.internal = _devreload_internal(
                live.app.root / EVENTS_FILE, live.run, live.measured
            )
        elif live.tool.key == "gradio":
            log = _read(live.server.log_path)
            live.run.internal = {"reloads": log.count("Changes detected in:")}
        if isinstance(live.probe, ClickProbe | ApiCallProbe) and live.probe.round_trips_ms[1:]:
            # The first one saw the first version; the others answered a save.
            round_trip = statistics.median(live.probe.round_trips_ms[1:])
            sent_after = statistics.median(live.probe.sent_after_ms[1:])
            kind = "click" if isinstance(live.probe, ClickProbe) else "api"
            live.run.internal[f"{kind}_round_trip_median_ms"] = round_trip
            live.run.internal[f"{kind}_sent_after_median_ms"] = sent_after
            what = (
                "click took a median {:.0f} ms from the click to its answer in the page"
                if kind == "click"
                else "HTTP API call took a median {:.0f} ms from its request to its answer"
            )
            live.run.notes.append(
                f"the {what.format(round_trip)} (Gradio's event round trip, part of the figure);"
                f" it was sent a median {sent_after:.0f} ms after the save"
            )
        if live.app.probe_api is not None:
            live.run.internal["api_stale"] = live.api_stale
            if live.api_stale:
                live.run.notes.append(
                    f"the HTTP API (/gradio_api/call/{live.app.probe_api}) still ran the old "
                    f"handler after {live.api_stale} of {len(live.run.samples)} saves"
                )
        live.run.internal["saves"] = len(live.run.samples)
        live.run.internal["starts"] = live.server.starts

    def _count_lifespan_starts(self, live: _Live, path: str) -> None:
        """How many times the app's lifespan started in the server process (1: never again
        after the first start, whatever the saves)."""
        probe = ConfigProbe(live.port, path)
        try:
            body = probe.get()
        finally:
            probe.close()
        try:
            starts = int(json.loads(body or b"{}")["lifespan_starts"])
        except (ValueError, KeyError, TypeError):
            live.run.notes.append(f"could not read the lifespan starts from {path}")
            return
        live.run.internal["lifespan_starts"] = starts
        if not live.tool.slow:  # the process-restarting tools start it once per process
            live.run.notes.append(
                f"the app's lifespan started {starts} time(s) in the process over "
                f"{len(live.run.samples)} saves"
            )

    # -- one save ------------------------------------------------------------------------

    def _save(self, variant: Variant, live: _Live, round_: int, warmup: bool) -> None:
        if live.app.inserted:
            self._take_out_inserted(variant, live)
        wait = live.last_done + variant.gap - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        marker = new_marker()
        text = live.app.text_with(marker)
        tab = live.tab
        live.measured.append(not warmup)
        try:
            if tab is not None:
                tab.arm(marker)
            wall = time.time()
            started = time.perf_counter()
            live.app.save(text, marker)
            if live.tool.restart_per_save:
                live.server.restart()
            served = live.probe.wait_for(marker, started, started + live.save_timeout)
            if served is not None and live.app.probe_api is not None:
                api = ApiCallProbe(live.port, live.app.probe_api)
                answer = api.call()
                api.close()
                live.api_stale += answer is None or marker.encode() not in answer
            tab_s = None
            if served is not None and tab is not None:
                seen = self._tab_seen(live, tab, marker, warmup)
                tab_s = None if seen is None else max(0.0, seen - wall)
        except Exception as error:
            live.run.fail(f"{type(error).__name__} during a save: {error}")
            return
        finally:
            live.last_done = time.perf_counter()
        live.run.samples.append(SaveSample(round_, warmup, served, tab_s))
        if served is None:
            live.run.lost += 1
            live.lost_in_a_row += 1
            alive = live.server.alive()
            self.say(
                f"{variant.key}: {live.tool.key} save {round_} NOT SERVED within "
                f"{live.save_timeout:.0f} s{'' if alive else ' (server died)'}"
            )
            if not alive:
                live.run.fail(f"the server died: {_tail(live.server)}")
            elif live.lost_in_a_row >= MAX_LOST_IN_A_ROW:
                live.run.fail(
                    f"{MAX_LOST_IN_A_ROW} saves in a row never served: {_tail(live.server)}"
                )
            return
        live.lost_in_a_row = 0
        self.say(
            f"{variant.key}: {live.tool.key} save {round_}{' (warm-up)' if warmup else ''}: "
            f"served {served * 1000:.0f} ms, tab {_fmt(tab_s)}"
        )

    def _rerender_floor(self, live: _Live, times: int = 5) -> None:
        """The tab re-rendering, with no save, the config it shows: what a structure
        edit's tab figure cannot go below while Gradio's frontend re-renders every
        component (devreload's tabs only: the measure goes through its page script)."""
        if live.tab is None or not live.active:
            return
        taken = [ms for ms in (live.tab.rerender_ms() for _ in range(times)) if ms is not None]
        if taken:
            median = statistics.median(taken)
            live.run.internal["rerender_unchanged_median_ms"] = round(median, 1)
            live.run.notes.append(
                f"the tab re-rendering the config it already shows (no save), median of "
                f"{len(taken)}: {median:.0f} ms, the browser's share of a re-render"
            )

    def _take_out_inserted(self, variant: Variant, live: _Live) -> None:
        """A structure edit's preparing save, not measured: the component the last save
        inserted is taken out again (a new marker in the header), and the next save can
        insert it anew. Waits until the server and the tab have it."""
        wait = live.last_done + variant.gap - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        marker = new_marker()
        tab = live.tab
        live.measured.append(False)
        try:
            if tab is not None:
                tab.arm(marker)
            started = time.perf_counter()
            live.app.save(live.app.undo_text(marker), marker)
            if live.tool.restart_per_save:
                live.server.restart()
            served = live.probe.wait_for(marker, started, started + live.save_timeout)
            if served is not None and tab is not None:
                if live.run.tab_mode == "f5":  # a tab that never updates by itself
                    tab.reload(30.0)
                tab.seen_at(marker, 30.0)
            if served is None:
                self.say(f"{variant.key}: {live.tool.key}: taking the insert out NOT SERVED")
        finally:
            live.last_done = time.perf_counter()

    def _tab_seen(self, live: _Live, tab: Tab, marker: str, warmup: bool) -> float | None:
        if live.run.tab_mode == "auto":
            seen = tab.seen_at(marker, 30.0 if not warmup else 15.0)
            if seen is None and warmup:
                live.run.tab_mode = "f5"
                live.run.notes.append(
                    "the tab did not show the change by itself within 15 s; measured with F5"
                )
                tab.reload(30.0)
                seen = tab.seen_at(marker, 30.0)
            return seen
        if not live.checked_never:
            live.checked_never = True
            seen = tab.seen_at(marker, 3.0)
            if seen is not None:
                live.run.tab_mode = "auto"
                live.run.notes.append("the tab refreshed by itself")
                return seen
            live.run.notes.append(
                "the open tab did not show the change by itself (checked for 3 s after the "
                "config was served); tab figures are the time until an F5 pressed the moment "
                "the server served the change would show it"
            )
        tab.reload(30.0)
        return tab.seen_at(marker, 30.0)

    def _idle_cpu(self, lives: list[_Live], seconds: float) -> None:
        time.sleep(2.0)  # let the last reload's after-work finish
        for run, percent in self._cpu(lives, seconds, "idle CPU"):
            run.idle_cpu_percent = percent

    def _idle_rest_cpu(self, lives: list[_Live], rest: float, seconds: float) -> None:
        """Idle CPU once ``rest`` seconds passed since the last save (the tabs still open)."""
        last = max((live.last_done for live in lives), default=time.perf_counter())
        self.say(f"waiting until {rest:.0f} s passed without a save, then idle CPU again")
        time.sleep(max(0.0, last + rest - time.perf_counter()))
        for run, percent in self._cpu(lives, seconds, f"idle CPU after {rest:.0f} s"):
            run.idle_rest_cpu_percent = percent

    def _cpu(self, lives: list[_Live], seconds: float, what: str) -> list[tuple[ToolRun, float]]:
        """Each running tool's CPU over the same ``seconds``, as a share of one core."""
        active = {live.tool.key: live for live in lives if live.active and live.server.pid}
        if not active:
            return []
        usage = cpu_percent(
            {key: live.server.pid for key, live in active.items() if live.server.pid}, seconds
        )
        self.say(f"{what}: " + ", ".join(f"{k} {v:.1f}%" for k, v in usage.items()))
        return [(active[key].run, round(percent, 2)) for key, percent in usage.items()]

    def _summarise(self, result: VariantResult) -> None:
        for run in result.runs:
            if run.status != "ok":
                self.say(f"{result.key}: {run.tool}: {run.status}: {run.reason}")
                continue
            served, tab = run.served_summary(), run.tab_summary()
            ratio = "" if run.ratio_served is None else f", ratio {run.ratio_served:.3f}"
            self.say(
                f"{result.key}: {run.tool}: served median "
                f"{_fmt(served.median if served else None)}, tab median "
                f"{_fmt(tab.median if tab else None)} ({run.tab_mode}){ratio}"
            )

    # -- the cost of one API call ---------------------------------------------------------

    def run_api_calls(self, variant: Variant) -> VariantResult:
        """Session-less calls through the HTTP API (``/gradio_api/call/<name>``, then its
        stream), one per tool in turn, no saves: what one call costs each server. Each
        call's round trip is a sample's "served" figure."""
        started = time.perf_counter()
        result, root = self._begin(variant, {"calls": variant.rounds, "warmup": variant.warmup})
        lives: list[_Live] = []
        try:
            lives = self._start_all(_Setup(variant, root, None, result), list(variant.tools))
            for round_ in range(variant.warmup + variant.rounds):
                for live in lives:
                    if live.active and isinstance(live.probe, ApiCallProbe):
                        self._call(variant, live, round_, warmup=round_ < variant.warmup)
        finally:
            for live in lives:
                self._stop(live, None)
            result.seconds = time.perf_counter() - started
        result.compute_ratios(sequential=False)
        self._summarise(result)
        return result

    def _call(self, variant: Variant, live: _Live, round_: int, warmup: bool) -> None:
        assert isinstance(live.probe, ApiCallProbe)
        sent = time.perf_counter()
        answer = live.probe.call(timeout=live.save_timeout)
        took = time.perf_counter() - sent
        ok = answer is not None and b"event: complete" in answer
        live.run.samples.append(SaveSample(round_, warmup, took if ok else None, None))
        if not ok:
            live.run.lost += 1
            if not live.server.alive():
                live.run.fail(f"the server died: {_tail(live.server)}")
            self.say(f"{variant.key}: {live.tool.key} call {round_} got no answer")

    # -- cold start ----------------------------------------------------------------------

    def run_cold_starts(self, variant: Variant) -> VariantResult:
        """Start each tool ``variant.rounds`` times, in rotating order, one at a time."""
        started = time.perf_counter()
        result = _new_result(variant, {"repeats": variant.rounds})
        runs = {key: ToolRun(key, tool_by_key(key).label) for key in variant.tools}
        result.runs = list(runs.values())
        self._announce(variant)
        keys = list(variant.tools)
        for repeat in range(variant.rounds):
            order = keys[repeat % len(keys) :] + keys[: repeat % len(keys)]
            for key in order:
                run = runs[key]
                if run.status != "ok":
                    continue
                scratch = VariantResult(variant.key, variant.label, variant.section, {}, {})
                folder = self.workdir / variant.key / f"r{repeat}"
                live = self._start(
                    _Setup(variant, folder, None, scratch), tool_by_key(key), open_tab=False
                )
                if live is not None:
                    self._stop(live, None)
                attempt = scratch.runs[0]
                run.cold_start_s += attempt.cold_start_s
                if attempt.status != "ok":
                    run.status, run.reason = attempt.status, attempt.reason
        for run in result.runs:
            if run.cold_start_s:
                values = ", ".join(f"{s * 1000:.0f}" for s in run.cold_start_s)
                self.say(f"{variant.key}: {run.tool}: {values} ms")
            elif run.status != "ok":
                self.say(f"{variant.key}: {run.tool}: {run.status}: {run.reason}")
        result.seconds = time.perf_counter() - started
        return result

    # -- memory ----------------------------------------------------------------------------

    def run_memory(self, plan: MemoryPlan) -> list[MemoryRun]:
        """RSS of each server (with its children) after 0, every, 2*every ... reloads."""
        variant = Variant(
            "memory",
            "memory",
            "memory",
            plan.spec,
            plan.tools,
            plan.reloads,
            plan.reloads,
            warmup=0,
            gap=plan.gap,
        )
        root = self.workdir / "memory"
        root.mkdir(parents=True, exist_ok=True)
        scratch = VariantResult("memory", "memory", "memory", asdict(plan.spec), {})
        setup = _Setup(variant, root, None, scratch)
        runs: dict[str, MemoryRun] = {}
        lives: list[_Live] = []
        self.say(f"== memory: {plan.reloads} reloads ({', '.join(plan.tools)})")
        try:
            for key in plan.tools:
                tool = tool_by_key(key)
                runs[key] = MemoryRun(key, tool.label)
                live = self._start(setup, tool)
                if live is None or not live.active:
                    tool_run = scratch.run(key)
                    runs[key].status = tool_run.status if tool_run else "failed"
                    runs[key].reason = tool_run.reason if tool_run else "did not start"
                    if live is not None:
                        lives.append(live)
                    continue
                live.save_timeout = 20.0
                lives.append(live)
            self._sample_memory(lives, runs, 0)
            for reload_ in range(1, plan.reloads + 1):
                for live in lives:
                    if live.active:
                        self._memory_save(variant, live, runs[live.tool.key])
                if reload_ % plan.every == 0:
                    self._sample_memory(lives, runs, reload_)
        finally:
            for live in lives:
                self._stop(live, None)
        for key, run in runs.items():
            tool_run = scratch.run(key)
            if run.status == "ok" and tool_run is not None and tool_run.status != "ok":
                run.status, run.reason = tool_run.status, tool_run.reason
        return list(runs.values())

    def _memory_save(self, variant: Variant, live: _Live, run: MemoryRun) -> None:
        wait = live.last_done + variant.gap - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        marker = new_marker()
        started = time.perf_counter()
        live.app.save(live.app.text_with(marker), marker)
        served = live.probe.wait_for(marker, started, started + live.save_timeout)
        live.last_done = time.perf_counter()
        if served is None:
            run.lost += 1
            live.lost_in_a_row += 1
            if not live.server.alive():
                live.run.fail(f"the server died: {_tail(live.server)}")
            elif live.lost_in_a_row >= MAX_LOST_IN_A_ROW:
                live.run.fail(f"{MAX_LOST_IN_A_ROW} saves in a row never served")
        else:
            live.lost_in_a_row = 0

    def _sample_memory(self, lives: list[_Live], runs: dict[str, MemoryRun], reloads: int) -> None:
        time.sleep(2.0)
        parts = []
        for live in lives:
            if not live.active or live.server.pid is None:
                continue
            mb = rss_bytes(live.server.pid) / 2**20
            run = runs[live.tool.key]
            run.reloads.append(reloads)
            run.rss_mb.append(round(mb, 1))
            parts.append(f"{live.tool.key} {mb:.0f} MB")
        self.say(f"memory after {reloads} reloads: " + ", ".join(parts))


def _new_result(variant: Variant, settings: dict[str, object]) -> VariantResult:
    return VariantResult(
        variant.key, variant.label, variant.section, asdict(variant.spec), settings
    )


def _fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def _tail(server: ServerProcess) -> str:
    tail = server.log_tail(6).replace("\n", " | ")
    return tail[-600:] if tail else "(no output)"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _devreload_internal(
    events_path: Path, run: ToolRun, measured_saves: list[bool]
) -> dict[str, object]:
    """devreload's own report of each reload (its --events-file): medians over the
    measured saves (``measured_saves``: per save written, whether it is measured)."""
    lines = []
    patched = updated = 0
    for text in _read(events_path).splitlines():
        event = json.loads(text)
        if event.get("event") in ("reloaded", "patched"):
            lines.append(event.get("timings_ms", {}))
            patched += event["event"] == "patched"
            updated += event.get("tier") == "props"
    # Saves applied by patching function bodies in place (nothing re-executed, no
    # lifespan restarted), or by updating components in place (only literals
    # changed); the others were full reloads.
    internal: dict[str, object] = {"reloads": len(lines), "patched": patched, "updated": updated}
    if len(lines) == len(measured_saves):
        measured = [line for line, kept in zip(lines, measured_saves, strict=True) if kept]
    else:  # a save was lost or reported twice: all of them
        measured = lines
    if measured:
        for key in ("total", "detect", "patch", "update", "execute", "swap", "push"):
            internal[f"{key}_median_ms"] = statistics.median(
                float(line.get(key, 0.0)) for line in measured
            )
        internal["total_max_ms"] = max(float(line.get("total", 0.0)) for line in measured)
        # The tab's own word: from the save until it told the server it shows the save.
        shown = [float(line["shown"]) for line in measured if "shown" in line]
        if shown:
            internal["shown_median_ms"] = statistics.median(shown)
    return internal
