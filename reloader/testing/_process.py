"""A real ``python -m reloader APP`` process on a free port, and what it prints."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from reloader.testing._waiting import wait_for

__all__ = ["DevreloadProcess", "devreload", "free_port"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class DevreloadProcess:
    def __init__(
        self,
        app: Path,
        *,
        port: int | None = None,
        args: Sequence[str] = (),
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.app = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            python,
            "-m",
            "reloader",
            str(app),
            "--port",
            str(self.port),
            *args,
        ]
        self.cwd = cwd or app.parent
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> DevreloadProcess:
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def wait_exit(self, timeout: float) -> int:
        """The exit code, once the process ended and everything it printed was read
        (the reading thread reaches the end of its output a moment after the exit)."""
        assert self.process is not None
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return int(code)

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def count(self, text: str) -> int:
        with self._lock:
            return sum(text in line for line in self.lines)

    def wait_for_line(self, text: str, timeout: float = 30.0, occurrences: int = 1) -> None:
        wait_for(
            lambda: self.count(text) >= occurrences or self._died(),
            timeout,
            what=f"{text!r} in devreload's output",
        )
        if self.count(text) < occurrences:
            raise AssertionError(f"devreload exited before printing {text!r}:\n{self.output}")

    def _died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def wait_ready(self, timeout: float = 60.0) -> DevreloadProcess:
        self.wait_for_line("devreload: serving", timeout)
        return self

    def get(self, path: str, timeout: float = 5.0) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
            return bytes(response.read())

    def config(self) -> dict[str, Any]:
        import json

        return dict(json.loads(self.get("/config")))

    def wait_for_config(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15.0
    ) -> dict[str, Any]:
        return wait_for(
            lambda: (lambda c: c if predicate(c) else None)(self.config()),
            timeout,
            what="a served config that matches",
        )

    def stop_cleanly(self, sig: int) -> tuple[float, int]:
        """Send ``sig``; assert it exits within 2 s, leaving no child and a free port.

        Returns the seconds it took and the exit code.
        """
        import psutil

        assert self.process is not None
        children = psutil.Process(self.process.pid).children(recursive=True)
        started = time.monotonic()
        self.process.send_signal(sig)
        code = self.wait_exit(timeout=5)
        took = time.monotonic() - started
        assert took < 2.0
        assert not [child for child in children if child.is_running()]
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", self.port))  # the port is free again
        return took, code

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10.0) -> int:
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return int(self.process.returncode)


@contextmanager
def running(process: DevreloadProcess) -> Iterator[DevreloadProcess]:
    """``process`` started for the block, its output printed if the block fails (the
    test's report then shows what devreload said), and stopped after it."""
    process.start()
    try:
        yield process
    except BaseException:
        print(f"--- devreload output ---\n{process.output}\n--- end ---")
        raise
    finally:
        process.stop()


def devreload(app: Path, **kwargs: Any) -> AbstractContextManager[DevreloadProcess]:
    """A devreload process serving ``app`` for the block (see :func:`running`)."""
    return running(DevreloadProcess(app, **kwargs))
