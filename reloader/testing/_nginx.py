"""A real nginx in front of servers, each at a sub-path, as on a remote box or behind
a team's proxy."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reloader.testing._process import free_port
from reloader.testing._waiting import wait_for

__all__ = ["Nginx", "ProxiedApp"]


@dataclass(frozen=True)
class ProxiedApp:
    """One server behind :class:`Nginx`: requests under ``prefix`` (``"/app/"``) go to
    ``port`` with the prefix stripped, as ``proxy_pass http://127.0.0.1:PORT/;`` does."""

    prefix: str
    port: int
    #: nginx's proxy_read_timeout in seconds: how long a response may stay silent
    #: before nginx closes it (nginx's default: 60).
    read_timeout: float | None = None
    #: Tell the app the prefix (``X-Forwarded-Prefix``), as jupyter-server-proxy does.
    forwarded_prefix: bool = False


class Nginx:
    """A real nginx (Debian's ``nginx`` package) on a free port, in the foreground,
    with its files in ``folder``: the configuration most guides give (Host and
    X-Forwarded-* headers set, nginx's default response buffering left on).

    Run as root, it stays one process (``master_process off``): no worker switches to
    another user, and stopping it stops everything it started."""

    def __init__(self, folder: Path, apps: Sequence[ProxiedApp]) -> None:
        self.folder = folder
        self.apps = tuple(apps)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def executable() -> str | None:
        """nginx, also where a normal user's PATH does not look (/usr/sbin)."""
        import shutil

        return shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")

    def config(self) -> str:
        locations = []
        for app in self.apps:
            extra = f"proxy_read_timeout {app.read_timeout:g}s;" if app.read_timeout else ""
            if app.forwarded_prefix:
                extra += f" proxy_set_header X-Forwarded-Prefix {app.prefix.rstrip('/')};"
            locations.append(
                f"location {app.prefix} {{ proxy_pass http://127.0.0.1:{app.port}/; {extra}"
                " proxy_set_header Host $host; proxy_set_header X-Forwarded-Host $host;"
                " proxy_set_header X-Forwarded-Proto $scheme;"
                " proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; }"
            )
        folder = self.folder
        temp = " ".join(
            f"{name}_temp_path {folder / name};"
            for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return (
            f"daemon off; master_process off; pid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} error;\n"
            "events { worker_connections 256; }\n"
            f"http {{ access_log {folder / 'access.log'}; {temp}\n"
            f"server {{ listen 127.0.0.1:{self.port}; {' '.join(locations)} }} }}\n"
        )

    def start(self, timeout: float = 10.0) -> Nginx:
        nginx = self.executable()
        if nginx is None:
            raise RuntimeError("nginx is not installed (Debian: apt-get install nginx)")
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "nginx.conf").write_text(self.config())
        command = [nginx, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")]
        command += ["-e", str(self.folder / "error.log")]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        def listening() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.error_log()}")
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for(listening, timeout, what="nginx to listen")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def error_log(self) -> str:
        log = self.folder / "error.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
