"""The pure part of the Gradio page scripts (reloader/data/gradio_config.js: which
component is which across a save, what the page keeps) tested without a browser, in
Node's built-in test runner: tests/js/*.test.js."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

JS_TESTS = Path(__file__).parent / "js"


def test_gradio_config_script_in_node() -> None:
    node = shutil.which("node")
    assert node is not None, (
        "these tests need Node.js (Debian's nodejs package; scripts/test.sh installs it)"
    )
    files = sorted(str(path) for path in JS_TESTS.glob("*.test.js"))
    assert files
    finished = subprocess.run(
        [node, "--test", *files], capture_output=True, text=True, timeout=120, check=False
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "# fail 0" in finished.stdout
