"""The demo's `vlm` backend under devreload: saves update the page, the client stays.

(The offline backend under devreload, in a browser: tests/test_demo_browser.py.)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo_support import DEMO_DIR, GOOD_TOKEN, FakeInferenceServer
from support import DevreloadProcess, devreload, markdown_values, save_in_place, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of demo_app to edit, as a developer would edit theirs."""
    copy = tmp_path / "demo_app"
    shutil.copytree(DEMO_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture
def inference() -> Iterator[FakeInferenceServer]:
    with FakeInferenceServer() as server:
        yield server


def header_shows(process: DevreloadProcess, text: str) -> None:
    wait_for(
        lambda: any(text in value for value in markdown_values(process.config())),
        timeout=20,
        what=f"{text!r} in the header",
    )


def test_the_client_and_the_hubs_word_are_kept(demo: Path, inference: FakeInferenceServer) -> None:
    env = {
        "DOC_ANALYZER_BACKEND": "vlm",
        "HF_TOKEN": GOOD_TOKEN,
        # The Hub and the chat server are both the local fake.
        "HF_ENDPOINT": inference.url,
        "DOC_ANALYZER_BASE_URL": inference.url,
    }
    with devreload(demo / "app.py", cwd=demo.parent, env=env) as process:
        process.wait_ready(timeout=120)
        app = demo / "app.py"
        save_in_place(app, app.read_text().replace("# 📄 Document Analyzer", "# 📄 Invoice Helper"))
        header_shows(process, "# 📄 Invoice Helper")
        process.wait_for_line("reloaded demo_app/app.py", timeout=20)
        helper = demo / "hf_backends.py"
        # A module-level change (a comment alone would be patched in place: no code ran).
        save_in_place(helper, helper.read_text() + "\nEDITED = True\n")
        process.wait_for_line("reloaded demo_app/hf_backends.py", timeout=20)
        # Both saves re-ran the code around it; the NO_RELOAD block ran once.
        assert process.count("doc-analyzer: vlm backend loaded") == 1
        assert "reload failed" not in process.output
    # The start-up check ran once, inside NO_RELOAD: saves did not ask the Hub again.
    assert [r.path for r in inference.requests if r.path.startswith("/api/models/")] == [
        "/api/models/Qwen/Qwen2.5-VL-7B-Instruct?expand=inferenceProviderMapping"
    ]
