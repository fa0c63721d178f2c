"""One Config for a devreload run, built by the CLI, passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Config"]


@dataclass(frozen=True)
class Config:
    app_path: Path
    app_args: tuple[str, ...] = ()
    #: The app object's global name; None means: find it.
    app_name: str | None = None
    #: An adapter name (see ``devreload --help``); None means: detect from the app object.
    adapter: str | None = None
    host: str | None = None
    port: int | None = None
    watch: tuple[Path, ...] = ()
    ignore: tuple[str, ...] = ()
    #: Watch the current directory as well as the app's own folder.
    watch_cwd: bool = True
    #: watchfiles' grouping window: a batch is handed over once this long passes with no event.
    step_ms: int = 2
    #: A module whose top level runs longer than this gets a "still running at" report.
    hang_report_seconds: float = 5.0
    #: ``-m pkg.app``: run the app as that module (``__package__`` set, relative imports
    #: work), with the current folder first on sys.path, as ``python -m`` does.
    module: str | None = None
    #: ``MODULE:APP`` (uvicorn's form): run the app file as an ordinary import of that
    #: module, so ``__name__`` is its name and an ``if __name__ == "__main__":`` block
    #: does not run; the current folder goes first on sys.path, as uvicorn does.
    import_name: str | None = None
    #: The console script's safety net: once shutdown starts, the process exits this
    #: many seconds later whatever hangs. None when devreload runs inside a program.
    hard_exit_seconds: float | None = None
    #: ``--events json``: JSON lines on stderr instead of sentences.
    json_events: bool = False
    #: ``--events-file PATH``: JSON lines appended to this file as well.
    events_file: Path | None = None
    #: Open pages keep their state across a save; ``--no-keep-state`` turns that off.
    keep_state: bool = True

    def watch_paths(self, cwd: Path) -> list[Path]:
        paths = [self.app_path.resolve().parent, *self.watch]
        if self.watch_cwd:
            paths.append(cwd)
        return paths
