# A Dash Pages app as Dash's documentation writes one ("Multi-Page Apps and URL
# Support"), around the pages of github.com/plotly/dash's own Pages tests (pages/).
import dash
from dash import Dash, dcc, html

app = Dash(__name__, use_pages=True)

app.layout = html.Div(
    [
        dcc.Location(id="url"),
        html.H1("Pages app"),
        html.Div([dcc.Link(page["name"], href=page["path"]) for page in dash.page_registry.values()]),
        dash.page_container,
    ]
)

if __name__ == "__main__":
    app.run(debug=True)
