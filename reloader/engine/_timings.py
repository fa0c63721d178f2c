"""How long putting one batch of saves in service took, as its event's ``timings_ms``.

Every tier reports the same shape: ``detect`` (from the newest save to the engine),
then one entry per step the tier ran, in order, then ``total``, their sum."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

__all__ = ["Timings"]


class Timings:
    """Step durations in milliseconds; each step lasts from the end of the one before
    it (the first one from when the engine took the batch)."""

    def __init__(self, detect_ms: float, started: float) -> None:
        self._ms: dict[str, float] = {"detect": detect_ms}
        self._step_began = started

    @classmethod
    def since_saved(cls, paths: Iterable[Path], received: float) -> Timings:
        """Timings of a batch the engine takes now, ``received`` (perf_counter) when the
        watcher handed it over."""
        started = time.perf_counter()
        return cls(_detect_ms(paths, received), started)

    def step(self, name: str) -> None:
        """The step ``name`` has just ended."""
        now = time.perf_counter()
        self._ms[name] = (now - self._step_began) * 1000
        self._step_began = now

    def skipped(self, name: str) -> None:
        """The step ``name`` had nothing to do (shown as 0, so tiers compare column by column)."""
        self._ms[name] = 0.0

    def as_dict(self) -> dict[str, float]:
        return {**self._ms, "total": sum(self._ms.values())}


def _detect_ms(paths: Iterable[Path], received: float) -> float:
    """From the newest save (its mtime) to the batch reaching the engine."""
    mtimes = []
    for path in paths:
        try:
            mtimes.append(path.stat().st_mtime)
        except OSError:
            continue
    if not mtimes:
        return 0.0
    # received is perf_counter(); convert the wall-clock mtime into that scale.
    saved_at = max(mtimes) - time.time() + time.perf_counter()
    return max(0.0, (received - saved_at) * 1000)
