"""The tabs' confirmations (reloader.notify.Tabs) and the line that waits for them
(reloader.engine._shown): pure logic, no server; the browsers are in test_tabs_browser.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from reloader._events import Event
from reloader._report import render
from reloader.engine._shown import ShownLines
from reloader.notify import TabNews, Tabs, _tabs


def reloaded(total: float = 15.0) -> Event:
    timings = {"detect": 4.0, "execute": 8.0, "swap": 2.0, "push": 1.0, "total": total}
    return Event("reloaded", generation=1, tier="full", timings_ms=timings)


def test_a_round_is_done_once_every_tab_told_shows_its_version() -> None:
    tabs = Tabs()
    tabs.hello("a", "c1", 0, path="/")
    tabs.hello("b", "c1", 0, path="/other")
    round_ = tabs.open_round(1)
    assert round_.told == 2 and not round_.done.is_set()
    tabs.shown("a", 1)
    assert round_.pending() == {"b"}
    tabs.shown("b", 2)  # a tab may skip to a newer version: it shows this one's change too
    assert round_.done.is_set()
    assert [tab["version"] for tab in tabs.snapshot()] == [1, 2]
    assert [tab["tab"] for tab in tabs.snapshot()] == [1, 2]


def test_a_tab_that_reloads_itself_comes_back_under_its_number_and_counts() -> None:
    tabs = Tabs()
    tabs.hello("a", "c1", 0)
    round_ = tabs.open_round(1)
    news: list[TabNews] = []
    tabs.listeners.append(news.append)
    tabs.failed("a", 1, "re-rendering threw TypeError")
    assert [(n.kind, n.tab.number, n.reason) for n in news] == [
        ("failed", 1, "re-rendering threw TypeError")
    ]
    tabs.channel_closed("c1")  # its browser's only tab reloads: the stream goes with it
    assert tabs.snapshot() == [] and not round_.done.is_set()
    tabs.hello("a", "c2", 1)  # loaded again, at the new version
    assert round_.done.is_set()
    assert tabs.snapshot()[0]["tab"] == 1


def test_a_closed_tab_is_not_waited_for() -> None:
    tabs = Tabs()
    tabs.hello("a", "c1", 0)
    tabs.hello("b", "c1", 0)
    round_ = tabs.open_round(1)
    tabs.shown("a", 1)
    tabs.bye("b")
    assert round_.done.is_set() and round_.told == 1 == len(round_.shown)


def test_a_save_made_while_a_tabs_stream_is_cut_waits_for_it_to_come_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A proxy that ends idle or long responses cuts the stream; the browser opens it
    again a moment later. A save published in between is still the tab's to confirm."""
    tabs = Tabs()
    tabs.hello("a", "c1", 1)
    tabs.channel_closed("c1")
    round_ = tabs.open_round(2)
    assert round_.told == 1 and tabs.snapshot() == []
    tabs.hello("a", "c2", 1)  # back, at the version it showed: it takes the save
    assert not round_.done.is_set()
    tabs.shown("a", 2)
    assert round_.done.is_set()
    # A tab away for longer is gone (its browser was killed): not waited for.
    tabs.channel_closed("c2")
    monkeypatch.setattr(_tabs, "AWAY_SECONDS", -1.0)
    assert tabs.open_round(3).told == 0


def test_junk_from_a_page_is_refused() -> None:
    tabs = Tabs()
    assert not tabs.handle({"op": "hello"})
    assert not tabs.handle({"op": "dance", "tab": "a"})
    assert not tabs.handle({"op": "shown", "tab": "a", "version": "x"})
    assert tabs.handle({"op": "hello", "tab": "a", "channel": "c", "version": 3})
    assert tabs.snapshot()[0]["version"] == 3


def test_the_line_waits_for_the_tabs_and_says_how_many_show_it() -> None:
    tabs = Tabs()
    tabs.hello("a", "c1", 0)
    tabs.hello("b", "c1", 0)
    emitted: list[Event] = []
    lines = ShownLines(emitted.append, bound=30)
    lines.watch(tabs)
    mark = lines.mark()
    tabs.open_round(1)  # the push
    lines.submit(reloaded(), mark)
    assert emitted == []  # held: the tabs are re-rendering
    tabs.shown("a", 1)
    tabs.shown("b", 1)
    _wait(lambda: emitted)
    event = emitted[0]
    assert (event.tabs, event.tabs_shown) == (2, 2)
    assert event.timings_ms["shown"] >= event.timings_ms["total"]
    assert render(event).endswith(f"2 of 2 tabs show it in {event.timings_ms['shown']:.0f} ms)")


def test_a_newer_line_lets_the_held_one_out_first_and_a_late_tab_gets_a_line() -> None:
    tabs = Tabs()
    tabs.hello("a", "c1", 0, path="/")
    emitted: list[Event] = []
    lines = ShownLines(emitted.append, bound=30)
    lines.watch(tabs)
    mark = lines.mark()
    tabs.open_round(1)
    lines.submit(reloaded(), mark)
    lines.emit(Event("message", message="something else"))
    assert [e.event for e in emitted] == ["reloaded", "message"]
    assert "0 of 1 tab show it)" in render(emitted[0])
    tabs.shown("a", 1)
    assert render(emitted[-1]).startswith("tab 1 at / shows the new version after ")


def test_without_confirmations_the_line_says_how_many_tabs_were_told() -> None:
    assert render(Event("reloaded", tabs=1)).endswith("; 1 tab told)")
    assert render(Event("reloaded", tabs=2)).endswith("; 2 tabs told)")
    failed = Event("failed", tabs=1, files=(Path("app.py"),))  # a save's (not a first load's)
    assert render(failed).endswith("(1 tab told)")


def _wait(condition: object) -> None:
    from reloader.testing import wait_for

    wait_for(condition, timeout=5)  # type: ignore[arg-type]
