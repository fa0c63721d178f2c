"""Swapping each new Blocks into the running server, the way Gradio's own reload mode
does it (``gradio.utils.BaseReloader.swap_blocks``): same port, same queue, in-flight
events re-pointed at the new functions, component keys carried over so values typed
into the page survive. And, while the file runs again, the running server's app stands
in for the one each new Blocks would build."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from reloader.adapters.gradio._entry_points import forget_api_description, retarget_entry_points
from reloader.adapters.gradio._launch import Launch
from reloader.adapters.gradio._props import props_update
from reloader.adapters.gradio._queue import follow_queue_settings
from reloader.adapters.gradio._settings import appearance_of, apply_to_app, settings_of
from reloader.adapters.gradio.compat import GradioInternals

if TYPE_CHECKING:
    from gradio.blocks import Blocks
    from gradio.routes import App

__all__ = ["Swapper", "reusing_running_app"]


@contextmanager
def reusing_running_app(gr: GradioInternals, running_app: App) -> Iterator[None]:
    """While the file runs again: each new Blocks gets the running app, not a new one.

    Building a Blocks calls ``gradio.routes.App.create_app`` (from ``Blocks.__exit__``
    and ``Blocks.queue``) to make a FastAPI app that a reload throws away; returning
    the running app instead is most of what makes a reload fast.
    """
    Blocks, App = gr.Blocks, gr.App
    original_create_app = App.__dict__["create_app"]
    original_get_config = Blocks.__dict__["get_config_file"]
    App.create_app = staticmethod(lambda *args, **kwargs: running_app)
    # Blocks.__exit__ builds the page config, and swap() builds it again
    # once launch()'s theme and css are applied: only the second counts,
    # and for a large app each costs a third of the reload.
    Blocks.get_config_file = _deferred_config
    with _no_event_loop_per_lock(gr.lock_factories):
        try:
            yield
        finally:
            App.create_app = original_create_app
            Blocks.get_config_file = original_get_config


class Swapper:
    """Gradio's BaseReloader.swap_blocks bound to the running app, and what a fresh run
    of the saved file would have that the swap alone does not give."""

    def __init__(self, gr: GradioInternals, launch: Launch, running_app: App, first: Blocks):
        base: type[Any] = gr.BaseReloader

        class Reloader(base):
            @property
            def running_app(self) -> App:
                return running_app

        self._reloader = Reloader()
        self._gr = gr
        self._launch = launch
        self._running_app = running_app
        #: The Blocks launched first: some of Gradio's routes read it for good.
        self._first = first

    def swap(
        self,
        app: Any,
        kwargs: Mapping[str, Any],
        keep_state: bool,
        prepare_page: Callable[[Any], None],
    ) -> dict[int, dict[str, Any]] | None:
        """Serve ``app`` (launched with ``kwargs``) from now on.

        ``prepare_page`` adds devreload's scripts to its head and builds its page
        config. Returns the props the open pages can apply in place, when the save
        changed only props (see _props), else None.
        """
        gr = self._gr
        self._launch.apply_appearance(gr, app, kwargs)
        app.dev_mode = True
        appearance_set = appearance_of(app)
        old = self._running_app.blocks
        settings: dict[str, Any] = {}
        if old is not None:
            settings = settings_of(
                kwargs, self._launch.signature, old, gr.parse_file_size, bool(gr.get_space())
            )
            for name, value in settings.items():
                setattr(app, name, value)
        own_queue = app._queue
        self._reloader.swap_blocks(app)
        follow_queue_settings(app._queue, own_queue, app.fns.values())
        # The swap put back the served version's appearance, file limits and paths.
        for name, value in {**settings, **appearance_set}.items():
            setattr(app, name, value)
        apply_to_app(self._running_app, self._first, settings)
        if old is not None:
            gr.reassign_keys(old, app)
        prepare_page(app)
        props = None
        served_config = getattr(old, "config", None)
        # --no-keep-state: the developer asked for each save to start the page afresh.
        if keep_state and isinstance(served_config, dict):
            props = props_update(served_config, app.config)
            if props is not None and old is not None:
                # The same app, as the page that keeps showing it knows it.
                app.app_id = app.config["app_id"] = old.app_id
        forget_api_description(gr, self._running_app)
        if old is not None:
            retarget_entry_points(gr, old, app)
        return props


@contextmanager
def _no_event_loop_per_lock(factories: tuple[tuple[Any, str], ...]) -> Iterator[None]:
    """Stop each new Blocks from leaking an event loop (an epoll fd and a socket pair).

    Gradio's ``safe_get_lock``/``safe_get_stop_event`` make a new event loop
    when called outside a running one, as in the reload thread, and never
    close it. Since Python 3.10 asyncio.Lock and asyncio.Event bind to a loop
    only when first used, so no loop is needed to make them; and the new
    Blocks' queue is dropped at the swap anyway (the running queue is kept).
    """
    import asyncio

    saved = []
    for module, name in factories:
        saved.append((module, name, getattr(module, name)))
        setattr(module, name, asyncio.Lock if name == "safe_get_lock" else asyncio.Event)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def _deferred_config(blocks: Any) -> dict[str, Any]:
    """Stands in for Blocks.get_config_file while re-executing; swap() makes the real one."""
    return {}
