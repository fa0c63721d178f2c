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


@pytest.fixture(scope="module")
def local_app() -> Iterator[ModuleType]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOC_ANALYZER_BACKEND", "local")
        app = load_app("demo_app_local_under_test")
    app.backend.stream_delay = 0.0  # no pacing for the eye in tests
    yield app


def ask(app: ModuleType, question: str, *files: str | Path) -> list[str]:
    return list(app.chat_fn({"text": question, "files": [str(f) for f in files]}))


@pytest.mark.parametrize(
    ("name", "question", "expected"),
    [(name, q, e) for name, cases in CASES.items() for q, e in cases],
)
def test_sample_documents(local_app: ModuleType, name: str, question: str, expected: str) -> None:
    pieces = ask(local_app, question, EXAMPLES / name)
    reply = pieces[-1]
    assert expected in reply, reply
    assert "⚠️" not in reply


def test_reply_streams_in_growing_pieces(local_app: ModuleType) -> None:
    pieces = ask(local_app, "Who is being invoiced?", EXAMPLES / "invoice_acme.png")
    assert len(pieces) >= 5
    assert all(a != b and b.startswith(a) for a, b in itertools.pairwise(pieces))
    assert pieces[-1] == "With a high degree of confidence, I can say John Doe is being invoiced."


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
        ({"text": "   ", "files": [str(EXAMPLES / "invoice_acme.png")]}, "Please type a question"),
        ({"text": None, "files": [str(EXAMPLES / "invoice_acme.png")]}, "Please type a question"),
    ],
)
def test_missing_file_or_question(
    local_app: ModuleType, message: dict[str, Any], expected: str
) -> None:
    replies = list(local_app.chat_fn(message))
    assert len(replies) == 1
    assert replies[0].startswith(expected)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("notes.txt", b"hello\n", "is not an image or a PDF"),
        ("random.png", bytes(range(200)) * 5, "is not a valid PNG file"),
    ],
)
def test_bad_files(
    local_app: ModuleType, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    replies = ask(local_app, "What is the total?", path)
    assert replies == [replies[0]]
    assert replies[0].startswith("⚠️ ") and expected in replies[0]


def test_an_unexpected_error_becomes_a_message(
    local_app: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(document: Any, question: str) -> Iterator[str]:
        yield "Partial answer"
        raise RuntimeError("boom")

    monkeypatch.setattr(local_app.backend, "reply", broken)
    replies = ask(local_app, "What is the total?", EXAMPLES / "invoice_acme.png")
    assert replies[0] == "Partial answer"
    assert replies[-1].startswith(
        "Partial answer\n\n⚠️ Something went wrong while answering (RuntimeError)"
    )


def test_header_names_the_offline_backend(local_app: ModuleType) -> None:
    header = local_app.header()
    assert "`local`" in header and "offline fallback" in header


def _upload_as_gradio_6(path: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "file", "file": {"path": path}}]}


def _upload_as_gradio_5(path: str) -> dict[str, Any]:
    return {"role": "user", "content": (path,), "metadata": None, "options": None}


@pytest.mark.parametrize("upload", [_upload_as_gradio_6, _upload_as_gradio_5])
def test_chat_history_wiring(local_app: ModuleType, upload: Any) -> None:
    """Upload + question, then a follow-up that reuses the file, as the page does."""
    history: list[dict[str, Any]] = []
    message = {"text": "Who is being invoiced?", "files": [str(EXAMPLES / "invoice_acme.png")]}
    history, _ = local_app.add_user_message(message, history)
    *_, history = local_app.respond(history)
    assert history[-1]["role"] == "assistant" and "John Doe" in history[-1]["content"]

    # Gradio hands the history back to the server in its own form.
    served = [
        upload(str(EXAMPLES / "invoice_acme.png")),
        {"role": "user", "content": "Who is being invoiced?"},
        {"role": "assistant", "content": history[-1]["content"]},
    ]
    served, _ = local_app.add_user_message({"text": "And the total?", "files": []}, served)
    *_, served = local_app.respond(served)
    assert "$154.08" in served[-1]["content"]


def test_reload_keeps_the_no_reload_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a hot reloader does: re-run app.py with gr.NO_RELOAD false in the same namespace."""
    monkeypatch.setenv("DOC_ANALYZER_BACKEND", "local")
    app = load_app("demo_app_reload_under_test")
    engine, backend, demo = app.ocr_engine, app.backend, app.demo
    siblings = {name: sys.modules[name] for name in ("backends", "documents", "extract")}
    try:
        gr.NO_RELOAD.set(False)  # type: ignore[attr-defined]
        for name in siblings:  # like Gradio's reloader: changed sibling modules are re-imported
            del sys.modules[name]
        source = (DEMO_DIR / "app.py").read_text(encoding="utf-8")
        exec(compile(source, str(DEMO_DIR / "app.py"), "exec"), app.__dict__)
    finally:
        gr.NO_RELOAD.set(True)  # type: ignore[attr-defined]
        sys.modules.update(siblings)
    assert app.ocr_engine is engine  # the models were not loaded again...
    assert app.backend is not backend  # ...but the code around them is new
    assert app.backend.engine is engine
    assert app.demo is not demo
