"""Issue 10 items 3-6 against a real devreload process: the watcher never goes deaf.

Each test prints a one-line FAULT summary for the README's Reliability table
(run with ``-s`` to see them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support import (
    DevreloadProcess,
    devreload,
    markdown_values,
    running,
    save_in_place,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration]

APP = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import gradio as gr

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gen"))
    {imports}

    with gr.Blocks() as demo:
        gr.Markdown("# {title} " + {shown})
    """
)


def write_app(folder: Path, title: str = "v1", imports: str = "", shown: str = '""') -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    app = folder / "app.py"
    app.write_text(APP.format(title=title, imports=imports, shown=shown))
    return app


def summary(text: str) -> None:
    print(f"\nFAULT {text}")


def serving(process: DevreloadProcess, text: str, timeout: float = 30) -> None:
    wait_for(
        lambda: any(text in value for value in markdown_values(process.config())),
        timeout=timeout,
        what=f"{text!r} served",
    )


# -- item 3: an unreadable folder ---------------------------------------------------


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder an unprivileged user can use (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="devreload-watch-"))
    folder.chmod(0o777)
    try:
        yield folder.resolve()
    finally:
        for path in folder.rglob("*"):  # let the clean-up into what was made unreadable
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def test_an_unreadable_folder_is_skipped_and_the_rest_watched(shared_folder: Path) -> None:
    """A docker-compose ``./pgdata`` owned by another user, mode 0700."""
    project = shared_folder / "proj"
    app = write_app(project)
    pgdata = project / "pgdata"
    pgdata.mkdir()
    (pgdata / "PG_VERSION.py").write_text("")
    home = shared_folder / "home"
    home.mkdir()
    for path in [project, app, home]:
        path.chmod(0o777 if path.is_dir() else 0o666)
    process = DevreloadProcess(
        app,
        env={"HOME": str(home), "GRADIO_TEMP_DIR": str(home / "gradio")},
    )
    if os.geteuid() == 0:
        # root reads everything: run devreload as nobody, pgdata stays root's with 0700.
        pgdata.chmod(0o700)
        process.command = [
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *process.command,
        ]  # fmt: skip
    else:
        pgdata.chmod(0)
    with running(process):
        process.wait_ready(timeout=90)
        process.wait_for_line("permission denied")
        assert process.count(str(pgdata)) >= 1
        save_in_place(app, app.read_text().replace("# v1", "# v2"))
        serving(process, "# v2")
        assert "file watcher stopped" not in process.output
        summary("unreadable subfolder (0700, another user's): named once, skipped, edits served")


# -- item 4: a watched folder deleted and re-created -----------------------------------


def test_a_regenerated_watch_folder_is_watched_again(tmp_path: Path) -> None:
    """A code generator wipes and rewrites the ``--watch`` folder; its next output is served."""
    gen = tmp_path / "gen"
    gen.mkdir()
    (gen / "generated.py").write_text('TEXT = "g1"\n')
    app = write_app(tmp_path / "proj", imports="import generated", shown="generated.TEXT")
    with devreload(app, args=["--watch", str(gen)]) as process:
        process.wait_ready()
        serving(process, "# v1 g1")
        shutil.rmtree(gen)
        process.wait_for_line(f"the watched folder {gen} is gone")
        started = time.monotonic()
        gen.mkdir()
        (gen / "generated.py").write_text('TEXT = "g2"\n')
        process.wait_for_line(f"watching {gen} again")
        serving(process, "# v1 g2")
        took = time.monotonic() - started
        # And it is really watched again: the next generation is served too.
        (gen / "generated.py").write_text('TEXT = "g3"\n')
        serving(process, "# v1 g3")
        summary(
            "--watch folder deleted then re-created: told, re-watched, "
            f"new output served {took:.1f} s after it came back"
        )


def test_a_folder_replaced_in_one_go_is_watched_again(tmp_path: Path) -> None:
    """``rm -rf gen && generate``: gone and back between two checks, then edited again."""
    gen = tmp_path / "gen"
    gen.mkdir()
    (gen / "generated.py").write_text('TEXT = "g1"\n')
    app = write_app(tmp_path / "proj", imports="import generated", shown="generated.TEXT")
    with devreload(app, args=["--watch", str(gen)]) as process:
        process.wait_ready()
        subprocess.run(
            ["sh", "-c", "rm -rf gen && mkdir gen && echo 'TEXT = \"g2\"' > gen/generated.py"],
            cwd=tmp_path,
            check=True,
        )
        serving(process, "# v1 g2")
        save_in_place(gen / "generated.py", 'TEXT = "g3"\n')
        serving(process, "# v1 g3")
        summary("--watch folder replaced by rm -rf && regenerate: re-watched, both outputs served")


