"""Stage 2, plan: which local modules to re-run after a change, in which order."""

from __future__ import annotations

from reloader.plan._planner import LocalModule, Plan, Planner

__all__ = ["LocalModule", "Plan", "Planner"]
