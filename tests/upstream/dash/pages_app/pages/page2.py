# Copied unchanged from github.com/plotly/dash (MIT), tests/integration/multi_page/pages/page2.py at commit 27c7f7f20801;
# run by devreload's tests (tests/test_upstream_*.py). Licence: tests/upstream/licenses/dash.txt.
import dash
from dash import html


dash.register_page(__name__, id="page2")

layout = html.Div("text for page2", id="text_page2")
