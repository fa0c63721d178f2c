"""The open tabs and what each shows: the closed loop of a save.

Every page that runs devreload's client says hello when its connection opens
(``POST /__devreload__/tab``), says which version it shows after each save, or
why it could not show it (it then reloads itself with its state, or keeps its page:
an error shown over the last good page, a form POST's answer), and says bye
when it closes. A reload published to the pages opens a :class:`Round`, which
collects those confirmations: the engine reports how many of the tabs told show
the new version, and how long the slowest took.

The tabs of one browser share one connection (a channel): when that stream
closes, every tab on it is gone, until it says hello again (the last tab of a
browser that reloads itself takes the stream with it, and comes back). For a
while they are only away: a proxy that ends idle or long responses, or a network
blip, cuts the stream and the browser opens it again; a save published meanwhile
still waits for them, and they take it with their hello.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Round", "Tab", "TabNews", "Tabs"]

logger = logging.getLogger("reloader.tabs")

#: The most tabs remembered (a page that floods hellos cannot grow the registry).
MAX_TABS = 1000
#: Rounds kept for confirmations that arrive late.
MAX_ROUNDS = 16
#: How long the tabs of a stream that closed are expected back (the browser opens
#: it again within a second or two, see reloader.notify._push.RECONNECT_MS).
AWAY_SECONDS = 10.0


@dataclass
class Tab:
    id: str
    #: For people: "tab 3" (numbered in the order the tabs first said hello).
    number: int
    channel: str
    path: str = ""
    title: str = ""
    #: The version the tab shows (None: not known yet).
    version: int | None = None
    #: Why the tab could not show the last version (it reloads itself).
    problem: str = ""

    def name(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"tab {self.number}{where}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tab": self.number,
            "path": self.path,
            "title": self.title,
            "version": self.version,
        }
        if self.problem:
            data["problem"] = self.problem
        return data


@dataclass
class Round:
    """One reload as the tabs take it: who was told, who shows it, who could not."""

    version: int
    started: float  # time.monotonic() at the publish
    expected: set[str]
    #: tab id -> seconds from the publish to its confirmation.
    shown: dict[str, float] = field(default_factory=dict)
    #: tab id -> why it could not show it (it reloads itself to get there).
    failed: dict[str, str] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)
    #: Called once every tab told shows it (on the thread that heard the last one).
    on_done: list[Callable[[], None]] = field(default_factory=list)

    @property
    def told(self) -> int:
        return len(self.expected)

    @property
    def slowest_ms(self) -> float | None:
        return max(self.shown.values()) * 1000 if self.shown else None

    def pending(self) -> set[str]:
        return self.expected - set(self.shown)

    def wait(self, timeout: float) -> bool:
        """True once every tab told shows this version (or a newer one)."""
        return self.done.wait(timeout)


@dataclass(frozen=True)
class TabNews:
    """Something a person should hear about a tab (the engine prints it)."""

    kind: str  # "failed": could not show a version; "late": shows it at last
    tab: Tab
    version: int
    reason: str = ""
    seconds: float = 0.0
    #: For "failed": the tab reloads itself to get there (else it keeps its page).
    reloads: bool = True


class Tabs:
    """The tabs of one served app (thread-safe; the server's loop writes, the engine reads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tabs: dict[str, Tab] = {}
        #: Tabs whose stream closed, and when: expected back within AWAY_SECONDS.
        self._away: dict[str, float] = {}
        self._numbers = 0
        #: A tab that comes back (its page reloaded, its browser reconnected) keeps its number.
        self._known: dict[str, int] = {}
        self._rounds: list[Round] = []
        #: Told about a failed tab or a late confirmation (the engine's reporter).
        self.listeners: list[Callable[[TabNews], None]] = []
        #: Rounds whose line was already printed: a confirmation after it is news.
        self._reported: set[int] = set()

    # -- what the pages say -------------------------------------------------------

    def handle(self, message: Mapping[str, Any]) -> bool:
        """A page's POST: ``{"op": "hello"|"shown"|"failed"|"bye", "tab": id, ...}``.
        False for a message that is not one of these."""
        op = message.get("op")
        tab_id = message.get("tab")
        if not isinstance(tab_id, str) or not tab_id or len(tab_id) > 100:
            return False
        version = _int(message.get("version"))
        if op == "hello":
            channel = message.get("channel")
            self.hello(
                tab_id,
                str(channel) if channel is not None else "",
                version,
                path=str(message.get("path") or "")[:300],
                title=str(message.get("title") or "")[:200],
            )
        elif op == "shown" and version is not None:
            self.shown(tab_id, version)
        elif op == "failed" and version is not None:
            reason = str(message.get("reason") or "")[:500]
            self.failed(tab_id, version, reason, reloads=message.get("reloads") is not False)
        elif op == "bye":
            self.bye(tab_id)
        else:
            return False
        return True

    def hello(
        self, tab_id: str, channel: str, version: int | None, *, path: str = "", title: str = ""
    ) -> Tab:
        with self._lock:
            tab = self._tabs.get(tab_id)
            if tab is None:
                if len(self._tabs) >= MAX_TABS:
                    self._tabs.pop(next(iter(self._tabs)))
                number = self._known.get(tab_id)
                if number is None:
                    self._numbers += 1
                    number = self._known[tab_id] = self._numbers
                    if len(self._known) > MAX_TABS:
                        self._known.pop(next(iter(self._known)))
                tab = self._tabs[tab_id] = Tab(tab_id, number, channel)
            tab.channel, tab.path, tab.title = channel, path or tab.path, title or tab.title
            self._away.pop(tab_id, None)
        # A page loaded (or reloaded) at a version shows it.
        if version is not None:
            self.shown(tab_id, version)
        return tab

    def shown(self, tab_id: str, version: int) -> None:
        now = time.monotonic()
        late: Round | None = None
        with self._lock:
            tab = self._tabs.get(tab_id)
            if tab is None:
                return
            if tab.version is None or version >= tab.version:
                tab.version = version
                tab.problem = ""
            for round_ in self._rounds:
                if round_.version > version or tab_id in round_.shown:
                    continue
                if tab_id not in round_.expected:
                    continue
                round_.shown[tab_id] = now - round_.started
                if round_.version in self._reported:
                    late = round_
                self._settle(round_)
        if late is not None:
            self._tell([TabNews("late", tab, late.version, seconds=late.shown[tab_id])])

    def failed(self, tab_id: str, version: int, reason: str, *, reloads: bool = True) -> None:
        with self._lock:
            tab = self._tabs.get(tab_id)
            if tab is None:
                return
            tab.problem = reason
            for round_ in self._rounds:
                if round_.version == version and tab_id in round_.expected:
                    round_.failed[tab_id] = reason
        self._tell([TabNews("failed", tab, version, reason=reason, reloads=reloads)])

    def bye(self, tab_id: str) -> None:
        with self._lock:
            self._tabs.pop(tab_id, None)
            self._away.pop(tab_id, None)
            self._forget([tab_id])

    def channel_closed(self, channel: str) -> None:
        """A browser's stream closed: its tabs are gone, or are loading again (the last
        tab of a browser reloading itself takes the stream with it), or their stream
        was cut and opens again. A round still waits for them, within its bound, and
        so does one opened while they are away: a tab back with its hello counts."""
        now = time.monotonic()
        with self._lock:
            self._prune_away(now)
            for tab_id in [tab.id for tab in self._tabs.values() if tab.channel == channel]:
                del self._tabs[tab_id]
                self._away[tab_id] = now

    def _prune_away(self, now: float) -> None:
        for tab_id, since in list(self._away.items()):
            if now - since > AWAY_SECONDS:
                del self._away[tab_id]

    def _forget(self, gone: list[str]) -> None:
        """Tabs that closed are not waited for."""
        for round_ in self._rounds:
            for tab_id in gone:
                if tab_id not in round_.shown:
                    round_.expected.discard(tab_id)
            self._settle(round_)

    @staticmethod
    def _settle(round_: Round) -> None:
        if round_.done.is_set() or round_.pending():
            return
        round_.done.set()
        for callback in round_.on_done:
            try:
                callback()
            except Exception:
                logger.exception("a round's callback failed")

    def _tell(self, news: list[TabNews]) -> None:
        for item in news:
            for listener in list(self.listeners):
                try:
                    listener(item)
                except Exception:  # a reporter's bug must not break the page's request
                    logger.exception("a tab listener failed")

    # -- what the engine asks ------------------------------------------------------

    def open_round(self, version: int) -> Round:
        """A reload to ``version`` goes out now to the tabs connected."""
        now = time.monotonic()
        with self._lock:
            self._prune_away(now)
            round_ = Round(version, now, set(self._tabs) | set(self._away))
            for tab in self._tabs.values():
                if tab.version is not None and tab.version >= version:
                    round_.shown[tab.id] = 0.0
            self._settle(round_)
            self._rounds.append(round_)
            del self._rounds[:-MAX_ROUNDS]
            return round_

    def last_round(self) -> Round | None:
        with self._lock:
            return self._rounds[-1] if self._rounds else None

    def reported(self, round_: Round) -> None:
        """The engine printed ``round_``'s line: confirmations after it are news."""
        with self._lock:
            self._reported.add(round_.version)
            if len(self._reported) > MAX_ROUNDS:
                self._reported = {r.version for r in self._rounds}

    def numbers(self, tab_ids: Iterable[str]) -> tuple[int, ...]:
        """The numbers of these tabs (also of those closed since), in order."""
        with self._lock:
            return tuple(sorted(n for i in tab_ids if (n := self._known.get(i)) is not None))

    def tab(self, tab_id: str) -> Tab | None:
        with self._lock:
            return self._tabs.get(tab_id)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._tabs)

    def snapshot(self) -> list[dict[str, Any]]:
        """The open tabs, for ``GET /__devreload__/status``."""
        with self._lock:
            return [tab.to_json() for tab in self._tabs.values()]


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
