"""A real devreload process serving a real Gradio app, edited as editors save files."""

from __future__ import annotations

import inspect
import json
import textwrap
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest

from support import (
    DevreloadProcess,
    devreload,
    markdown_values,
    save_in_place,
    serve_source,
    shared_devreload,
    wait_for,
)

pytestmark = pytest.mark.integration

APP = textwrap.dedent(
    """
    import sys
    import gradio as gr
    import helper

    if gr.NO_RELOAD:
        model = object()
        print("MODEL LOADED", flush=True)

    with gr.Blocks() as demo:
        gr.Markdown("# HEADER")
        gr.Markdown(f"model={{id(model)}} helper={{helper.TEXT}} client={{id(helper.client)}}")
        gr.Markdown(f"argv={{sys.argv[1:]}}")
        name = gr.Textbox(label="Name")

    if __name__ == "__main__":
        demo.launch({launch})
    """
)
HELPER = textwrap.dedent(
    """
    import gradio as gr

    if gr.NO_RELOAD:
        client = object()
    TEXT = "{text}"
    """
)


def write_app(folder: Path, header: str = "v1", launch: str = "", helper: str = "h1") -> Path:
    app = folder / "app.py"
    app.write_text(APP.format(launch=launch).replace("HEADER", header))
    (folder / "helper.py").write_text(HELPER.format(text=helper))
    return app


def values(process: DevreloadProcess) -> list[str]:
    return markdown_values(process.config())


def showing(process: DevreloadProcess, text: str) -> list[str]:
    return wait_for(
        lambda: (lambda v: v if any(text in value for value in v) else None)(values(process)),
        timeout=15,
        what=f"{text!r} in the served config",
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevreloadProcess]:
    folder = tmp_path_factory.mktemp("gradio_reload")
    with shared_devreload(folder, write_app(folder).read_text()) as process:
        yield process


@pytest.fixture
def server(served: DevreloadProcess) -> DevreloadProcess:
    """The module's process, serving the app and the helper as write_app writes them."""
    serve_source(served, HELPER.format(text="h1"), served.app.parent / "helper.py")
    return serve_source(served, APP.format(launch="").replace("HEADER", "v1"))


def test_no_reload_objects_keep_identity(server: DevreloadProcess) -> None:
    before = values(server)[1]
    save_in_place(server.app, server.app.read_text().replace("# v1", "# v2"))
    after = showing(server, "# v2")
    assert after[1] == before  # same id(model), same id(helper.client)
    assert server.count("MODEL LOADED") == 1


def test_exception_at_import_keeps_old_app(server: DevreloadProcess) -> None:
    app = server.app
    good = app.read_text()
    told = server.count("ModuleNotFoundError in")
    save_in_place(app, good.replace("# v1", "# v2").replace("import helper", "import nope"))
    server.wait_for_line("ModuleNotFoundError in", occurrences=told + 1)
    assert "# v1" in values(server)
    save_in_place(app, good.replace("# v1", "# v3"))
    showing(server, "# v3")


def test_helper_module_edit_is_picked_up(server: DevreloadProcess) -> None:
    before = values(server)[1]
    lines = server.count("reloaded helper.py")
    save_in_place(server.app.parent / "helper.py", HELPER.format(text="h2"))
    after = showing(server, "helper=h2")[1]
    # The helper's own NO_RELOAD client and the app's model are kept.
    assert after == before.replace("helper=h1", "helper=h2")
    server.wait_for_line("reloaded helper.py", occurrences=lines + 1)


