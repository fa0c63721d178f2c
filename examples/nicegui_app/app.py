"""A NiceGUI app for devreload: a page, a button with a handler, a slow resource.

Run it with ``devreload examples/nicegui_app/app.py`` and open the page: edit a
label below or ``helper.py`` and the open tab is rebuilt in place with the new
version, what was typed kept; the button still works. The resource is created
once, under ``NO_RELOAD``, not on every save.

Without devreload, ``python examples/nicegui_app/app.py`` runs it as usual.
"""

from __future__ import annotations

import time

import helper
from nicegui import ui

try:
    from reloader import NO_RELOAD
except ImportError:  # devreload not installed: a plain run
    NO_RELOAD = True


class SlowResource:
    """Stands in for something expensive to create: a model, a DB pool, a cache."""

    def __init__(self) -> None:
        time.sleep(1.0)
        self.loaded_at = time.strftime("%H:%M:%S")


if NO_RELOAD:
    # Runs once: later reloads keep this very object.
    resource = SlowResource()


@ui.page("/")
def index() -> None:
    ui.label("NiceGUI under devreload")
    ui.label(helper.GREETING)
    ui.label(f"resource loaded at {resource.loaded_at}")
    answer = ui.label("")
    ui.input("Your name")  # type into it, then save: it keeps what you typed

    def clicked() -> None:
        answer.set_text(helper.shout("clicked"))
        ui.notify("The handler ran")

    ui.button("Click me", on_click=clicked)


if __name__ in {"__main__", "__mp_main__"}:
    ui.run(title="devreload NiceGUI example")
