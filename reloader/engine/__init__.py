"""The reload pipeline (watch -> plan -> execute -> swap -> notify) and the process
supervision around it: signals, the hang watchdog, interpreter set-up, on_dispose."""

from __future__ import annotations

from reloader._dispose import Disposers, on_dispose
from reloader.engine._interpreter import prepared_interpreter
from reloader.engine._pipeline import Engine
from reloader.engine._supervisor import (
    Abandoned,
    Interrupter,
    Stop,
    Watchdog,
    capture_signals,
    hard_exit_after,
)

__all__ = [
    "Abandoned",
    "Disposers",
    "Engine",
    "Interrupter",
    "Stop",
    "Watchdog",
    "capture_signals",
    "hard_exit_after",
    "on_dispose",
    "prepared_interpreter",
]
