"""``%%devreload``: IPython's side of a cell that holds an app.

The cell magic parses its options, tells cells apart by the id the notebook
gives each cell (as Gradio's ``%%blocks`` means to, gradio/ipython_ext.py),
hands the cell's source to its :class:`~reloader.notebook._cell.CellApp`, and
shows the outcome in the cell: one line and the app in an inline view, or the
cell's traceback, as IPython shows any cell's.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import shlex
import shutil
import sys
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any, NoReturn

from reloader._dispose import Disposers
from reloader._errors import ReloaderError
from reloader.adapters import load_adapters
from reloader.execute import Executor, Patcher
from reloader.notebook._cell import CellApp, CellFailed, CellOptions, Outcome, Shared

__all__ = ["NotebookReloader"]

logger = logging.getLogger("reloader.notebook")

#: The inline view's height when ``--height`` does not say (Gradio's own default).
DEFAULT_HEIGHT = 500


class _UsageError(Exception):
    """A bad ``%%devreload`` line: one sentence, shown without a traceback."""


class _HelpShown(Exception):
    """``--help`` printed the usage: the cell is done."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit the kernel
        raise _UsageError(f"%%devreload: {message}; see %%devreload --help.")

    def exit(self, status: int = 0, message: str | None = None) -> Any:
        raise _HelpShown if status == 0 else _UsageError(message or "%%devreload: bad options.")


def _parser() -> _Parser:
    parser = _Parser(
        prog="%%devreload",
        description="Serve the app this cell defines; each re-run of the cell swaps the new "
        "app into the same server, and open pages keep their state.",
        add_help=True,
    )
    parser.add_argument("--app", metavar="NAME", help="the app's name, if the cell holds several")
    parser.add_argument("--adapter", metavar="NAME", help="the framework adapter (default: detect)")
    parser.add_argument("--host", metavar="HOST", help="the address to serve on")
    parser.add_argument("--port", metavar="N", type=int, help="the port to serve on")
    parser.add_argument(
        "--height",
        metavar="PX",
        type=int,
        default=DEFAULT_HEIGHT,
        help=f"the inline view's height (default {DEFAULT_HEIGHT})",
    )
    parser.add_argument("--no-inline", action="store_true", help="show no inline view")
    parser.add_argument(
        "--no-keep-state",
        action="store_true",
        help="open pages start afresh at each re-run instead of keeping their values",
    )
    return parser


def _view_parser() -> _Parser:
    parser = _Parser(
        prog="%devreload_view",
        description="Show the app of a %%devreload cell here; it follows each run of that "
        "cell without reloading, as an open tab does.",
    )
    parser.add_argument(
        "port", metavar="PORT", type=int, nargs="?", help="the app's port (default: the newest)"
    )
    parser.add_argument("--height", metavar="PX", type=int, default=DEFAULT_HEIGHT)
    return parser


def _port_of(url: str) -> int | None:
    from urllib.parse import urlsplit

    return urlsplit(url).port