@pytest.mark.parametrize("started_in", ["project", "parent"])
def test_the_apps_own_folder_replaced(tmp_path: Path, started_in: str) -> None:
    """A branch switch or a deploy script swaps the whole project folder.

    Started in the project, the folder is the watched root; started in its parent,
    it is a folder inside the root, re-created with its files already written.
    """
    project = tmp_path / "proj"
    app = write_app(project)
    with devreload(app, cwd=project if started_in == "project" else tmp_path) as process:
        process.wait_ready()
        os.replace(project, tmp_path / "proj.old")
        write_app(project, title="v2")
        serving(process, "# v2")
        save_in_place(app, app.read_text().replace("# v2", "# v3"))
        serving(process, "# v3")
        summary(f"the app's own folder replaced (started in the {started_in}): new app served")


def test_the_folder_devreload_runs_in_deleted_and_recreated(tmp_path: Path) -> None:
    """`rm -rf proj && mkdir proj` under a devreload started in proj: the process's
    working folder is gone for good. It serves on, and the app's relative paths
    open in the new folder, as in `python app.py` started there now."""
    project = tmp_path / "proj"
    app = write_app(project, shown='Path("data.txt").read_text()')
    (project / "data.txt").write_text("d1")
    with devreload(app, cwd=project) as process:
        serving(process, "# v1 d1", timeout=60)
        subprocess.run(["sh", "-c", "rm -rf proj && mkdir proj"], cwd=tmp_path, check=True)
        write_app(project, shown='Path("data.txt").read_text()')
        (project / "data.txt").write_text("d2")
        # Whether the watcher saw the folder gone ("watching ... again") or only
        # replaced, the files it finds in the new folder are handed over as they are.
        save_in_place(app, app.read_text().replace("# v1", "# v2"))
        serving(process, "# v2 d2")
        assert process.process is not None and process.process.poll() is None
        assert "internal error" not in process.output
        summary("the folder devreload runs in deleted and re-created: served on, edits served")


# -- item 5: the watcher stops ----------------------------------------------------------

#: Loaded before devreload: makes watchfiles fail once, the first time it reports a
#: change to a file named ``break_the_watcher.py`` (as an inotify overflow would).
FAULT = textwrap.dedent(
    """
    import runpy, sys
    from pathlib import Path
    import watchfiles

    real_watch = watchfiles.watch
    broken = []

    def watch(*paths, **options):
        for changes in real_watch(*paths, **options):
            if not broken and any(Path(p).name == "break_the_watcher.py" for _, p in changes):
                broken.append(True)
                raise RuntimeError("injected: inotify event queue overflowed")
            yield changes

    watchfiles.watch = watch
    sys.argv[0] = "devreload"
    runpy.run_module("reloader", run_name="__main__", alter_sys=True)
    """
)


def test_a_watcher_that_stops_is_told_everywhere_and_restarted(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    process = DevreloadProcess(app)
    process.command = [sys.executable, "-c", FAULT, *process.command[3:]]
    events: list[str] = []

    def listen() -> None:
        try:
            with (
                httpx.Client(base_url=process.url, timeout=None) as client,
                client.stream("GET", "/gradio_api/dev/reload") as stream,
            ):
                for line in stream.iter_lines():
                    events.append(line)
        except httpx.HTTPError:  # devreload stopped at the end of the test
            pass

    with running(process):
        process.wait_ready()
        threading.Thread(target=listen, daemon=True).start()
        wait_for(lambda: events, what="the tab connected")
        (tmp_path / "break_the_watcher.py").write_text("")
        process.wait_for_line("the file watcher stopped (RuntimeError: injected")
        started = time.monotonic()
        wait_for(lambda: "event: error" in events, what="an error pushed to the tab")
        assert any("the file watcher stopped" in line for line in events)
        process.wait_for_line("the file watcher is running again")
        took = time.monotonic() - started
        wait_for(lambda: "event: reload" in events, what=f"the error cleared: {events}")
        save_in_place(app, app.read_text().replace("# v1", "# v2"))
        serving(process, "# v2")
        summary(
            "watcher crash (injected): told in terminal and tab, "
            f"running again within {took:.1f} s, next save served"
        )


# -- item 6: folder names above the project, a package named env -----------------------


def test_a_project_under_env_with_a_package_named_env(tmp_path: Path) -> None:
    project = tmp_path / "env" / "proj"
    app = write_app(project, imports="import env.settings", shown="env.settings.NAME")
    (project / "env").mkdir()
    (project / "env" / "__init__.py").write_text("")
    (project / "env" / "settings.py").write_text('NAME = "s1"\n')
    with devreload(app) as process:
        process.wait_ready()
        serving(process, "# v1 s1")
        save_in_place(project / "env" / "settings.py", 'NAME = "s2"\n')
        serving(process, "# v1 s2")
        save_in_place(app, app.read_text().replace("# v1", "# v2"))
        serving(process, "# v2 s2")
        summary("project under .../env/ with a package env/: both reload")
