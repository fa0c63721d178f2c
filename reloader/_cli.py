"""``devreload APP.py [options] [-- APP_ARGS...]``: parse, build a Config, run."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from reloader._config import Config
from reloader._errors import EXIT_USAGE, UserError
from reloader._events import JsonLines
from reloader._report import Reporter, diagnostics

__all__ = ["build_parser", "cli", "main", "parse_config"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="devreload",
        description=(
            "Run a Python UI app once and update it in place on every save: the running "
            "server and every open browser tab show the change, and objects created "
            "under `if gr.NO_RELOAD:` / `if reloader.NO_RELOAD:` are kept."
        ),
        epilog="Arguments after `--` are passed to the app as sys.argv[1:].",
    )
    parser.add_argument(
        "app",
        nargs="?",
        help="the app file, e.g. app.py; or MODULE:APP as uvicorn takes it (main:app), "
        "which imports the module instead of running it as __main__",
    )
    parser.add_argument(
        "-m",
        dest="module",
        metavar="MODULE",
        help="run the app as a module, like python -m (e.g. -m pkg.app: relative imports work)",
    )
    parser.add_argument(
        "--app",
        "--demo-name",
        dest="app_name",
        metavar="NAME",
        help="the global that holds the app (default: the one the file launches or runs, "
        "else the only one); --demo-name is Gradio's name for it",
    )
    parser.add_argument("--adapter", metavar="NAME", help="framework adapter (default: detect)")
    parser.add_argument("--host", default=None, help="interface to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="port (default: the one the app's launch()/run() call names, else the "
        f"adapter's: {_default_ports_text()})",
    )
    parser.add_argument(
        "--watch",
        metavar="DIR",
        action="append",
        default=[],
        help="also watch DIR (repeatable); the app's folder and the current one always are",
    )
    parser.add_argument(
        "--ignore",
        metavar="GLOB",
        action="append",
        default=[],
        help="ignore changes to paths matching GLOB (repeatable)",
    )
    parser.add_argument(
        "--events",
        choices=("text", "json"),
        default="text",
        help="how devreload reports on stderr: sentences (default) or JSON lines, one per "
        "event (generation, files, tier, per-phase timings, error file and line)",
    )
    parser.add_argument(
        "--events-file",
        metavar="PATH",
        help="also append every event to PATH as a JSON line",
    )
    parser.add_argument(
        "--no-keep-state",
        dest="keep_state",
        action="store_false",
        help="on a save, open pages start afresh instead of keeping what was typed, picked, "
        "uploaded and scrolled (Gradio values, morphed HTML pages)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log diagnostics")
    return parser


def _default_ports_text() -> str:
    from reloader.adapters import default_ports

    return ", ".join(f"{name} {port}" for name, port in default_ports().items()) or "none"


def parse_config(argv: Sequence[str]) -> tuple[Config, bool]:
    argv = list(argv)
    app_args: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, app_args = argv[:split], argv[split + 1 :]
    options = build_parser().parse_args(argv)
    if options.module and options.app:
        raise UserError(
            f"give either an app file or -m MODULE, not both ({options.app}, -m {options.module})."
        )
    import_name = None
    if options.module:
        app_path, run_as = find_module(options.module, Path.cwd())
    elif options.app and ":" in options.app and not Path(options.app).is_file():
        import_name, _, attribute = options.app.partition(":")
        if options.app_name and options.app_name != attribute:
            raise UserError(
                f"{options.app} names the app {attribute!r} and --app names {options.app_name!r}: "
                "give one."
            )
        app_path, run_as = find_import(options.app, Path.cwd()), None
        options.app_name = attribute
    elif options.app:
        app_path, run_as = Path(options.app), None
        if not app_path.is_file():
            raise UserError(f"{options.app} does not exist; pass the path of your app file.")
    else:
        raise UserError("which app? pass its file (devreload app.py) or module (-m pkg.app).")
    for folder in options.watch:
        if not Path(folder).is_dir():
            raise UserError(f"--watch {folder}: no such folder.")
    if options.port is not None and not 0 < options.port < 65536:
        raise UserError(f"--port {options.port}: a port is a number from 1 to 65535.")
    config = Config(
        app_path=app_path,
        app_args=tuple(app_args),
        app_name=options.app_name,
        adapter=options.adapter,
        host=options.host,
        port=options.port,
        watch=tuple(Path(folder) for folder in options.watch),
        ignore=tuple(options.ignore),
        module=run_as,
        import_name=import_name,
        json_events=options.events == "json",
        events_file=Path(options.events_file) if options.events_file else None,
        keep_state=options.keep_state,
    )
    return config, options.verbose


def find_import(spec: str, cwd: Path) -> Path:
    """The file of ``MODULE`` in uvicorn's ``MODULE:APP``, found from ``cwd`` as uvicorn
    imports it: ``pkg/main.py`` or ``pkg/main/__init__.py``."""
    name, _, attribute = spec.partition(":")
    parts = name.split(".")
    if not all(part.isidentifier() for part in parts) or not attribute.isidentifier():
        raise UserError(
            f"{spec}: pass the path of your app file (app.py), or MODULE:APP as uvicorn "
            "takes it (main:app)."
        )
    base = cwd.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    raise UserError(
        f"{spec}: no {base.relative_to(cwd)}.py or {base.relative_to(cwd)}/__init__.py under "
        "the current folder; run devreload from the folder you would run uvicorn from."
    )


def find_module(name: str, cwd: Path) -> tuple[Path, str]:
    """The file ``python -m NAME`` would run from ``cwd``, without importing anything:
    ``pkg/app.py``, or ``pkg/app/__main__.py`` for a package; and the module name it runs as."""
    parts = name.split(".")
    if not all(part.isidentifier() for part in parts):
        raise UserError(f"-m {name}: not a module name; write it as python -m takes it (pkg.app).")
    base = cwd.joinpath(*parts)
    for path, run_as in (
        (base.with_suffix(".py"), name),
        (base / "__main__.py", f"{name}.__main__"),
    ):
        if path.is_file():
            return path, run_as
    raise UserError(
        f"-m {name}: no {base.relative_to(cwd)}.py or {base.relative_to(cwd)}/__main__.py "
        "under the current folder; run devreload from the folder you would run python -m from."
    )


#: Once a console-script devreload starts to stop, it is gone this much later.
HARD_EXIT_SECONDS = 1.5


def main(argv: Sequence[str] | None = None, *, hard_exit: bool = False) -> int:
    """Run devreload; return the exit code. Every user error is one line on stderr.

    ``hard_exit`` (the console script only) makes sure the process is gone soon
    after it starts to stop, keeping the exit code, whatever the app left running.
    """
    reporter = Reporter()
    try:
        config, verbose = parse_config(sys.argv[1:] if argv is None else argv)
        if hard_exit:
            config = replace(config, hard_exit_seconds=HARD_EXIT_SECONDS)
        if verbose:
            # devreload's own diagnostics; the libraries the app imports (PIL, httpx,
            # asyncio, ...) keep their level, or their DEBUG lines would bury these.
            logging.getLogger("reloader").setLevel(logging.DEBUG)
            # The batches watchfiles hands over (not every filtered-out event, which
            # it logs at DEBUG: a line per line a log file in the project gets).
            logging.getLogger("watchfiles").setLevel(logging.INFO)
        from reloader.adapters import load_adapters
        from reloader.engine import Engine

        reporter = Reporter(json_lines=config.json_events)
        with ExitStack() as stack:
            stack.enter_context(diagnostics(reporter, json_lines=config.json_events))
            if config.events_file is not None:
                stream = stack.enter_context(open(config.events_file, "a", encoding="utf-8"))
                reporter.listeners.append(JsonLines(stream))
            engine = Engine(config, load_adapters(config.adapter), reporter)
            return engine.run()
    except UserError as error:
        reporter.say(f"error: {error}")
        return error.exit_code
    except SystemExit as exit_:  # argparse
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE


def cli() -> None:
    """Console-script entry point.

    devreload has stopped the server and run the app's on_dispose and atexit
    handlers by the time main() returns; what is left is the interpreter's own
    teardown (joining the app's threads, finalising Gradio), up to a second that
    nobody waits for on Ctrl+C. So the process ends here, with main()'s code.
    """
    code = main(hard_exit=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