class NotebookReloader:
    """The cells of one kernel that hold apps, by cell id."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self._cell_id: str | None = None
        self.cells: dict[str, CellApp] = {}
        #: cell key -> its number, kept for the kernel's life: the cell's file and the
        #: NO_RELOAD values it keeps are its own even when its server is started anew.
        self._numbers: dict[str, int] = {}
        folder = Path(tempfile.mkdtemp(prefix="devreload-cells-"))
        disposers = Disposers()
        self.shared = Shared(
            folder=folder,
            executor=Executor([folder, Path.cwd()], disposers=disposers),
            patcher=Patcher(),
            disposers=disposers,
            namespace=shell.user_module,
        )
        # reloader.on_dispose() in a cell: called when that cell's version is replaced.
        disposers.install()
        shell.events.register("pre_run_cell", self._pre_run_cell)
        atexit.register(self.shutdown)

    def _pre_run_cell(self, info: Any) -> None:
        self._cell_id = getattr(info, "cell_id", None)

    def magic(self, line: str, cell: str) -> None:
        """The ``%%devreload`` cell magic."""
        __tracebackhide__ = True
        try:
            args = _parser().parse_args(shlex.split(line))
        except _HelpShown:
            return
        except _UsageError as error:
            _fail_cell(str(error).strip())
        options = CellOptions(
            app=args.app,
            adapter=args.adapter,
            host=args.host,
            port=args.port,
            keep_state=not args.no_keep_state,
        )
        # Without cell ids (IPython's terminal, a plain client), cells are told apart by
        # their first line: the same line in two cells means the same app.
        key = self._cell_id or f"line:{line.strip()}"
        source = _as_module(cell, self.shell.transform_cell(cell))
        try:
            app = self._app_for(key, options)
        except ReloaderError as error:
            _fail_cell(f"devreload: {error.headline}")
        self._label_in_tracebacks(app.path)
        try:
            outcome = app.run(source)
        except CellFailed as failed:
            failure = failed
        else:
            print(_sentence(outcome))
            if not args.no_inline:
                _show_inline(outcome.url, args.height)
            return
        # Out of the except block: the user's exception must not be chained to CellFailed.
        if app.adapter is None:
            self._forget(key)  # never served: the next run starts afresh (NO_RELOAD kept)
        if failure.told:
            plural = "s" if failure.told != 1 else ""
            print(f"devreload: the error is shown in {failure.told} open tab{plural}")
        if not isinstance(failure.error, ReloaderError):
            self._raise_as_cell_error(failure.error)
        if failure.error.details:
            print(failure.error.details)
        kept = f" {app.url} still serves the last good app." if app.adapter is not None else ""
        _fail_cell(f"devreload: {failure.error.headline}{kept}")

    def view(self, line: str) -> None:
        """The ``%devreload_view [PORT] [--height PX]`` line magic: the app of a
        ``%%devreload`` cell, shown in this cell. A notebook clears a cell's output when
        the cell runs, so the view in the app's own cell is a new page at each run; a
        view in another cell stays, and follows each run as an open tab does."""
        try:
            args = _view_parser().parse_args(shlex.split(line))
        except _HelpShown:
            return
        except _UsageError as error:
            _fail_cell(str(error).strip())
        served = [app for app in self.cells.values() if app.adapter is not None and app.url]
        if args.port is not None:
            served = [app for app in served if _port_of(app.url) == args.port]
        if not served:
            where = f" on port {args.port}" if args.port is not None else ""
            _fail_cell(f"devreload: no %%devreload cell serves an app{where}; run that cell first.")
        _show_inline(served[-1].url, args.height)

    def _app_for(self, key: str, options: CellOptions) -> CellApp:
        known = self.cells.get(key)
        if known is not None and known.options.serving() == options.serving():
            known.options = options  # only --app may differ: the server stays
            return known
        if known is not None:  # new launch options: a new server
            self._forget(key)
        number = self._numbers.setdefault(key, len(self._numbers) + 1)
        app = self.cells[key] = CellApp(
            self.shared, number, options, load_adapters(options.adapter)
        )
        return app

    def _forget(self, key: str) -> None:
        known = self.cells.pop(key, None)
        if known is not None:
            known.shutdown()

    def _label_in_tracebacks(self, path: Path) -> None:
        """IPython names a cell's frames ``Cell In[N]``; let it name the cell file so too,
        with the number of the cell running now (the innermost cell on the stack)."""
        names = getattr(getattr(self.shell, "compile", None), "_filename_map", None)
        if not isinstance(names, dict):
            return
        frame = sys._getframe(1)
        while frame is not None:
            number = names.get(frame.f_code.co_filename)
            if number is not None and frame.f_code.co_filename != str(path):
                names[str(path)] = number
                return
            frame = frame.f_back  # type: ignore[assignment]

    def _raise_as_cell_error(self, error: BaseException) -> NoReturn:
        """Fail the cell with the user's exception, its traceback shown from the cell's own
        lines as for any cell (not from the magic's call): IPython renders an exception
        through its ``_render_traceback_`` when it has one."""
        __tracebackhide__ = True
        # A SyntaxError says where it is itself; IPython shows it with the frames that
        # raised it, which are the magic's and the compiler's, not the cell's.
        tb = None if isinstance(error, SyntaxError) else error.__traceback__
        if not isinstance(error, SyntaxError):
            formatter = self.shell.InteractiveTB

            def render() -> list[str]:
                return list(formatter.structured_traceback(type(error), error, tb))

            with suppress(AttributeError):  # an exception type without a __dict__
                error._render_traceback_ = render  # type: ignore[attr-defined]
        raise error.with_traceback(tb)

    def shutdown(self) -> None:
        """Stop every cell's server (the extension is unloaded or the kernel stops)."""
        for key in list(self.cells):
            self._forget(key)
        self.shared.disposers.dispose_all()
        self.shared.disposers.uninstall()
        with suppress(ValueError):  # already unregistered
            self.shell.events.unregister("pre_run_cell", self._pre_run_cell)
        atexit.unregister(self.shutdown)
        shutil.rmtree(self.shared.folder, ignore_errors=True)


def _fail_cell(sentence: str) -> NoReturn:
    """Fail the cell with one sentence and no traceback (IPython's way for a usage error)."""
    __tracebackhide__ = True
    from IPython.core.error import UsageError

    raise UsageError(sentence)


def _sentence(outcome: Outcome) -> str:
    took = f"{outcome.timings_ms.get('total', 0.0):.0f} ms"
    if outcome.kind == "served":
        return f"devreload: serving {outcome.url} (re-run this cell to swap in a new version)"
    tabs = f"{outcome.tabs} open tab{'s' if outcome.tabs != 1 else ''}"
    if outcome.kind == "patched":
        functions = ", ".join(outcome.functions) or "nothing"
        return f"devreload: patched {functions} in place ({took}); {outcome.url}"
    return f"devreload: swapped the new app into {outcome.url} ({took}, {tabs} told)"


def _show_inline(url: str, height: int) -> None:
    from IPython.display import IFrame, display

    allowed = "autoplay; camera; microphone; clipboard-read; clipboard-write;"
    display(IFrame(url, width="100%", height=height, extras=[f'allow="{allowed}"']))


def _as_module(cell: str, transformed: str) -> str:
    """The cell's Python (``%magic`` and ``!command`` lines made calls, as IPython runs
    them) with its lines where the notebook shows them: line 1 is the ``%%devreload`` line,
    and the blank lines IPython drops from the top are kept, so a traceback's line N is
    the cell's line N."""
    lines = cell.splitlines()
    dropped = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    return "\n" * (1 + dropped) + transformed
