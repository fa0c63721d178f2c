"""The WSGI adapter: a Flask app served through the ASGI adapter's proxy (via a2wsgi)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from reloader.adapters import AppNotFound, load_adapters
from reloader.adapters.wsgi import WSGIAdapter
from support import devreload, save_atomic, save_in_place, wait_for

APP = textwrap.dedent(
    """
    import reloader
    from flask import Flask, Response

    VERSION = "v1"

    if reloader.NO_RELOAD:
        resource = object()
        print("RESOURCE CREATED", flush=True)

    app = Flask(__name__)


    @app.route("/")
    def index():
        return f"<!doctype html><html><body><h1>{VERSION}</h1></body></html>"


    @app.route("/version")
    def version():
        return Response(VERSION, mimetype="text/plain")


    @app.route("/resource")
    def resource_id():
        return Response(str(id(resource)), mimetype="text/plain")


    if __name__ == "__main__":
        app.run(port=5000, debug=True)
    """
)


@pytest.mark.integration
def test_a_flask_app_reloads_and_keeps_no_reload_objects(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    with devreload(app) as process:
        process.wait_ready()
        assert "(wsgi)" in process.output
        page = process.get("/").decode()
        assert "<h1>v1</h1>" in page
        assert "window.__devreload" in page
        before = process.get("/resource")
        save_atomic(app, APP.replace('VERSION = "v1"', 'VERSION = "v2"'))
        wait_for(lambda: process.get("/version") == b"v2", 15, what="v2 to be served")
        assert process.get("/resource") == before
        save_in_place(app, APP.replace('VERSION = "v1"', 'VERSION = "v3"') + "\n)\n")
        process.wait_for_line("SyntaxError in")
        assert process.get("/version") == b"v2"
        save_in_place(app, APP.replace('VERSION = "v1"', 'VERSION = "v3"'))
        wait_for(lambda: process.get("/version") == b"v3", 15, what="v3 to be served")
        assert process.count("RESOURCE CREATED") == 1


def test_the_adapter_is_built_in() -> None:
    assert isinstance(load_adapters("wsgi")[0], WSGIAdapter)


def test_the_flask_app_that_is_run_is_the_app() -> None:
    adapter = WSGIAdapter()
    adapter.framework_imported("flask")
    first, second = Flask("first"), Flask("second")
    with adapter.executing(first_load=True):
        assert second.run("0.0.0.0", 5001) is None  # captured, not run
    assert adapter.find_app({"first": first, "second": second}) is second
    assert adapter.run_kwargs_of(second) == {"host": "0.0.0.0", "port": 5001}


def test_finding_wsgi_apps() -> None:
    def application(environ: Any, start_response: Any) -> list[bytes]:
        return []

    def handler(request: Any, response: Any) -> None: ...

    async def asgi(scope: Any, receive: Any, send: Any) -> None: ...

    find = WSGIAdapter().find_app
    flask_app = Flask("x")
    assert find({"app": flask_app, "Flask": Flask, "handler": handler}) is flask_app
    assert find({"application": application}) is application
    assert find({"handler": handler, "asgi": asgi}) is None
    assert find({"handler": handler}, "handler") is handler  # named: any WSGI-shaped callable
    assert find({"asgi": asgi}, "asgi") is None
    with pytest.raises(AppNotFound, match=r"\(app, application\)"):
        find({"app": flask_app, "application": application})


def test_two_dash_apps_and_none_run_are_named_like_the_other_adapters_do() -> None:
    """Dash answered "no app" (and devreload then said no adapter found one) where the
    WSGI and ASGI adapters name the candidates: all say the same now."""
    import dash

    from reloader.adapters.dash import DashAdapter

    first, second = dash.Dash("first"), dash.Dash("second")
    find = DashAdapter().find_app
    assert find({"app": first, "same": first}) is first
    with pytest.raises(AppNotFound) as error:
        find({"app": first, "other": second})
    assert str(error.value) == (
        "Several Dash apps are defined (app, other) and none is run by app.run(); "
        "choose one with --app NAME."
    )
