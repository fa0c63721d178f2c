"""The offline backend end to end: real OCR (RapidOCR) on the sample documents, through app.py."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import gradio as gr
import pytest
from PIL import Image

from demo_support import DEMO_DIR, EXAMPLES, load_app

# Each sample with questions a user would ask and the value the answer must contain.
CASES = {
    "invoice_acme.png": [
        ("Who is being invoiced?", "John Doe"),
        ("What is the invoice total?", "$154.08"),
        ("What is the invoice date?", "March 14, 2024"),
        ("What is the invoice number?", "INV-1042"),
        ("When is the payment due?", "April 13, 2024"),
        ("How much is the tax?", "$11.41"),
        ("Who issued the invoice?", "ACME Corporation"),
        ("How much was shipping?", "$22.68"),
    ],
    "invoice_northwind.png": [
        ("Who is being billed?", "Maria Garcia"),
        ("What is the amount due?", "$1,279.80"),
        ("What is the invoice date?", "2024-05-02"),
        ("What is the invoice number?", "NW-2024-0087"),
        ("What is the due date?", "2024-06-01"),
        ("Which company sent the invoice?", "NORTHWIND TRADERS"),
        ("What is the subtotal?", "$1,185.00"),
    ],
    "receipt_fresh_market.png": [
        ("What is the total?", "25.35"),
        ("What is the date on the receipt?", "07/21/2024"),
        ("Which store is this from?", "FRESH MARKET"),
        ("What is the receipt number?", "004512"),
        ("How much tax was paid?", "1.88"),
        ("What time was the purchase?", "14:32"),
        ("Who was the cashier?", "Sam"),
    ],
    "invoice_globex.pdf": [
        ("Who is being invoiced?", "Jane Smith"),
        ("What is the invoice total?", "$3,450.00"),  # printed on page 2
        ("What is the invoice number?", "GX-7781"),
        ("What is the invoice date?", "January 9, 2025"),
        ("What are the payment terms?", "Net 15"),
    ],
}
INVOICE = str(EXAMPLES / "invoice_acme.png")


@pytest.fixture(scope="module")
def local_app() -> Iterator[ModuleType]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOC_ANALYZER_BACKEND", "local")
        app = load_app("demo_app_local_under_test")
    app.backend.stream_delay = 0.0  # no pacing for the eye in tests
    yield app


def ask(app: ModuleType, question: str, *files: str | Path) -> list[str]:
    """chat_fn's replies, as they grow."""
    return list(app.chat_fn({"text": question, "files": [str(f) for f in files]}))


def converse(app: ModuleType, message: dict[str, Any], history: Any = None) -> list[str]:
    """What the page shows: the message sent from the textbox, the reply streamed in."""
    history, _ = app.chat.add_message(message, history or [])
    return [str(shown[-1]["content"]) for shown in app.respond(history)]


@pytest.mark.parametrize(
    ("name", "question", "expected"),
    [(name, q, e) for name, cases in CASES.items() for q, e in cases],
)
def test_sample_documents(local_app: ModuleType, name: str, question: str, expected: str) -> None:
    reply = ask(local_app, question, EXAMPLES / name)[-1]
    assert expected in reply, reply
    assert "⚠️" not in reply


def test_reply_streams_in_growing_pieces(local_app: ModuleType) -> None:
    pieces = ask(local_app, "Who is being invoiced?", INVOICE)
    assert len(pieces) >= 5
    assert all(a != b and b.startswith(a) for a, b in itertools.pairwise(pieces))
    assert pieces[-1] == "With a high degree of confidence, I can say John Doe is being invoiced."


