"""What the numbers were measured on."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

__all__ = ["machine_details"]

REPO = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip()


def machine_details(browser_version: str | None = None) -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    dirty = _git("status", "--porcelain", "--", "reloader")
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu_model": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "gradio": _version("gradio"),
        "uvicorn": _version("uvicorn"),
        "fastapi": _version("fastapi"),
        "watchfiles": _version("watchfiles"),
        "devreload": _version("devreload"),
        "devreload_commit": _git("rev-parse", "--short", "HEAD"),
        "devreload_uncommitted_changes": bool(dirty) if dirty is not None else None,
        "chromium": browser_version,
        "load_average_at_start": [round(x, 2) for x in load] if load else None,
    }
