"""Write a run's results: results.json, results.md and the PNG charts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .frameworks import FRAMEWORKS
from .results import MemoryRun, Results, Summary, ToolRun, VariantResult
from .state import ITEMS
from .tools import ALL_TOOLS

__all__ = ["write_json", "write_report"]

COLOURS = {
    "devreload": "#1f77b4",
    "gradio": "#ff7f0e",
    "uvicorn-hmr": "#2ca02c",
    "uvicorn-reload": "#d62728",
    "manual": "#7f7f7f",
}
LABELS = {tool.key: tool.label for tool in ALL_TOOLS}


def write_json(results: Results, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    path.write_text(json.dumps(results.to_json(), indent=2) + "\n", encoding="utf-8")
    return path


def write_report(results: Results, out: Path, json_too: bool = True) -> list[Path]:
    written = [write_json(results, out)] if json_too else []
    out.mkdir(parents=True, exist_ok=True)
    markdown = out / "results.md"
    markdown.write_text(render_markdown(results), encoding="utf-8")
    written.append(markdown)
    written += write_charts(results, out)
    return written


# -- Markdown ------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    ms = seconds * 1000
    if ms >= 100:
        return f"{ms:,.0f} ms"
    return f"{ms:.1f} ms"


def _pair(summary: Summary | None) -> str:
    if summary is None:
        return "–"
    return f"{_ms(summary.median)} / {_ms(summary.p90)}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


def _tab_cell(run: ToolRun) -> str:
    if run.tab_mode == "none":
        return "–"
    cell = _pair(run.tab_summary())
    if run.tab_mode == "f5":
        return f"never by itself (F5: {cell})"
    return cell


def _latency_row(variant: VariantResult, run: ToolRun) -> str:
    if run.status != "ok":
        return f"| {run.label} | {variant.label} | {run.status}: {_one_line(run.reason)} | | | |"
    ratio = "–"
    if run.tool == "devreload":
        ratio = "1"
    elif run.ratio_served is not None or run.ratio_tab is not None:
        ratio = f"{_ratio(run.ratio_served)} / {_ratio(run.ratio_tab)}"
    lost = f" ({run.lost} lost)" if run.lost else ""
    saves = f"{len(run.measured())}{lost}"
    return (
        f"| {run.label} | {variant.label} | {_pair(run.served_summary())} | "
        f"{_tab_cell(run)} | {ratio} | {saves} |"
    )


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_markdown(results: Results) -> str:
    m = results.machine
    lines = [
        f"# devreload benchmark ({results.mode} run)",
        "",
        f"Run on {m.get('date')} ({results.duration_s / 60:.1f} min): {m.get('cpu_model')}, "
        f"{m.get('logical_cores')} logical cores, {m.get('ram_gb')} GB RAM, {m.get('os')}; "
        f"Python {m.get('python')}, Gradio {m.get('gradio')}, uvicorn {m.get('uvicorn')}, "
        f"Chromium {m.get('chromium')}; devreload {m.get('devreload_commit')}"
        f"{' (with uncommitted changes)' if m.get('devreload_uncommitted_changes') else ''}. "
        f"Load average at start: {m.get('load_average_at_start')}.",
        "",
        f"Command: `{results.command}`",
        "",
        " ".join(
            [
                "Every time is measured from just before the file write.",
                "**Config served**: GET `/config` (for the FastAPI example, its page `/`;",
                "for Dash, `/_dash-layout`; for NiceGUI, Shiny and FastHTML, the page)",
                "returns the new marker text (polled every",
                "2 ms, or as long as the last answer took if longer, so that the probe never",
                "keeps the server more than half busy). **Tab shows**: an open headless",
                "Chromium tab's DOM contains it, timed at the first frame that can paint",
                "it (Gradio re-renders the page in place; for",
                "tools that never update an open tab, the time until an F5 pressed the",
                "moment the server has the change would show it). **Ratio**: devreload /",
                "peer, median of the per-save ratios (config served / tab shows); below 1",
                "devreload is faster, 0.10 means it waits a tenth as long. Medians and p90",
                "are over the measured saves after a warm-up.",
            ]
        ),
        "",
    ]
    lines += _headline(results)
    lines += _targets(results)
    lines += _overview(results)
    lines += _frameworks(results)
    lines += [
        "## Latency",
        "",
        "| tool | variant | config served median / p90 | tab shows median / p90 | "
        "ratio devreload/peer (served / tab) | saves |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for variant in results.variants:
        if variant.group == "coldstart":
            continue
        for run in variant.runs:
            lines.append(_latency_row(variant, run))
    lines.append("")
    lines += _cold_start(results)
    lines += _idle_cpu(results)
    lines += _memory(results)
    lines += _state(results)
    lines += _notebook(results)
    lines += _proxy(results)
    lines += _internal(results)
    lines += _notes(results)
    return "\n".join(lines) + "\n"


def _headline(results: Results) -> list[str]:
    base = results.variant("base")
    if base is None:
        return []
    ours = base.run("devreload")
    if ours is None or ours.status != "ok":
        return []
    served, tab = ours.served_summary(), ours.tab_summary()
    lines = [
        "## Headline",
        "",
        f"On the minimal app (Markdown, Chatbot, MultimodalTextbox; `if gr.NO_RELOAD:` "
        f"sleeps 1 s), devreload serves a save in {_ms(served.median if served else None)} "
        f"(median; p90 {_ms(served.p90 if served else None)}) and the open tab shows it after "
        f"{_ms(tab.median if tab else None)} (p90 {_ms(tab.p90 if tab else None)}).",
        "",
    ]
    for run in base.runs:
        if run is ours:
            continue
        if run.status != "ok":
            lines.append(f"- {run.label}: {run.status} ({_one_line(run.reason, 160)}).")
            continue
        peer_served, peer_tab = run.served_summary(), run.tab_summary()
        text = f"- {run.label}: config served {_ms(peer_served.median if peer_served else None)}"
        if run.ratio_served:
            text += f" — devreload takes {_ratio(run.ratio_served)}× as long"
            text += f" ({1 / run.ratio_served:.1f}× faster)"
        if run.tab_mode == "f5":
            text += (
                f"; the tab never updates by itself (F5 at the right moment: "
                f"{_ms(peer_tab.median if peer_tab else None)})"
            )
        elif peer_tab is not None:
            text += f"; tab shows {_ms(peer_tab.median)}"
            if run.ratio_tab:
                text += f" (ratio {_ratio(run.ratio_tab)})"
        lines.append(text + ".")
    lines.append("")
    return lines


#: Issue 23's targets at 500 components: (what, variant, tool, figure, limit in seconds or
#: as a ratio). Figures: "served" and "tab" medians, "ratio" devreload / the tool's served.
TARGETS: tuple[tuple[str, str, str, str, float], ...] = (
    ("props-only edit (header text): served", "size-500", "devreload", "served", 0.100),
    (
        "props-only edit: served, devreload / Gradio's reload mode",
        "size-500",
        "gradio",
        "ratio",
        0.1,
    ),
    ("props-only edit: shown in the tab", "size-500", "devreload", "tab", 0.150),
    (
        "structure edit (a component inserted at the top): served",
        "insert-500",
        "devreload",
        "served",
        0.250,
    ),
    (
        "handler-body edit: the HTTP API answers with the new code",
        "handler-api-500",
        "devreload",
        "served",
        0.030,
    ),
    (
        "one session-less HTTP API call, devreload / `python app.py`",
        "apicall-500",
        "manual",
        "ratio",
        1.0,
    ),
)


def _targets(results: Results) -> list[str]:
    rows = []
    for what, key, tool, figure, limit in TARGETS:
        variant = results.variant(key)
        run = variant.run(tool) if variant is not None else None
        if run is None or run.status != "ok":
            continue
        value: float | None
        if figure == "ratio":
            value = run.ratio_served
            shown, wanted = _ratio(value), f"≤ {limit:g}"
            if key == "apicall-500":
                ours = variant.run("devreload") if variant is not None else None
                served, theirs = (ours.served_summary() if ours else None), run.served_summary()
                shown += f" ({_ms(served.median if served else None)} against "
                shown += f"{_ms(theirs.median if theirs else None)})"
                wanted = "< 1"
        else:
            summary = run.served_summary() if figure == "served" else run.tab_summary()
            value = summary.median if summary else None
            shown, wanted = _ms(value), f"≤ {limit * 1000:.0f} ms"
            said = run.internal.get("shown_median_ms") if figure == "tab" else None
            if said is not None:
                shown += f" (the tab's own word: {said:.0f} ms)"
        met = "–" if value is None else ("yes" if value <= limit else "no")
        if figure == "ratio" and key == "apicall-500" and value is not None:
            met = "yes" if value < limit else "no"
        rows.append(f"| {what} | {wanted} | {shown} | {met} |")
    if not rows:
        return []
    return [
        "## Targets at 500 components",
        "",
        "Issue 23's targets, medians of this run (ratios: median of the per-save ratios).",
        "",
        "| at 500 components | target | measured | met |",
        "| --- | --- | --- | --- |",
        *rows,
        "",
    ]


def _overview(results: Results) -> list[str]:
    # The framework sections have a table of their own (one peer each).
    variants = [v for v in results.variants if v.group not in ("coldstart", *FRAMEWORKS)]
    tools = [t for t in LABELS if any(v.run(t) for v in variants)]
    if not variants or not tools:
        return []
    lines = [
        "## Overview",
        "",
        "Medians, config served / tab shows (F5: the tab never updates by itself; the "
        "time until an F5 would show the change).",
        "",
        "| variant | " + " | ".join(LABELS[t] for t in tools) + " |",
        "| --- | " + " | ".join("---" for _ in tools) + " |",
    ]
    for variant in variants:
        cells = []
        for tool in tools:
            run = variant.run(tool)
            if run is None:
                cells.append("")
            elif run.status != "ok":
                cells.append(run.status)
            else:
                served, tab = run.served_summary(), run.tab_summary()
                tab_text = _ms(tab.median if tab else None)
                if run.tab_mode == "f5":
                    tab_text = "F5 " + tab_text
                cells.append(f"{_ms(served.median if served else None)} / {tab_text}")
        lines.append(f"| {variant.label} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _frameworks(results: Results) -> list[str]:
    rows = []
    for variant in results.variants:
        framework = FRAMEWORKS.get(variant.group)
        ours = variant.run("devreload")
        peer = variant.run(framework.peer) if framework is not None else None
        if framework is None or (ours is None and peer is None):
            continue
        applied = "–"
        if ours is not None and ours.status == "ok" and "patched" in ours.internal:
            applied = f"{ours.internal['patched']} of {ours.internal.get('reloads')} patched"
        faster, ratios = "–", "–"
        if peer is not None and peer.ratio_tab:
            faster = f"{1 / peer.ratio_tab:.0f}×"
        if peer is not None and (peer.ratio_served or peer.ratio_tab):
            ratios = f"{_ratio(peer.ratio_served)} / {_ratio(peer.ratio_tab)}"
        peer_label = peer.label if peer is not None else framework.peer
        rows.append(
            f"| {framework.label} | {_medians(ours)} | {applied} | {peer_label} | "
            f"{_medians(peer)} | {ratios} | {faster} |"
        )
    if not rows:
        return []
    return [
        "## Frameworks",
        "",
        "Each framework's app (a heading with the marker, one interactive element, a 1 s "
        "load under `NO_RELOAD`) under devreload and under the framework's own reloader, "
        "saves interleaved. Medians, served / tab shows; the ratio is devreload / own "
        "reloader, save by save; the last column is how many times sooner devreload's tab "
        "shows the change (1 / the tab ratio). Served: GET of the page (Dash: "
        "`/_dash-layout`) has the marker.",
        "",
        "| framework | devreload served / tab | devreload applied the saves | own reloader | "
        "own reloader served / tab | ratio (served / tab) | tab sooner |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]


def _medians(run: ToolRun | None) -> str:
    if run is None:
        return "not run"
    if run.status != "ok":
        return f"{run.status}: {_one_line(run.reason, 120)}"
    served, tab = run.served_summary(), run.tab_summary()
    tab_text = _ms(tab.median if tab else None)
    if run.tab_mode == "f5":
        tab_text = "F5 " + tab_text
    return f"{_ms(served.median if served else None)} / {tab_text}"


def _cold_start(results: Results) -> list[str]:
    starts = results.cold_starts()
    if not starts:
        return []
    lines = [
        "## Cold start",
        "",
        "From starting the command to the first page served (GET / answers 200), minimal "
        "app with its 1 s NO_RELOAD load, one tool starting at a time (after the "
        "frameworks were imported once, so the disk cache is warm for all).",
        "",
        "| tool | median | p90 | starts |",
        "| --- | --- | --- | --- |",
    ]
    for tool, values in starts.items():
        summary = Summary.of(values)
        if summary is None:
            continue
        label = LABELS.get(tool, tool)
        lines.append(f"| {label} | {_ms(summary.median)} | {_ms(summary.p90)} | {summary.n} |")
    return [*lines, ""]


def _idle_cpu(results: Results) -> list[str]:
    columns: list[tuple[str, VariantResult, str]] = []
    for variant in results.variants:
        if any(r.idle_cpu_percent is not None for r in variant.runs):
            columns.append((f"{variant.label}, after saves", variant, "idle_cpu_percent"))
        if any(r.idle_rest_cpu_percent is not None for r in variant.runs):
            rest = float(variant.settings.get("idle_rest_seconds", 0))
            label = f"{variant.label}, {rest:.0f} s after the last save"
            columns.append((label, variant, "idle_rest_cpu_percent"))
    if not columns:
        return []
    tools: list[str] = []
    for _, variant, _ in columns:
        for tool_run in variant.runs:
            if tool_run.tool not in tools:
                tools.append(tool_run.tool)
    lines = [
        "## Idle CPU",
        "",
        "CPU time of the server process and its children while nobody saves (10 s in a "
        "full run; 100 % = one core), with its tab open: 2 s after the warm-up saves, "
        "and, where a column says so, again once that long passed after the last save. "
        "The processes' own CPU time, so a busy machine changes it less than the load.",
        "",
        "| tool | " + " | ".join(label for label, _, _ in columns) + " |",
        "| --- | " + " | ".join("---" for _ in columns) + " |",
    ]
    for tool in tools:
        cells = []
        for _, variant, attribute in columns:
            found = variant.run(tool)
            value = None if found is None else getattr(found, attribute)
            cells.append("–" if value is None else f"{value:.1f} %")
        lines.append(f"| {LABELS.get(tool, tool)} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _memory(results: Results) -> list[str]:
    if not results.memory:
        return []
    points = sorted({x for run in results.memory for x in run.reloads})
    lines = [
        "## Memory",
        "",
        "Resident memory (RSS) of the server process and its children after N reloads "
        "(a save each, interleaved between the tools, tab open); growth per 100 reloads "
        "over the whole run and over its second half.",
        "",
        "| tool | "
        + " | ".join(f"after {x}" for x in points)
        + " | growth / 100 reloads | second half |",
        "| --- | " + " | ".join("---" for _ in points) + " | --- | --- |",
    ]
    for run in results.memory:
        if run.status != "ok" and not run.rss_mb:
            lines.append(f"| {run.label} | {run.status}: {_one_line(run.reason)} |")
            continue
        by_x = dict(zip(run.reloads, run.rss_mb, strict=True))
        cells = [f"{by_x[x]:.0f} MB" if x in by_x else "–" for x in points]
        lost = f" ({run.lost} saves lost)" if run.lost else ""
        lines.append(
            f"| {run.label} | "
            + " | ".join(cells)
            + f" | {_mb(run.growth_per_100())}{lost} | {_mb(run.late_growth_per_100())} |"
        )
    return [*lines, ""]


def _state(results: Results) -> list[str]:
    if not results.state:
        return []
    lines = [
        "## State kept across a save",
        "",
        f"One Gradio page worked into {len(ITEMS)} items of state ({', '.join(ITEMS)}), "
        "its header edited and saved, each item read back in the open Chromium tab "
        "(benchmarks/state.py).",
        "",
        "| tool | state kept | lost |",
        "| --- | --- | --- |",
    ]
    for run in results.state:
        if run.status != "ok":
            lines.append(f"| {run.label} | {run.status}: {_one_line(run.reason, 120)} | |")
            continue
        lost = ", ".join(run.lost) or "nothing"
        lines.append(f"| {run.label} | state kept {len(run.kept)} of {len(ITEMS)} | {lost} |")
    return [*lines, ""]


def _notebook(results: Results) -> list[str]:
    if not results.notebook:
        return []
    lines = [
        "## In a notebook: cell re-run to page updated",
        "",
        "One Gradio app in a notebook cell (an IPython kernel driven like a notebook, "
        "benchmarks/notebook.py); the cell re-run with a new marker, timed from the execute "
        "request. *Open tab*: a Chromium tab opened before (for a tab that does not follow, "
        "an F5 pressed as the cell finished). *Inline view*: the new view the cell shows "
        "(a notebook clears a cell's output at each run). Medians.",
        "",
        "| tool | open tab | inline view | cell finished | re-runs |",
        "| --- | --- | --- | --- | --- |",
    ]
    for run in results.notebook:
        if run.status != "ok":
            lines.append(f"| {run.label} | {run.status}: {_one_line(run.reason, 120)} | | | |")
            continue
        medians = run.medians()
        tab = _ms_cell(medians["tab"]) + (" (F5)" if run.tab_mode == "f5" else "")
        lines.append(
            f"| {run.label} | {tab} | {_ms_cell(medians['inline'])} | "
            f"{_ms_cell(medians['cell'])} | {len(run.cell_ms)} |"
        )
    return [*lines, ""]


def _proxy(results: Results) -> list[str]:
    run = results.proxy
    if run is None:
        return []
    lines = [
        "## Behind a reverse proxy: the tab through nginx against the tab opened directly",
        "",
        "One devreload process, the base app; nginx (Debian's) serves it at `/app/` with "
        "its default buffering on (benchmarks/proxy.py). Two Chromium tabs take the same "
        "saves, one on the server's port and one through nginx; from the save to each tab "
        "showing the marker. *Extra*: the median of the per-save differences. Medians.",
        "",
        "| tab opened directly | tab through nginx | extra | saves |",
        "| --- | --- | --- | --- |",
    ]
    if run.status != "ok":
        return [*lines, f"| {run.status}: {_one_line(run.reason, 120)} | | | |", ""]
    medians = run.medians()
    extra = medians["extra"]
    lines.append(
        f"| {_ms_cell(medians['direct'])} | {_ms_cell(medians['proxied'])} | "
        f"{'–' if extra is None else f'{extra:+.0f} ms'} | {len(run.direct_ms)} |"
    )
    return [*lines, ""]


def _ms_cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def _mb(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f} MB"


def _internal(results: Results) -> list[str]:
    rows = []
    for variant in results.variants:
        run = variant.run("devreload")
        if run is None or run.status != "ok" or "total_median_ms" not in run.internal:
            continue
        i: dict[str, Any] = run.internal
        seen = run.tab_summary()
        said = i.get("shown_median_ms")
        rows.append(
            f"| {variant.label} | {i.get('reloads')} / {i.get('saves')} | "
            f"{i.get('patched', '–')} | {i.get('updated', '–')} | "
            f"{i['total_median_ms']:.0f} | {i['detect_median_ms']:.0f} | "
            f"{i.get('patch_median_ms', 0.0):.0f} | {i.get('update_median_ms', 0.0):.0f} | "
            f"{i['execute_median_ms']:.0f} | "
            f"{i['swap_median_ms']:.0f} | "
            f"{i['push_median_ms']:.0f} | {i['total_max_ms']:.0f} | "
            f"{'–' if said is None else f'{said:.0f}'} | "
            f"{'–' if seen is None else f'{seen.median * 1000:.0f}'} |"
        )
    if not rows:
        return []
    return [
        "## devreload's own report",
        "",
        "Medians over the measured saves of the line devreload prints per reload (ms); "
        "patched: saves applied by swapping function bodies in place (nothing re-executed, "
        "no lifespan restart); updated: saves that changed only literal arguments, applied to "
        "the components in place (tier props); the others were full reloads. tab says: from "
        "the save until "
        "the open tab told devreload it shows the new version (its own confirmation, on the "
        "same line); tab seen: until the benchmark saw the marker in that tab's DOM.",
        "",
        "| variant | reloads / saves | patched | updated | total | detect | patch | update | "
        "execute | swap | push | max total | tab says | tab seen |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]


def _notes(results: Results) -> list[str]:
    lines = ["## How each tool runs", ""]
    for tool in results.tools:
        lines.append(f"- **{tool['label']}**: {tool['how']}")
    lines += ["", "## Notes", ""]
    lines += [f"- {note}" for note in results.notes]
    # The same note for a tool in several variants is said once, with the variants.
    grouped: dict[tuple[str, str], list[str]] = {}
    for variant in results.variants:
        lines += [f"- {variant.label}: {note}" for note in variant.notes]
        for run in variant.runs:
            for note in run.notes:
                grouped.setdefault((run.label, note), []).append(variant.label)
    for memory in results.memory:
        for note in memory.notes:
            grouped.setdefault((memory.label, note), []).append("memory")
    for (label, note), where in grouped.items():
        lines.append(f"- {label} ({', '.join(where)}): {note}")
    return [*lines, ""]


# -- charts -----------------------------------------------------------------------------


def write_charts(results: Results, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    written = []
    for name, draw in (
        ("latency.png", _latency_chart),
        ("tree_size.png", _tree_chart),
        ("memory.png", _memory_chart),
    ):
        path = out / name
        draw(results, path)
        written.append(path)
    return written


def _empty(path: Path, title: str, message: str) -> None:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 3))
    axes.set_title(title)
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)
    axes.set_axis_off()
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)


def _latency_chart(results: Results, path: Path) -> None:
    import matplotlib.pyplot as plt

    latency = [v for v in results.variants if v.group != "coldstart"]
    variant = results.variant("base") or (latency[0] if latency else None)
    runs = [r for r in variant.runs if r.status == "ok" and r.served()] if variant else []
    title = "Save → change visible (median, bar to p90), log scale"
    if variant is None or not runs:
        _empty(path, title, "no latency results")
        return
    figure, axes = plt.subplots(figsize=(9, 0.9 + 0.9 * len(runs)))
    labels = []
    for index, run in enumerate(reversed(runs)):
        colour = COLOURS.get(run.tool, "#333333")
        for offset, summary, hatch, name in (
            (0.2, run.served_summary(), "", "config served"),
            (
                -0.2,
                run.tab_summary(),
                "//",
                "tab shows (F5)" if run.tab_mode == "f5" else "tab shows",
            ),
        ):
            if summary is None:
                continue
            median_ms, p90_ms = summary.median * 1000, summary.p90 * 1000
            axes.barh(
                index + offset,
                median_ms,
                height=0.38,
                color=colour,
                hatch=hatch,
                alpha=0.9 if not hatch else 0.55,
                edgecolor="black",
                linewidth=0.4,
            )
            axes.errorbar(
                median_ms,
                index + offset,
                xerr=[[0.0], [max(0.0, p90_ms - median_ms)]],
                fmt="none",
                ecolor="black",
                capsize=3,
                linewidth=0.8,
            )
            axes.text(
                max(median_ms, p90_ms) * 1.12,
                index + offset,
                f"{name}: {_ms(summary.median)} (p90 {_ms(summary.p90)})",
                va="center",
                fontsize=7.5,
            )
        labels.append(run.label)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xscale("log")
    axes.set_xlabel("milliseconds from the save (log scale)")
    axes.set_title(
        f"{title}\n{variant.label}; hatched: the open tab (F5 where it never updates)", fontsize=10
    )
    left, right = axes.get_xlim()
    axes.set_xlim(left, right * 4)
    axes.grid(axis="x", which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _tree_points(results: Results) -> dict[str, list[tuple[int, float | None, float | None]]]:
    """tool -> [(extra files, served median s, idle CPU %)]; 0 files from the base variant."""
    points: dict[str, list[tuple[int, float | None, float | None]]] = {}
    in_tree = {r.tool for v in results.variants if v.group == "tree" for r in v.runs}
    candidates = [v for v in results.variants if v.group == "tree" or v.key == "base"]
    for variant in sorted(candidates, key=lambda v: int(v.spec.get("extra_files", 0))):
        files = int(variant.spec.get("extra_files", 0))
        for run in variant.runs:
            if run.status != "ok" or run.tool not in in_tree:
                continue
            summary = run.served_summary()
            points.setdefault(run.tool, []).append(
                (files, summary.median if summary else None, run.idle_cpu_percent)
            )
    return points


def _tree_chart(results: Results, path: Path) -> None:
    import matplotlib.pyplot as plt

    points = _tree_points(results)
    title = "Latency and idle CPU against the watched tree's size"
    if not any(points.values()):
        _empty(path, title, "no tree-size results")
        return
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for tool, values in points.items():
        colour = COLOURS.get(tool, "#333333")
        served = [(x, y * 1000) for x, y, _ in values if y is not None]
        cpu = [(x, c) for x, _, c in values if c is not None]
        if served:
            left.plot(
                *zip(*served, strict=True), marker="o", color=colour, label=LABELS.get(tool, tool)
            )
        if cpu:
            right.plot(
                *zip(*cpu, strict=True), marker="o", color=colour, label=LABELS.get(tool, tool)
            )
    left.set_yscale("log")
    left.set_xlabel("extra .py files in the watched folder")
    left.set_ylabel("save → config served, median (ms, log)")
    left.grid(alpha=0.3, which="both")
    left.legend(fontsize=8)
    right.set_xlabel("extra .py files in the watched folder")
    right.set_ylabel("idle CPU of the server incl. children (%)")
    right.grid(alpha=0.3)
    right.legend(fontsize=8)
    figure.suptitle(
        f"{title}\n(0 files: the base run, all tools at once; more: one tool at a time)",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _memory_chart(results: Results, path: Path) -> None:
    import matplotlib.pyplot as plt

    runs: list[MemoryRun] = [r for r in results.memory if r.rss_mb]
    title = "Resident memory (server + children) against reloads"
    if not runs:
        _empty(path, title, "no memory results")
        return
    figure, axes = plt.subplots(figsize=(8, 4))
    for run in runs:
        growth = run.growth_per_100()
        label = run.label + ("" if growth is None else f" ({growth:+.1f} MB / 100 reloads)")
        axes.plot(
            run.reloads, run.rss_mb, marker="o", color=COLOURS.get(run.tool, "#333"), label=label
        )
    axes.set_xlabel("reloads")
    axes.set_ylabel("RSS (MB)")
    axes.set_title(title, fontsize=11)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
