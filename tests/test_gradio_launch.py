"""What ``demo.launch(...)`` does under devreload (issue 10, items 8, 8b, 8c): a real
devreload process and a real Gradio server."""

from __future__ import annotations

import inspect
import stat
import textwrap
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from support import devreload, markdown_values, save_in_place, wait_for

pytestmark = pytest.mark.integration

BLOCKING = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        gr.Markdown("VERSION")

    if __name__ == "__main__":
        demo.launch(debug=True, inbrowser=True, share=True, prevent_thread_lock=False)
    """
)


def test_blocking_and_opening_launch_arguments_neither_block_nor_open(tmp_path: Path) -> None:
    opened = tmp_path / "opened"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$@" >> {opened}\n')
    browser.chmod(browser.stat().st_mode | stat.S_IEXEC)
    app = tmp_path / "app.py"
    app.write_text(BLOCKING.replace("VERSION", "v1"))
    with devreload(app, env={"BROWSER": str(browser), "GRADIO_DEBUG": "1"}) as process:
        process.wait_ready()
        for version in ("v2", "v3"):
            save_in_place(app, BLOCKING.replace("VERSION", version))
            process.wait_for_config(lambda c, v=version: v in markdown_values(c), timeout=30)  # type: ignore[misc]
        assert not opened.exists()
        assert "share" in process.output  # says share=True is not honoured


AFTER_LAUNCH = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        gr.Markdown("VERSION")

    if __name__ == "__main__":
        app, local_url, share_url = demo.launch()
        print(f"AFTER VERSION port={demo.server_port} name={demo.server_name} "
              f"local={demo.local_url} url={local_url} share={share_url} "
              f"routes={len(app.routes) > 0}", flush=True)
    """
)