def test_the_system_message_words_the_reply(
    local_app: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The offline backend has no language model: it words replies like the examples."""
    content = local_app.system_message["content"]
    edited = content.replace(
        "With a high degree of confidence, I can say John Doe is being invoiced.",
        "Without a doubt, John Doe is being invoiced. Anything else?",
    )
    monkeypatch.setitem(local_app.system_message, "content", edited)
    assert ask(local_app, "What is the invoice total?", INVOICE)[-1] == (
        "Without a doubt, the invoice total is $154.08. Anything else?"
    )


def test_pdf_reply_says_which_pages_were_read(local_app: ModuleType) -> None:
    reply = ask(local_app, "What is the invoice total?", EXAMPLES / "invoice_globex.pdf")[-1]
    assert "page 2" in reply
    assert "I read all 2 pages of the PDF." in reply


def test_unanswerable_question(local_app: ModuleType) -> None:
    reply = ask(local_app, "When is the payment due?", EXAMPLES / "receipt_fresh_market.png")[-1]
    assert reply.startswith("I couldn't find the answer to that in this document")


def test_large_sideways_phone_photo(local_app: ModuleType, tmp_path: Path) -> None:
    # The receipt blown up to 3500 px and stored rotated, with the EXIF tag that says so.
    receipt = Image.open(EXAMPLES / "receipt_fresh_market.png").convert("RGB")
    big = receipt.resize((receipt.width * 3, receipt.height * 3)).rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / "IMG_0042.jpg"
    big.save(path, "JPEG", quality=90, exif=exif.tobytes())
    assert ask(local_app, "What is the total?", path)[-1].endswith("25.35.")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"text": "What is the total?", "files": []}, "Please attach a document first"),
        ({"text": "What is the total?"}, "Please attach a document first"),
        ({"text": "   ", "files": [INVOICE]}, "Please type a question"),
        ({"text": None, "files": [INVOICE]}, "Please type a question"),
    ],
)
def test_missing_file_or_question(
    local_app: ModuleType, message: dict[str, Any], expected: str
) -> None:
    (reply,) = converse(local_app, message)
    assert reply.startswith(expected)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("notes.txt", b"hello\n", "⚠️ “notes.txt” is not an image or a PDF"),
        ("random.png", bytes(range(200)) * 5, "⚠️ “random.png” is not a valid PNG file"),
    ],
)
def test_bad_files(
    local_app: ModuleType, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    (reply,) = converse(local_app, {"text": "What is the total?", "files": [str(path)]})
    assert reply.startswith(expected)


def test_an_unexpected_error_becomes_a_message(
    local_app: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Iterator[str]:
        yield "Partial answer"
        raise RuntimeError("boom")

    monkeypatch.setattr(local_app.backend, "reply", broken)
    replies = converse(local_app, {"text": "What is the total?", "files": [INVOICE]})
    assert replies[0] == "Partial answer"
    assert replies[-1].startswith(
        "Partial answer\n\n⚠️ Something went wrong while answering (RuntimeError)"
    )


def test_header_names_the_offline_backend(local_app: ModuleType) -> None:
    header = local_app.backend.describe()
    assert "`local`" in header and "offline fallback" in header


def _upload_as_gradio_6(path: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "file", "file": {"path": path}}]}


def _upload_as_gradio_5(path: str) -> dict[str, Any]:
    return {"role": "user", "content": (path,), "metadata": None, "options": None}


@pytest.mark.parametrize("upload", [_upload_as_gradio_6, _upload_as_gradio_5])
def test_a_follow_up_question_uses_the_document_in_the_chat(
    local_app: ModuleType, upload: Any
) -> None:
    # The conversation as Gradio hands it back to the server, in its own shapes.
    history = [
        upload(INVOICE),
        {"role": "user", "content": [{"type": "text", "text": "Who is being invoiced?"}]},
        {"role": "assistant", "content": "... John Doe is being invoiced."},
    ]
    replies = converse(local_app, {"text": "And the total?", "files": []}, history)
    assert "$154.08" in replies[-1]


def test_a_reload_keeps_the_models_and_what_they_read(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a hot reloader does: run app.py again, in its namespace, with NO_RELOAD false."""
    monkeypatch.setenv("DOC_ANALYZER_BACKEND", "local")
    app = load_app("demo_app_reload_under_test")
    receipt = EXAMPLES / "receipt_fresh_market.png"  # the quickest to read
    assert ask(app, "What is the total?", receipt)[-1].endswith("25.35.")
    models, backend, demo = app.models, app.backend, app.demo
    siblings = (
        "backends",
        "chat",
        "documents",
        "extract",
        "hf_backends",
        "local_backend",
        "replies",
    )
    kept = {name: sys.modules[name] for name in siblings}
    try:
        gr.NO_RELOAD.set(False)  # type: ignore[attr-defined]
        for name in siblings:  # as after a save of each of them: they are imported afresh
            del sys.modules[name]
        source = (DEMO_DIR / "app.py").read_text(encoding="utf-8")
        exec(compile(source, str(DEMO_DIR / "app.py"), "exec"), app.__dict__)
    finally:
        gr.NO_RELOAD.set(True)  # type: ignore[attr-defined]
        sys.modules.update(kept)
    assert app.models is models  # the OCR models were not loaded again...
    assert app.backend is not backend and app.demo is not demo  # ...the code around them is new
    capsys.readouterr()
    assert ask(app, "What is the date?", receipt)[-1].endswith("07/21/2024.")
    assert "OCR read" not in capsys.readouterr().out  # ...and the receipt was not read again
