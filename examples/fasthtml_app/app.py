"""A FastHTML app: run with `devreload examples/fasthtml_app/app.py`."""

from fasthtml.common import Button, Div, P, Titled, fast_app, serve
from helper import greeting

NO_RELOAD = object()  # kept across saves: the engine does not re-create it

app, rt = fast_app()


@rt("/")
def index():
    return Titled(
        greeting(),
        Button("Click", hx_post="/clicked", hx_target="#out"),
        Div(id="out"),
    )


@rt("/clicked")
def clicked():
    return P("clicked")


serve()
