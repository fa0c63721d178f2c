"""``python -m benchmarks [--quick] [--only TOOL,...] [--sections S,...] [--out DIR]``"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from .frameworks import FRAMEWORKS, framework_problem
from .hmr_env import HmrEnv, ensure_hmr_env
from .machine import machine_details
from .notebook import measure_notebook
from .plan import SECTIONS, Plan, full_plan, quick_plan
from .processes import OWNER_FILE, stop_leftovers
from .proxy import measure_proxy
from .report import write_json, write_report
from .results import Results, ToolRun, VariantResult, results_from_json
from .runner import Runner
from .state import ITEMS, measure_state
from .tools import ALL_TOOLS, tool_by_key

RESULTS = Path(__file__).resolve().parent / "results"
CHROMIUM = "/usr/bin/chromium"
#: The scratch folders' name prefix (in the system's temp folder).
SCRATCH_PREFIX = "devreload-bench-"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure how long a developer waits after a save: devreload against "
        "Gradio's reload mode, uvicorn --reload, uvicorn-hmr, a manual restart, and the "
        "reloaders of NiceGUI, Dash, Shiny and FastHTML on their own apps.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run of a couple of minutes (fewer saves and variants); "
        "writes to benchmarks/results/quick/",
    )
    parser.add_argument(
        "--only",
        metavar="TOOL[,TOOL]",
        help="run only these tools (" + ", ".join(t.key for t in ALL_TOOLS) + ")",
    )
    parser.add_argument(
        "--sections",
        metavar="S[,S]",
        help="run only these parts (" + ", ".join(SECTIONS) + ")",
    )
    parser.add_argument("--out", metavar="DIR", type=Path, help="where to write the results")
    parser.add_argument("--rounds", type=int, help="measured saves per tool and variant")
    parser.add_argument(
        "--report-from",
        metavar="JSON",
        type=Path,
        help="measure nothing: write results.md and the charts again from a results.json "
        "(into --out, else beside it)",
    )
    parser.add_argument("--no-browser", action="store_true", help="skip the browser figures")
    parser.add_argument(
        "--keep-temp", action="store_true", help="keep the apps and server logs it wrote"
    )
    return parser


def _split(value: str | None) -> set[str] | None:
    if not value:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


class _Terminated(BaseException):
    pass


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.report_from is not None:
        data = json.loads(args.report_from.read_text(encoding="utf-8"))
        out_dir = args.out or args.report_from.parent
        for path in write_report(results_from_json(data), out_dir, json_too=False):
            print(f"wrote {path}", file=sys.stderr)
        return 0
    only = _split(args.only)
    sections = _split(args.sections)
    for key in only or ():
        tool_by_key(key)  # unknown names fail early
    unknown = (sections or set()) - set(SECTIONS)
    if unknown:
        print(f"unknown section(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    plan: Plan = (quick_plan() if args.quick else full_plan()).only(only, sections)
    if args.rounds:
        plan = plan.with_rounds(args.rounds)
    out: Path = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _on_sigterm)
    for line in stop_leftovers(Path(tempfile.gettempdir()), SCRATCH_PREFIX):
        print(f"stopped a server an earlier, killed run left: {line}", file=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    (workdir / OWNER_FILE).write_text(str(os.getpid()))
    started = time.perf_counter()
    command = "python -m benchmarks " + shlex.join(sys.argv[1:] if argv is None else list(argv))
    results = Results(
        mode=plan.mode,
        machine={},
        started=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        command=command.strip(),
        tools=[{"key": t.key, "label": t.label, "how": t.how} for t in ALL_TOOLS],
    )
    print(
        f"devreload benchmark ({plan.mode}): writing to {out}; scratch in {workdir}",
        file=sys.stderr,
        flush=True,
    )
    runner: Runner | None = None
    try:
        skipped, hmr = _prepare_hmr(plan, args.quick, only, workdir, results)
        with _browser(args.no_browser) as (browser, version):
            results.machine = machine_details(version)
            _prewarm(hmr, plan)
            runner = Runner(workdir, browser, hmr, skipped)
            for variant in plan.variants:
                try:
                    if variant.section == "coldstart":
                        results.variants.append(runner.run_cold_starts(variant))
                    elif variant.section == "apicall":
                        results.variants.append(runner.run_api_calls(variant))
                    else:
                        results.variants.append(runner.run_variant(variant))
                except Exception as error:  # keep going with the next variant
                    runner.say(f"{variant.key} failed: {type(error).__name__}: {error}")
                    failed = VariantResult(variant.key, variant.label, variant.section, {}, {})
                    failed.runs = [
                        ToolRun(k, tool_by_key(k).label, status="failed", reason=str(error))
                        for k in variant.tools
                    ]
                    results.variants.append(failed)
                _finish(results, started)
                write_json(results, out)
            if plan.memory is not None:
                try:
                    results.memory = runner.run_memory(plan.memory)
                except Exception as error:
                    runner.say(f"memory failed: {type(error).__name__}: {error}")
                    results.notes.append(f"memory run failed: {error}")
            if plan.state and browser is None:
                results.notes.append("state kept: not measured (no browser)")
            for key in plan.state if browser is not None else ():
                runner.say(f"state: {key}")
                run = measure_state(browser, key, workdir / "state" / key)
                runner.say(f"state: {key} kept {len(run.kept)} of {len(ITEMS)} {run.reason}")
                results.state.append(run)
                write_json(results, out)
            if plan.notebook and browser is None:
                results.notes.append("notebook: not measured (no browser)")
            for key in plan.notebook if browser is not None else ():
                runner.say(f"notebook: {key}")
                cell = measure_notebook(
                    browser, key, workdir / "notebook" / key, rounds=plan.notebook_rounds
                )
                runner.say(f"notebook: {key} {cell.status} {cell.medians()} {cell.reason}")
                results.notebook.append(cell)
                write_json(results, out)
            if plan.proxy_rounds and browser is None:
                results.notes.append("behind a proxy: not measured (no browser)")
            if plan.proxy_rounds and browser is not None:
                runner.say("proxy: devreload behind nginx")
                proxied = measure_proxy(browser, workdir / "proxy", rounds=plan.proxy_rounds)
                runner.say(f"proxy: {proxied.status} {proxied.medians()} {proxied.reason}")
                results.proxy = proxied
                write_json(results, out)
    except (KeyboardInterrupt, _Terminated):
        results.notes.append("the run was interrupted; these results are partial")
        current = runner.current if runner is not None else None
        if current is not None and current not in results.variants:
            current.notes.append("interrupted while this variant ran")
            results.variants.append(current)
        print("interrupted: writing partial results", file=sys.stderr)
    finally:
        _finish(results, started)
        if not results.machine:
            results.machine = machine_details(None)
        for path in write_report(results, out):
            print(f"wrote {path}", file=sys.stderr)
        if args.keep_temp:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"done in {results.duration_s / 60:.1f} min", file=sys.stderr)
    return 0


def _prewarm(hmr: HmrEnv | None, plan: Plan) -> None:
    """Import the frameworks once, so that the first tool started does not pay for a cold
    disk cache and stale bytecode on everyone's behalf."""
    commands = [[sys.executable, "-c", "import gradio, fastapi, uvicorn, reloader"]]
    for variant in plan.variants:
        framework = FRAMEWORKS.get(variant.spec.kind)
        if framework is not None and framework_problem(framework.key, "devreload") is None:
            commands.append([sys.executable, "-c", f"import {framework.module}"])
    if hmr is not None and not hmr.problem:
        commands.append([str(hmr.venv / "bin" / "python"), "-c", "import gradio, uvicorn_hmr"])
    for command in commands:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(command, timeout=300, capture_output=True, check=False)


