"""The Python >= 3.12 venv that uvicorn-hmr needs, made once and cached.

uvicorn-hmr requires Python 3.12 or newer while the project runs on 3.11, so the
benchmark makes its own venv (``~/.cache/devreload-bench/venv312`` by default,
``DEVRELOAD_BENCH_CACHE`` moves it) with the same Gradio version as the project's
and ``uvicorn-hmr[all]`` (``--refresh`` needs fastapi-reloader). A stamp file
records what was installed; a venv whose stamp matches is reused as it is.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

__all__ = ["HmrEnv", "cache_dir", "ensure_hmr_env"]

STAMP = ".devreload-bench-stamp"


@dataclass(frozen=True)
class HmrEnv:
    venv: Path
    #: ``None`` when the venv is usable, else why not.
    problem: str | None = None
    created: bool = False
    setup_seconds: float = 0.0

    @property
    def executable(self) -> Path:
        return self.venv / "bin" / "uvicorn-hmr"

    def version(self) -> str | None:
        python = self.venv / "bin" / "python"
        try:
            result = subprocess.run(
                [
                    str(python),
                    "-c",
                    "from importlib.metadata import version as v; "
                    "print(v('uvicorn-hmr'), v('hmr'), v('gradio'))",
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return result.stdout.strip()


def cache_dir() -> Path:
    configured = os.environ.get("DEVRELOAD_BENCH_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "devreload-bench"


def _requirements() -> list[str]:
    try:
        gradio = f"gradio=={metadata.version('gradio')}"
    except metadata.PackageNotFoundError:
        gradio = "gradio"
    return [gradio, "uvicorn-hmr[all]"]


def _python_312() -> str | None:
    """A Python >= 3.12 interpreter: on PATH, or one of pyenv's."""
    candidates = [shutil.which(name) for name in ("python3.13", "python3.12")]
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/3.1[2-9]*/bin/python3"), reverse=True)
    if sys.version_info >= (3, 12):
        candidates.insert(0, sys.executable)
    for candidate in candidates:
        if not candidate:
            continue
        try:
            result = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                capture_output=True,
                text=True,
                timeout=30,
                env={k: v for k, v in os.environ.items() if k != "PYENV_VERSION"},
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if result.returncode == 0 and result.stdout.strip() == "True":
            return candidate
    return None


def ensure_hmr_env(allow_create: bool, log_path: Path) -> HmrEnv:
    """The venv if it is ready (or could be made now); never raises."""
    import time

    venv = cache_dir() / "venv312"
    wanted = "\n".join(_requirements())
    stamp = venv / STAMP
    ready = stamp.is_file() and (venv / "bin" / "uvicorn-hmr").is_file()
    if ready and stamp.read_text(encoding="utf-8") == wanted:
        return HmrEnv(venv)
    if not allow_create:
        return HmrEnv(
            venv, problem=f"its Python 3.12 venv is not set up at {venv} (the full run makes it)"
        )
    python = _python_312()
    if python is None:
        return HmrEnv(venv, problem="uvicorn-hmr needs Python >= 3.12 and none was found")
    started = time.perf_counter()
    try:
        with open(log_path, "ab") as log:
            if venv.exists():
                shutil.rmtree(venv)
            venv.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [python, "-m", "venv", str(venv)],
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=300,
            )
            subprocess.run(
                [
                    str(venv / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    *_requirements(),
                ],
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=900,
            )
    except (OSError, subprocess.SubprocessError) as error:
        return HmrEnv(
            venv, problem=f"setting up its Python 3.12 venv failed ({error}); see {log_path}"
        )
    stamp.write_text(wanted, encoding="utf-8")
    return HmrEnv(venv, created=True, setup_seconds=time.perf_counter() - started)
