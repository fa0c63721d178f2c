"""The sentences devreload prints for a patch-tier save."""

from __future__ import annotations

from pathlib import Path

from reloader._events import Event
from reloader._report import render


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
