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
    step_ms: int = 5
    #: A module whose top level runs longer than this gets a "still running at" report.
    hang_report_seconds: float = 5.0

    def watch_paths(self, cwd: Path) -> list[Path]:
        paths = [self.app_path.resolve().parent, *self.watch]
        if self.watch_cwd:
            paths.append(cwd)
        return paths
