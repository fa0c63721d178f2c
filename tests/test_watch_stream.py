"""The change stream in-process, fed by a scripted watcher (as watchfiles tests its loop).

``ScriptedWatch`` stands in for ``watchfiles.watch``: each call (each time the
watcher sets up its watch) plays the next script, whose steps yield changes,
raise, act on the disk or wait for the consumer. Everything else is real: the
watcher thread and its supervisor loop, the queue, settle and content hashes.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from watchfiles import Change

from reloader.watch._changes import ChangeStream
from reloader.watch._filter import SourceFilter
from reloader.watch._watcher import Batch, Watcher, WatchNotice
from support import wait_for

FileChanges = set[tuple[Change, str]]


class WhenTaken:
    """A script step: wait until the consumer has taken every queued event."""


Step = FileChanges | BaseException | Callable[[], None] | WhenTaken


class ScriptedWatch:
    def __init__(self, *scripts: list[Step]) -> None:
        self.scripts = list(scripts)
        self.calls: list[dict[str, Any]] = []
        self.watcher: Watcher | None = None

    def __call__(self, *paths: Path, **options: Any) -> Iterator[FileChanges]:
        self.calls.append({"paths": paths, **options})
        script = self.scripts.pop(0) if self.scripts else []
        stop: threading.Event = options["stop_event"]
        keep = options["watch_filter"]
        for step in script:
            if isinstance(step, BaseException):
                raise step
            if isinstance(step, WhenTaken):
                assert self.watcher is not None
                while not self.watcher.events.empty() and not stop.wait(0.005):
                    pass
            elif callable(step):
                step()
            else:  # watchfiles applies the filter before it yields
                yield {(change, path) for change, path in step if keep(change, path)}
        # Idle, as watchfiles with yield_on_timeout=True: an empty set now and then.
        while not stop.wait(0.01):
            yield set()


def stream_for(
    roots: list[Path], fake: ScriptedWatch, notices: list[WatchNotice], **options: Any
) -> ChangeStream:
    watcher = Watcher(roots, SourceFilter(roots=roots), check_ms=10, watch=fake)
    fake.watcher = watcher
    return ChangeStream(watcher, on_notice=notices.append, **options)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text("v = 1\n")
    return tmp_path.resolve()


@contextmanager
def running(stream: ChangeStream) -> Iterator[None]:
    """``stream`` started for the block, and stopped after it whatever happened."""
    stream.start()
    try:
        yield
    finally:
        stream.stop()


def take(stream: ChangeStream, timeout: float = 10.0) -> Batch:
    batch = stream.next_batch(timeout=timeout)
    assert batch is not None, "no batch came"
    return batch


def test_a_no_op_save_is_dropped_and_a_real_one_kept(project: Path) -> None:
    app = project / "app.py"
    fake = ScriptedWatch(
        [
            {(Change.modified, str(app))},  # saved with the same bytes
            WhenTaken(),
            lambda: app.write_text("v = 2\n"),
            {(Change.modified, str(app))},
        ]
    )
    stream = stream_for([project], fake, [])
    stream.remember({app: app.read_bytes()})
    with running(stream):
        batch = take(stream)
        assert batch.paths == {app} and app.read_text() == "v = 2\n"
        assert stream.next_batch(timeout=0.3) is None


def test_renamed_away_and_back_is_one_change_not_a_deletion(project: Path) -> None:
    app, away = project / "app.py", project / "app.py.away"

    def back() -> None:
        away.write_text("v = 2\n")
        away.replace(app)

    fake = ScriptedWatch(
        [
            lambda: app.replace(away),
            {(Change.deleted, str(app)), (Change.added, str(away))},
            WhenTaken(),  # the stream holds the deletion, waiting for the file to return
            back,
            {(Change.added, str(app))},
        ]
    )
    stream = stream_for([project], fake, [], reappear_seconds=10)
    stream.remember({app: app.read_bytes()})
    with running(stream):
        batch = take(stream, timeout=8)  # well before the 10 s reappear window ends
        assert batch.paths == {app} and app.exists()
        assert stream.next_batch(timeout=0.3) is None


def test_a_save_caught_between_truncate_and_write_comes_once_complete(project: Path) -> None:
    app = project / "app.py"
    fake = ScriptedWatch(
        [
            lambda: app.write_text(""),  # the truncate of an in-place save
            {(Change.modified, str(app))},
            WhenTaken(),  # the stream holds the empty file, waiting for the write
            lambda: app.write_text("v = 2\n"),
            {(Change.modified, str(app))},
        ]
    )
    stream = stream_for([project], fake, [], reappear_seconds=10)
    stream.remember({app: app.read_bytes()})
    with running(stream):
        batch = take(stream, timeout=8)  # well before the 10 s settle time ends
        assert batch.paths == {app} and app.read_text() == "v = 2\n"
        assert stream.next_batch(timeout=0.3) is None


def test_a_file_emptied_on_purpose_is_handed_over_after_the_settle_time(project: Path) -> None:
    app, package = project / "app.py", project / "__init__.py"
    package.write_text("")
    fake = ScriptedWatch(
        [
            lambda: (app.write_text(""), package.write_text("")),
            {(Change.modified, str(app))},
        ],
    )
    stream = stream_for([project], fake, [], reappear_seconds=0.2)
    stream.remember({path: path.read_bytes() for path in (app, package)})
    with running(stream):
        assert take(stream).paths == {app} and app.read_text() == ""


def test_a_new_empty_file_is_not_waited_for(project: Path) -> None:
    helper = project / "helper.py"
    fake = ScriptedWatch([lambda: helper.write_text(""), {(Change.added, str(helper))}])
    stream = stream_for([project], fake, [], reappear_seconds=30)
    with running(stream):  # handed over long before the 30 s an emptied file would get
        assert take(stream, timeout=10).paths == {helper}


def test_a_git_checkout_is_one_batch_however_long_git_pauses(project: Path) -> None:
    lock = project / ".git" / "index.lock"
    lock.parent.mkdir()
    mods = [project / f"mod{index}.py" for index in range(3)]
    script: list[Step] = [lambda: lock.write_text("")]
    for mod in mods:  # git writes the files, pausing (the consumer is waiting)
        script += [
            lambda mod=mod: mod.write_text("X = 1\n"),  # type: ignore[misc]
            {(Change.deleted, str(mod)), (Change.added, str(mod))},
            WhenTaken(),
        ]
    script.append(lock.unlink)
    fake = ScriptedWatch(script)
    stream = stream_for([project], fake, [])
    with running(stream):
        assert take(stream).paths == set(mods)


def test_a_save_without_git_at_work_is_not_held(project: Path) -> None:
    (project / ".git").mkdir()
    lock = project / ".git" / "index.lock"
    lock.write_text("")  # left over by a git that was killed long ago
    os.utime(lock, (0, 0))
    app = project / "app.py"
    fake = ScriptedWatch([lambda: app.write_text("v = 2\n"), {(Change.modified, str(app))}])
    stream = stream_for([project], fake, [])
    stream.remember({app: app.read_bytes()})
    with running(stream):
        assert take(stream).paths == {app}
        assert stream.next_batch(timeout=0.3) is None


def test_batches_queued_during_a_reload_come_as_one(project: Path) -> None:
    a, b = project / "a.py", project / "b.py"
    fake = ScriptedWatch(
        [
            lambda: a.write_text("a"),
            {(Change.added, str(a))},
            lambda: b.write_text("b"),
            {(Change.added, str(b))},
        ]
    )
    stream = stream_for([project], fake, [])
    with running(stream):
        wait_for(lambda: stream.saves_seen() == 2)  # both queued while "a reload runs"
        assert take(stream).paths == {a, b}
        assert stream.saves_seen() == 2


def test_a_watcher_that_stops_is_reported_and_restarted(project: Path) -> None:
    """Issue 10 item 5: never keep serving without watching, and say so."""
    app = project / "app.py"
    notices: list[WatchNotice] = []
    fake = ScriptedWatch(
        [RuntimeError("inotify event queue overflowed")],
        [lambda: app.write_text("v = 2\n"), {(Change.modified, str(app))}],
    )
    stream = stream_for([project], fake, notices)
    stream.remember({app: app.read_bytes()})
    with running(stream):
        assert take(stream).paths == {app}
        wait_for(lambda: stream.next_batch(timeout=0) is None and len(notices) >= 2)
        assert [n.kind for n in notices] == ["stopped", "resumed"]
        assert notices[0].deaf and not notices[1].deaf
        assert "inotify event queue overflowed" in notices[0].message
        assert len(fake.calls) == 2


def test_repeated_failures_are_said_once_and_retried(project: Path) -> None:
    notices: list[WatchNotice] = []
    fake = ScriptedWatch(*[[OSError(f"failure {n}")] for n in range(3)])
    stream = stream_for([project], fake, notices)
    with running(stream):
        wait_for(lambda: len(fake.calls) >= 4, what="four attempts")
        wait_for(lambda: stream.next_batch(timeout=0) is None and len(notices) >= 2)
        assert [n.kind for n in notices] == ["stopped", "resumed"]


def test_an_unreadable_folder_is_named_and_skipped(project: Path) -> None:
    """Issue 10 item 3, the watcher's side: notify refuses the tree, the watch goes on."""
    app = project / "app.py"
    notices: list[WatchNotice] = []
    fake = ScriptedWatch(
        [PermissionError(13, "Permission denied", str(project / "pgdata"))],
        [lambda: app.write_text("v = 2\n"), {(Change.modified, str(app))}],
    )
    stream = stream_for([project], fake, notices)
    with running(stream):
        assert take(stream).paths == {app}
        assert [n.kind for n in notices] == ["unreadable"]
        assert "permission denied" in notices[0].message
        assert fake.calls[0]["ignore_permission_denied"] is False
        assert fake.calls[1]["ignore_permission_denied"] is True


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    """A generated module (``X = 1``) in a folder of its own, the watched root."""
    root = tmp_path.resolve() / "gen"
    root.mkdir()
    module = root / "generated.py"
    module.write_text("X = 1\n")
    return module


