"""Stage 2, plan: which local modules to re-run after a change, in which order."""

from __future__ import annotations

from reloader.plan._planner import LocalModule, Plan, Planner, imported_names

__all__ = ["LocalModule", "Plan", "Planner", "imported_names"]
