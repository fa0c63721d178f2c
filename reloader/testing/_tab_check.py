"""The conformance check in a browser: an open tab follows several saves and keeps working."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reloader.testing._conformance import ConformanceApp, running, shows
from reloader.testing._page_scripts import TRACK_EVENT_SOURCES
from reloader.testing._process import DevreloadProcess
from reloader.testing._saves import save_in_place

__all__ = ["TAB_SAVES", "TYPED", "tab_keeps_working_across_saves"]


#: How many saves :func:`tab_keeps_working_across_saves` makes, using the tab after each.
TAB_SAVES = 3
#: What the tab check types into :attr:`ConformanceApp.typed`.
TYPED = "typed before the saves"


def tab_keeps_working_across_saves(app: ConformanceApp, folder: Path, page: Any) -> None:
    """An open tab (a Playwright page) shows each of several saves by itself, with no
    F5, and still works after each: a click is answered by the new version's handler
    (``click``), the text typed before the first save is still there (``typed``), and
    the widgets the framework's JavaScript built are intact (``intact_js``). And it
    says so: each save's line counts it among the tabs that show the new version, the
    status endpoint lists it at the newest version, and one status call made after the
    last save (as a coding agent makes it, ``?after=SEQ&wait=S``) answers with that
    save's outcome and this tab among those that show it."""
    if app.page_path is None:
        raise ValueError(
            f"the {app.name} app has no page (page_path=None), so no tab can follow a save: "
            "set page_path to where a browser sees it, or leave this check out."
        )
    app.write(folder)
    with running(app, folder) as process:
        shows(app, process, "version=v1")
        page.add_init_script(TRACK_EVENT_SOURCES)
        page.goto(process.url + app.page_path)
        page.wait_for_function(app.page_ready_js, timeout=30_000)
        _tab_shows(page, "version=v1")
        if app.typed is not None:
            page.fill(app.typed, TYPED)
        seq = 0
        for number in range(2, 2 + TAB_SAVES):
            version = f"v{number}"
            if app.confirms:
                seq = _status(process)["seq"]
            save_in_place(folder / app.app_file, app.source(app.app_file, version))
            _tab_still_works(app, page, version)
        if app.confirms:
            _status_counts_the_tab(app, process, seq)


def _tab_still_works(app: ConformanceApp, page: Any, version: str) -> None:
    """The tab shows ``version``, its widgets and typed text are intact, a click is
    answered by the new handler."""
    _tab_shows(page, f"version={version}")
    if app.intact_js is not None:
        page.wait_for_function(app.intact_js, timeout=10_000)
    if app.typed is not None:
        page.wait_for_function(
            "([selector, text]) => document.querySelector(selector)?.value === text",
            arg=[app.typed, TYPED],
            timeout=10_000,
        )
    if app.click is not None:
        page.click(app.click)
        _tab_shows(page, f"acted in {version}")


def _status_counts_the_tab(app: ConformanceApp, process: DevreloadProcess, seq: int) -> None:
    """Each save's line, the status endpoint and a waiting status call made after the
    last save count this tab among those that show the newest version."""
    answer = _status(process, f"?after={seq}&wait=30")
    process.wait_for_line("1 of 1 tab shows it in", occurrences=TAB_SAVES)
    tabs = answer.get("tabs")
    assert isinstance(tabs, list) and len(tabs) == 1, tabs
    assert tabs[0]["version"] >= TAB_SAVES and tabs[0]["path"] == app.page_path, tabs
    last = answer["last"]
    assert last["event"] in ("reloaded", "patched") and not answer["timed_out"], answer
    assert last["tabs_shown"] == 1 and last["shown_by"] == [tabs[0]["tab"]], answer


def _status(process: DevreloadProcess, query: str = "") -> dict[str, Any]:
    return dict(json.loads(process.get("/__devreload__/status" + query, timeout=40)))


def _tab_shows(page: Any, text: str) -> None:
    page.wait_for_function(
        "(text) => document.body.innerText.includes(text)", arg=text, timeout=30_000
    )
