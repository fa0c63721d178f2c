"""The reload pipeline in-process: a real Engine, a fake adapter, fake change batches.

The engine's behaviour as a user sees it is tested through real devreload
processes (test_engine_process.py, the conformance suite); these tests drive
the pipeline directly (``Engine.load()`` then ``Engine.reload(batch)``) and
check its outcome events, what it asks of the adapter, and that the
interpreter set-up undoes itself. The adapter is a fake: pure bookkeeping, no
server (an adapter's serving is the conformance suite's subject).
"""

from __future__ import annotations

import io
import sys
import textwrap
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from reloader._config import Config
from reloader._events import Event
from reloader._report import Reporter
from reloader.adapters import Adapter, PageUpdate, ServeOptions
from reloader.engine import Engine
from reloader.watch._watcher import Batch, WatchNotice

APP = textwrap.dedent(
    """
    import types
    import reloader
    import helper

    if reloader.NO_RELOAD:
        resource = object()

    TITLE = "{title}"

    def render():
        return "body={body} title=" + TITLE + " helper=" + helper.TEXT

    app = types.SimpleNamespace(devreload_fake=True, render=render, resource=resource)
    """
)
HELPER = 'TEXT = "h1"\n'


class FakeAdapter(Adapter):
    """Serves nothing; records what the engine asks of it."""

    name = "fake"

    def __init__(self) -> None:
        self.swapped: list[Any] = []
        self.told: list[PageUpdate] = []

    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        app = namespace.get(name or "app")
        return app if getattr(app, "devreload_fake", False) else None

    def serve(self, app: Any, options: ServeOptions) -> str:
        raise AssertionError("the pipeline never serves; Engine.run() does")

    def swap(self, app: Any) -> None:
        self.swapped.append(app)

    def notify(self, event: PageUpdate) -> int:
        self.told.append(event)
        return 1


def write_app(folder: Path, *, title: str = "t1", body: str = "b1", extra: str = "") -> Path:
    path = folder / "app.py"
    path.write_text(APP.format(title=title, body=body) + extra, encoding="utf-8")
    return path


def batch(*paths: Path) -> Batch:
    return Batch(frozenset(paths), time.perf_counter())


