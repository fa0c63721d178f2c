"""NiceGUI under devreload: a button whose handler runs the new code after a save,
and script mode. (The conformance suite and the tab following a save are in
test_conformance.py, with every other adapter.)

The app is written as NiceGUI's docs write one: ``@ui.page("/")``, a button with
a handler, ``ui.run()`` at the end under ``if __name__ in {"__main__", "__mp_main__"}``.
NiceGUI renders element texts into the page's initial HTML, so a GET of the
page shows the markers.
"""

from __future__ import annotations

import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from reloader.testing import (
    TRACK_EVENT_SOURCES,
    ConformanceApp,
    DevreloadProcess,
    save_in_place,
    wait_for,
)

pytestmark = pytest.mark.integration

NICEGUI = ConformanceApp(
    name="nicegui",
    files={
        "app.py": textwrap.dedent(
            """
            import reloader
            from nicegui import app, ui
            import helper

            if reloader.NO_RELOAD:
                resource = object()

            # Module-level lifecycle handlers, as NiceGUI's docs register them: a
            # reload must not fail on "NiceGUI has already been started".
            app.on_startup(lambda: None)
            app.on_connect(lambda: None)

            MARKERS = f"version={version} helper={{helper.TEXT}} resource={{id(resource)}}"

            @ui.page("/")
            def index():
                ui.label(MARKERS)
                answer = ui.label("not clicked")

                def clicked():
                    answer.set_text("clicked in {version}")
                    ui.notify("handler ran in {version}")

                ui.button("Click me", on_click=clicked)

            if __name__ in {{"__main__", "__mp_main__"}}:
                ui.run(port=8080)
            """
        ),
        "helper.py": 'TEXT = "{helper}"\n',
    },
)


def test_script_mode_page_follows_a_save(tmp_path: Path) -> None:
    """NiceGUI's script mode (UI made at module level, no @ui.page): a save reloads
    (NiceGUI would serve a re-run of the file anyway: the reload itself must not fail,
    layout elements such as ui.header() included) and is served."""
    source = (
        "from nicegui import ui\n"
        "with ui.header():\n"
        '    ui.label("header {version}")\n'
        'ui.label("version={version}")\n'
        "ui.run()\n"
    )
    app_path = tmp_path / "app.py"
    app_path.write_text(source.format(version="v1"), encoding="utf-8")
    process = DevreloadProcess(app_path).start()
    try:
        for version in ("v1", "v2"):
            if version == "v2":
                save_in_place(app_path, source.format(version="v2"))
            wait_for(
                lambda marker=f"version={version}": marker in process.get("/").decode(),
                timeout=60,
                what=f"the script-mode page at {version}",
            )
        wait_for(
            lambda: "reloaded app.py" in process.output or "reload failed" in process.output,
            timeout=30,
            what="the reload's outcome",
        )
        assert "reload failed" not in process.output, process.output
        assert "Client has been deleted" not in process.output, process.output
    finally:
        process.stop()


def test_script_mode_serves_the_last_good_version_through_a_broken_save(
    tmp_path: Path,
) -> None:
    """Script mode builds each new client's page by running the app's code: while a
    save is broken, a tab opened (or reloaded) gets the last good version, not a 500."""
    source = 'from nicegui import ui\nui.label("version={version}")\nui.run()\n'
    app_path = tmp_path / "app.py"
    app_path.write_text(source.format(version="v1"), encoding="utf-8")
    process = DevreloadProcess(app_path).start()
    try:
        wait_for(lambda: "version=v1" in process.get("/").decode(), timeout=60, what="v1")
        save_in_place(app_path, source.format(version="v2").replace("ui.run()", "ui.run("))
        wait_for(lambda: "reload failed" in process.output, timeout=30, what="the failed save")
        assert "version=v1" in process.get("/").decode()
    finally:
        process.stop()


@pytest.mark.browser
def test_a_save_rebuilds_the_open_page_in_place(tmp_path: Path, page: Any) -> None:
    """A save rebuilds each connected client's page over NiceGUI's socket: the new
    version shows without a page reload (a window marker survives), and the rebuilt
    page's button runs the new handler (socket.io works through devreload's proxy)."""
    app_path = NICEGUI.write(tmp_path)
    process = DevreloadProcess(app_path).start()
    try:
        wait_for(
            lambda: "version=v1" in process.get("/").decode("utf-8", "replace"),
            timeout=60,
            what="the first page",
        )
        page.add_init_script(TRACK_EVENT_SOURCES)
        page.goto(process.url)
        page.get_by_text("Click me").click()
        page.get_by_text("clicked in v1").wait_for(timeout=30_000)
        page.evaluate("() => { window.__sameDocument = true; }")
        save_in_place(app_path, NICEGUI.source("app.py", "v2"))
        page.wait_for_function(
            "() => document.body.innerText.includes('version=v2')", timeout=30_000
        )
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        assert "version=v1" not in page.evaluate("() => document.body.innerText")
        page.get_by_text("Click me").click()
        page.get_by_text("clicked in v2").wait_for(timeout=30_000)
        page.get_by_text("handler ran in v2").wait_for(timeout=30_000)
    finally:
        process.stop()


CLIENT_HANDLERS_APP = """
from nicegui import ui


@ui.page("/")
def index():
    ui.label("version={version}")
    ui.context.client.on_disconnect(lambda: print("disconnected in {version}", flush=True))
"""


