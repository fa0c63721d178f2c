"""The benchmark's quick mode runs end to end and writes its JSON, Markdown and charts.

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

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.mark.timeout(420)
def test_quick_benchmark_writes_results(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    out = tmp_path / "results"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=400,
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
    assert any(run["tool"] == "devreload" and run["rss_mb"] for run in results["memory"])
    fastapi = next(v for v in results["variants"] if v["key"] == "fastapi")
    for run in fastapi["runs"]:  # devreload and uvicorn --reload on the FastAPI example
        assert run["status"] == "ok", run["reason"]
        assert run["served"]["n"] >= 1

    markdown = (out / "results.md").read_text(encoding="utf-8")
    assert "| devreload |" in markdown


@pytest.mark.timeout(300)
def test_state_section_counts_what_each_tool_kept(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
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
