"""Gradio's own ``launch()``, as devreload calls it: once, to start the server without
blocking, opening a browser or sharing; and on each save in Gradio's reload thread,
where it only applies the appearance arguments (theme, css, js, head)."""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from reloader.adapters.base import ServeError, SwapError
from reloader.adapters.gradio._settings import APPEARANCE_ARGS, server_changes, server_settings_of
from reloader.adapters.gradio.compat import GradioInternals

__all__ = ["DEFAULT_PORT", "Launch", "ServerSettings", "copy_served_at"]

logger = logging.getLogger("reloader.adapters.gradio")

DEFAULT_PORT = 7860
#: What Gradio's launch() sets on the Blocks about where it is served (compat.ATTRIBUTES).
_SERVED_AT = ("server_name", "server_port", "local_url", "local_api_url", "protocol")


class Launch:
    """The real ``Blocks.launch`` (the user's file calls the captured one)."""

    def __init__(self, original: Callable[..., Any]) -> None:
        self.original = original
        # Gradio 5 and 6 take different launch() arguments: keep only those this one has.
        self.signature = inspect.signature(original).parameters
        self.parameters = frozenset(self.signature)

    def start(
        self, gr: GradioInternals, app: Any, kwargs: dict[str, Any], host: str, port: int | None
    ) -> None:
        """Start the server on ``host:port`` as launch(**kwargs) would, without blocking.
        If launch() fails, no server it started is left running."""
        if kwargs.get("share"):
            logger.warning(
                "share=True is ignored under devreload (no public link while developing); "
                "run the app with python to share it"
            )
        kwargs.update(
            server_name=host,
            server_port=port,
            prevent_thread_lock=True,
            inbrowser=False,
            # In a notebook Gradio would show the app in the cell; %%devreload shows
            # its own view, at every run of the cell (reloader.notebook).
            inline=False,
            share=False,
            quiet=True,
            ssr_mode=False,
            **gr.without_localhost_probe,
        )
        kwargs = {key: value for key, value in kwargs.items() if key in self.parameters}
        app.dev_mode = True
        # debug=True (or GRADIO_DEBUG=1) makes launch() block in block_thread(); its
        # other effect (a FastAPI app in debug mode) is kept. Errors in event handlers
        # are printed to the terminal by Gradio's queue either way.
        app.block_thread = _no_block
        try:
            self.original(app, **kwargs)
        except BaseException as error:
            # A failure after the server started (a check launch() makes of it) would
            # leave it holding the port the next save's retry starts a server on.
            app.close(verbose=False)
            if isinstance(error, OSError):
                raise _launch_error(error, host, port) from None
            raise
        finally:
            del app.block_thread

    def apply_appearance(self, gr: GradioInternals, app: Any, kwargs: Mapping[str, Any]) -> None:
        """launch()'s theme, css, js and head arguments, set on a new version's Blocks."""
        appearance = {
            key: kwargs[key] for key in APPEARANCE_ARGS if key in kwargs and key in self.parameters
        }
        # In Gradio's reload thread, launch() only applies these and returns.
        gr.reload_thread.running_reload = True
        try:
            self.original(app, **appearance)
        except OSError as error:
            raise SwapError(_file_error_sentence(error) or str(error)) from None
        finally:
            gr.reload_thread.running_reload = False


def copy_served_at(blocks: Any, served: Any) -> None:
    """Give a Blocks launched again in the file the served one's address and URLs."""
    for name in _SERVED_AT:
        setattr(blocks, name, getattr(served, name))
    blocks.share_url = None


class ServerSettings:
    """The server-bound launch() settings the server started with; a save that changes
    one is told once that the running server keeps the value it started with."""

    def __init__(self) -> None:
        self._started: dict[str, Any] = {}
        self._told: set[str] = set()

    def start(self, kwargs: Mapping[str, Any], app: Any) -> None:
        self._started = server_settings_of(kwargs, app)

    def tell_changes(self, kwargs: Mapping[str, Any], app: Any) -> None:
        changed = server_changes(self._started, server_settings_of(kwargs, app))
        for name in changed:
            if name not in self._told:
                where = (
                    "gr.Blocks(delete_cache=...)"
                    if name == "delete_cache"
                    else f"launch({name}=...)"
                )
                logger.warning(
                    "%s changed; the running server keeps the value it started with: "
                    "restart devreload to apply it.",
                    where,
                )
        self._told = set(changed)


def _no_block() -> None:
    """Stands in for Blocks.block_thread while devreload launches the app."""


def _file_error_sentence(error: OSError) -> str | None:
    """For an OSError about a file (a css_paths entry that does not exist), one sentence."""
    if error.filename is None:
        return None
    reason = error.strerror or type(error).__name__
    return (
        f"launch() could not read {os.path.abspath(error.filename)} ({reason}); "
        "create that file or fix its path in the launch() arguments (css_paths, "
        "head_paths, ssl_keyfile, ...) and save."
    )


def _launch_error(error: OSError, host: str, port: int | None) -> ServeError:
    """Say what failed: a file launch() reads, else the server's socket."""
    sentence = _file_error_sentence(error)
    if sentence is not None:
        return ServeError(sentence)
    return ServeError(
        f"Gradio could not start on {host}:{port or DEFAULT_PORT} ({error}); "
        "pass a free port with --port N."
    )
