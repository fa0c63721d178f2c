"""The reload pipeline (watch -> plan -> execute -> swap -> notify) and the process
supervision around it: signals, the hang watchdog, interpreter set-up.

The command line is its only user; ``reloader.on_dispose`` lives in
:mod:`reloader._dispose`, shared with the executor and the notebook."""

from __future__ import annotations

from reloader.engine._pipeline import Engine

__all__ = ["Engine"]
