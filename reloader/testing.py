"""Test a devreload adapter the way devreload tests its own: real processes, editor saves.

Two parts, both public so that a third-party adapter is held to the same bar:

* a harness: :class:`DevreloadProcess` runs ``python -m reloader APP`` in a real
  subprocess on a free port and reads its output; ``save_in_place``,
  ``save_atomic`` and ``save_vim`` save a file the way editors do;
  :func:`wait_for` waits for a condition with a deadline (never a fixed sleep);
* a reverse proxy: :class:`Nginx` puts a real nginx in front of servers, each at a
  sub-path, as on a remote box or behind a team's proxy;
* the adapter-conformance suite: :data:`CHECKS`, run against a
  :class:`ConformanceApp` (an app of your framework written to a small
  convention), checks what every adapter must do: serve, reload on each kind of
  editor save, keep NO_RELOAD objects, follow a helper module, keep the last good
  app through a syntax error, refuse a port in use in one sentence, stop cleanly
  on SIGINT and SIGTERM; and, in a browser, :func:`tab_keeps_working_across_saves`:
  an open tab follows several saves and still works after each (its events are
  answered by the new code, typed values and the framework's widgets stay).

In your adapter's tests (see docs/adapters.md, "Test an adapter")::

    import pytest
    from reloader.testing import CHECKS, ConformanceApp

    APP = ConformanceApp(name="toy", files={...}, read=..., args=("--adapter", "toy"))

    @pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
    def test_conformance(check, tmp_path):
        check(APP, tmp_path)
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "CHECKS",
    "EDITOR_SAVES",
    "PAGE_LISTENS",
    "ConformanceApp",
    "DevreloadProcess",
    "Nginx",
    "ProxiedApp",
    "devreload",
    "free_port",
    "save_atomic",
    "save_in_place",
    "save_vim",
    "tab_keeps_working_across_saves",
    "wait_for",
]

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(
    condition: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.01, what: str = ""
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


# -- a reverse proxy in front ------------------------------------------------------------


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


# -- the adapter-conformance suite ------------------------------------------------------

#: Records the page's EventSources, so that a check can wait until the page listens.
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
#: Some EventSource of the page is open (an adapter's own client, as the toy adapter's).
ANY_EVENT_SOURCE_OPEN = "() => (window.__eventSources || []).some(s => s.readyState === 1)"
#: devreload's client in the page is connected (the server knows the tab) and, on a
#: Gradio page, Gradio's frontend listens for reloads: the page follows the next save.
PAGE_LISTENS = (
    "() => { const tab = window.__devreloadTab, gradio = window.__devreloadGradio;"
    " return !!(tab && tab.connected && (!gradio || gradio.listening)); }"
)


def read_http(path: str = "/") -> Callable[[DevreloadProcess], str]:
    """Read the served app's marker text with a GET of ``path``."""

    def read(process: DevreloadProcess) -> str:
        return process.get(path).decode("utf-8", "replace")

    return read


@dataclass(frozen=True)
class ConformanceApp:
    """An app of one framework, written to the suite's convention.

    ``files`` maps paths (relative to a fresh folder) to sources in which
    ``{version}`` and ``{helper}`` are replaced (use ``{{``/``}}`` for literal
    braces). The app module imports ``helper.py``, which binds ``TEXT =
    "{helper}"``, creates one object under ``if reloader.NO_RELOAD:`` (or
    ``gr.NO_RELOAD``), and shows, in what ``read`` returns, the three markers
    ``version=<version>``, ``helper=<helper.TEXT>`` and ``resource=<id(obj)>``.
    """

    #: The adapter devreload must pick for this app, by itself (its serving line names it).
    name: str
    files: Mapping[str, str]
    read: Callable[[DevreloadProcess], str] = field(default_factory=read_http)
    app_file: str = "app.py"
    #: Extra devreload arguments, e.g. ("--adapter", "toy").
    args: tuple[str, ...] = ()
    #: Where a browser sees the page, and a JS condition true once it listens for reloads.
    page_path: str | None = "/"
    page_ready_js: str = PAGE_LISTENS
    #: Seconds to wait for the first page (a framework with a slow start).
    start_timeout: float = 60.0
    #: Extra environment for the devreload process (PYTHONPATH of a plugin, say).
    env: Mapping[str, str] = field(default_factory=dict)
    #: The pages run devreload's client, which confirms the version each tab shows
    #: (reloader.notify.Tabs); False for an adapter with a client of its own.
    confirms: bool = True
    #: For the tab check: a selector of something to click whose handler (the
    #: framework's event or callback) shows ``acted in <version>``; None: no events.
    click: str | None = None
    #: For the tab check: a selector of a text field whose typed value saves keep.
    typed: str | None = None
    #: For the tab check: a JavaScript condition that holds while what the
    #: framework's JavaScript built on the page (a slider widget, say) is intact.
    intact_js: str | None = None

    def write(self, folder: Path, version: str = "v1", helper: str = "h1") -> Path:
        for name, source in self.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source.format(version=version, helper=helper), encoding="utf-8")
        return folder / self.app_file

    def source(self, name: str, version: str = "v1", helper: str = "h1") -> str:
        return self.files[name].format(version=version, helper=helper)

    def start(self, folder: Path) -> DevreloadProcess:
        return DevreloadProcess(folder / self.app_file, args=self.args, env=dict(self.env)).start()