def test_a_deleted_root_is_watched_again_when_it_comes_back(generated: Path) -> None:
    """Issue 10 item 4: the folder goes, devreload says so, and reloads once it is back."""
    module, root = generated, generated.parent
    notices: list[WatchNotice] = []

    def regenerate(notice: WatchNotice) -> None:
        notices.append(notice)
        if notice.kind == "root_gone":
            root.mkdir()
            module.write_text("X = 2\n")

    fake = ScriptedWatch([lambda: shutil.rmtree(root), {(Change.deleted, str(module))}])
    watcher = Watcher([root], SourceFilter(roots=[root]), check_ms=10, watch=fake)
    fake.watcher = watcher
    stream = ChangeStream(watcher, on_notice=regenerate)
    stream.remember({module: module.read_bytes()})
    with running(stream):
        regenerated = take(stream)  # the deletion is not handed over: the notice says it
        assert regenerated.paths == {module} and module.read_text() == "X = 2\n"
        assert [n.kind for n in notices] == ["root_gone", "root_back"]
        assert notices[0].deaf and not notices[1].deaf
        assert len(fake.calls) == 2  # a new watch on the new folder
        assert stream.next_batch(timeout=0.3) is None


def test_a_replaced_root_is_watched_anew_without_a_gap(generated: Path) -> None:
    """Deleted and re-created between two checks: no "gone" notice, one batch, a new watch."""
    module, root = generated, generated.parent
    notices: list[WatchNotice] = []

    def replace() -> None:
        shutil.rmtree(root)
        root.mkdir()
        module.write_text("X = 2\n")

    # inotify reports the root's own deletion; the new folder may even reuse its inode.
    fake = ScriptedWatch([replace, {(Change.deleted, str(module)), (Change.deleted, str(root))}])
    stream = stream_for([root], fake, notices)
    stream.remember({module: module.read_bytes()})
    with running(stream):
        assert take(stream).paths == {module}
        wait_for(lambda: len(fake.calls) == 2, what="the watch set up again")
        assert notices == []
        assert stream.next_batch(timeout=0.3) is None  # unchanged content is not handed over twice