def test_client_handlers_of_a_rebuilt_page_are_the_new_versions(tmp_path: Path, page: Any) -> None:
    """A page function that registers ``client.on_disconnect`` registers it again on
    each in-place rebuild: the previous versions' handlers give way, so closing the
    tab after two saves runs the newest handler once, and no older one."""
    app_path = tmp_path / "app.py"
    app_path.write_text(
        CLIENT_HANDLERS_APP.format(version="v1") + "ui.run(port=8080)\n", encoding="utf-8"
    )
    process = DevreloadProcess(app_path).start()
    try:
        wait_for(
            lambda: "version=v1" in process.get("/").decode("utf-8", "replace"),
            timeout=60,
            what="the first page",
        )
        page.goto(process.url)
        page.get_by_text("version=v1").wait_for(timeout=30_000)
        page.evaluate("() => { window.__sameDocument = true; }")
        for version in ("v2", "v3"):
            save_in_place(
                app_path,
                CLIENT_HANDLERS_APP.format(version=version) + "ui.run(port=8080)\n",
            )
            page.get_by_text(f"version={version}").wait_for(timeout=30_000)
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        page.goto("about:blank")
        process.wait_for_line("disconnected in v3", timeout=30)
        assert process.count("disconnected in") == 1, process.output()[-2000:]
    finally:
        process.stop()


MIDDLEWARE_APP = """
from nicegui import app, ui
from starlette.middleware.base import BaseHTTPMiddleware


@app.add_middleware
class VersionHeader(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        app.storage.user.get("seen")  # needs NiceGUI's own middleware around this one
        response = await call_next(request)
        response.headers["X-Version"] = "{version}"
        return response


@ui.page("/")
def index():
    ui.label("version={version}")


ui.run(storage_secret="not secret")
"""


def test_module_level_middleware_is_replaced_on_a_save(tmp_path: Path) -> None:
    """``@app.add_middleware`` at module level, as NiceGUI's authentication example
    does: a save replaces the middleware (Starlette refuses to add one to a started
    app), keeping its place inside NiceGUI's own (``app.storage`` works in it)."""
    app_path = tmp_path / "app.py"
    app_path.write_text(MIDDLEWARE_APP.replace("{version}", "v1"), encoding="utf-8")
    process = DevreloadProcess(app_path).start()

    def versions() -> list[str]:
        with urllib.request.urlopen(process.url + "/", timeout=5) as response:
            return response.headers.get_all("X-Version") or []

    try:
        wait_for(lambda: versions() == ["v1"], timeout=60, what="v1's header")
        save_in_place(app_path, MIDDLEWARE_APP.replace("{version}", "v2"))
        wait_for(
            lambda: "reloaded app.py" in process.output or "reload failed" in process.output,
            timeout=30,
            what="the reload's outcome",
        )
        assert "reload failed" not in process.output, process.output
        wait_for(lambda: versions() == ["v2"], what="v2's header, and only it")
    finally:
        process.stop()


PARAMETER_PAGE_APP = """
from nicegui import ui


@ui.page("/item/{{name}}")
async def item(name: str, count: int = 0):
    ui.label(f"item {{name}} x{{count}} version={version}")
    ui.input("Note")
    ui.number("Amount", value=1)


ui.run()
"""


def test_a_page_with_parameters_is_rebuilt_in_place_with_them(tmp_path: Path, page: Any) -> None:
    """An async page with a path and a query parameter, as NiceGUI's docs write one: a
    save rebuilds the open page in place, called with the same arguments, with the
    typed note kept and the amount the developer changed taking the new default."""
    app_path = tmp_path / "app.py"
    app_path.write_text(PARAMETER_PAGE_APP.format(version="v1"), encoding="utf-8")
    process = DevreloadProcess(app_path).start()
    try:
        process.wait_ready(60)
        page.goto(process.url + "/item/lamp?count=3")
        page.get_by_text("item lamp x3 version=v1").wait_for(timeout=30_000)
        page.get_by_label("Note").fill("for the desk")
        page.get_by_label("Amount").fill("5")
        page.get_by_label("Amount").press("Tab")
        page.evaluate("() => { window.__sameDocument = true; }")
        save_in_place(app_path, PARAMETER_PAGE_APP.format(version="v2"))
        page.get_by_text("item lamp x3 version=v2").wait_for(timeout=30_000)
        assert page.get_by_label("Note").input_value() == "for the desk"
        assert page.get_by_label("Amount").input_value() == "5"
        changed = PARAMETER_PAGE_APP.format(version="v3").replace("value=1", "value=2")
        save_in_place(app_path, changed)
        page.get_by_text("item lamp x3 version=v3").wait_for(timeout=30_000)
        assert page.get_by_label("Note").input_value() == "for the desk"
        assert page.get_by_label("Amount").input_value() == "2"  # the developer's new default
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    finally:
        process.stop()


def test_a_script_mode_page_is_rebuilt_in_place(tmp_path: Path, page: Any) -> None:
    """Script mode: a save runs the file again in each open client, as NiceGUI builds
    a script's page, instead of reloading the tab; the typed value stays."""
    source = 'from nicegui import ui\nui.label("version={version}")\nui.input("Name")\nui.run()\n'
    app_path = tmp_path / "app.py"
    app_path.write_text(source.format(version="v1"), encoding="utf-8")
    process = DevreloadProcess(app_path).start()
    try:
        process.wait_ready(60)
        page.goto(process.url)
        page.get_by_text("version=v1").wait_for(timeout=30_000)
        page.get_by_label("Name").fill("typed")
        page.evaluate("() => { window.__sameDocument = true; }")
        save_in_place(app_path, source.format(version="v2"))
        page.get_by_text("version=v2").wait_for(timeout=30_000)
        assert page.get_by_label("Name").input_value() == "typed"
        assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    finally:
        process.stop()