def test_code_after_launch_sees_the_served_port_and_urls(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(AFTER_LAUNCH.replace("VERSION", "v1"))
    with devreload(app) as process:
        process.wait_ready()
        for version in ("v2", "v3"):
            save_in_place(app, AFTER_LAUNCH.replace("VERSION", version))
            process.wait_for_config(lambda c, v=version: v in markdown_values(c), timeout=30)  # type: ignore[misc]
        process.wait_for_line("AFTER v3")
        url = f"http://127.0.0.1:{process.port}/"
        for version in ("v1", "v2", "v3"):
            line = next(line for line in process.lines if f"AFTER {version} " in line)
            assert line == (
                f"AFTER {version} port={process.port} name=127.0.0.1 local={url} "
                f"url={url} share=None routes=True"
            )


def test_a_missing_css_file_is_named_not_blamed_on_the_port(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    missing = tmp_path / "styles" / "missing.css"
    # Gradio 6 takes css_paths in launch(); Gradio 5 only in the Blocks constructor
    # (there a missing file is an error in the user's code, reported as such).
    in_launch = "css_paths" in inspect.signature(gr.Blocks.launch).parameters
    blocks_args = "" if in_launch else f"css_paths=[{str(missing)!r}]"
    launch_args = f"css_paths=[{str(missing)!r}]" if in_launch else ""
    app.write_text(
        "import gradio as gr\n"
        f"with gr.Blocks({blocks_args}) as demo:\n    gr.Markdown('x')\n"
        f"demo.launch({launch_args})\n"
    )
    with devreload(app) as process:
        wait_for(
            lambda: str(missing) in process.output and "devreload" in process.output,
            timeout=60,
            what="the missing file named in devreload's output",
        )
        output = process.output
        assert "port" not in output.lower()
        if in_launch:
            assert process.wait_exit(timeout=30) == 4
            assert "create that file or fix its path" in process.output
            assert "Traceback" not in process.output


SETTINGS = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        gr.Markdown("VERSION")

    if __name__ == "__main__":
        demo.launch(LAUNCH_ARGS)
    """
)


def _settings_app(version: str, launch_args: str) -> str:
    return SETTINGS.replace("VERSION", version).replace("LAUNCH_ARGS", launch_args)


def test_launch_settings_survive_a_reload_and_follow_the_launch_call(tmp_path: Path) -> None:
    """What launch() stores on the Blocks (the footer, show_error) is the same after a
    full reload as under ``python app.py`` (before: the footer vanished and
    show_error flipped to True), and an edit of those launch() arguments applies.
    (Gradio 5 has no footer_links: there, show_error alone is checked.)"""
    footer = "footer_links" in inspect.signature(gr.Blocks.launch).parameters

    def settings(config: dict[str, object]) -> tuple[object, object]:
        return config.get("footer_links") if footer else None, config["show_error"]

    default = (["api", "gradio", "settings", "runs"] if footer else None, False)
    app = tmp_path / "app.py"
    app.write_text(_settings_app("v1", ""))
    with devreload(app) as process:
        process.wait_ready()
        assert settings(process.config()) == default
        save_in_place(app, _settings_app("v2", ""))
        again = process.wait_for_config(lambda c: "v2" in markdown_values(c), timeout=30)
        assert settings(again) == default
        edit = 'show_error=True, footer_links=["gradio"]' if footer else "show_error=True"
        save_in_place(app, _settings_app("v3", edit))
        edited = process.wait_for_config(lambda c: "v3" in markdown_values(c), timeout=30)
        assert settings(edited) == ((["gradio"] if footer else None), True)
        save_in_place(app, _settings_app("v4", ""))
        back = process.wait_for_config(lambda c: "v4" in markdown_values(c), timeout=30)
        assert settings(back) == default


def test_a_save_applies_auth_and_tells_what_needs_a_restart(tmp_path: Path) -> None:
    """``auth`` added by a save asks for a login, removed it does not (before: the
    first version's stayed); a setting fixed when the server started is told once."""
    app = tmp_path / "app.py"
    app.write_text(_settings_app("v1", "max_threads=10"))
    with devreload(app) as process:
        process.wait_ready()
        save_in_place(app, _settings_app("v2", 'max_threads=20, auth=("ada", "pw")'))
        wait_for(lambda: _status_of(process, "/config") == 401, timeout=30, what="a login asked")
        save_in_place(app, _settings_app("v3", "max_threads=20"))
        process.wait_for_config(lambda c: "v3" in markdown_values(c), timeout=30)
        told = "launch(max_threads=...) changed; the running server keeps the value it started"
        assert process.count(told) == 1


def _status_of(process: Any, path: str) -> int:
    import urllib.error

    try:
        process.get(path)
    except urllib.error.HTTPError as error:
        return int(error.code)
    return 200


QUEUED = textwrap.dedent(
    """
    import threading
    import time
    import gradio as gr

    lock = threading.Lock()
    running = peak = 0


    def together(text):
        # Waits until three calls run at once (or 3 s): returns how many ever did.
        global running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        deadline = time.monotonic() + 3
        while peak < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        with lock:
            running -= 1
        return str(peak)


    with gr.Blocks() as demo:
        gr.Markdown("VERSION")
        box = gr.Textbox()
        box.submit(together, box, box, api_name="together")

    demo.queue(default_concurrency_limit=LIMIT)
    demo.launch()
    """
)


def test_a_saved_queue_setting_applies(tmp_path: Path) -> None:
    """``demo.queue(default_concurrency_limit=3)`` saved over ``=1`` lets three calls run
    at once (before: the first version's queue kept its default limit)."""
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    def at_once(url: str) -> set[str]:
        client = Client(url, verbose=False)
        with ThreadPoolExecutor(3) as pool:
            calls = [pool.submit(client.predict, "x", api_name="/together") for _ in range(3)]
            return {str(call.result(timeout=60)) for call in calls}

    app = tmp_path / "app.py"
    app.write_text(QUEUED.replace("VERSION", "v1").replace("LIMIT", "1"))
    with devreload(app) as process:
        process.wait_ready()
        assert at_once(process.url) == {"1"}
        save_in_place(app, QUEUED.replace("VERSION", "v2").replace("LIMIT", "3"))
        process.wait_for_config(lambda c: "v2" in markdown_values(c), timeout=30)
        assert at_once(process.url) == {"3"}


PROBE_FAILS = textwrap.dedent(
    """
    import gradio as gr
    import gradio.networking

    # Gradio's localhost probe as it answers on a machine too busy to reply within its
    # 3 s timeout, although the server is up.
    gradio.networking.url_ok = lambda url: False

    with gr.Blocks() as demo:
        gr.Markdown("VERSION")

    demo.launch()
    """
)


def test_the_first_load_serves_when_gradios_localhost_probe_times_out(tmp_path: Path) -> None:
    """launch() raised "When localhost is not accessible, a shareable link must be
    created" after its server was up: the first load failed (before: under load)."""
    app = tmp_path / "app.py"
    app.write_text(PROBE_FAILS.replace("VERSION", "v1"))
    with devreload(app) as process:
        wait_for(
            lambda: "devreload: serving" in process.output or "first load failed" in process.output,
            timeout=60,
            what="the first load's outcome",
        )
        assert "first load failed" not in process.output
        assert "v1" in markdown_values(process.config())
        save_in_place(app, PROBE_FAILS.replace("VERSION", "v2"))
        process.wait_for_config(lambda c: "v2" in markdown_values(c), timeout=30)


FAILS_AFTER_THE_SERVER_STARTS = textwrap.dedent(
    """
    import gradio.utils

    _asked = gradio.utils.is_hosted_notebook

    def _fails_once():  # launch() asks this once its server is up
        gradio.utils.is_hosted_notebook = _asked
        raise RuntimeError("launch() failed after its server started")

    gradio.utils.is_hosted_notebook = _fails_once
    """
)


def _port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_a_launch_that_fails_after_its_server_started_frees_the_port(tmp_path: Path) -> None:
    """The failed first load's server is stopped, so the save that fixes it serves
    (before: that save was told "Port N on 127.0.0.1 is in use" and devreload exited)."""
    app = tmp_path / "app.py"
    plain = PROBE_FAILS.replace("gradio.networking.url_ok", "_unused")
    app.write_text(FAILS_AFTER_THE_SERVER_STARTS + plain.replace("VERSION", "v1"))
    with devreload(app) as process:
        process.wait_for_line("waiting for a fix", timeout=60)
        assert "launch() failed after its server started" in process.output
        wait_for(lambda: _port_is_free(process.port), timeout=10, what="the port freed")
        save_in_place(app, plain.replace("VERSION", "v2"))
        process.wait_ready()
        assert "v2" in markdown_values(process.config())
        save_in_place(app, plain.replace("VERSION", "v3"))
        process.wait_for_config(lambda c: "v3" in markdown_values(c), timeout=30)
