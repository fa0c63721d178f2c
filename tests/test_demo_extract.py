"""The offline backend's answer extraction and wording, without the OCR engine."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demo_support import DEMO_DIR  # noqa: F401  (first: it puts demo_app/ on sys.path)

# isort: split
from extract import (
    Analyzer,
    Candidate,
    Extraction,
    Intent,
    OcrLine,
    classify,
    find_amounts,
    find_date,
    group_rows,
    key_values,
    respace,
)
from replies import SURE, UNSURE, Frame, compose_reply, frames

ARTICLE_SYSTEM_MESSAGE = """
For example:
Question: "Who is being invoiced?", answer: {"answer": "John Doe", "confidence": 0.98}

You should respond with something like:
With a high degree of confidence, I can say John Doe is being invoiced.

Question: "What is the invoice total?", answer: [{"answer": "154.08", "confidence": 0.75}, \
{"answer": "155", "confidence": 0.25}

You should respond with something like:
I believe the invoice total is $154.08 but it can also be $155.
"""


def line(
    text: str, x0: float, y0: float, x1: float | None = None, h: float = 30, page: int = 0
) -> OcrLine:
    """An OCR box; the width follows the text length unless given."""
    return OcrLine(
        text, (x0, y0, x1 if x1 is not None else x0 + 14 * len(text), y0 + h), 0.99, page
    )


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("InvoiceDate:January9,2025", "Invoice Date: January 9, 2025"),
        ("JaneSmith", "Jane Smith"),
        ("1CorporatePlaza,Austin,TX73301", "1 Corporate Plaza, Austin, TX73301"),
        ("Receipt #:004512", "Receipt #: 004512"),
        ("GLOBEXINDUSTRIES", "GLOBEX INDUSTRIES"),
        ("FRESHMARKET", "FRESH MARKET"),
        ("Payment Terms:Net15", "Payment Terms: Net 15"),
        # Left alone: amounts, times, identifiers, names with a short prefix.
        ("$1,279.80", "$1,279.80"),
        ("Time: 14:32", "Time: 14:32"),
        ("NW-2024-0087", "NW-2024-0087"),
        ("McDonald", "McDonald"),
    ],
)
def test_respace_restores_dropped_spaces(raw: str, fixed: str) -> None:
    assert respace(raw) == fixed


def test_find_amounts_and_dates() -> None:
    assert find_amounts("Total: $1,279.80") == ["$1,279.80"]
    assert find_amounts("TOTAL 25.35 EUR") == ["25.35 EUR"]
    assert find_amounts("Qty 2, Tel 555-0147, zip 62704") == []
    assert find_date("Date: March 14, 2024") == "March 14, 2024"
    assert find_date("Invoice Date: 9 January 2025") == "9 January 2025"
    assert find_date("Invoice Date: 2024-05-02") == "2024-05-02"
    assert find_date("Date: 07/21/2024 14:32") == "07/21/2024"
    assert find_date("Invoice No.: NW-2024-0087") is None


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Who is being invoiced?", Intent.BILL_TO),
        ("Who is the invoice for?", Intent.BILL_TO),
        ("What is the invoice total?", Intent.TOTAL),
        ("How much do I owe?", Intent.TOTAL),
        ("What is the subtotal?", Intent.SUBTOTAL),
        ("How much tax was charged?", Intent.TAX),
        ("When is the payment due?", Intent.DUE_DATE),
        ("What is the invoice number?", Intent.NUMBER),
        ("When was the invoice issued?", Intent.DATE),
        ("Which store is this receipt from?", Intent.VENDOR),
        ("Who issued the invoice?", Intent.VENDOR),
        ("What time was the purchase?", Intent.TIME),
        ("Who was the cashier?", Intent.OTHER),
    ],
)
def test_classify(question: str, intent: Intent) -> None:
    assert classify(question) is intent


def test_rows_and_pairs_from_layout() -> None:
    lines = [
        # Two columns on one baseline, a stacked "Bill To:" block, a label/amount row.
        line("Billed To: Maria Garcia", 90, 370),
        line("Invoice No.: NW-2024-0087", 700, 372),
        line("Bill To:", 90, 480),
        line("John Doe", 90, 526),
        line("Total", 800, 900),
        line("$154.08", 1040, 901),
    ]
    rows = group_rows(lines)
    assert [[c.text for c in row] for row in rows] == [
        ["Billed To: Maria Garcia", "Invoice No.: NW-2024-0087"],
        ["Bill To:"],
        ["John Doe"],
        ["Total", "$154.08"],
    ]
    pairs = {(p.label, p.value) for p in key_values(rows)}
    assert {
        ("Billed To", "Maria Garcia"),
        ("Invoice No.", "NW-2024-0087"),
        ("Bill To", "John Doe"),
        ("Total", "$154.08"),
    } <= pairs


def invoice_lines() -> list[OcrLine]:
    return [
        line("ACME Corporation", 90, 100, h=56),
        line("INVOICE", 930, 100, h=56),
        line("123 Industrial Way, Springfield", 90, 160),
        line("Invoice #: INV-1042", 90, 300),
        line("Date: March 14, 2024", 90, 346),
        line("Due Date: April 13, 2024", 90, 392),
        line("Blll To:", 90, 480),  # a typical OCR misreading of "Bill To:"
        line("John Doe", 90, 526),
        line("Shipping", 90, 870),
        line("$22.68", 1068, 870),
        line("Subtotal:", 780, 946),
        line("$142.67", 1050, 946),
        line("Tax (8%):", 780, 990),
        line("$11.41", 1066, 990),
        line("Total:", 810, 1035),
        line("$154.08", 1038, 1035),
    ]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who is being invoiced?", "John Doe"),
        ("What is the invoice total?", "$154.08"),
        ("What is the subtotal?", "$142.67"),
        ("How much is the tax?", "$11.41"),
        ("What is the invoice date?", "March 14, 2024"),
        ("When is it due?", "April 13, 2024"),
        ("What is the invoice number?", "INV-1042"),
        ("Who issued the invoice?", "ACME Corporation"),
        ("How much was shipping?", "$22.68"),
    ],
)
def test_analyzer_answers(question: str, expected: str) -> None:
    result = Analyzer(invoice_lines()).answer(question)
    assert result.best is not None
    assert result.best.answer == expected
    assert 0.0 <= result.best.confidence <= 1.0
    assert expected in compose_reply(result)


def test_analyzer_says_when_it_does_not_know() -> None:
    analyzer = Analyzer(invoice_lines())
    for question in ("What is the phone number?", "How much was the coffee?"):
        result = analyzer.answer(question)
        assert result.best is None, question
        assert compose_reply(result).startswith("I couldn't find the answer")


def test_frames_come_from_the_system_message_examples() -> None:
    sure, unsure = frames(ARTICLE_SYSTEM_MESSAGE)
    assert sure == Frame("With a high degree of confidence, I can say") == SURE
    assert unsure == Frame("I believe", "but it can also be") == UNSURE
    edited = (
        ARTICLE_SYSTEM_MESSAGE.replace("With a high degree of confidence, I can say", "Surely")
        .replace("I believe", "Probably")
        .replace("but it can also be", "or perhaps")
        .replace("$155.", "$155. Check it twice!")
    )
    assert frames(edited) == (Frame("Surely"), Frame("Probably", "or perhaps", "Check it twice!"))
    # Examples reworded so much that the answer is not in them, or no examples at all:
    # the article's wording.
    assert frames(ARTICLE_SYSTEM_MESSAGE.replace("John Doe is", "he is")) == (SURE, UNSURE)
    assert frames("You are a helpful assistant.") == (SURE, UNSURE)


def test_replies_are_worded_like_the_examples() -> None:
    def reply(*candidates: tuple[str, float], system_message: str = ARTICLE_SYSTEM_MESSAGE) -> str:
        extraction = Extraction(
            "What is the invoice total?",
            Intent.TOTAL,
            "invoice",
            [Candidate(answer, confidence, 0, "Total") for answer, confidence in candidates],
        )
        return compose_reply(extraction, system_message)

    assert reply(("$154.08", 0.98)) == (
        "With a high degree of confidence, I can say the invoice total is $154.08."
    )
    assert reply(("$154.08", 0.6), ("$155", 0.25)) == (
        "I believe the invoice total is $154.08 but it can also be $155."
    )
    assert reply(("$154.08", 0.3)) == "I believe the invoice total is $154.08."
    surely = ARTICLE_SYSTEM_MESSAGE.replace("With a high degree of confidence, I can say", "")
    assert reply(("$154.08", 0.98), system_message=surely) == "The invoice total is $154.08."


def test_multi_page_reply_says_where_and_what_was_read() -> None:
    lines = [
        line("Invoice Number: GX-7781", 90, 300, page=0),
        line("Total Due:", 850, 556, page=1),
        line("$3,450.00", 1160, 556, page=1),
    ]
    result = Analyzer(lines).answer("What is the total?")
    text = compose_reply(result, "", "I read all 2 pages of the PDF.", page_count=2)
    assert "$3,450.00" in text
    assert "page 2" in text
    assert "all 2 pages" in text


_text = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 :,.$#%/-()InvoiceTotalDateBill To")), max_size=40
)
_box = st.tuples(
    st.floats(0, 2000), st.floats(0, 2000), st.floats(1, 400), st.floats(1, 80), st.integers(0, 2)
)


_questions = st.sampled_from(
    ["Who is being invoiced?", "What is the total?", "What is the date?", "What is the #?",
     "Who issued it?", "How much was shipping?", "What time?", "Tell me about it"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_text, _box, st.floats(0, 1)), max_size=25), _questions)
def test_any_ocr_output_gives_a_reply(
    raw: list[tuple[str, tuple[float, float, float, float, int], float]], question: str
) -> None:
    """Whatever OCR returns, extraction yields ranked answers in 0..1 and a reply, no error."""
    lines = [OcrLine(t, (x, y, x + w, y + h), score, page) for t, (x, y, w, h, page), score in raw]
    result = Analyzer(lines).answer(question)
    assert all(0.0 <= c.confidence <= 1.0 for c in result.candidates)
    confidences = [c.confidence for c in result.candidates]
    assert confidences == sorted(confidences, reverse=True)
    assert compose_reply(result, page_count=3).strip()