def test_a_new_folder_counts_with_the_files_already_in_it(project: Path) -> None:
    """inotify watches a new folder only once it exists: files written before that count too."""
    package = project / "pkg"

    def checkout() -> None:
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "views.py").write_text("X = 1\n")
        (project / "node_modules" / "dep").mkdir(parents=True)
        (project / "node_modules" / "dep" / "index.js").write_text("")

    fake = ScriptedWatch(
        [
            checkout,
            # the watch came too late for the files: only the folders were reported
            {(Change.added, str(package)), (Change.added, str(project / "node_modules"))},
        ]
    )
    stream = stream_for([project], fake, [])
    with running(stream):
        assert take(stream).paths == {package / "__init__.py", package / "views.py"}
        assert stream.next_batch(timeout=0.3) is None


def test_a_save_made_while_the_watcher_was_down_is_not_lost(project: Path) -> None:
    app = project / "app.py"
    notices: list[WatchNotice] = []
    fake = ScriptedWatch([lambda: app.write_text("v = 2\n"), RuntimeError("lost the watch")])
    stream = stream_for([project], fake, notices)
    stream.remember({app: app.read_bytes()})
    with running(stream):
        assert take(stream).paths == {app}
        assert [n.kind for n in notices] == ["stopped", "resumed"]
        assert stream.next_batch(timeout=0.3) is None


def test_a_save_made_during_the_load_is_a_change_from_what_was_loaded(project: Path) -> None:
    """What was loaded is the bytes the app ran, not the file once the load is over: a
    save made before the watch was set up, or while the load ran, is handed over."""
    app, helper = project / "app.py", project / "helper.py"
    helper.write_text("h = 1\n")
    loaded = {app: app.read_bytes(), helper: helper.read_bytes()}
    app.write_text("v = 2\n")  # saved after the load read the file, before the watch began
    fake = ScriptedWatch([])  # nothing happens once the watch is set up
    stream = stream_for([project], fake, [])
    stream.remember(loaded)
    with running(stream):
        assert take(stream).paths == {app}
        assert stream.next_batch(timeout=0.3) is None
