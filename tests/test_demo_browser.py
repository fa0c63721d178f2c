"""The seed article's walkthrough in the demo, in one tab, under a real devreload process.

Upload, ask, edit the system message, add a header above the chat, edit a helper, ask
again: each save shows in the tab, the conversation and the document stay, and the OCR
reads the document once however often the code is saved (it is kept under NO_RELOAD).
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from demo_support import DEMO_DIR, EXAMPLES
from support import DevreloadProcess, devreload, open_app_page, save_in_place, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ANSWER_TIMEOUT_MS = 60_000  # the first answer includes the OCR, seconds on a busy machine

# Records every distinct text the newest reply shows, to see it stream in.
RECORD_REPLY_TEXTS = """() => {
    window.replyTexts = [];
    const record = () => {
        const bots = document.querySelectorAll('[data-testid="bot"]');
        const text = bots.length ? bots[bots.length - 1].innerText.trim() : "";
        const last = window.replyTexts[window.replyTexts.length - 1];
        if (text && text !== last) window.replyTexts.push(text);
    };
    new MutationObserver(record).observe(document.body, {
        childList: true, subtree: true, characterData: true,
    });
}"""


@contextmanager
def printing_on_failure(title: str, lines: list[str]) -> Iterator[None]:
    try:
        yield
    except BaseException:
        print("\n".join([title, *lines]))
        raise


def ask(page: Any, question: str, upload: Path | None = None) -> None:
    """Attach a file (optional) and send a question, the way a user does."""
    textbox = page.get_by_test_id("textbox")
    expect(textbox).to_be_editable(timeout=ANSWER_TIMEOUT_MS)  # locked while answering
    if upload is not None:
        page.locator("input[type=file]").set_input_files(upload)
        expect(page.get_by_label("File thumbnail")).to_have_count(1)
    textbox.fill(question)
    expect(textbox).to_have_value(question)
    textbox.press("Enter")
    expect(page.get_by_test_id("user").last).to_have_text(question)


def followed(process: DevreloadProcess, name: str) -> int:
    """How many saves of ``name`` devreload has reloaded or patched in place."""
    return sum(
        line.startswith(("devreload: reloaded", "devreload: patched")) and name in line
        for line in process.lines
    )


def save(process: DevreloadProcess, page: Any, path: Path, old: str, new: str) -> None:
    """Save an edit as an editor does; return once devreload has followed it and, when
    it reloaded the app, once the tab has said it shows the new version (re-rendered,
    or its components' properties updated in place)."""
    source = path.read_text(encoding="utf-8")
    assert old in source, f"{old!r} is not in {path.name}"
    before = followed(process, path.name)
    save_in_place(path, source.replace(old, new, 1))
    wait_for(
        lambda: followed(process, path.name) > before,
        timeout=30,
        what=f"devreload to follow the save of {path.name}",
    )
    line = [
        line
        for line in process.lines
        if line.startswith(("devreload: reloaded", "devreload: patched")) and path.name in line
    ][-1]
    if line.startswith("devreload: reloaded"):  # the patch tier has nothing to show
        assert "1 of 1 tab shows it" in line, line


def conversation_kept(page: Any, replies: list[str]) -> None:
    bots = page.get_by_test_id("bot")
    expect(bots).to_have_count(len(replies))
    for bot, reply in zip(bots.all(), replies, strict=True):
        expect(bot).to_have_text(reply)
    # The uploaded invoice is still in the conversation, so questions need no new upload.
    expect(page.get_by_test_id("user").locator("img")).to_have_count(1)


def test_the_article_walkthrough_in_one_tab(tmp_path: Path, page: Any) -> None:
    demo = tmp_path / "demo_app"
    shutil.copytree(DEMO_DIR, demo, ignore=shutil.ignore_patterns("__pycache__"))
    app, replies = demo / "app.py", demo / "replies.py"
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with (
        devreload(app, cwd=tmp_path, env={"DOC_ANALYZER_BACKEND": "local"}) as process,
        printing_on_failure("--- errors in the page ---", errors),
    ):
        process.wait_ready(timeout=120)
        open_app_page(page, process.url)
        expect(page.get_by_text("offline fallback")).to_be_visible(timeout=30_000)
        bots = page.get_by_test_id("bot")
        shown: list[str] = []

        # Upload and ask: the reply streams in.
        page.evaluate(RECORD_REPLY_TEXTS)
        ask(page, "What is the invoice total?", EXAMPLES / "invoice_acme.png")
        shown.append("With a high degree of confidence, I can say the invoice total is $154.08.")
        expect(bots.last).to_have_text(shown[-1], timeout=ANSWER_TIMEOUT_MS)
        streamed = page.evaluate("window.replyTexts")
        assert len(streamed) > 1, streamed
        assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(streamed))

        # Edit the system message: the offline backend words its replies like its examples.
        save(process, page, app, "With a high degree of confidence, I can say", "Without a doubt,")
        conversation_kept(page, shown)
        ask(page, "Who is being invoiced?")
        shown.append("Without a doubt, John Doe is being invoiced.")
        expect(bots.last).to_have_text(shown[-1], timeout=ANSWER_TIMEOUT_MS)

        # Add a header above the chat (the article's last step): it shows, and the
        # conversation with the document stays under it.
        save(
            process,
            page,
            app,
            "    chatbot = gr.Chatbot(",
            '    gr.Markdown("## Ask me about your invoice")\n    chatbot = gr.Chatbot(',
        )
        expect(page.get_by_text("Ask me about your invoice")).to_be_visible(timeout=30_000)
        conversation_kept(page, shown)

        # Edit a helper: how the offline backend words a total.
        save(
            process,
            page,
            replies,
            'f"the {kind} total is {answer}"',
            'f"the {kind} comes to {answer}"',
        )

        # Ask again: the new code answers, about the same document.
        ask(page, "What is the total?")
        shown.append("Without a doubt, the invoice comes to $154.08.")
        expect(bots.last).to_have_text(shown[-1], timeout=ANSWER_TIMEOUT_MS)
        conversation_kept(page, shown)

        # Three saves, and the OCR models were loaded once and read the invoice once.
        assert process.count("doc-analyzer: local backend loaded") == 1
        assert process.count("doc-analyzer: OCR read invoice_acme.png") == 1
        assert "reload failed" not in process.output
