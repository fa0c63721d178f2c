"""Behind a reverse proxy at a sub-path: a real nginx (Debian's package) in front of
real devreload servers, a real headless Chromium tab opened through it.

One nginx for the module: ``/app/`` → a Gradio app launched with ``root_path="/app"``;
``/fast/`` → a FastAPI app that does not know its prefix (as under JupyterHub's
``/user/NAME/proxy/8000/``), and ``/idle/`` → the same app with a 5 s
``proxy_read_timeout`` (nginx closes a response silent for longer). nginx's default
response buffering is left on: devreload's streams must turn it off themselves.
"""

from __future__ import annotations

import json
import textwrap
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from reloader.testing import PAGE_LISTENS, Nginx, ProxiedApp
from support import DevreloadProcess, save_in_place, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

GRADIO_APP = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        gr.Markdown("# Title v1")
        name = gr.Textbox(label="Name")

    demo.launch(root_path="/app")
    """
)

FASTAPI_APP = textwrap.dedent(
    """
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    app = FastAPI()
    TITLE = "Fast v1"


    @app.get("/", response_class=HTMLResponse)
    @app.get("/pages/deep", response_class=HTMLResponse)
    def page():
        return f"<!doctype html><html><body><h1>{TITLE}</h1><input id='name'></body></html>"


    if __name__ == "__main__":
        uvicorn.run(app)
    """
)

#: One tab showed the save ("1 of N tab(s) shows it in X ms"): tabs of an earlier test
#: that closed less than 10 s before still count as told (a tab may be reloading).
SHOWN = " shows it in "


def _serve(folder: Path, source: str) -> DevreloadProcess:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(source)
    return DevreloadProcess(folder / "app.py").start()


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Nginx, DevreloadProcess, DevreloadProcess]]:
    if Nginx.executable() is None:
        pytest.fail("nginx is not installed (scripts/test.sh installs Debian's nginx package)")
    folder = tmp_path_factory.mktemp("proxy")
    gradio = _serve(folder / "gradio", GRADIO_APP)
    fastapi = _serve(folder / "fastapi", FASTAPI_APP)
    proxy = Nginx(
        folder / "nginx",
        [
            ProxiedApp("/app/", gradio.port),
            ProxiedApp("/fast/", fastapi.port),
            ProxiedApp("/idle/", fastapi.port, read_timeout=5, forwarded_prefix=True),
        ],
    )
    try:
        gradio.wait_ready(120)
        fastapi.wait_ready(60)
        proxy.start()
        yield proxy, gradio, fastapi
    except BaseException:
        print_logs((proxy, gradio, fastapi))
        raise
    finally:
        proxy.stop()
        gradio.stop()
        fastapi.stop()


def print_logs(servers: tuple[Nginx, DevreloadProcess, DevreloadProcess]) -> None:
    proxy, *processes = servers
    for process in processes:
        print(f"--- devreload output ({process.app.parent.name}) ---\n{process.output}")
    print(f"--- nginx error log ---\n{proxy.error_log()}\n--- end ---")


def edit(process: DevreloadProcess, old: str, new: str) -> None:
    source = process.app.read_text()
    assert old in source
    save_in_place(process.app, source.replace(old, new))


def status(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "__devreload__/status", timeout=5) as response:
        return dict(json.loads(response.read()))


def no_tabs_left(url: str) -> None:
    """The module's servers outlive each test: wait until the tabs of the tests before
    have said goodbye, so that the tabs listed are this test's own."""
    wait_for(lambda: status(url)["tabs"] == [], 20, what="earlier tests' tabs to go")


@contextmanager
def tab(
    servers: tuple[Nginx, DevreloadProcess, DevreloadProcess],
    browser: Any,
    root: str,
    path: str = "",
) -> Iterator[Any]:
    """A tab of its own opened at the app's ``root`` URL + ``path`` (once the tabs of
    earlier tests are gone, so that the tabs the servers list are this test's),
    listening for saves; closed after, with the servers' logs printed (pytest shows
    them if the test failed)."""
    no_tabs_left(root)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(root + path)
        page.wait_for_function(PAGE_LISTENS, timeout=60_000)
        yield page
    finally:
        context.close()
        print_logs(servers)


