"""The benchmark's quick mode runs end to end and writes its JSON, Markdown and charts;
the framework sections write apps that load, and their table is reported.

Timings are not asserted: they depend on the machine. What is checked is that a
quick run completes, that every output exists, and that devreload was measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support import CHROMIUM

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(REPO))


# The quick run takes about 2 minutes alone; the deadline is generous because it
# shares the machine with the other test worker (and, in a busy-machine run, more).
@pytest.mark.integration
@pytest.mark.browser
@pytest.mark.timeout(960)
def test_quick_benchmark_writes_results(tmp_path: Path) -> None:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (scripts/test.sh installs it)"
    out = tmp_path / "results"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]

    for name in ("results.json", "results.md", "latency.png", "tree_size.png", "memory.png"):
        path = out / name
        assert path.is_file() and path.stat().st_size > 0, f"{name} missing:\n{completed.stderr}"
    for name in ("latency.png", "tree_size.png", "memory.png"):
        assert (out / name).read_bytes().startswith(b"\x89PNG"), name

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["mode"] == "quick"
    for key in ("cpu_model", "logical_cores", "ram_gb", "python", "gradio", "date"):
        assert key in results["machine"], key
    base = next(v for v in results["variants"] if v["key"] == "base")
    devreload = next(run for run in base["runs"] if run["tool"] == "devreload")
    assert devreload["status"] == "ok", devreload["reason"]
    assert devreload["served"]["n"] >= 1
    # Idle CPU beside Gradio's reload mode and python app.py: after saves and a while later.
    for run in base["runs"]:
        if run["tool"] in ("devreload", "gradio", "manual"):
            assert run["idle_cpu_percent"] is not None, run["tool"]
            assert run["idle_rest_cpu_percent"] is not None, run["tool"]
    assert any(run["tool"] == "devreload" and run["rss_mb"] for run in results["memory"])
    fastapi = next(v for v in results["variants"] if v["key"] == "fastapi")
    for run in fastapi["runs"]:  # devreload and uvicorn --reload on the FastAPI example
        assert run["status"] == "ok", run["reason"]
        assert run["served"]["n"] >= 1

    # Issue 23's rows: props-only and structure edits at 500 components, served and
    # tab, beside Gradio's reload mode; the handler edit through the HTTP API and the cost
    # of one API call at 500 components, beside `python app.py`.
    variants = {v["key"]: v for v in results["variants"]}
    for key, tools in (
        ("size-500", {"devreload", "gradio"}),
        ("insert-500", {"devreload"}),
        ("handler-api-500", {"devreload"}),
        ("apicall-500", {"devreload", "manual"}),
    ):
        runs = {run["tool"]: run for run in variants[key]["runs"]}
        assert set(runs) == tools, key
        for tool, run in runs.items():
            assert run["status"] == "ok", (key, tool, run["reason"])
            assert run["served"]["n"] >= 1, (key, tool)
        if not key.startswith(("handler", "apicall")):
            assert runs["devreload"]["tab"]["n"] >= 1, key
        if "gradio" in runs:
            assert runs["gradio"]["ratio_served"] is not None, key
    assert variants["apicall-500"]["runs"][1]["ratio_served"] is not None
    markdown_text = (out / "results.md").read_text(encoding="utf-8")
    assert "## Targets at 500 components" in markdown_text
    assert "| structure edit (a component inserted at the top): served |" in markdown_text

    notebook = next(run for run in results["notebook"] if run["tool"] == "devreload")
    assert notebook["status"] == "ok", notebook["reason"]
    assert notebook["tab_mode"] == "push" and len(notebook["tab_ms"]) >= 1

    proxy = results["proxy"]  # the tab through nginx (scripts/test.sh installs it)
    assert proxy["status"] == "ok", proxy["reason"]
    assert len(proxy["direct_ms"]) == len(proxy["proxied_ms"]) >= 1

    markdown = (out / "results.md").read_text(encoding="utf-8")
    assert "| devreload |" in markdown
    assert "| devreload (%%devreload) |" in markdown
    assert "s after the last save |" in markdown  # the idle CPU table's second column


# -- the framework sections (NiceGUI, Dash, Shiny, FastHTML) -------------------------------

#: Loads each framework's benchmark app as a module (not as __main__, so that no
#: server starts) and prints the type of what the framework's run call would serve.
_LOAD_APPS = """
import runpy, sys
for folder, name in zip(sys.argv[1::2], sys.argv[2::2]):
    sys.path.insert(0, folder)
    namespace = runpy.run_path(folder + "/app.py", run_name="bench_app")
    print(name, type(namespace.get("app", namespace.get("index"))).__name__)
