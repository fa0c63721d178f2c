"""What a full or a quick run measures: the variants, their tools and save counts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from .apps import AppSpec, EditTarget
from .frameworks import FRAMEWORKS

__all__ = ["SECTIONS", "MemoryPlan", "Plan", "Variant", "full_plan", "quick_plan"]

ALL = ("devreload", "gradio", "uvicorn-hmr", "uvicorn-reload", "manual")
HOT = ("devreload", "gradio")
WATCHERS = ("devreload", "gradio", "uvicorn-hmr", "uvicorn-reload")
#: The tools that can serve a plain FastAPI app.
ASGI = ("devreload", "uvicorn-hmr", "uvicorn-reload")

FASTAPI_LABEL = "FastAPI example (examples/fastapi_app), NO_RELOAD 1 s"
FASTAPI_HANDLER_LABEL = "FastAPI example, edit a route handler's body (GET /api/health)"

#: Sections that --sections can pick.
SECTIONS = (
    "base",
    "coldstart",
    "cost",
    "tree",
    "size",
    "handler",
    "apicall",
    "helper",
    "demo",
    "fastapi",
    *FRAMEWORKS,
    "memory",
    "state",
    "notebook",
    "proxy",
)


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    #: One of SECTIONS (the report groups by it).
    section: str
    spec: AppSpec
    tools: tuple[str, ...]
    #: Measured saves per tool after the warm-up; ``slow_rounds`` for the tools
    #: that restart a process on every save.
    rounds: int
    slow_rounds: int
    warmup: int = 2
    #: Tools one after another instead of all at once with interleaved saves.
    sequential: bool = False
    #: Seconds of idle CPU measured per tool (0: not measured), 2 s after the warm-up saves.
    idle_cpu_seconds: float = 0.0
    #: Idle CPU again once this long passed without a save after the last one (0: not
    #: measured): the app left running while the developer does something else.
    idle_rest_seconds: float = 0.0
    #: At least this long between a tool's change showing and its next save (Gradio's
    #: reload mode misses a save made while it re-reads the mtimes after a reload).
    gap: float = 0.5
    #: How a handler edit is seen: a click in the page, or a call through the HTTP API.
    observe: Literal["page", "api"] = "page"
    #: Start the tools' servers all at once (then wait for each), rather than one after
    #: another; not for the base variant, whose starts are the cold-start figures.
    start_together: bool = True


@dataclass(frozen=True)
class MemoryPlan:
    tools: tuple[str, ...]
    reloads: int
    every: int
    spec: AppSpec = field(default_factory=AppSpec)
    gap: float = 0.3


@dataclass(frozen=True)
class Plan:
    mode: str
    variants: tuple[Variant, ...]
    memory: MemoryPlan | None
    #: The tools whose page state across a save is counted (benchmarks/state.py).
    state: tuple[str, ...] = ()
    #: The tools whose cell re-run is timed in a kernel (benchmarks/notebook.py), and how
    #: many re-runs each.
    notebook: tuple[str, ...] = ()
    notebook_rounds: int = 10
    #: Saves timed in a tab through nginx and in one opened directly (benchmarks/proxy.py,
    #: devreload only); 0: not measured.
    proxy_rounds: int = 0

    def only(self, tools: set[str] | None, sections: set[str] | None) -> Plan:
        variants = []
        for variant in self.variants:
            if sections is not None and variant.section not in sections:
                continue
            kept = tuple(t for t in variant.tools if tools is None or t in tools)
            if kept:
                variants.append(replace(variant, tools=kept))
        memory = self.memory
        if memory is not None and sections is not None and "memory" not in sections:
            memory = None
        if memory is not None and tools is not None:
            kept = tuple(t for t in memory.tools if t in tools)
            memory = replace(memory, tools=kept) if kept else None
        state = self.state
        if sections is not None and "state" not in sections:
            state = ()
        state = tuple(t for t in state if tools is None or t in tools)
        notebook = self.notebook
        if sections is not None and "notebook" not in sections:
            notebook = ()
        notebook = tuple(t for t in notebook if tools is None or t in tools)
        proxy_rounds = self.proxy_rounds
        if (sections is not None and "proxy" not in sections) or (
            tools is not None and "devreload" not in tools
        ):
            proxy_rounds = 0
        return replace(
            self,
            variants=tuple(variants),
            memory=memory,
            state=state,
            notebook=notebook,
            proxy_rounds=proxy_rounds,
        )

    def with_rounds(self, rounds: int) -> Plan:
        variants = tuple(
            replace(v, rounds=rounds, slow_rounds=min(v.slow_rounds, rounds)) for v in self.variants
        )
        proxy_rounds = rounds if self.proxy_rounds else 0
        return replace(self, variants=variants, notebook_rounds=rounds, proxy_rounds=proxy_rounds)

    def tool_keys(self) -> set[str]:
        keys = {tool for variant in self.variants for tool in variant.tools}
        if self.memory is not None:
            keys |= set(self.memory.tools)
        return (
            keys
            | set(self.state)
            | set(self.notebook)
            | ({"devreload"} if self.proxy_rounds else set())
        )


def full_plan() -> Plan:
    base = AppSpec()
    variants = [
        base_variant(base, 20, 10, idle_cpu_seconds=10, idle_rest_seconds=60),
        # Three starts per tool, one tool at a time, in rotating order.
        Variant("coldstart", "cold start", "coldstart", base, ALL, 3, 3),
        *(
            Variant(
                f"noreload-{seconds}",
                f"NO_RELOAD {seconds} s",
                "cost",
                replace(base, no_reload_seconds=float(seconds)),
                WATCHERS,
                20,
                5,
            )
            for seconds in (0, 5)
        ),
        *(
            Variant(
                f"tree-{files}",
                f"{files:,} extra .py files",
                "tree",
                replace(base, extra_files=files),
                WATCHERS,
                10,
                5,
                sequential=True,
                idle_cpu_seconds=10,
                gap=1.0,
            )
            for files in (10_000, 50_000)
        ),
        *size_variants(base, (10, 100, 500), rounds=20),
        *handler_variants(base, rounds=20),
        api_call_variant(base, calls=30),
        Variant(
            "helper",
            "edit a helper module",
            "helper",
            replace(base, edit="helper"),
            ("devreload", "gradio", "uvicorn-hmr"),
            20,
            10,
        ),
        Variant(
            "demo",
            "demo app (demo_app/app.py)",
            "demo",
            replace(base, kind="demo"),
            HOT,
            20,
            20,
            idle_cpu_seconds=10,
        ),
        Variant(
            "fastapi",
            FASTAPI_LABEL,
            "fastapi",
            replace(base, kind="fastapi"),
            ASGI,
            20,
            10,
            idle_cpu_seconds=10,
        ),
        Variant(
            "fastapi-handler",
            FASTAPI_HANDLER_LABEL,
            "fastapi",
            replace(base, kind="fastapi", edit="handler"),
            ASGI,
            20,
            10,
        ),
        *framework_variants(base, rounds=20, slow_rounds=10),
    ]
    return Plan(
        "full",
        tuple(variants),
        MemoryPlan(HOT, reloads=200, every=50),
        state=HOT,
        notebook=HOT,
        notebook_rounds=10,
        proxy_rounds=20,
    )


def base_variant(
    base: AppSpec,
    rounds: int,
    slow_rounds: int,
    idle_cpu_seconds: float,
    idle_rest_seconds: float,
    warmup: int = 2,
) -> Variant:
    """The minimal app under every tool, started one after another: its starts are the
    cold-start figures."""
    return Variant(
        "base",
        "minimal app, NO_RELOAD 1 s",
        "base",
        base,
        ALL,
        rounds,
        slow_rounds,
        warmup=warmup,
        idle_cpu_seconds=idle_cpu_seconds,
        idle_rest_seconds=idle_rest_seconds,
        start_together=False,
    )


def size_variants(
    base: AppSpec, sizes: tuple[int, ...], rounds: int, warmup: int = 2
) -> list[Variant]:
    """By app size: a props-only edit (the header Markdown's text; keys ``size-N``) and a
    structure edit (a Textbox inserted at the top of the Blocks; ``insert-N``)."""
    edits: tuple[tuple[str, str, EditTarget], ...] = (
        ("size", "", base.edit),
        ("insert", ", a component inserted at the top", "insert"),
    )
    return [
        Variant(
            f"{key}-{size}",
            f"{size} components{what}",
            "size",
            replace(base, components=size, edit=edit),
            HOT,
            rounds,
            rounds,
            warmup=warmup,
        )
        for key, what, edit in edits
        for size in sizes
    ]


def api_call_variant(base: AppSpec, calls: int, warmup: int = 3) -> Variant:
    """The cost of one session-less call through the HTTP API at 500 components, under
    devreload and under ``python app.py`` (no saves; calls taken in turns)."""
    return Variant(
        "apicall-500",
        "one session-less HTTP API call (/gradio_api/call/probe), 500 components",
        "apicall",
        replace(base, components=500, edit="handler"),
        ("devreload", "manual"),
        calls,
        calls,
        warmup=warmup,
        observe="api",
    )


def handler_variants(base: AppSpec, rounds: int) -> list[Variant]:
    """A handler-body edit at three app sizes, seen through a click and through the HTTP API."""
    seen = {"page": "a click running it", "api": "an HTTP API call running it"}
    observes: tuple[Literal["page", "api"], ...] = ("page", "api")
    return [
        Variant(
            f"handler-{size}" if observe == "page" else f"handler-api-{size}",
            f"edit an event handler's body, {size} components (timed to {seen[observe]})",
            "handler",
            replace(base, components=size, edit="handler"),
            HOT,
            rounds,
            rounds,
            observe=observe,
        )
        for observe in observes
        for size in (10, 100, 500)
    ]


def framework_variants(base: AppSpec, rounds: int, slow_rounds: int) -> list[Variant]:
    """One section per framework: its app under devreload and under its own reloader."""
    return [
        Variant(
            fw.key,
            f"{fw.label} app, NO_RELOAD 1 s",
            fw.key,
            replace(base, kind=fw.key),
            ("devreload", fw.peer),
            rounds,
            slow_rounds,
            gap=fw.gap,
        )
        for fw in FRAMEWORKS.values()
    ]


def quick_plan() -> Plan:
    base = AppSpec()
    variants = [
        base_variant(base, 3, 1, idle_cpu_seconds=3, idle_rest_seconds=5, warmup=1),
        Variant(
            "tree-2000",
            "2,000 extra .py files",
            "tree",
            replace(base, extra_files=2000),
            ("devreload",),
            2,
            2,
            warmup=1,
            sequential=True,
            idle_cpu_seconds=3,
        ),
        Variant(
            "fastapi",
            FASTAPI_LABEL,
            "fastapi",
            replace(base, kind="fastapi"),
            ("devreload", "uvicorn-reload"),
            2,
            1,
            warmup=1,
        ),
        # The size rows at 500 components (the small app is the base variant), the
        # handler edit seen through the HTTP API and the API call's cost there: a few
        # saves or calls each.
        # Gradio's reload mode beside devreload for the props-only edits only: its tab
        # never shows an inserted component by itself (each save waits 15 s, then an F5).
        *(
            replace(v, tools=("devreload",)) if v.key.startswith("insert-") else v
            for v in size_variants(base, (500,), rounds=2, warmup=1)
        ),
        next(
            replace(v, tools=("devreload",), rounds=2, warmup=1)
            for v in handler_variants(base, rounds=2)
            if v.key == "handler-api-500"
        ),
        api_call_variant(base, calls=5, warmup=2),
    ]
    # A smoke run: each section's code once, each tool in one section (Gradio's reload
    # mode in base only), a few saves each. No state section:
    # it takes about 45 s (Gradio's reload mode alone 30 s) and has a test of its own.
    # The notebook section for devreload only (one kernel, about 20 s); the proxy section
    # with 2 saves (one server and one nginx, about 15 s).
    return Plan(
        "quick",
        tuple(variants),
        MemoryPlan(("devreload",), reloads=10, every=5),
        notebook=("devreload",),
        notebook_rounds=2,
        proxy_rounds=2,
    )
