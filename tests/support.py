"""Test harness: a real devreload process, editor-style saves, waiting with deadlines.

Modelled on werkzeug's dev-server test client: the server runs in a real
subprocess on a free port, readiness and reloads are detected from its output
and its HTTP answers (never fixed sleeps), and its output is printed when a
test fails.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(
    condition: Callable[[], T], timeout: float = 10.0, interval: float = 0.01, what: str = ""
) -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
        except Exception as error:  # the server may be between states
            last_error = error
        else:
            if result:
                return result
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout} s waiting for {what or condition}: {last_error}"
    )


# -- saving files the way editors do ----------------------------------------------


def save_in_place(path: Path, text: str) -> None:
    """VS Code and most editors: truncate and write the same inode."""
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


def save_atomic(path: Path, text: str) -> None:
    """JetBrains 'safe write', many tools: write a temp file, rename it over the original."""
    temp = path.with_name(path.name + "___jb_tmp___")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def save_vim(path: Path, text: str) -> None:
    """vim with backupcopy=no: swap file, rename the original to a backup, write anew."""
    swap = path.with_name(f".{path.name}.swp")
    swap.write_bytes(b"b0VIM 9.0")
    backup = path.with_name(path.name + "~")
    os.replace(path, backup)
    path.write_text(text, encoding="utf-8")
    backup.unlink()
    swap.unlink()


EDITOR_SAVES = {"in_place": save_in_place, "atomic": save_atomic, "vim": save_vim}


# -- a devreload process ---------------------------------------------------------------


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
        threading.Thread(target=self._read, daemon=True).start()
        return self

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
        code = self.process.wait(timeout=5)
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


def markdown_values(config: dict[str, Any]) -> list[str]:
    return [
        str(component["props"].get("value"))
        for component in config["components"]
        if component.get("type") == "markdown"
    ]


@contextmanager
def devreload(app: Path, **kwargs: Any) -> Iterator[DevreloadProcess]:
    process = DevreloadProcess(app, **kwargs).start()
    try:
        yield process
    except BaseException:
        print(f"--- devreload output ---\n{process.output}\n--- end ---")
        raise
    finally:
        process.stop()


# -- headless Chromium -----------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

#: Records the page's EventSources so a test can wait until Gradio's frontend
#: has subscribed to the reload channel (it does so 200 ms after load).
TRACK_EVENT_SOURCES = """
(() => {
  const Original = window.EventSource;
  window.__eventSources = [];
  window.EventSource = function (url, options) {
    const source = new Original(url, options);
    window.__eventSources.push(source);
    return source;
  };
  window.EventSource.prototype = Original.prototype;
})();
"""


def open_app_page(page: Any, url: str) -> None:
    """Open the app and wait until its own frontend listens for reloads."""
    page.add_init_script(TRACK_EVENT_SOURCES)
    page.goto(url)
    page.wait_for_function(
        "() => (window.__eventSources || []).some("
        "s => s.url.includes('/dev/reload') && !s.url.includes('client=overlay')"
        " && s.readyState === 1)",
        timeout=20_000,
    )
