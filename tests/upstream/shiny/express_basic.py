# Copied unchanged from github.com/posit-dev/py-shiny (MIT), examples/express/basic_app.py at commit 862411ec6f54;
# run by devreload's tests (tests/test_upstream_*.py). Licence: tests/upstream/licenses/shiny.txt.
from shiny import render
from shiny.express import input, ui

ui.input_slider("n", "N", 1, 100, 50)


@render.code()
def txt():
    return f"n = {input.n()}"
