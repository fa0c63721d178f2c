"""The data a run produces, its summaries (median, p90, ratios) and its JSON form."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .measure import percentile
from .notebook import NotebookRun
from .proxy import ProxyRun
from .state import StateRun

__all__ = [
    "MemoryRun",
    "Results",
    "SaveSample",
    "Summary",
    "ToolRun",
    "VariantResult",
    "results_from_json",
]

Status = Literal["ok", "skipped", "failed"]
TabMode = Literal["auto", "f5", "none"]


@dataclass(frozen=True)
class Summary:
    n: int
    median: float
    p90: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, values: list[float]) -> Summary | None:
        if not values:
            return None
        return cls(
            len(values),
            statistics.median(values),
            percentile(values, 90),
            min(values),
            max(values),
        )

    def as_ms(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "median_ms": round(self.median * 1000, 1),
            "p90_ms": round(self.p90 * 1000, 1),
            "min_ms": round(self.minimum * 1000, 1),
            "max_ms": round(self.maximum * 1000, 1),
        }


@dataclass
class SaveSample:
    round: int
    warmup: bool
    #: Seconds from just before the write until GET /config had the new marker.
    served_s: float | None
    #: Seconds from just before the write until the tab's DOM had it (after an F5
    #: for the tools whose tab does not refresh by itself).
    tab_s: float | None


@dataclass
class ToolRun:
    tool: str
    label: str
    status: Status = "ok"
    reason: str = ""
    tab_mode: TabMode = "auto"
    samples: list[SaveSample] = field(default_factory=list)
    #: Saves never served before the deadline.
    lost: int = 0
    cold_start_s: list[float] = field(default_factory=list)
    idle_cpu_percent: float | None = None
    #: The same once Variant.idle_rest_seconds passed without a save.
    idle_rest_cpu_percent: float | None = None
    notes: list[str] = field(default_factory=list)
    #: Medians of devreload's own per-reload report, and how many reloads it made.
    internal: dict[str, Any] = field(default_factory=dict)
    ratio_served: float | None = None
    ratio_tab: float | None = None
    ratio_pairs: int = 0
    ratio_method: str = ""

    def measured(self) -> list[SaveSample]:
        return [sample for sample in self.samples if not sample.warmup]

    def served(self) -> list[float]:
        return [s.served_s for s in self.measured() if s.served_s is not None]

    def tab(self) -> list[float]:
        return [s.tab_s for s in self.measured() if s.tab_s is not None]

    def served_summary(self) -> Summary | None:
        return Summary.of(self.served())

    def tab_summary(self) -> Summary | None:
        return Summary.of(self.tab())

    def fail(self, reason: str) -> None:
        if self.status == "ok":
            self.status = "failed"
            self.reason = reason

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        served = self.served_summary()
        tab = self.tab_summary()
        data["served"] = served.as_ms() if served else None
        data["tab"] = tab.as_ms() if tab else None
        data["samples"] = [
            {
                "round": s.round,
                "warmup": s.warmup,
                "served_ms": _ms(s.served_s),
                "tab_ms": _ms(s.tab_s),
            }
            for s in self.samples
        ]
        data["cold_start_ms"] = [_ms(value) for value in data.pop("cold_start_s")]
        return data


@dataclass
class VariantResult:
    key: str
    label: str
    group: str
    spec: dict[str, Any]
    settings: dict[str, Any]
    runs: list[ToolRun] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def run(self, tool: str) -> ToolRun | None:
        for run in self.runs:
            if run.tool == tool:
                return run
        return None

    def compute_ratios(self, sequential: bool) -> None:
        """devreload / peer: save by save (same round) when interleaved, else of medians."""
        base = self.run("devreload")
        if base is None or base.status != "ok":
            return
        for run in self.runs:
            if run is base or run.status != "ok":
                continue
            if sequential:
                run.ratio_method = "medians (tools run one after another)"
                run.ratio_served = _ratio_of_medians(base.served(), run.served())
                run.ratio_tab = _ratio_of_medians(base.tab(), run.tab())
                run.ratio_pairs = min(len(base.served()), len(run.served()))
                continue
            run.ratio_method = "save by save (same round)"
            ours = {s.round: s for s in base.measured()}
            served: list[float] = []
            tab: list[float] = []
            for sample in run.measured():
                mine = ours.get(sample.round)
                if mine is None:
                    continue
                if mine.served_s and sample.served_s:
                    served.append(mine.served_s / sample.served_s)
                if mine.tab_s and sample.tab_s:
                    tab.append(mine.tab_s / sample.tab_s)
            run.ratio_pairs = len(served)
            run.ratio_served = statistics.median(served) if served else None
            run.ratio_tab = statistics.median(tab) if tab else None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "group": self.group,
            "spec": self.spec,
            "settings": self.settings,
            "seconds": round(self.seconds, 1),
            "notes": self.notes,
            "runs": [run.to_json() for run in self.runs],
        }


@dataclass
class MemoryRun:
    tool: str
    label: str
    status: Status = "ok"
    reason: str = ""
    reloads: list[int] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    lost: int = 0
    notes: list[str] = field(default_factory=list)

    def growth_per_100(self, since: int = 0) -> float | None:
        """RSS growth per 100 reloads, from the first sample at or after ``since`` to the last."""
        points = [(x, y) for x, y in zip(self.reloads, self.rss_mb, strict=True) if x >= since]
        if len(points) < 2 or points[-1][0] == points[0][0]:
            return None
        (x0, y0), (x1, y1) = points[0], points[-1]
        return 100 * (y1 - y0) / (x1 - x0)

    def late_growth_per_100(self) -> float | None:
        """The same over the second half of the run, once caches have filled."""
        if not self.reloads:
            return None
        return self.growth_per_100(since=self.reloads[-1] // 2)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        growth = self.growth_per_100()
        late = self.late_growth_per_100()
        data["growth_mb_per_100_reloads"] = None if growth is None else round(growth, 2)
        data["second_half_growth_mb_per_100_reloads"] = None if late is None else round(late, 2)
        return data


@dataclass
class Results:
    mode: str
    machine: dict[str, Any]
    started: str
    command: str
    tools: list[dict[str, Any]]
    variants: list[VariantResult] = field(default_factory=list)
    memory: list[MemoryRun] = field(default_factory=list)
    state: list[StateRun] = field(default_factory=list)
    notebook: list[NotebookRun] = field(default_factory=list)
    proxy: ProxyRun | None = None
    notes: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    finished: str = ""

    def variant(self, key: str) -> VariantResult | None:
        for variant in self.variants:
            if variant.key == key:
                return variant
        return None

    def cold_starts(self) -> dict[str, list[float]]:
        """Every start of each tool with the base app: the base variant's and the cold-start
        section's (the other variants' apps differ)."""
        starts: dict[str, list[float]] = {}
        for variant in self.variants:
            if variant.key != "base" and variant.group != "coldstart":
                continue
            for run in variant.runs:
                starts.setdefault(run.tool, []).extend(run.cold_start_s)
        return starts

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "started": self.started,
            "finished": self.finished,
            "duration_s": round(self.duration_s, 1),
            "command": self.command,
            "machine": self.machine,
            "tools": self.tools,
            "notes": self.notes,
            "cold_start": {
                tool: (summary.as_ms() if (summary := Summary.of(values)) else None)
                for tool, values in self.cold_starts().items()
            },
            "variants": [variant.to_json() for variant in self.variants],
            "memory": [run.to_json() for run in self.memory],
            "state": [run.to_json() for run in self.state],
            "notebook": [run.to_json() for run in self.notebook],
            "proxy": self.proxy.to_json() if self.proxy is not None else None,
        }


def results_from_json(data: dict[str, Any]) -> Results:
    """Rebuild a run's Results from its results.json (to re-render the report)."""
    results = Results(
        mode=data["mode"],
        machine=data["machine"],
        started=data["started"],
        command=data["command"],
        tools=data["tools"],
        notes=list(data.get("notes", [])),
        duration_s=float(data.get("duration_s", 0.0)),
        finished=data.get("finished", ""),
    )
    for item in data["variants"]:
        variant = VariantResult(
            item["key"],
            item["label"],
            item["group"],
            item["spec"],
            item["settings"],
            seconds=float(item.get("seconds", 0.0)),
            notes=list(item.get("notes", [])),
        )
        for run in item["runs"]:
            variant.runs.append(
                ToolRun(
                    run["tool"],
                    run["label"],
                    status=run["status"],
                    reason=run["reason"],
                    tab_mode=run["tab_mode"],
                    samples=[
                        SaveSample(s["round"], s["warmup"], _s(s["served_ms"]), _s(s["tab_ms"]))
                        for s in run["samples"]
                    ],
                    lost=run["lost"],
                    cold_start_s=[v / 1000 for v in run["cold_start_ms"] if v is not None],
                    idle_cpu_percent=run["idle_cpu_percent"],
                    idle_rest_cpu_percent=run.get("idle_rest_cpu_percent"),
                    notes=list(run["notes"]),
                    internal=dict(run["internal"]),
                    ratio_served=run["ratio_served"],
                    ratio_tab=run["ratio_tab"],
                    ratio_pairs=run["ratio_pairs"],
                    ratio_method=run["ratio_method"],
                )
            )
        results.variants.append(variant)
    for run in data.get("memory", []):
        results.memory.append(
            MemoryRun(
                run["tool"],
                run["label"],
                status=run["status"],
                reason=run["reason"],
                reloads=list(run["reloads"]),
                rss_mb=list(run["rss_mb"]),
                lost=run["lost"],
                notes=list(run["notes"]),
            )
        )
    results.state = [StateRun.from_json(run) for run in data.get("state", [])]
    results.notebook = [NotebookRun.from_json(run) for run in data.get("notebook", [])]
    if data.get("proxy"):
        results.proxy = ProxyRun.from_json(data["proxy"])
    return results


def _s(value: float | None) -> float | None:
    return None if value is None else value / 1000


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def _ratio_of_medians(ours: list[float], theirs: list[float]) -> float | None:
    if not ours or not theirs:
        return None
    denominator = statistics.median(theirs)
    if denominator == 0 or math.isnan(denominator):
        return None
    return statistics.median(ours) / denominator