@contextmanager
def _running(app: ConformanceApp, folder: Path) -> Iterator[DevreloadProcess]:
    process = app.start(folder)
    try:
        process.wait_ready(app.start_timeout)
        assert f"({app.name}); watching" in process.output, f"not served by {app.name}"
        yield process
    except BaseException:
        print(f"--- devreload output ({app.name}) ---\n{process.output}\n--- end ---")
        raise
    finally:
        process.stop()


def _shows(app: ConformanceApp, process: DevreloadProcess, marker: str) -> str:
    def shown() -> str | None:
        text = app.read(process)
        return text if marker in text else None

    return wait_for(
        shown,
        timeout=30,
        what=f"{marker!r} served by the {app.name} app",
    )


def _resource(text: str) -> str:
    found = re.search(r"resource=(\d+)", text)
    assert found, f"no resource=<id> marker in {text[:300]!r}"
    return found.group(1)


def serves_and_follows_every_editor_save(app: ConformanceApp, folder: Path) -> None:
    """Each way editors save (in place, atomic rename, vim's backup dance) is one reload."""
    app.write(folder)
    with _running(app, folder) as process:
        _shows(app, process, "version=v1")
        for number, save in enumerate(EDITOR_SAVES.values(), start=2):
            save(folder / app.app_file, app.source(app.app_file, f"v{number}"))
            _shows(app, process, f"version=v{number}")
            _wait_reloads(process, number - 1)
        # Exactly one reload (or in-place patch) per save: none for a burst's other events.
        assert _reloads(process) == len(EDITOR_SAVES), process.output


def _reloads(process: DevreloadProcess) -> int:
    """Saves put in service: full reloads and in-place patches."""
    return process.count("devreload: reloaded") + process.count("devreload: patched")


def _wait_reloads(process: DevreloadProcess, count: int) -> None:
    wait_for(lambda: _reloads(process) >= count, timeout=30, what=f"{count} reload lines")


def keeps_no_reload_objects(app: ConformanceApp, folder: Path) -> None:
    """The object made under NO_RELOAD is the very same one after a save."""
    app.write(folder)
    with _running(app, folder) as process:
        before = _resource(_shows(app, process, "version=v1"))
        save_in_place(folder / app.app_file, app.source(app.app_file, "v2"))
        assert _resource(_shows(app, process, "version=v2")) == before


def follows_a_helper_module(app: ConformanceApp, folder: Path) -> None:
    """Editing a module the app imports re-runs it and the app."""
    app.write(folder)
    with _running(app, folder) as process:
        _shows(app, process, "helper=h1")
        save_in_place(folder / "helper.py", app.source("helper.py", helper="h2"))
        _shows(app, process, "helper=h2")


def keeps_the_last_good_app_through_a_syntax_error(app: ConformanceApp, folder: Path) -> None:
    """A broken save is named (file and line) and the last good app keeps serving."""
    app_path = app.write(folder)
    with _running(app, folder) as process:
        _shows(app, process, "version=v1")
        save_in_place(app_path, app.source(app.app_file, "v2") + "\ndef broken(:\n")
        process.wait_for_line("SyntaxError in")
        assert f"{app_path}, line" in process.output
        assert "version=v1" in app.read(process)
        save_in_place(app_path, app.source(app.app_file, "v3"))
        _shows(app, process, "version=v3")