def _finish(results: Results, started: float) -> None:
    results.duration_s = time.perf_counter() - started
    results.finished = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _prepare_hmr(
    plan: Plan, quick: bool, only: set[str] | None, workdir: Path, results: Results
) -> tuple[dict[str, str], HmrEnv | None]:
    skipped: dict[str, str] = {}
    if "uvicorn-hmr" not in plan.tool_keys():
        return skipped, None
    if quick and not (only and "uvicorn-hmr" in only):
        skipped["uvicorn-hmr"] = (
            "not run in --quick (it needs its own Python 3.12 venv); "
            "add it with --only ...,uvicorn-hmr"
        )
        return skipped, None
    print("preparing uvicorn-hmr's Python 3.12 venv...", file=sys.stderr, flush=True)
    hmr = ensure_hmr_env(allow_create=True, log_path=workdir / "hmr-setup.log")
    if hmr.problem:
        skipped["uvicorn-hmr"] = hmr.problem
    else:
        version = hmr.version()
        where = str(hmr.venv).replace(str(Path.home()), "~", 1)
        note = f"uvicorn-hmr ran from {where} (uvicorn-hmr, hmr, gradio: {version})"
        if hmr.created:
            note += f"; the venv was created for this run in {hmr.setup_seconds:.0f} s"
        results.notes.append(note)
    return skipped, hmr


class _browser:
    """Debian's Chromium through Playwright, or nothing (with a note) if it cannot start."""

    def __init__(self, disabled: bool) -> None:
        self.disabled = disabled
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> tuple[Any, str | None]:
        if self.disabled:
            return None, None
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        executable = CHROMIUM if os.path.exists(CHROMIUM) else None
        self._browser = self._playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        return self._browser, str(self._browser.version)

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            if self._playwright is not None:
                self._playwright.stop()


if __name__ == "__main__":
    sys.exit(main())