def follows_a_save(process: DevreloadProcess, page: Any, old: str, new: str, shown: str) -> None:
    """Save an edit and wait until the tab shows ``shown`` and the server's reload line
    says a tab showed it."""
    lines = process.count(SHOWN)
    edit(process, old, new)
    page.get_by_text(shown).wait_for(timeout=30_000)
    process.wait_for_line(SHOWN, occurrences=lines + 1)


def test_a_gradio_app_at_a_sub_path_follows_saves_and_errors(
    servers: tuple[Nginx, DevreloadProcess, DevreloadProcess], browser: Any
) -> None:
    """The bug measured before: the page loaded through nginx, but its reload channel
    pointed at the proxy's root (/gradio_api/dev/reload), and a save never showed."""
    proxy, gradio, _ = servers
    url = proxy.url + "/app/"
    with tab(servers, browser, url) as page:
        page.get_by_role("textbox", name="Name").fill("typed behind a proxy")
        follows_a_save(gradio, page, "Title v1", "Title v2", shown="Title v2")
        assert page.get_by_role("textbox", name="Name").input_value() == "typed behind a proxy"
        # devreload's status route, through the proxy: the tab, at the version it shows.
        tabs = status(url)["tabs"]
        assert len(tabs) == 1 and tabs[0]["path"] == "/app/" and tabs[0]["version"] >= 1, tabs

        edit(gradio, 'gr.Markdown("# Title v2")', 'gr.Markdown("# Title v2"')
        overlay = page.locator("#devreload-error-overlay")
        overlay.wait_for(timeout=30_000)
        assert "SyntaxError" in overlay.inner_text()
        edit(gradio, 'gr.Markdown("# Title v2"', 'gr.Markdown("# Title v3")')
        page.get_by_text("Title v3").wait_for(timeout=30_000)
        overlay.wait_for(state="detached", timeout=10_000)


def test_a_save_made_while_the_proxy_is_down_shows_once_it_is_back(
    servers: tuple[Nginx, DevreloadProcess, DevreloadProcess], browser: Any
) -> None:
    proxy, gradio, _ = servers
    with tab(servers, browser, proxy.url + "/app/") as page:
        (shown,) = status(gradio.url + "/")["tabs"]
        proxy.stop()
        # The tab's stream is gone (the server saw it close) before the save.
        wait_for(lambda: status(gradio.url + "/")["tabs"] == [], 20, what="the stream to close")
        edit(gradio, 'gr.Markdown("# Title v', 'gr.Markdown("# Saved while away v')
        gradio.wait_for_config(lambda config: "Saved while away" in json.dumps(config), 30)
        proxy.start()
        page.get_by_text("Saved while away").wait_for(timeout=30_000)

        def confirmed() -> bool:
            tabs = status(proxy.url + "/app/")["tabs"]
            return len(tabs) == 1 and tabs[0]["version"] > shown["version"]

        wait_for(confirmed, 20, what="the tab to say it shows the new version")


def test_a_fastapi_app_at_a_prefix_it_does_not_know_follows_a_save(
    servers: tuple[Nginx, DevreloadProcess, DevreloadProcess], browser: Any
) -> None:
    proxy, _, fastapi = servers
    with tab(servers, browser, proxy.url + "/fast/", "pages/deep") as page:
        page.fill("#name", "kept")
        follows_a_save(fastapi, page, 'TITLE = "Fast v', 'TITLE = "Deep v', shown="Deep v1")
        assert page.input_value("#name") == "kept"
        tabs = status(proxy.url + "/fast/")["tabs"]
        assert [listed["path"] for listed in tabs] == ["/fast/pages/deep"], tabs


def test_an_idle_tab_behind_a_short_read_timeout_follows_the_next_save(
    servers: tuple[Nginx, DevreloadProcess, DevreloadProcess], browser: Any
) -> None:
    """nginx closes the tab's stream once it is silent for 5 s (devreload's heartbeat
    comes every 15 s): the tab connects again, and the save after it still shows and is
    confirmed, also when it is made before the tab is back."""
    proxy, _, fastapi = servers
    with tab(servers, browser, proxy.url + "/idle/") as page:
        cut = proxy.error_log().count("upstream timed out")
        wait_for(
            lambda: proxy.error_log().count("upstream timed out") > cut,
            20,
            what="nginx to close the idle stream",
        )
        title = page.locator("h1").inner_text()
        follows_a_save(fastapi, page, title, title + " after idle", shown=title + " after idle")