"""


@pytest.mark.timeout(120)
def test_framework_sections_write_apps_that_load(tmp_path: Path) -> None:
    from benchmarks.apps import INITIAL_MARKER, AppSpec, write_app
    from benchmarks.frameworks import FRAMEWORKS, framework_problem
    from benchmarks.plan import SECTIONS, full_plan
    from benchmarks.tools import tool_by_key

    variants = {v.section: v for v in full_plan().variants}
    args = []
    for key, framework in FRAMEWORKS.items():
        assert key in SECTIONS
        assert variants[key].tools == ("devreload", framework.peer)
        tool_by_key(framework.peer)  # --only accepts it
        # Every framework is installed where the suite runs (its extras are in "dev"):
        # one that is missing fails here, rather than hiding the frameworks after it.
        assert framework_problem(key, framework.peer) is None, framework_problem(
            key, framework.peer
        )
        app = write_app(tmp_path / key, AppSpec(kind=key, no_reload_seconds=0.0))  # type: ignore[arg-type]
        text = app.app_path.read_text(encoding="utf-8")
        assert text.count(INITIAL_MARKER) == 1
        assert app.probe_path == framework.probe_path
        # A save changes the marker and nothing else.
        assert app.text_with("bmk1234567890") == text.replace(INITIAL_MARKER, "bmk1234567890")
        args += [str(app.root), key]
    loaded = subprocess.run(
        [sys.executable, "-c", _LOAD_APPS, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert loaded.stdout.split("\n")[:4] == [
        "nicegui function",
        "dash Dash",
        "shiny App",
        "fasthtml FastHTMLWithLiveReload",
    ], loaded.stdout


def test_framework_problem_names_the_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from benchmarks.frameworks import framework_problem

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    problem = framework_problem("dash", "dash-debug")
    assert problem is not None and "devreload[dash]" in problem


def test_report_has_a_frameworks_table() -> None:
    from benchmarks.report import render_markdown
    from benchmarks.results import Results, SaveSample, ToolRun, VariantResult

    variant = VariantResult("shiny", "Shiny app", "shiny", {}, {})
    ours = ToolRun("devreload", "devreload", internal={"patched": 0, "reloads": 2})
    ours.samples = [SaveSample(r, False, 0.05, 0.2) for r in range(2)]
    peer = ToolRun("shiny-reload", "shiny run --reload")
    peer.samples = [SaveSample(r, False, 3.0, 4.0) for r in range(2)]
    skipped = ToolRun("dash-debug", "Dash debug", status="skipped", reason="Dash is not installed")
    dash = VariantResult("dash", "Dash app", "dash", {}, {}, runs=[ToolRun("devreload", "x")])
    dash.runs.append(skipped)
    variant.runs = [ours, peer]
    variant.compute_ratios(sequential=False)
    results = Results("full", {}, "", "", [], variants=[variant, dash])
    markdown = render_markdown(results)
    assert "## Frameworks" in markdown
    assert "| Shiny | 50.0 ms / 200 ms | 0 of 2 patched | shiny run --reload |" in markdown
    assert "0.017 / 0.050 | 20× |" in markdown
    assert "skipped: Dash is not installed" in markdown
    assert "## Overview" not in markdown  # the framework rows have their own table


def test_fastapi_handler_variant_marks_the_route_and_counts_lifespan_starts(
    tmp_path: Path,
) -> None:
    from benchmarks.apps import INITIAL_MARKER, AppSpec, write_app
    from benchmarks.plan import full_plan

    variant = next(v for v in full_plan().variants if v.key == "fastapi-handler")
    app = write_app(tmp_path, variant.spec)
    text = app.app_path.read_text(encoding="utf-8")
    compile(text, str(app.app_path), "exec")
    assert (app.probe_path, app.lifespan_probe, app.tab) == ("/api/health", "/api/health", False)
    # The marker sits in the route handler's body only: an edit of it is a body-only change.
    handler = text[text.index("async def health()") :]
    assert INITIAL_MARKER in handler and text.count(INITIAL_MARKER) == 1
    assert "LIFESPAN_STARTS.append(" in text
    assert write_app(tmp_path / "page", AppSpec(kind="fastapi")).probe_path == "/"


def test_a_framework_that_cannot_run_gives_skipped_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    import benchmarks.runner
    from benchmarks.plan import full_plan
    from benchmarks.runner import Runner

    monkeypatch.setattr(
        benchmarks.runner, "framework_problem", lambda key, tool: f"{key} is not installed"
    )
    variant = next(v for v in full_plan().variants if v.key == "nicegui")
    result = Runner(tmp_path, None, None, {}, log=io.StringIO()).run_variant(variant)
    assert [(r.tool, r.status, r.reason) for r in result.runs] == [
        ("devreload", "skipped", "nicegui is not installed"),
        ("nicegui-reload", "skipped", "nicegui is not installed"),
    ]


@pytest.mark.timeout(300)
def test_state_section_counts_what_each_tool_kept(tmp_path: Path) -> None:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (scripts/test.sh installs it)"
    out = tmp_path / "results"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--sections", "state", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    runs = {run["tool"]: run for run in results["state"]}
    assert set(runs) == {"devreload", "gradio"}
    for run in runs.values():
        assert run["status"] == "ok", run["reason"]
        assert run["total"] == 7 and len(run["kept"]) + len(run["lost"]) == 7
    assert runs["devreload"]["lost"] == [], runs["devreload"]
    markdown = (out / "results.md").read_text(encoding="utf-8")
    assert "| devreload | state kept 7 of 7 |" in markdown


@pytest.mark.integration
@pytest.mark.timeout(180)
def test_handler_edit_seen_through_the_http_api(tmp_path: Path) -> None:
    """The API-observed handler row: each save is seen by a call of the HTTP API."""
    import io
    from dataclasses import replace

    from benchmarks.plan import full_plan
    from benchmarks.runner import Runner

    variant = next(v for v in full_plan().variants if v.key == "handler-api-10")
    assert variant.observe == "api"
    variant = replace(variant, tools=("devreload",), rounds=3, warmup=1)
    result = Runner(tmp_path, None, None, {}, log=io.StringIO()).run_variant(variant)
    (run,) = result.runs
    assert run.status == "ok", run.reason
    assert [sample.served_s is not None for sample in run.samples] == [True] * 4
    assert run.internal["api_stale"] == 0
    assert run.internal["api_round_trip_median_ms"] > 0
    # The call that ran the new code was sent after the save, and before it answered.
    served_ms = sorted(sample.served_s * 1000 for sample in run.samples if sample.served_s)
    assert 0 <= run.internal["api_sent_after_median_ms"] < served_ms[-1]


def test_structure_edit_inserts_a_component_and_takes_it_out(tmp_path: Path) -> None:
    """A structure variant's saves alternate: the measured one inserts a Textbox labelled
    with the marker at the top of the Blocks (the header left as it was), the one before
    it takes that Textbox out again with a new marker in the header."""
    from benchmarks.apps import INITIAL_MARKER, AppSpec, write_app
    from benchmarks.plan import full_plan

    keys = {v.key for v in full_plan().variants}
    assert {f"{kind}-{size}" for kind in ("size", "insert") for size in (10, 100, 500)} <= keys
    assert {"handler-api-500", "apicall-500"} <= keys
    app = write_app(tmp_path, AppSpec(components=10, edit="insert"))
    assert not app.inserted and INITIAL_MARKER in app.app_path.read_text(encoding="utf-8")
    inserted = app.text_with("bmk1111111111")
    app.save(inserted, "bmk1111111111")
    compile(inserted, "app.py", "exec")
    blocks = inserted[inserted.index("with gr.Blocks() as demo:") :].splitlines()
    assert blocks[1] == '    gr.Textbox(label="Inserted bmk1111111111")'
    assert INITIAL_MARKER in blocks[2] and app.inserted
    taken_out = app.undo_text("bmk2222222222")
    app.save(taken_out, "bmk2222222222")
    assert "Inserted" not in taken_out and not app.inserted
    # The next insert keeps the header the previous save wrote: only the structure changes.
    again = app.text_with("bmk3333333333")
    assert again.replace('    gr.Textbox(label="Inserted bmk3333333333")\n', "") == taken_out