class Pipeline:
    """An engine on ``folder``'s app.py, its fake adapter and every event it emitted."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.app_path = folder / "app.py"
        self.adapter = FakeAdapter()
        self.events: list[Event] = []
        reporter = Reporter(io.StringIO())
        reporter.listeners.append(self.events.append)
        self.engine = Engine(
            Config(app_path=self.app_path, watch_cwd=False), [self.adapter], reporter
        )

    def live(self) -> Any:
        """The app object the running module (``__main__``) holds now."""
        return sys.modules["__main__"].app


@contextmanager
def modules_put_back() -> Iterator[dict[str, Any]]:
    """The modules a pipeline runs go into sys.modules (that is the point): take them
    out again after a test. Yields what was there before."""
    saved = {name: sys.modules.get(name) for name in ("__main__", "helper")}
    try:
        yield saved
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    """A loaded pipeline, inside its interpreter set-up."""
    write_app(tmp_path)
    (tmp_path / "helper.py").write_text(HELPER, encoding="utf-8")
    found = Pipeline(tmp_path)
    with modules_put_back(), found.engine.interpreter():
        assert found.engine.load(), found.events
        yield found


def test_first_load_finds_the_app_and_its_adapter(pipeline: Pipeline) -> None:
    assert pipeline.engine.adapter is pipeline.adapter
    assert pipeline.engine.app is pipeline.live()
    assert pipeline.live().render() == "body=b1 title=t1 helper=h1"
    assert pipeline.engine.generation == 0
    assert pipeline.adapter.swapped == []


def test_a_good_save_reloads_swaps_and_counts_a_generation(pipeline: Pipeline) -> None:
    old = pipeline.live()
    write_app(pipeline.folder, title="t2")  # a module-level change: a full reload

    outcome = pipeline.engine.reload(batch(pipeline.app_path))

    assert outcome is not None and outcome.event == "reloaded", pipeline.events
    assert outcome.tier == "full"
    assert outcome.generation == 1 == pipeline.engine.generation
    assert outcome.files == (pipeline.app_path,)
    assert set(outcome.timings_ms) >= {"execute", "swap", "push", "total"}
    assert outcome.tabs == 1
    new = pipeline.live()
    assert new is not old and new.render() == "body=b1 title=t2 helper=h1"
    assert pipeline.adapter.swapped == [new]
    assert pipeline.engine.app is new
    assert [event.kind for event in pipeline.adapter.told] == ["reload"]
    assert pipeline.events[-1] is outcome


def test_no_reload_objects_keep_their_identity(pipeline: Pipeline) -> None:
    resource = pipeline.live().resource
    write_app(pipeline.folder, title="t2")
    pipeline.engine.reload(batch(pipeline.app_path))
    write_app(pipeline.folder, title="t3")
    pipeline.engine.reload(batch(pipeline.app_path))
    assert pipeline.live().render().endswith("title=t3 helper=h1")
    assert pipeline.live().resource is resource
    assert pipeline.engine.generation == 2


def test_a_syntax_error_is_an_error_event_and_the_last_good_app_stays(
    pipeline: Pipeline,
) -> None:
    good = pipeline.live()
    write_app(pipeline.folder, title="t2", extra="\ndef broken(:\n")

    outcome = pipeline.engine.reload(batch(pipeline.app_path))

    assert outcome is not None and outcome.event == "failed", pipeline.events
    assert outcome.error is not None
    assert outcome.error.headline.startswith("SyntaxError in")
    assert outcome.error.file == str(pipeline.app_path)
    assert outcome.error.line is not None
    assert outcome.generation == 0 == pipeline.engine.generation
    assert pipeline.adapter.swapped == []  # no swap: the last good app serves on
    assert pipeline.engine.app is good and pipeline.live() is good
    told = pipeline.adapter.told[-1]
    assert told.kind == "error" and told.headline == outcome.error.headline
    assert told.title.startswith("devreload: the last save failed;")

    write_app(pipeline.folder, title="t3")  # the fix
    fixed = pipeline.engine.reload(batch(pipeline.app_path))
    assert fixed is not None and fixed.event == "reloaded" and fixed.generation == 1
    assert pipeline.live().render() == "body=b1 title=t3 helper=h1"
    assert pipeline.live().resource is good.resource


def test_a_body_only_edit_is_patched_in_place_without_a_swap(pipeline: Pipeline) -> None:
    app = pipeline.live()
    write_app(pipeline.folder, body="b2")  # only render()'s body changes

    outcome = pipeline.engine.reload(batch(pipeline.app_path))

    assert outcome is not None and outcome.event == "patched", pipeline.events
    assert outcome.tier == "patch"
    assert outcome.functions == ("render()",)
    assert outcome.generation == 1 == pipeline.engine.generation
    assert pipeline.adapter.swapped == []
    assert [event.kind for event in pipeline.adapter.told] == ["patch"]
    assert pipeline.live() is app  # the same app object runs the new code
    assert app.render() == "body=b2 title=t1 helper=h1"


def test_a_helper_edit_reruns_the_helper_and_the_app(pipeline: Pipeline) -> None:
    helper = pipeline.folder / "helper.py"
    helper.write_text('TEXT = "h2"\n', encoding="utf-8")
    outcome = pipeline.engine.reload(batch(helper))
    assert outcome is not None and outcome.event == "reloaded", pipeline.events
    assert pipeline.live().render() == "body=b1 title=t1 helper=h2"


def test_a_watch_problem_tells_the_tabs_what_it_is(pipeline: Pipeline) -> None:
    notice = WatchNotice("stopped", "the file watcher stopped (OSError: boom)")
    pipeline.engine._watch_notice(notice)
    told = pipeline.adapter.told[-1]
    assert told.kind == "error" and told.headline == notice.message
    assert told.title.startswith("devreload: the file watcher stopped;")
    pipeline.engine._watch_notice(WatchNotice("resumed", "the file watcher is back"))
    assert pipeline.adapter.told[-1].kind == "reload"  # the overlay goes


class TabsFailAdapter(FakeAdapter):
    """An adapter whose notify() raises: a bug after the new version is in service."""

    def notify(self, event: PageUpdate) -> int:
        raise FileNotFoundError(2, "No such file or directory")


def internal_errors(pipeline: Pipeline) -> list[Event]:
    return [e for e in pipeline.events if e.message.startswith("internal error (a devreload bug)")]


def test_a_bug_after_the_swap_is_reported_and_the_reload_completes(pipeline: Pipeline) -> None:
    pipeline.engine.adapter = TabsFailAdapter()
    write_app(pipeline.folder, title="t2")
    outcome = pipeline.engine.reload_safely(batch(pipeline.app_path))
    assert outcome is not None and outcome.event == "reloaded" and outcome.generation == 1
    (bug,) = internal_errors(pipeline)
    assert "while telling the open tabs (FileNotFoundError" in bug.message
    assert "the new version is serving" in bug.message
    assert bug.error is not None and "Traceback" in bug.error.details
    assert pipeline.live().render().endswith("title=t2 helper=h1")


def test_a_reporter_that_raises_does_not_stop_the_reload(pipeline: Pipeline) -> None:
    def broken_listener(event: Event) -> None:
        if event.event == "reloaded":
            raise OSError("the terminal went away")

    pipeline.engine.reporter.listeners.insert(0, broken_listener)
    write_app(pipeline.folder, title="t2")
    outcome = pipeline.engine.reload_safely(batch(pipeline.app_path))
    assert outcome is not None and outcome.generation == 1
    (bug,) = internal_errors(pipeline)
    assert "while reporting the reloaded event (OSError" in bug.message


def test_a_bug_before_the_swap_keeps_the_last_good_version(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_plan(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("planner bug")

    monkeypatch.setattr(pipeline.engine.planner, "plan", broken_plan)
    write_app(pipeline.folder, title="t2")
    assert pipeline.engine.reload_safely(batch(pipeline.app_path)) is None
    (bug,) = internal_errors(pipeline)
    assert "while reloading app.py (RuntimeError: planner bug)" in bug.message
    assert "the last good version keeps serving" in bug.message
    assert pipeline.live().render().endswith("title=t1 helper=h1")
    monkeypatch.undo()  # fixed: the next save runs the whole app
    assert pipeline.engine.reload_safely(batch(pipeline.app_path)) is not None
    assert pipeline.live().render().endswith("title=t2 helper=h1")


def test_a_file_nothing_imports_changes_nothing(pipeline: Pipeline) -> None:
    other = pipeline.folder / "unused.py"
    other.write_text("X = 1\n", encoding="utf-8")
    assert pipeline.engine.reload(batch(other)) is None
    assert pipeline.adapter.swapped == [] and pipeline.adapter.told == []


def test_the_interpreter_set_up_undoes_itself(tmp_path: Path) -> None:
    write_app(tmp_path)
    (tmp_path / "helper.py").write_text(HELPER, encoding="utf-8")
    import atexit

    argv, path, meta_path = list(sys.argv), list(sys.path), list(sys.meta_path)
    register = atexit.register
    pipeline = Pipeline(tmp_path)
    with modules_put_back(), pipeline.engine.interpreter():
        # Inside: the process as `python app.py` would have it.
        assert sys.argv == [str(pipeline.app_path)]
        assert sys.path[0] == str(tmp_path.resolve())
        assert len(sys.meta_path) > len(meta_path)
        assert atexit.register is not register  # a version's handlers are its own
        assert pipeline.engine.load()
        write_app(tmp_path, title="t2")
        assert pipeline.engine.reload(batch(pipeline.app_path)) is not None
        write_app(tmp_path, title="t3", extra="\ndef broken(:\n")
        assert pipeline.engine.reload(batch(pipeline.app_path)) is not None
    assert sys.argv == argv
    assert sys.path == path
    assert sys.meta_path == meta_path
    assert atexit.register is register


def test_a_failing_first_load_is_reported_and_returns_false(tmp_path: Path) -> None:
    write_app(tmp_path, extra="\nraise RuntimeError('no database')\n")
    (tmp_path / "helper.py").write_text(HELPER, encoding="utf-8")
    pipeline = Pipeline(tmp_path)
    with modules_put_back() as saved, pipeline.engine.interpreter():
        assert not pipeline.engine.load()
        assert sys.modules.get("__main__") is saved["__main__"]  # rolled back
    failed = [event for event in pipeline.events if event.event == "failed"]
    assert len(failed) == 1 and failed[0].error is not None
    assert failed[0].error.headline.startswith("RuntimeError in")
    assert "no database" in failed[0].error.headline
    assert pipeline.engine.adapter is None


class BrokenAdapter(FakeAdapter):
    """An adapter whose find_app raises (a third-party bug, or an app object that
    raises on attribute access)."""

    name = "broken"

    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        raise RuntimeError("boom")


def test_an_adapter_that_raises_while_finding_the_app_is_passed_over(tmp_path: Path) -> None:
    write_app(tmp_path)
    (tmp_path / "helper.py").write_text(HELPER, encoding="utf-8")
    found = Pipeline(tmp_path)
    found.engine.adapters.insert(0, BrokenAdapter())
    with modules_put_back(), found.engine.interpreter():
        assert found.engine.load(), found.events
        assert found.engine.adapter is found.adapter


def test_the_patch_warm_up_runs_once_after_a_burst_of_loads_on_one_thread() -> None:
    import threading

    from reloader.engine._debounced import Debounced
    from support import wait_for

    calls: list[float] = []
    later = Debounced(lambda: calls.append(time.monotonic()), 0.2, name="test-warm-up")
    threads_before = threading.active_count()
    started = time.monotonic()
    for _ in range(20):  # loads in quick succession
        later.request()
    assert threading.active_count() == threads_before + 1
    wait_for(lambda: calls, 5, what="the warm-up ran")
    assert calls[0] - started >= 0.2
    later.request()
    wait_for(lambda: len(calls) == 2, 5, what="the next warm-up ran")
    assert threading.active_count() == threads_before + 1


def test_what_exists_when_the_framework_is_imported_is_frozen_for_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The framework's modules live as long as the process: the cyclic collector stops
    walking them (a full collection of Gradio's took 100+ ms, in every other reload),
    while the app's own objects, made after the import, stay collectable."""
    import gc

    (tmp_path / "fakeframework.py").write_text("class Node:\n    pass\n", encoding="utf-8")
    (tmp_path / "helper.py").write_text(HELPER, encoding="utf-8")
    write_app(tmp_path, extra="\nimport fakeframework\nmade_after = fakeframework.Node()\n")
    monkeypatch.setattr(FakeAdapter, "framework_modules", ("fakeframework",))
    pipeline = Pipeline(tmp_path)
    made_before = [object()]
    assert gc.get_freeze_count() == 0

    def collectable(obj: object) -> bool:
        return any(tracked is obj for tracked in gc.get_objects())

    with modules_put_back(), pipeline.engine.interpreter():
        assert collectable(made_before)
        assert pipeline.engine.load(), pipeline.events
        assert gc.get_freeze_count() > 0
        assert not collectable(made_before)
        assert collectable(sys.modules["__main__"].made_after)
    sys.modules.pop("fakeframework", None)
    assert gc.get_freeze_count() == 0
    assert collectable(made_before)
