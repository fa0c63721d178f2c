"""A FastHTML app: run with `devreload examples/fasthtml_app/app.py`."""

from fasthtml.common import Button, Div, P, Titled, fast_app, serve
from helper import greeting

try:
    from reloader import NO_RELOAD
except ImportError:  # devreload not installed: a plain run
    NO_RELOAD = True

if NO_RELOAD:
    # Runs once: later saves keep this very object (a model, a DB pool...).
    RESOURCE = {"created": object()}
    print("RESOURCE CREATED", flush=True)

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