def refuses_a_port_in_use_in_one_sentence(app: ConformanceApp, folder: Path) -> None:
    """A taken port: exit status 4 and one sentence naming the port, no traceback."""
    app.write(folder)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        process = DevreloadProcess(
            folder / app.app_file, port=port, args=app.args, env=dict(app.env)
        ).start()
        assert process.process is not None
        code = process.process.wait(timeout=app.start_timeout)
    assert code == 4, process.output
    assert str(port) in process.output and "in use" in process.output.lower()
    assert "Traceback" not in process.output


def stops_cleanly_on_sigint_and_sigterm(app: ConformanceApp, folder: Path) -> None:
    """SIGINT and SIGTERM: gone within 2 s, no process left, the port free again."""
    app.write(folder)
    for sig in (signal.SIGINT, signal.SIGTERM):
        with _running(app, folder) as process:
            _shows(app, process, "version=v1")
            _, code = process.stop_cleanly(sig)
            assert code == 0


#: Every check an adapter must pass, each ``check(app, tmp_path)``.
CHECKS: tuple[Callable[[ConformanceApp, Path], None], ...] = (
    serves_and_follows_every_editor_save,
    keeps_no_reload_objects,
    follows_a_helper_module,
    keeps_the_last_good_app_through_a_syntax_error,
    refuses_a_port_in_use_in_one_sentence,
    stops_cleanly_on_sigint_and_sigterm,
)


#: How many saves :func:`tab_keeps_working_across_saves` makes, using the tab after each.
TAB_SAVES = 3
#: What the tab check types into :attr:`ConformanceApp.typed`.
TYPED = "typed before the saves"


def tab_keeps_working_across_saves(app: ConformanceApp, folder: Path, page: Any) -> None:
    """An open tab (a Playwright page) shows each of several saves by itself, with no
    F5, and still works after each: a click is answered by the new version's handler
    (``click``), the text typed before the first save is still there (``typed``), and
    the widgets the framework's JavaScript built are intact (``intact_js``). And it
    says so: each save's line counts it among the tabs that show the new version, the
    status endpoint lists it at the newest version, and one status call made after the
    last save (as a coding agent makes it, ``?after=SEQ&wait=S``) answers with that
    save's outcome and this tab among those that show it."""
    if app.page_path is None:
        raise ValueError(
            f"the {app.name} app has no page (page_path=None), so no tab can follow a save: "
            "set page_path to where a browser sees it, or leave this check out."
        )
    app.write(folder)
    with _running(app, folder) as process:
        _shows(app, process, "version=v1")
        page.add_init_script(TRACK_EVENT_SOURCES)
        page.goto(process.url + app.page_path)
        page.wait_for_function(app.page_ready_js, timeout=30_000)
        _tab_shows(page, "version=v1")
        if app.typed is not None:
            page.fill(app.typed, TYPED)
        seq = 0
        for number in range(2, 2 + TAB_SAVES):
            version = f"v{number}"
            if app.confirms:
                seq = _status(process)["seq"]
            save_in_place(folder / app.app_file, app.source(app.app_file, version))
            _tab_shows(page, f"version={version}")
            if app.intact_js is not None:
                page.wait_for_function(app.intact_js, timeout=10_000)
            if app.typed is not None:
                page.wait_for_function(
                    "([selector, text]) => document.querySelector(selector)?.value === text",
                    arg=[app.typed, TYPED],
                    timeout=10_000,
                )
            if app.click is not None:
                page.click(app.click)
                _tab_shows(page, f"acted in {version}")
        if not app.confirms:
            return
        answer = _status(process, f"?after={seq}&wait=30")
        process.wait_for_line("1 of 1 tab shows it in", occurrences=TAB_SAVES)
        tabs = answer.get("tabs")
        assert isinstance(tabs, list) and len(tabs) == 1, tabs
        assert tabs[0]["version"] >= TAB_SAVES and tabs[0]["path"] == app.page_path, tabs
        last = answer["last"]
        assert last["event"] in ("reloaded", "patched") and not answer["timed_out"], answer
        assert last["tabs_shown"] == 1 and last["shown_by"] == [tabs[0]["tab"]], answer


def _status(process: DevreloadProcess, query: str = "") -> dict[str, Any]:
    import json

    return dict(json.loads(process.get("/__devreload__/status" + query, timeout=40)))


def _tab_shows(page: Any, text: str) -> None:
    page.wait_for_function(
        "(text) => document.body.innerText.includes(text)", arg=text, timeout=30_000
    )
