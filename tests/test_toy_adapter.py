"""A third-party adapter (docs/adapters.md's Toyweb example), installed through its entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import urllib.request
from pathlib import Path

import pytest

from support import REPO, DevreloadProcess, devreload, save_in_place, wait_for

TOY = Path(__file__).parent / "toy_adapter"
DOC = REPO / "docs" / "adapters.md"

APP = textwrap.dedent(
    """
    import toyweb

    app = toyweb.ToyApp("hello v1", title="Toy test")

    if __name__ == "__main__":
        app.run(port=8080)
    """
)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder that, on PYTHONPATH, is an installed ``toy-devreload`` distribution."""
    folder = tmp_path / "site"
    folder.mkdir()
    for module in ("toyweb.py", "toy_devreload.py"):
        shutil.copy(TOY / module, folder / module)
    info = folder / "toy_devreload-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-devreload\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[devreload.adapters]\ntoy = toy_devreload:ToyAdapter\n")
    return folder


def python_path(site: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def test_the_entry_point_lists_the_adapter(site: Path) -> None:
    code = (
        "import json; from reloader.adapters import available_adapters as a; print(json.dumps(a()))"
    )
    env = {**os.environ, **python_path(site)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    adapters = json.loads(result.stdout)
    assert adapters["toy"] == "toy_devreload:ToyAdapter"
    assert list(adapters)[:2] == ["gradio", "asgi"]  # built-ins first


@pytest.mark.integration
@pytest.mark.parametrize("choose", [True, False], ids=["--adapter toy", "detected"])
def test_the_toy_adapter_serves_and_reloads(site: Path, tmp_path: Path, choose: bool) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    app = folder / "app.py"
    app.write_text(APP)
    args = ["--adapter", "toy"] if choose else []
    with devreload(app, args=args, env=python_path(site)) as process:
        process.wait_ready()
        assert "(toy)" in process.output
        page = process.get("/").decode()
        assert '<p id="text">hello v1</p>' in page
        assert "/__toy__/events" in page
        events = _listen(process)  # returns once the stream is open
        save_in_place(app, APP.replace("hello v1", "hello v2"))
        wait_for(lambda: "hello v2" in process.get("/").decode(), 15, what="the new text")
        wait_for(lambda: "event: reload" in events, what="a reload event")
        process.wait_for_line("1 tab told")
        save_in_place(app, APP + "\n1 / 0\n")
        wait_for(lambda: "event: error" in events, what="an error event")
        assert "hello v2" in process.get("/").decode()


def test_the_doc_shows_the_tested_adapter_verbatim() -> None:
    doc = DOC.read_text()
    assert (TOY / "toy_devreload.py").read_text().strip() in doc
    assert (TOY / "toyweb.py").read_text().strip() in doc


def _listen(process: DevreloadProcess) -> list[str]:
    """Lines of the toy adapter's event stream, collected by a daemon thread."""
    lines: list[str] = []
    response = urllib.request.urlopen(process.url + "/__toy__/events", timeout=30)

    def read() -> None:
        try:
            for raw in response:
                lines.append(raw.decode().rstrip("\n"))
        except Exception:  # the server went away
            pass

    threading.Thread(target=read, daemon=True).start()
    return lines
