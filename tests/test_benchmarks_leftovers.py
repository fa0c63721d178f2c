"""A benchmark run killed with SIGKILL cannot stop its servers: the next run does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks.processes import OWNER_FILE, stop_leftovers
from support import wait_for


def dead_pid() -> int:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


def server_in(folder: Path) -> subprocess.Popen[bytes]:
    folder.mkdir()
    return subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)"],
        cwd=folder,
        start_new_session=True,
    )


def test_servers_of_a_killed_run_are_stopped_and_a_live_runs_are_not(tmp_path: Path) -> None:
    killed_run, live_run = tmp_path / "bench-killed", tmp_path / "bench-live"
    left = server_in(killed_run)
    (killed_run / OWNER_FILE).write_text(str(dead_pid()))
    running = server_in(live_run)
    (live_run / OWNER_FILE).write_text(str(os.getpid()))
    try:
        stopped = stop_leftovers(tmp_path, "bench-")
        assert [line.split()[0] for line in stopped] == [str(left.pid)]
        wait_for(lambda: left.poll() is not None, 10, what="the left-over server stopped")
        assert running.poll() is None
    finally:
        for process in (left, running):
            process.kill()
            process.wait()
