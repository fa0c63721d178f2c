"""The adapter-conformance suite: what every adapter must do, checked on a real
devreload process serving a :class:`ConformanceApp`."""

from __future__ import annotations

import re
import signal
import socket
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from reloader.testing._page_scripts import PAGE_LISTENS
from reloader.testing._process import DevreloadProcess
from reloader.testing._saves import EDITOR_SAVES, save_in_place
from reloader.testing._waiting import wait_for

__all__ = [
    "CHECKS",
    "ConformanceApp",
    "follows_a_helper_module",
    "keeps_no_reload_objects",
    "keeps_the_last_good_app_through_a_syntax_error",
    "read_http",
    "refuses_a_port_in_use_in_one_sentence",
    "running",
    "serves_and_follows_every_editor_save",
    "shows",
    "stops_cleanly_on_sigint_and_sigterm",
]


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
def running(app: ConformanceApp, folder: Path) -> Iterator[DevreloadProcess]:
    """devreload serving ``app`` from ``folder``, by the adapter it names; its output is
    printed when the check fails."""
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


def shows(app: ConformanceApp, process: DevreloadProcess, marker: str) -> str:
    """What the app shows once it shows ``marker`` (waited for, up to 30 s)."""

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
    with running(app, folder) as process:
        shows(app, process, "version=v1")
        for number, save in enumerate(EDITOR_SAVES.values(), start=2):
            save(folder / app.app_file, app.source(app.app_file, f"v{number}"))
            shows(app, process, f"version=v{number}")
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
    with running(app, folder) as process:
        before = _resource(shows(app, process, "version=v1"))
        save_in_place(folder / app.app_file, app.source(app.app_file, "v2"))
        assert _resource(shows(app, process, "version=v2")) == before


def follows_a_helper_module(app: ConformanceApp, folder: Path) -> None:
    """Editing a module the app imports re-runs it and the app."""
    app.write(folder)
    with running(app, folder) as process:
        shows(app, process, "helper=h1")
        save_in_place(folder / "helper.py", app.source("helper.py", helper="h2"))
        shows(app, process, "helper=h2")


def keeps_the_last_good_app_through_a_syntax_error(app: ConformanceApp, folder: Path) -> None:
    """A broken save is named (file and line) and the last good app keeps serving."""
    app_path = app.write(folder)
    with running(app, folder) as process:
        shows(app, process, "version=v1")
        save_in_place(app_path, app.source(app.app_file, "v2") + "\ndef broken(:\n")
        process.wait_for_line("SyntaxError in")
        assert f"{app_path}, line" in process.output
        assert "version=v1" in app.read(process)
        save_in_place(app_path, app.source(app.app_file, "v3"))
        shows(app, process, "version=v3")


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
        code = process.wait_exit(timeout=app.start_timeout)
    assert code == 4, process.output
    assert str(port) in process.output and "in use" in process.output.lower()
    assert "Traceback" not in process.output


def stops_cleanly_on_sigint_and_sigterm(app: ConformanceApp, folder: Path) -> None:
    """SIGINT and SIGTERM: gone within 2 s, no process left, the port free again."""
    app.write(folder)
    for sig in (signal.SIGINT, signal.SIGTERM):
        with running(app, folder) as process:
            shows(app, process, "version=v1")
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
