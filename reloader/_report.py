"""Everything devreload says to the user goes through here (stderr, one line each)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

__all__ = ["ReloadTiming", "Reporter"]


@dataclass
class ReloadTiming:
    changed: list[Path]
    detect_ms: float
    execute_ms: float
    swap_ms: float
    push_ms: float
    tabs: int

    @property
    def total_ms(self) -> float:
        return self.detect_ms + self.execute_ms + self.swap_ms + self.push_ms


def _short(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Reporter:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def say(self, text: str) -> None:
        print(f"devreload: {text}", file=self._stream or sys.stderr, flush=True)

    def serving(self, url: str, adapter: str, roots: list[Path]) -> None:
        watched = ", ".join(_short(root) or "." for root in roots)
        self.say(f"serving {url} ({adapter}); watching {watched}")

    def reloaded(self, timing: ReloadTiming) -> None:
        changed = ", ".join(_short(path) for path in timing.changed[:3])
        if len(timing.changed) > 3:
            changed += f" (+{len(timing.changed) - 3} more)"
        tabs = "tab" if timing.tabs == 1 else "tabs"
        self.say(
            f"reloaded {changed} in {timing.total_ms:.0f} ms "
            f"(detect {timing.detect_ms:.0f}, execute {timing.execute_ms:.0f}, "
            f"swap {timing.swap_ms:.0f}, push {timing.push_ms:.0f} ms; {timing.tabs} {tabs} told)"
        )

    def failed(self, headline: str, details: str, tabs: int) -> None:
        self.say(
            f"reload failed, still serving the last good version; fix and save to retry.\n"
            f"{details.rstrip()}\n"
            f"devreload: {headline} ({tabs} tabs told)"
        )
