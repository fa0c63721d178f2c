"""Watching: which files count, and editor bursts arriving as one batch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reloader.watch._watcher import SourceFilter, Watcher, WatchNotice, watch_roots
from support import EDITOR_SAVES, wait_for


def wait_until_live(watcher: Watcher, folder: Path) -> None:
    """Prove the watcher sees events before the change under test (deadline 10 s)."""
    probe = folder / "probe.py"

    def sees_a_write() -> bool:
        probe.write_text("x")
        return watcher.next_changes(timeout=0.2) is not None

    wait_for(sees_a_write, timeout=10, what="the watcher to report a write")


@pytest.mark.parametrize(
    ("path", "relevant"),
    [
        ("/p/app.py", True),
        ("/p/static/style.css", True),
        ("/p/templates/page.html", True),
        ("/p/conf.yaml", True),
        ("/p/image.png", False),
        ("/p/.app.py.swp", False),
        ("/p/app.py~", False),
        ("/p/.#app.py", False),
        ("/p/app.py___jb_tmp___", False),
        ("/p/.git/HEAD.py", False),
        ("/p/__pycache__/app.cpython-311.py", False),
        ("/p/.venv/lib/python3.11/site-packages/x.py", False),
        ("/p/node_modules/pkg/index.js", False),
    ],
)
def test_source_filter(path: str, relevant: bool) -> None:
    assert SourceFilter().is_relevant(Path(path)) is relevant


def test_ignore_globs() -> None:
    assert not SourceFilter(["*/generated/*"]).is_relevant(Path("/p/generated/x.py"))
    assert not SourceFilter(["*_test.py"]).is_relevant(Path("/p/a_test.py"))


def test_watch_roots_drop_nested_folders(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    roots = watch_roots([tmp_path / "a" / "b", tmp_path, tmp_path / "a"])
    assert roots == [tmp_path.resolve()]


@pytest.mark.parametrize("editor", sorted(EDITOR_SAVES))
def test_editor_save_is_one_batch(tmp_path: Path, editor: str) -> None:
    app = tmp_path / "app.py"
    app.write_text("v = 1\n")
    watcher = Watcher([tmp_path], SourceFilter())
    watcher.start()
    try:
        wait_until_live(watcher, tmp_path)
        EDITOR_SAVES[editor](app, "v = 2\n")
        batch = watcher.next_changes(timeout=5)
        assert batch is not None and batch.paths == {app}
        assert watcher.next_changes(timeout=0.3) is None
    finally:
        watcher.stop()


def test_changes_during_a_reload_are_merged(tmp_path: Path) -> None:
    watcher = Watcher([tmp_path], SourceFilter())
    watcher.start()
    try:
        wait_until_live(watcher, tmp_path)
        for queued, name in enumerate(("a.py", "b.py"), start=1):
            (tmp_path / name).write_text(name)
            # Nobody takes batches meanwhile, as while a reload runs.
            wait_for(lambda n=queued: watcher.events.qsize() >= n, what=f"{name} queued")
        batch = watcher.next_changes(timeout=1)
        assert batch is not None and {p.name for p in batch.paths} == {"a.py", "b.py"}
    finally:
        watcher.stop()


def test_a_root_deleted_and_recreated_is_watched_again_for_real(tmp_path: Path) -> None:
    """Real inotify: the watch on a deleted root is dead; the watcher sets up a new one."""
    root = tmp_path.resolve() / "gen"
    root.mkdir()
    watcher = Watcher([root], SourceFilter(roots=[root]))
    watcher.start()
    try:
        wait_until_live(watcher, root)
        shutil.rmtree(root)
        wait_for(
            lambda: any(
                isinstance(event, WatchNotice) and event.kind == "root_gone"
                for event in [watcher.next_event(timeout=0.2)]
            ),
            what="the root reported gone",
        )
        root.mkdir()
        (root / "generated.py").write_text("X = 2\n")
        batch = watcher.next_changes(timeout=10)
        assert batch is not None and root / "generated.py" in batch.paths
        # And the new folder is really watched: a later write arrives too.
        wait_for(lambda: watcher.next_changes(timeout=0.2) is None, what="quiet")
        (root / "later.py").write_text("")
        batch = watcher.next_changes(timeout=10)
        assert batch is not None and batch.paths == {root / "later.py"}
    finally:
        watcher.stop()
