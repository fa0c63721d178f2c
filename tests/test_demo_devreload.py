"""The demo under devreload: saves update the page, the OCR engine / client stay loaded."""

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


@pytest.fixture(scope="module")
def inference() -> Iterator[FakeInferenceServer]:
    with FakeInferenceServer() as server:
        yield server


def header_shows(process: DevreloadProcess, text: str) -> None:
    wait_for(
        lambda: any(text in value for value in markdown_values(process.config())),
        timeout=20,
        what=f"{text!r} in the header",
    )


def edit_and_check(process: DevreloadProcess, demo: Path, backend: str) -> None:
    process.wait_ready(timeout=120)
    assert process.count(f"doc-analyzer: {backend} backend loaded") == 1
    app = demo / "app.py"
    save_in_place(app, app.read_text().replace("# 📄 Document Analyzer", "# 📄 Invoice Helper"))
    header_shows(process, "# 📄 Invoice Helper")
    process.wait_for_line("reloaded demo_app/app.py", timeout=20)
    helper = demo / "extract.py"
    # A module-level change (a comment alone would be patched in place: no code ran).
    save_in_place(helper, helper.read_text() + "\nEDITED = True\n")
    process.wait_for_line("reloaded demo_app/extract.py", timeout=20)
    # Both saves re-ran the code around it; the NO_RELOAD block never ran again.
    assert process.count(f"doc-analyzer: {backend} backend loaded") == 1
    assert "reload failed" not in process.output


def test_local_backend_keeps_the_ocr_engine(demo: Path) -> None:
    with devreload(
        demo / "app.py", cwd=demo.parent, env={"DOC_ANALYZER_BACKEND": "local"}
    ) as process:
        edit_and_check(process, demo, "local")


def test_hf_backend_keeps_the_client(demo: Path, inference: FakeInferenceServer) -> None:
    env = {
        "DOC_ANALYZER_BACKEND": "hf",
        "HF_TOKEN": GOOD_TOKEN,
        # The default pipeline, with the Hub and the chat server both the local fake.
        "HF_ENDPOINT": inference.url,
        "DOC_ANALYZER_BASE_URL": inference.url,
    }
    with devreload(demo / "app.py", cwd=demo.parent, env=env) as process:
        edit_and_check(process, demo, "hf")
    # The start-up check ran once, inside NO_RELOAD: saves did not ask the Hub again.
    assert [r.path for r in inference.requests if r.path.startswith("/api/models/")] == [
        "/api/models/Qwen/Qwen2.5-VL-7B-Instruct?expand=inferenceProviderMapping"
    ]
