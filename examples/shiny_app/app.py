"""A Shiny core app: run with `devreload examples/shiny_app/app.py`."""

from helper import greeting
from shiny import App, render, ui

try:
    from reloader import NO_RELOAD
except ImportError:  # devreload not installed: a plain run
    NO_RELOAD = True

if NO_RELOAD:
    # Runs once: later saves keep this very object (a model, a DB pool...).
    RESOURCE = {"created": object()}
    print("RESOURCE CREATED", flush=True)

app_ui = ui.page_fluid(ui.h1(greeting()), ui.input_text("name", "Name", "x"), ui.output_text("out"))


def server(input, output, session):
    @render.text
    def out() -> str:
        return f"You typed {input.name()}"


app = App(app_ui, server)
