"""The sentences devreload prints: a patch-tier save, a failed first load, paths."""

from __future__ import annotations

from pathlib import Path

from reloader._events import ErrorInfo, Event
from reloader._report import Reporter, render


def test_a_patch_names_the_functions_it_swapped() -> None:
    event = Event(
        "patched",
        tier="patch",
        files=(Path("app.py"),),
        timings_ms={"total": 4.2},
        functions=("shout()",),
    )
    assert render(event) == "patched shout() in app.py in 4 ms (1 function)"


def test_a_comment_only_save_says_no_code_changed() -> None:
    event = Event("patched", tier="patch", files=(Path("app.py"),), timings_ms={"total": 2.0})
    assert render(event) == (
        "no code changed in app.py (comments or blank lines only); nothing to run (2 ms)"
    )


def test_a_failed_first_load_does_not_speak_of_a_last_good_version() -> None:
    error = ErrorInfo("NameError in app.py, line 3: name 'x' is not defined", "Traceback ...")
    assert render(Event("failed", error=error)) == (
        "the first load failed; nothing is served yet.\nTraceback ...\n"
        "devreload: NameError in app.py, line 3: name 'x' is not defined"
    )


def test_paths_are_shown_relative_to_where_devreload_started(tmp_path: Path) -> None:
    event = Event("patched", files=(tmp_path / "app.py",), functions=("f()",))
    assert render(event, tmp_path).startswith("patched f() in app.py in")
    assert render(event, tmp_path / "elsewhere").startswith(f"patched f() in {tmp_path}/app.py")


def test_the_reporter_works_on_once_its_working_folder_is_deleted(tmp_path: Path) -> None:
    import io
    import os

    folder = tmp_path / "proj"
    folder.mkdir()
    before = os.getcwd()
    os.chdir(folder)
    try:
        stream = io.StringIO()
        reporter = Reporter(stream)
        folder.rmdir()  # `rm -rf proj`: the process's working folder is gone
        folder.mkdir()
        reporter.emit(Event("patched", files=(folder / "app.py",), functions=("f()",)))
    finally:
        os.chdir(before)
    assert stream.getvalue().startswith("devreload: patched f() in app.py in")