def test_save_during_a_reload_is_not_lost(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    # The header is built from a module constant, so that each save runs the app
    # again (only a call's literal argument changing would be updated in place).
    slow = (
        'print("EXECUTING", flush=True)\nimport time\ntime.sleep(0.5)\nHEADER = "# {}"\n'
        "import gradio as gr\nwith gr.Blocks() as demo:\n    gr.Markdown(HEADER)\n"
    )
    app.write_text(slow.format("v1"))
    with devreload(app) as process:
        process.wait_ready()
        save_in_place(app, slow.format("v2"))
        # The second save lands while the reload of the first one runs.
        process.wait_for_line("EXECUTING", occurrences=2)
        save_in_place(app, slow.format("v3"))
        showing(process, "# v3")
        process.wait_for_line("devreload: reloaded", occurrences=2)


def test_launch_keyword_arguments_are_honoured(tmp_path: Path) -> None:
    app = write_app(tmp_path, launch='auth=("ann", "secret"), css=".gradio-container {color: red}"')
    with devreload(app) as process:
        process.wait_ready()
        with pytest.raises(urllib.error.HTTPError) as denied:
            process.get("/config")
        assert denied.value.code == 401
        # The reload channel (and its error details) sits behind the same auth.
        with pytest.raises(urllib.error.HTTPError) as denied_events:
            process.get("/gradio_api/dev/reload")
        assert denied_events.value.code == 401
        import httpx

        with httpx.Client(base_url=process.url) as client:
            login = client.post("/login", data={"username": "ann", "password": "secret"})
            assert login.status_code == 200
            config = client.get("/config").json()
            if "css" in inspect.signature(gr.Blocks.launch).parameters:  # Gradio >= 6
                assert "color: red" in (config.get("css") or "")


def test_app_arguments_after_double_dash(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app, args=["--", "--flag", "value"]) as process:
        process.wait_ready()
        assert "argv=['--flag', 'value']" in values(process)


def test_dev_reload_pushes_without_polling_delay(server: DevreloadProcess) -> None:
    import httpx

    shown = server.count("; 1 of 1 tab shows it in ")
    with (
        httpx.Client(base_url=server.url, timeout=10) as client,
        client.stream("GET", "/gradio_api/dev/reload") as events,
    ):
        lines = (line for line in events.iter_lines() if line)
        assert next(lines) == "retry: 1000"  # a cut stream is open again within 1 s
        assert next(lines).startswith(":")  # connected
        assert next(lines) == "event: hello"
        hello = json.loads(next(lines).removeprefix("data: "))
        client.post(
            "/__devreload__/tab",
            json={
                "op": "hello",
                "tab": "t",
                "version": hello["version"],
                "channel": hello["channel"],
            },
        )
        save_in_place(server.app, server.app.read_text().replace("# v1", "# v2"))
        assert next(lines) == "event: reload"
        reload = json.loads(next(lines).removeprefix("data: "))
        assert reload["version"] == hello["version"] + 1
        client.post(
            "/__devreload__/tab", json={"op": "shown", "tab": "t", "version": reload["version"]}
        )
    server.wait_for_line("; 1 of 1 tab shows it in ", occurrences=shown + 1)


def run_to_exit(app: Path, *args: str) -> tuple[int, str]:
    process = DevreloadProcess(app, args=args).start()
    code = process.wait_exit(timeout=60)
    return code, process.output


def test_missing_file_is_one_sentence(tmp_path: Path) -> None:
    code, output = run_to_exit(tmp_path / "nope.py")
    assert code == 2
    assert "nope.py does not exist" in output and "Traceback" not in output


def test_no_app_found_names_the_problem(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text("import gradio as gr\nx = 1\n")
    code, output = run_to_exit(app)
    assert code == 3
    assert "defines no app" in output and "Traceback" not in output


def test_several_apps_are_named(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(
        "import gradio as gr\n"
        "with gr.Blocks() as one:\n    gr.Markdown('1')\n"
        "with gr.Blocks() as two:\n    gr.Markdown('2')\n"
    )
    code, output = run_to_exit(app)
    assert code == 3
    assert "one, two" in output and "--demo-name" in output


def test_python_m_reloader_and_console_script_agree(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "reloader", "--help"], capture_output=True, text=True, check=True
    )
    assert "--demo-name" in out.stdout and "--watch" in out.stdout
    script = Path(sys.executable).parent / "devreload"
    out2 = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True)
    assert out2.stdout.replace("devreload", "") == out.stdout.replace("devreload", "")
    assert json  # keep import for readability of config dumps in failures
