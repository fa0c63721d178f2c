"""The demo as a user sees it: `python demo_app/app.py` driven by headless Chromium."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from demo_support import EXAMPLES, REPO
from support import free_port, wait_for

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
STARTUP_TIMEOUT = 90.0  # importing Gradio and loading the OCR models on a busy 2-core machine
ANSWER_TIMEOUT_MS = 60_000


@dataclass
class AppServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _serving(server: AppServer) -> bool:
    if server.process.poll() is not None:
        raise AssertionError(
            f"app exited with {server.process.returncode} before serving:\n{server.output()}"
        )
    try:
        return httpx.get(server.url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """``python demo_app/app.py`` on a free port with the offline backend; always stopped."""
    port = free_port()
    log = tmp_path_factory.mktemp("demo_app") / "server.log"
    env = {
        **os.environ,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "DOC_ANALYZER_BACKEND": "local",
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "demo_app/app.py"],
            cwd=REPO,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = AppServer(f"http://127.0.0.1:{port}/", process, log)
    try:
        wait_for(lambda: _serving(server), STARTUP_TIMEOUT, interval=0.25, what="the app to serve")
        yield server
    except BaseException:
        print(f"--- app output ---\n{server.output()}")
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextmanager
def printing_server_output_on_failure(server: AppServer) -> Iterator[None]:
    try:
        yield
    except BaseException:
        print(f"--- app output ---\n{server.output()}")
        raise


@pytest.fixture
def page(request: pytest.FixtureRequest, app_server: AppServer) -> Iterator[Page]:
    """A fresh page on the app, in its own browser context."""
    # No skip: scripts/test.sh installs Chromium; a missing one must fail loudly.
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (scripts/test.sh installs it)"
    with ExitStack() as stack:
        # Playwright's sync API allows one instance per thread: use the session's shared
        # Chromium when tests/conftest.py provides one, else launch our own.
        try:
            browser = request.getfixturevalue("browser")
        except pytest.FixtureLookupError:
            from playwright.sync_api import sync_playwright

            playwright = stack.enter_context(sync_playwright())
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            stack.callback(browser.close)
        context = browser.new_context(viewport={"width": 1200, "height": 1000})
        stack.callback(context.close)
        page = context.new_page()
        page.goto(app_server.url)
        yield page


# Records every distinct text the newest bot message shows, to see the reply stream in.
RECORD_BOT_TEXTS = """() => {
    window.botTexts = [];
    const record = () => {
        const bots = document.querySelectorAll('[data-testid="bot"]');
        const text = bots.length ? bots[bots.length - 1].innerText.trim() : "";
        const last = window.botTexts[window.botTexts.length - 1];
        if (text && text !== last) window.botTexts.push(text);
    };
    new MutationObserver(record).observe(document.body, {
        childList: true, subtree: true, characterData: true,
    });
}"""


def ask(page: Page, question: str, upload: Path | None = None) -> None:
    """Attach a file (optional) and send a question, the way a user does."""
    textbox = page.get_by_test_id("textbox")
    expect(textbox).to_be_editable(timeout=ANSWER_TIMEOUT_MS)  # locked while answering
    if upload is not None:
        page.locator("input[type=file]").set_input_files(upload)
        expect(page.get_by_label("File thumbnail")).to_have_count(1)
    textbox.fill(question)
    textbox.press("Enter")


def test_upload_ask_and_follow_up(page: Page, app_server: AppServer) -> None:
    with printing_server_output_on_failure(app_server):
        expect(page.get_by_text("offline fallback")).to_be_visible()
        page.evaluate(RECORD_BOT_TEXTS)
        ask(page, "What is the invoice total?", EXAMPLES / "invoice_acme.png")
        bots = page.get_by_test_id("bot")
        expect(bots.last).to_have_text(
            "With a high degree of confidence, I can say the invoice total is $154.08.",
            timeout=ANSWER_TIMEOUT_MS,
        )
        streamed = page.evaluate("window.botTexts")
        assert len(streamed) > 1, streamed  # the reply grew on screen
        assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(streamed))

        # A follow-up question reuses the document already in the conversation.
        ask(page, "Who is being invoiced?")
        expect(bots).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
        expect(bots.last).to_contain_text("John Doe is being invoiced", timeout=ANSWER_TIMEOUT_MS)


def test_bad_files_get_a_clear_message(page: Page, app_server: AppServer, tmp_path: Path) -> None:
    noise = tmp_path / "scan.png"
    noise.write_bytes(bytes(range(256)) * 16)  # not an image, whatever its name says
    notes = tmp_path / "notes.txt"
    notes.write_text("Total: $12.00\n", encoding="utf-8")
    with printing_server_output_on_failure(app_server):
        bots = page.get_by_test_id("bot")
        ask(page, "What is the total?", noise)
        expect(bots.last).to_have_text(
            "⚠️ “scan.png” is not a valid PNG file; it may be corrupt, "
            "so please upload another copy.",
            timeout=ANSWER_TIMEOUT_MS,
        )
        ask(page, "What is the total?", notes)
        expect(bots).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
        expect(bots.last).to_contain_text("“notes.txt” is not an image or a PDF")
        # The page is still usable: no error toast, and the textbox is unlocked again.
        expect(page.get_by_test_id("textbox")).to_be_editable()
        assert "Traceback" not in page.content()
