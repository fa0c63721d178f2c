"""A Dash app: run with `devreload examples/dash_app/app.py`."""

from dash import Dash, Input, Output, dcc, html
from helper import greeting

try:
    from reloader import NO_RELOAD
except ImportError:  # devreload not installed: a plain run
    NO_RELOAD = True

if NO_RELOAD:
    # Runs once: later saves keep this very object (a model, a DB pool...).
    RESOURCE = {"created": object()}
    print("RESOURCE CREATED", flush=True)

app = Dash(__name__)
app.layout = html.Div([html.H1(greeting()), dcc.Input(id="name", value="x"), html.P(id="out")])


@app.callback(Output("out", "children"), Input("name", "value"))
def echo(value: str) -> str:
    return f"You typed {value}"


if __name__ == "__main__":
    app.run(debug=True)
