"""After each save, devreload serves what a fresh ``python app.py`` of the saved file
serves (issue 21): the page config, the API description and the answers to calls.

One devreload process takes a sequence of real edits (events added and renamed,
labels and defaults changed, Blocks and launch() settings removed, the layout
rebuilt, Blocks replaced by an Interface); after each save the served app is
compared with a fresh run of the same file (``gradio_oracle``).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from gradio_oracle import Oracle, compare, snapshot
from support import DevreloadProcess, devreload, free_port, save_in_place, wait_for

pytestmark = pytest.mark.integration

#: Gradio 6 takes the appearance arguments in launch(); Gradio 5 in the Blocks constructor.
APPEARANCE_IN_LAUNCH = "css" in inspect.signature(gr.Blocks.launch).parameters

HANDLERS = textwrap.dedent(
    """
    import gradio as gr


    def echo(text):
        return text


    def shout(text):
        return text.upper()
    """
)
FIRST = HANDLERS + textwrap.dedent(
    """
    with gr.Blocks(
        title="Faithful",
        css="footer {display: none !important;}",
        head="<meta name='first' content='1'>",
        fill_height=True,
    ) as demo:
        gr.Markdown("# first")
        t = gr.Textbox(label="In", value="hello")
        o = gr.Textbox(label="Out")
        t.submit(echo, t, o, api_name="echo")

    demo.launch()
    """
)
ADDED = FIRST.replace(
    '    t.submit(echo, t, o, api_name="echo")\n',
    '    t.submit(echo, t, o, api_name="echo")\n    t.change(shout, t, o, api_name="shout")\n',
)
RENAMED = ADDED.replace('api_name="shout"', 'api_name="yell"').replace(
    'label="In", value="hello"', 'label="Input", value="hi"'
)
SETTINGS_REMOVED = RENAMED.replace(
    RENAMED[RENAMED.index("with gr.Blocks(") : RENAMED.index(" as demo:")], "with gr.Blocks()"
)
LAYOUT = HANDLERS + textwrap.dedent(
    """
    with gr.Blocks() as demo:
        with gr.Tab("Main"):
            with gr.Row():
                with gr.Column(scale=2):
                    t = gr.Textbox(label="Input", value="hi")
                    n = gr.Slider(0, 10, value=3, step=1, label="Times")
                with gr.Column():
                    o = gr.Textbox(label="Out")
            with gr.Accordion("More", open=False):
                gr.Markdown("# layout")
        with gr.Tab("Other"):
            gr.Number(label="Other", value=7)
        t.submit(echo, t, o, api_name="echo")
        t.change(shout, t, o, api_name="yell")
        n.release(lambda k, s: s * int(k), [n, t], o, api_name="repeat")

    demo.launch()
    """
)
_APPEARANCE = (
    "css='footer {display: none !important;}', css_paths=['style.css'], "
    "js=\"() => { document.title = 'js ran'; }\", head=\"<meta name='second' content='2'>\", "
    "head_paths=['head.html'], theme='soft'"
)
if APPEARANCE_IN_LAUNCH:
    APPEARANCE = LAYOUT.replace(
        "demo.launch()",
        f"demo.launch({_APPEARANCE}, footer_links=['api'], show_error=True, max_file_size='1mb')",
    )
else:
    APPEARANCE = LAYOUT.replace(
        "with gr.Blocks() as demo:", f"with gr.Blocks({_APPEARANCE}) as demo:"
    ).replace("demo.launch()", "demo.launch(show_error=True, max_file_size='1mb')")
INTERFACE = textwrap.dedent(
    """
    import gradio as gr


    def greet(name, times):
        return ("Hello " + name + "! ") * int(times)


    demo = gr.Interface(
        greet,
        [gr.Textbox(label="Name", value="ada"), gr.Number(value=2, label="Times")],
        gr.Textbox(label="Greeting"),
        title="Greeter",
        api_name="greet",
    )
    demo.launch()
    """
)
#: (what the save does, the saved file)
EDITS = (
    ("first load", FIRST),
    ("an event added (after /gradio_api/info was read)", ADDED),
    ("an event renamed, a label and a default changed", RENAMED),
    ("Blocks(title, css, head, fill_height) removed", SETTINGS_REMOVED),
    ("the layout rebuilt in tabs, rows and an accordion; an event added", LAYOUT),
    ("theme, css, css_paths, js, head, head_paths and launch() settings", APPEARANCE),
    ("all of those removed", LAYOUT),
    ("Blocks replaced by an Interface", INTERFACE),
    ("the Interface's title removed", INTERFACE.replace('title="Greeter",\n    ', "")),
)
FILES = {
    "style.css": ".gradio-container {max-width: 700px}",
    "head.html": "<meta name='h' content='3'>",
}


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    fresh = Oracle()
    yield fresh
    fresh.close()


def live(process: DevreloadProcess, text: str) -> dict[str, Any]:
    """The devreload event that put the save of ``text`` in service (or refused it)."""
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    def put_in_service() -> dict[str, Any] | None:
        last = json.loads(process.get("/__devreload__/status")).get("last") or {}
        return last if digest in (last.get("digests") or {}).values() else None

    return wait_for(put_in_service, timeout=30, what="the save to be served")


def fresh_run(oracle: Oracle, app: Path) -> dict[str, Any]:
    """What a fresh run of ``app`` serves."""
    with oracle.run(app, free_port(), app.with_name("fresh.log")) as url:
        return snapshot(url)


def fresh_runs(oracle: Oracle, folder: Path) -> list[dict[str, Any]]:
    """What a fresh run of each saved version serves, each from a folder of its own."""
    found = []
    for number, (_, text) in enumerate(EDITS):
        version = folder / f"v{number}"
        version.mkdir(parents=True)
        for name, content in FILES.items():
            (version / name).write_text(content)
        (version / "app.py").write_text(text)
        found.append(fresh_run(oracle, version / "app.py"))
    return found


def test_each_save_serves_what_a_fresh_run_of_the_file_serves(
    tmp_path: Path, oracle: Oracle
) -> None:
    served_folder = tmp_path / "served"
    served_folder.mkdir()
    for name, content in FILES.items():
        (served_folder / name).write_text(content)
    app = served_folder / "app.py"
    app.write_text(EDITS[0][1])
    unfaithful: list[str] = []
    with ThreadPoolExecutor(1) as pool, devreload(app) as process:
        # The fresh runs are made meanwhile (the versions' files hold no paths that differ).
        fresh = pool.submit(fresh_runs, oracle, tmp_path / "fresh")
        process.wait_ready()
        for number, (what, text) in enumerate(EDITS):
            if number:
                save_in_place(app, text)
                event = live(process, text)
                assert event["event"] == "reloaded", event
            served = snapshot(process.url)
            differences = compare(served, fresh.result(timeout=300)[number])
            unfaithful += [f"save {number} ({what}): {line}" for line in differences]
    assert not unfaithful, "\n".join(unfaithful)


def test_the_oracle_serves_what_python_app_py_serves(tmp_path: Path, oracle: Oracle) -> None:
    """The fork server's run of a file and a fresh interpreter running it serve the same."""
    for name, content in FILES.items():
        (tmp_path / name).write_text(content)
    app = tmp_path / "app.py"
    app.write_text(APPEARANCE)
    port = free_port()
    env = {
        **os.environ,
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    # `python app.py`, but for launch()'s 3-s check of its own page, which the oracle
    # skips too (a busy machine fails it).
    plain_run = (
        "import runpy, gradio.networking; gradio.networking.url_ok = lambda url: True; "
        "runpy.run_path('app.py', run_name='__main__')"
    )
    python = subprocess.Popen(
        [sys.executable, "-c", plain_run],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(url), timeout=60, what="python app.py to serve")
        plain = snapshot(url)
    finally:
        python.kill()
        python.wait()
    assert compare(fresh_run(oracle, app), plain) == []


def _answers(url: str) -> bool:
    import urllib.request

    with urllib.request.urlopen(url + "/config", timeout=5) as response:
        return response.status == 200


def test_the_api_description_and_removed_settings_follow_saves(tmp_path: Path) -> None:
    """Issue 21 A: once /gradio_api/info was read, saves kept it describing that version
    (for the page's "Use via API" and gradio_client too). Issue 21 B: Blocks(css=...,
    head=...) saved as Blocks() kept the old css and head; devreload's own script
    stays in the head, the user's removed head goes."""
    from gradio_client import Client

    app = tmp_path / "app.py"
    app.write_text(FIRST)
    with devreload(app) as process:
        process.wait_ready()
        assert set(json.loads(process.get("/gradio_api/info"))["named_endpoints"]) == {"/echo"}
        _page_api_names(process)
        save_in_place(app, ADDED)
        live(process, ADDED)
        info = json.loads(process.get("/gradio_api/info"))
        assert set(info["named_endpoints"]) == {"/echo", "/shout"}
        assert _page_api_names(process) in (None, {"/echo", "/shout"})
        client = Client(process.url, verbose=False)
        described = client.view_api(print_info=False, return_format="dict")
        assert set(described["named_endpoints"]) == {"/echo", "/shout"}
        assert client.predict("quiet", api_name="/shout") == "QUIET"
        save_in_place(app, RENAMED)
        live(process, RENAMED)
        renamed = json.loads(process.get("/gradio_api/info"))["named_endpoints"]
        assert set(renamed) == {"/echo", "/yell"}
        assert renamed["/echo"]["parameters"][0]["label"] == "Input"
        assert renamed["/echo"]["parameters"][0]["parameter_default"] == "hi"

        first = process.config()
        assert "footer" in (first["css"] or "") and "name='first'" in first["head"]
        save_in_place(app, SETTINGS_REMOVED)
        live(process, SETTINGS_REMOVED)
        config = process.config()
        assert not config["css"]  # None in Gradio 6, "" in Gradio 5
        assert config["title"] == "Gradio" and config["fill_height"] is False
        assert "name='first'" not in config["head"]
        assert "__devreload_client__" in config["head"]


def _page_api_names(process: DevreloadProcess) -> set[str] | None:
    """The endpoints the page embeds for its "Use via API" panel (Gradio 6), if it does."""
    page = process.get("/").decode("utf-8")
    marker = "window.gradio_api_info = "
    if marker not in page:
        return None
    embedded = page[page.index(marker) + len(marker) :].split(";</script>", 1)[0]
    return set(json.loads(embedded)["named_endpoints"])
