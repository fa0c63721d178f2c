"""A plain Starlette app for devreload, with a resource kept across reloads.

Run it with ``devreload examples/starlette_app/app.py``; edit a route and the
open page reloads itself, while ``counter`` (created under ``NO_RELOAD``) keeps
counting instead of starting again from zero.
"""

from __future__ import annotations

import itertools

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

import reloader

if reloader.NO_RELOAD:
    # Created once; a reload keeps this very iterator (and its count).
    counter = itertools.count(1)


async def homepage(request: Request) -> HTMLResponse:
    visit = next(counter)
    return HTMLResponse(
        f"<!doctype html><html><head><title>Starlette</title></head>"
        f"<body><h1>Hello from Starlette</h1><p>Visit number {visit}.</p></body></html>"
    )


async def counter_value(request: Request) -> JSONResponse:
    return JSONResponse({"counter": id(counter)})


app = Starlette(routes=[Route("/", homepage), Route("/api/counter", counter_value)])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=8000)
