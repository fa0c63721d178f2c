"""Server processes: each in its own session, output to a log file, killed as a group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

__all__ = ["OWNER_FILE", "ServerProcess", "free_port", "stop_leftovers"]

#: In a run's scratch folder: the pid of the benchmark process that made it.
OWNER_FILE = "owner.pid"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """One tool's server: started in a new session so that the whole group can be killed."""

    def __init__(
        self, command: Sequence[str], cwd: Path, env: dict[str, str], log_path: Path
    ) -> None:
        self.command = list(command)
        self.cwd = cwd
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.started_at = 0.0
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self) -> float:
        """Start the server; returns ``time.perf_counter()`` just before the spawn."""
        if self._log is None:
            self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop())
        self._log.write(f"\n=== start: {' '.join(self.command)}\n".encode())
        self._log.flush()
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1
        return self.started_at

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill_group(self, first: int = signal.SIGTERM, grace: float = 5.0) -> None:
        """Signal the process group, wait up to ``grace`` s, then SIGKILL the group."""
        process = self.process
        if process is None:
            return
        pgid = process.pid  # the leader of its own session and group
        _signal_group(pgid, first)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
        # Children (Gradio's reload child, uvicorn's worker) may outlive the leader.
        _signal_group(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):  # a zombie we cannot reap
            process.wait(5)

    def restart(self, grace: float = 5.0) -> None:
        """What a developer does by hand: Ctrl+C, then run the command again."""
        self.kill_group(signal.SIGINT, grace)
        self.start()

    def stop(self) -> None:
        try:
            self.kill_group(signal.SIGTERM, 5.0)
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_leftovers(scratch_parent: Path, prefix: str) -> list[str]:
    """Stop the servers an earlier run left behind when it was killed (SIGKILL gives it
    no chance to stop them): processes working in a scratch folder whose run is gone.
    Returns what was stopped, one line each."""
    import psutil

    stale: list[Path] = []
    for folder in scratch_parent.glob(f"{prefix}*"):
        try:
            owner = int((folder / OWNER_FILE).read_text())
        except (OSError, ValueError):
            owner = 0
        if not owner or not psutil.pid_exists(owner):
            stale.append(folder.resolve())
    stopped: list[str] = []
    if not stale:
        return stopped
    for process in psutil.process_iter(["pid", "cwd", "cmdline"]):
        cwd = process.info.get("cwd")
        if not cwd or not any(Path(cwd).is_relative_to(folder) for folder in stale):
            continue
        with contextlib.suppress(OSError, psutil.Error):
            os.killpg(os.getpgid(process.pid), signal.SIGKILL)
            stopped.append(f"{process.pid} {' '.join(process.info.get('cmdline') or [])[:120]}")
    return stopped
