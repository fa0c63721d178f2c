"""A FastAPI app for devreload: HTML pages, a stylesheet, a form, a slow "model".

Run it with ``devreload examples/fastapi_app/main.py`` and open the page: edit
the HTML below and the page reloads itself, edit ``static/style.css`` and the
new style applies without a reload (what you typed stays). The model is loaded
once, under ``NO_RELOAD``, not on every save.

Without devreload, ``python examples/fastapi_app/main.py`` runs it as usual.
"""

from __future__ import annotations

import html
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

try:
    from reloader import NO_RELOAD
except ImportError:  # devreload not installed: a plain run
    NO_RELOAD = True

HERE = Path(__file__).resolve().parent


class SlowModel:
    """Stands in for something expensive to create: a model, a DB pool, a cache."""

    def __init__(self) -> None:
        time.sleep(1.0)
        self.loaded_at = time.strftime("%H:%M:%S")

    def answer(self, question: str) -> str:
        return question[::-1] or "(ask me something)"


if NO_RELOAD:
    # Runs once: later reloads keep this very object.
    model = SlowModel()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Runs on every reload (the old app's shutdown, then the new app's startup):
    # keep it cheap, or create the resource under NO_RELOAD above. (app.state
    # rather than a yielded state dict: uvicorn-hmr --refresh, which the
    # benchmark runs this app under, drops the lifespan's state.)
    app.state.started_at = time.strftime("%H:%M:%S")
    yield


app = FastAPI(lifespan=lifespan)
app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")


def page(request: Request, body: str) -> str:
    stylesheet = request.url_for("static", path="style.css")
    return f"""<!doctype html>
<html>
  <head>
    <meta charset="utf-8">
    <title>devreload FastAPI example</title>
    <link rel="stylesheet" href="{stylesheet}">
  </head>
  <body>
    <h1>Ask the model</h1>
    {body}
    <p class="meta">model loaded at {model.loaded_at};
       app started at {request.app.state.started_at}</p>
  </body>
</html>"""


FORM = """
    <form method="post" action="/ask">
      <input name="question" id="question" placeholder="Type a question" autofocus>
      <button type="submit">Ask</button>
    </form>
"""


@app.get("/", response_class=HTMLResponse)
async def index(request: Request) -> str:
    return page(request, FORM)


@app.post("/ask", response_class=HTMLResponse)
async def ask(request: Request, question: str = Form("")) -> str:
    answer = html.escape(model.answer(question))
    return page(request, f'<p class="answer">{answer}</p>{FORM}')


@app.get("/api/health")
async def health() -> dict[str, object]:
    return {"ok": True, "model": id(model)}


if __name__ == "__main__":
    uvicorn.run(app, port=8000)
