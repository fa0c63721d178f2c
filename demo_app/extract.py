"""Deterministic answer extraction from OCR lines (the offline backend's "model").

The pipeline is: OCR boxes -> text repair (``respace``) -> rows of cells ->
key/value pairs ("Bill To: John Doe", "Total  $154.08", a label with its value
on the line below) -> the question's intent -> candidate answers, each with a
confidence in 0..1. replies.py words the best of them.

Everything here is plain Python over strings and boxes, so it is fast and
testable without the OCR engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class OcrLine:
    """One text box found by OCR: its text, box in page pixels, recognition score, page index."""

    text: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    score: float = 1.0
    page: int = 0

    @property
    def x0(self) -> float:
        return self.box[0]

    @property
    def x1(self) -> float:
        return self.box[2]

    @property
    def y0(self) -> float:
        return self.box[1]

    @property
    def y1(self) -> float:
        return self.box[3]

    @property
    def height(self) -> float:
        return max(1.0, self.box[3] - self.box[1])

    @property
    def yc(self) -> float:
        return (self.box[1] + self.box[3]) / 2


class Intent(StrEnum):
    BILL_TO = "bill_to"
    VENDOR = "vendor"
    TOTAL = "total"
    SUBTOTAL = "subtotal"
    TAX = "tax"
    DUE_DATE = "due_date"
    NUMBER = "number"
    DATE = "date"
    TIME = "time"
    OTHER = "other"


@dataclass(frozen=True)
class Candidate:
    answer: str
    confidence: float
    page: int
    source: str  # the label it was read from, or how it was guessed


@dataclass
class Extraction:
    """What the document says about a question: ranked candidates (best first)."""

    question: str
    intent: Intent
    kind: str  # "invoice", "receipt" or "document": used in the wording of the reply
    candidates: list[Candidate] = field(default_factory=list)
    label: str = ""  # for Intent.OTHER: the document's label that matched the question

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


# --------------------------------------------------------------------------- text repair

# The PP-OCR recogniser often drops the spaces in English text ("InvoiceDate:January9,2025").
# These rules put back the ones that can be inferred from case, digits and punctuation.
_RESPACE_RULES = [
    (re.compile(r"(?<=[a-z]{2})(?=[A-Z])"), " "),  # JaneSmith, InitechLLC (not McDonald)
    (re.compile(r"(?<=[a-z]{2})(?=\d)"), " "),  # January9, Net15
    (re.compile(r"(?<=\d)(?=[A-Z][a-z])"), " "),  # 1CorporatePlaza, 500Cypress
    (re.compile(r"(?<=[A-Za-z#.)\]]:)(?=\S)"), " "),  # Date:07/21/2024 (but not 14:32)
    (re.compile(r"(?<=[A-Za-z],)(?=\S)"), " "),  # Austin,TX
    (re.compile(r"(?<![\d,])(\d{1,2},)(?=\d{4}\b)"), r"\1 "),  # 9,2025: a year (1,200 is not)
]
# All-caps business names lose their spaces too (GLOBEXINDUSTRIES); split off common last words.
_NAME_SUFFIXES = (
    "CORPORATION|INDUSTRIES|INTERNATIONAL|ENTERPRISES|HOLDINGS|TRADERS|MARKET|COMPANY|GROUP|"
    "STORE|SUPPLIES|SUPPLY|SERVICES|SOLUTIONS|SYSTEMS|FOODS|PHARMACY|BAKERY|GROCERY|LIMITED"
)
_CAPS_SUFFIX = re.compile(rf"\b([A-Z]{{4,}}?)({_NAME_SUFFIXES})\b")


def respace(text: str) -> str:
    """Restore spaces that OCR dropped, and tidy whitespace."""
    text = " ".join(text.split())
    for pattern, replacement in _RESPACE_RULES:
        text = pattern.sub(replacement, text)
    return _CAPS_SUFFIX.sub(r"\1 \2", text)


def normalize_label(label: str) -> str:
    """Lower-case letters and '#' only, without "(8%)"-style details: "Tax (8%):" -> "tax"."""
    label = re.sub(r"\(.*?\)|\d+(?:\.\d+)?\s*%", "", label)
    return re.sub(r"[^a-z#]", "", label.lower())


# --------------------------------------------------------------------------- values

_CURRENCY = r"[$€£¥]|USD|EUR|GBP|CAD|AUD"
_AMOUNT = re.compile(
    rf"(?<![\w.,])(?:(?P<cur>{_CURRENCY})\s?)?-?(?P<num>\d{{1,3}}(?:,\d{{3}})+\.\d{{2}}|\d+\.\d{{2}})"
    rf"(?:\s?(?P<cur2>{_CURRENCY}))?(?![\w.,]*\d)"
)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE_PATTERNS = [
    # March 14, 2024 / Mar 14 2024
    re.compile(
        rf"\b(?P<m>{_MONTH})\.?\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s*(?P<y>\d{{4}})\b", re.I
    ),
    # 9 January 2025
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s*(?P<m>{_MONTH})\.?,?\s*(?P<y>\d{{4}})\b", re.I
    ),
    # 2024-05-02
    re.compile(r"(?<![\d-])\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![\d-])"),
    # 07/21/2024, 21.07.24
    re.compile(r"(?<![\d/.-])\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?![\d/.-])"),
]
_TIME = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?(?![\d:])")
_ID_TOKEN = re.compile(r"[A-Za-z]{0,6}[-/#]?\d[\w/-]*")


def find_amounts(text: str) -> list[str]:
    """Money amounts as written, with their currency sign if any: "$1,279.80", "25.35"."""
    found = []
    for match in _AMOUNT.finditer(text):
        cur, cur2 = match.group("cur"), match.group("cur2")
        number = match.group("num")
        if cur:
            found.append(f"{cur}{number}" if len(cur) == 1 else f"{cur} {number}")
        elif cur2:
            found.append(f"{number} {cur2}")
        else:
            found.append(number)
    return found


def amount_value(amount: str) -> float:
    return float(re.sub(r"[^\d.]", "", amount))


def find_date(text: str) -> str | None:
    """The first date in ``text``, as written but with its spaces repaired."""
    for pattern in _DATE_PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        groups = match.groupdict()
        if groups.get("m"):
            month, day, year = groups["m"], groups["d"], groups["y"]
            if match.group(0)[0].isdigit():
                return f"{day} {month} {year}"
            return f"{month} {day}, {year}"
        return match.group(0)
    return None


def find_time(text: str) -> str | None:
    match = _TIME.search(text)
    return match.group(0) if match else None


def find_identifier(text: str) -> str | None:
    """The first token with a digit in it: "INV-1042", "004512", "GX-7781"."""
    match = _ID_TOKEN.search(text)
    return match.group(0).strip("-/#") if match else None


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Pair:
    """A label and its value as laid out on the page."""

    label: str
    value: str
    page: int
    score: float  # OCR confidence of the pieces


def group_rows(lines: Iterable[OcrLine]) -> list[list[OcrLine]]:
    """Boxes on the same baseline, left to right; rows top to bottom, page by page."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda item: (item.page, item.yc, item.x0)):
        if rows:
            row = rows[-1]
            anchor = row[0]
            same_page = anchor.page == line.page
            if same_page and abs(line.yc - anchor.yc) < 0.5 * min(line.height, anchor.height):
                row.append(line)
                continue
        rows.append([line])
    return [sorted(row, key=lambda item: item.x0) for row in rows]


# Labels that are known even without a colon ("TOTAL  25.35", "Amount Due  $1,279.80").
_KNOWN_LABELS = {
    "total", "totaldue", "amountdue", "balancedue", "grandtotal", "totalamount", "amountpayable",
    "balance", "subtotal", "tax", "vat", "salestax", "gst", "hst", "taxamount", "invoice#",
    "invoiceno", "invoicenumber", "receipt#", "receiptno", "receiptnumber", "date", "invoicedate",
    "duedate", "due", "billto", "billedto", "invoiceto", "soldto", "customer", "shipto", "time",
}  # fmt: skip
_KNOWN = dict.fromkeys(_KNOWN_LABELS, 1.0)
# A label: words, maybe a "#", maybe a rate such as "(8%)" or "8%" ("Tax (8%):", "TAX8%").
_LABEL = r"[A-Za-z][A-Za-z .#&/'-]{0,40}?(?:\s*\(?\d+(?:\.\d+)?\s*%\)?)?"
_LABEL_ONLY = re.compile(rf"(?P<label>{_LABEL})\s*:?")
_LABEL_COLON = re.compile(rf"(?P<label>{_LABEL})\s*:\s*(?P<value>\S.*)")
_LABEL_INLINE = re.compile(rf"(?P<label>{_LABEL})\s*[#:]?\s+(?P<value>\S*\d.*)")


def label_weight(label: str, labels: Mapping[str, float]) -> float:
    """How well a document label matches one of ``labels`` (normalized label -> weight).

    OCR misreads a letter now and then ("Blll To:"), so a label one edit away from a known
    one (two for long labels) counts too, a little less than an exact match.
    """
    norm = normalize_label(label)
    if norm in labels:
        return labels[norm]
    if len(norm) < 5 or norm in _ALL_LABELS:
        # "Invoice No." is one edit from "Invoice To" but is a label in its own right.
        return 0.0
    allowed = 1 if len(norm) < 10 else 2
    for known, weight in labels.items():
        if abs(len(known) - len(norm)) <= allowed and _edit_distance(norm, known) <= allowed:
            return 0.95 * weight
    return 0.0


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (the strings here are a few letters long)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def _is_label_only(text: str) -> bool:
    return _LABEL_ONLY.fullmatch(text) is not None and (
        text.endswith(":") or label_weight(text, _KNOWN) > 0
    )


def _value_below(rows: Sequence[list[OcrLine]], index: int, label: OcrLine) -> OcrLine | None:
    """The first box under ``label`` that overlaps it horizontally, within a few line heights."""
    for row in rows[index + 1 :]:
        for cell in row:
            if cell.page != label.page or cell.y0 - label.y1 > 3 * label.height:
                return None
            if cell.x0 < label.x1 and cell.x1 > label.x0:
                return cell
    return None


def key_values(rows: Sequence[list[OcrLine]]) -> list[Pair]:
    """Label/value pairs: "Key: value" in one box, label and value side by side, or stacked."""
    pairs: list[Pair] = []
    for index, row in enumerate(rows):
        for position, cell in enumerate(row):
            text = cell.text
            if (match := _LABEL_COLON.fullmatch(text)) and not _TIME.fullmatch(text):
                pairs.append(
                    Pair(match.group("label"), match.group("value"), cell.page, cell.score)
                )
            elif _is_label_only(text):
                following = row[position + 1] if position + 1 < len(row) else None
                value = following if following is not None else _value_below(rows, index, cell)
                if value is not None and not _is_label_only(value.text):
                    score = min(cell.score, value.score)
                    pairs.append(Pair(text.rstrip(": "), value.text, cell.page, score))
            elif (match := _LABEL_INLINE.fullmatch(text)) and label_weight(
                match.group("label"), _KNOWN
            ):
                pairs.append(
                    Pair(match.group("label"), match.group("value"), cell.page, cell.score)
                )
        # A table line: description on the left, amount at the right ("Shipping ... $22.68").
        if (
            len(row) >= 2
            and not any(ch.isdigit() for ch in row[0].text)
            and find_amounts(row[-1].text)
            and not _is_label_only(row[0].text)
        ):
            pairs.append(Pair(row[0].text, row[-1].text, row[0].page, row[-1].score))
    return pairs


# --------------------------------------------------------------------------- questions

_INTENT_RULES: list[tuple[Intent, re.Pattern[str]]] = [
    (Intent.SUBTOTAL, re.compile(r"sub-?\s?total|before tax|net amount")),
    (Intent.TAX, re.compile(r"\b(tax|taxes|vat|gst|hst)\b")),
    (Intent.TOTAL, re.compile(
        r"\btotal\b|how much|amount due|balance|\bowe|to pay|grand|cost|spent|\bamount\b"
    )),
    (Intent.DUE_DATE, re.compile(r"\bdue\b|deadline|pay by")),
    (Intent.NUMBER, re.compile(r"number|\bno\b\.?|#|\bid\b|reference|\bref\b")),
    (Intent.DATE, re.compile(r"\bdate\b|\bdated\b|\bwhen\b|\bday\b|issued on")),
    (Intent.TIME, re.compile(r"\btime\b")),
    (Intent.BILL_TO, re.compile(
        r"invoiced|billed|bill to|bill-to|customer|client|recipient|addressed|sold to|"
        r"who\b.*\b(for|to)\b|\bwho\b.*\bpay"
    )),
    (Intent.VENDOR, re.compile(
        r"\bfrom\b|vendor|seller|supplier|company|store|shop|merchant|business|issuer|issued|"
        r"who\b.*\bsen[dt]|which (?:shop|store)"
    )),
]  # fmt: skip


def classify(question: str) -> Intent:
    """The kind of answer a question asks for, from its keywords (first matching rule wins)."""
    text = question.lower()
    for intent, pattern in _INTENT_RULES:
        if pattern.search(text):
            return intent
    return Intent.OTHER


_TOTAL_LABELS = dict.fromkeys(
    ["total", "totaldue", "amountdue", "balancedue", "grandtotal", "totalamount", "amountpayable",
     "totalpayable", "totalusd", "totaleur", "totaltopay", "amounttopay"],
    0.95,
) | {"balance": 0.8}  # fmt: skip
_PAYMENT_LABELS = re.compile(r"visa|mastercard|amex|card|cash|paid|debit|credit|tender")
_SUBTOTAL_LABELS = dict.fromkeys(
    ["subtotal", "net", "nettotal", "amountbeforetax", "totalbeforetax"], 0.95
)
_TAX_LABELS = dict.fromkeys(
    ["tax", "vat", "salestax", "gst", "hst", "taxamount", "totaltax", "taxes"], 0.95
)
_DUE_LABELS = dict.fromkeys(
    ["duedate", "due", "paymentdue", "dueby", "payby", "paymentduedate"], 0.95
)
_DATE_LABELS = dict.fromkeys(
    ["date", "invoicedate", "dateofissue", "issuedate", "issued", "receiptdate", "orderdate",
     "billdate", "dated", "transactiondate", "datetime"],
    0.95,
)  # fmt: skip
_BILL_TO_LABELS = {
    "billto": 0.95, "billedto": 0.95, "invoiceto": 0.95, "soldto": 0.9, "customer": 0.9,
    "client": 0.9, "attention": 0.8, "attn": 0.8, "to": 0.7, "shipto": 0.5,
}  # fmt: skip
_VENDOR_LABELS = dict.fromkeys(
    ["from", "vendor", "seller", "supplier", "soldby", "issuedby", "merchant"], 0.95
)
_ALL_LABELS = (
    _KNOWN_LABELS
    | set(_TOTAL_LABELS)
    | set(_SUBTOTAL_LABELS)
    | set(_TAX_LABELS)
    | set(_DUE_LABELS)
    | set(_DATE_LABELS)
    | set(_BILL_TO_LABELS)
    | set(_VENDOR_LABELS)
)
_DOC_TITLES = {
    "invoice", "receipt", "taxinvoice", "salesreceipt", "bill", "statement", "original",
    "copy", "quote", "estimate",
}  # fmt: skip
_STOPWORDS = {
    "a", "an", "the", "is", "are", "was", "were", "what", "whats", "which", "who", "whom", "how",
    "of", "on", "in", "for", "to", "this", "that", "it", "its", "does", "do", "did", "me", "tell",
    "please", "document", "invoice", "receipt", "there", "be", "being", "say", "says", "listed",
}  # fmt: skip


def _merge(candidates: Iterable[Candidate], key: str = "text") -> list[Candidate]:
    """Combine candidates with the same answer (independent evidence: noisy-or), best first."""
    merged: dict[str, Candidate] = {}
    for cand in candidates:
        ident = re.sub(r"[^\d.]", "", cand.answer) if key == "amount" else cand.answer.lower()
        old = merged.get(ident)
        if old is None:
            merged[ident] = cand
            continue
        confidence = 1 - (1 - old.confidence) * (1 - cand.confidence)
        best = old if old.confidence >= cand.confidence else cand
        merged[ident] = Candidate(best.answer, min(confidence, 0.99), best.page, best.source)
    return sorted(merged.values(), key=lambda c: -c.confidence)


class Analyzer:
    """The OCR'd text of one document, with the extraction rules for each intent."""

    def __init__(self, lines: Sequence[OcrLine]) -> None:
        self.lines = [
            OcrLine(respace(line.text), line.box, line.score, line.page)
            for line in lines
            if line.text.strip()
        ]
        self.rows = group_rows(self.lines)
        self.pairs = key_values(self.rows)
        self.kind = self._kind()

    def _kind(self) -> str:
        text = " ".join(line.text.lower() for line in self.lines)
        if "invoice" in text:
            return "invoice"
        if "receipt" in text or (re.search(r"\btotal\b", text) and _PAYMENT_LABELS.search(text)):
            return "receipt"
        return "document"

    def answer(self, question: str) -> Extraction:
        intent = classify(question)
        result = Extraction(question=question, intent=intent, kind=self.kind)
        if intent in _GENERAL_WORDS and _names_something_else(question, intent):
            # "How much was shipping?" asks about one line of the document, not the total;
            # "What is the phone number?" is not about the invoice number.
            intent = result.intent = Intent.OTHER
        rules: dict[Intent, Callable[[], list[Candidate]]] = {
            Intent.BILL_TO: self._bill_to,
            Intent.VENDOR: self._vendor,
            Intent.TOTAL: self._total,
            Intent.SUBTOTAL: self._subtotal,
            Intent.TAX: self._tax,
            Intent.DUE_DATE: self._due_date,
            Intent.NUMBER: self._number,
            Intent.DATE: self._date,
            Intent.TIME: self._time,
        }
        if intent in rules:
            result.candidates = rules[intent]()
        if not result.candidates and intent in (Intent.OTHER, Intent.BILL_TO, Intent.VENDOR):
            # Questions the rules cannot place ("Who is the cashier?") may still match one of
            # the document's own labels. Not for dates or amounts: a wrong kind of value
            # would be a confident wrong answer.
            result.candidates = self._generic(question)
            if result.candidates:
                result.intent, result.label = Intent.OTHER, result.candidates[0].source
        result.candidates = result.candidates[:3]
        return result

    # Each rule returns candidates best first; confidences are heuristic but ordered:
    # an exact label > a misread or related label > a guess from the layout.

    def _labelled(self, labels: Mapping[str, float], find: str) -> list[Candidate]:
        found = []
        for pair in self.pairs:
            weight = label_weight(pair.label, labels)
            if weight and (value := self._value(pair.value, find)):
                found.append(Candidate(value, weight * pair.score, pair.page, pair.label))
        return found

    @staticmethod
    def _value(text: str, find: str) -> str | None:
        if find == "amount":
            amounts = find_amounts(text)
            return amounts[-1] if amounts else None
        if find == "date":
            return find_date(text)
        if find == "time":
            return find_time(text)
        if find == "id":
            return find_identifier(text)
        return text.strip(" :,;") or None

    def _total(self) -> list[Candidate]:
        found = self._labelled(_TOTAL_LABELS, "amount")
        for pair in self.pairs:
            # What was paid by card/cash usually equals the total: weak supporting evidence.
            if _PAYMENT_LABELS.search(pair.label.lower()) and (amounts := find_amounts(pair.value)):
                found.append(Candidate(amounts[-1], 0.4 * pair.score, pair.page, pair.label))
        # The largest amount on the document is the total more often than not.
        everywhere = [(a, line) for line in self.lines for a in find_amounts(line.text)]
        if everywhere:
            largest, line = max(everywhere, key=lambda item: amount_value(item[0]))
            found.append(Candidate(largest, 0.45 * line.score, line.page, "largest amount"))
        return _merge(found, key="amount")

    def _subtotal(self) -> list[Candidate]:
        return _merge(self._labelled(_SUBTOTAL_LABELS, "amount"), key="amount")

    def _tax(self) -> list[Candidate]:
        return _merge(self._labelled(_TAX_LABELS, "amount"), key="amount")

    def _date(self) -> list[Candidate]:
        found = self._labelled(_DATE_LABELS, "date")
        due = self._labelled(_DUE_LABELS, "date")
        found += [Candidate(c.answer, 0.15, c.page, c.source) for c in due]
        # Otherwise the first date printed is usually the issue date.
        for line in self.lines:
            if (date := find_date(line.text)) is not None:
                found.append(Candidate(date, 0.4 * line.score, line.page, "first date"))
                break
        return _merge(found)

    def _due_date(self) -> list[Candidate]:
        # No fallback: a receipt has no due date, and the issue date is not one.
        return _merge(self._labelled(_DUE_LABELS, "date"))

    def _time(self) -> list[Candidate]:
        found = self._labelled({"time": 0.95}, "time")
        for line in self.lines:
            if (time := find_time(line.text)) is not None:
                found.append(Candidate(time, 0.4 * line.score, line.page, "first time"))
                break
        return _merge(found)

    def _number(self) -> list[Candidate]:
        found = []
        for pair in self.pairs:
            norm = normalize_label(pair.label)
            if not _NUMBER_LABEL.fullmatch(norm) or (value := find_identifier(pair.value)) is None:
                continue
            # "Invoice #" on an invoice beats a bare "No." or an "Order #".
            weight = 0.95 if norm.startswith(self.kind[:4]) else 0.75
            found.append(Candidate(value, weight * pair.score, pair.page, pair.label))
        # "Invoice GX-7781" in a running header, without a colon.
        pattern = re.compile(rf"\b{self.kind}\s*#?\s*(?P<id>[A-Z]{{0,6}}-?\d[\w-]*)", re.I)
        for line in self.lines:
            if match := pattern.search(line.text):
                found.append(Candidate(match.group("id"), 0.5 * line.score, line.page, line.text))
        return _merge(found)

    def _bill_to(self) -> list[Candidate]:
        return _merge(self._labelled(_BILL_TO_LABELS, "text"))

    def _vendor(self) -> list[Candidate]:
        found = self._labelled(_VENDOR_LABELS, "text")
        # Otherwise the letterhead: the biggest text near the top of the first page that is
        # not the document's title and has no digits (addresses, phone numbers).
        first_page = [line for line in self.lines if line.page == 0]
        if first_page:
            top = min(line.y0 for line in first_page)
            bottom = max(line.y1 for line in first_page)
            heads = [
                line
                for line in first_page
                if line.y0 <= top + 0.3 * (bottom - top)
                and not any(ch.isdigit() for ch in line.text)
                and normalize_label(line.text) not in _DOC_TITLES
                and len(normalize_label(line.text)) >= 3
                and ":" not in line.text
            ]
            heads.sort(key=lambda line: (-line.height, line.y0))
            if heads:
                found.append(Candidate(heads[0].text, 0.85 * heads[0].score, 0, "letterhead"))
                # A second line in nearly the same size is a real doubt (a logo and a name).
                for line in heads[1:2]:
                    if line.height >= 0.8 * heads[0].height:
                        found.append(Candidate(line.text, 0.3 * line.score, 0, "letterhead"))
        return _merge(found)

    def _generic(self, question: str) -> list[Candidate]:
        """Match the question's words against the document's labels ("Who is the cashier?")."""
        words = _content_words(question)
        best: tuple[float, Pair] | None = None
        for pair in self.pairs if words else []:
            label_words = _content_words(pair.label)
            if not label_words:
                continue
            overlap = len(words & label_words) / len(label_words)
            if overlap >= 0.5 and (best is None or overlap > best[0]):
                best = (overlap, pair)
        if best is None:
            return []
        overlap, pair = best
        confidence = (0.5 + 0.4 * overlap) * pair.score
        return [Candidate(pair.value.strip(" :"), confidence, pair.page, pair.label.strip(" :"))]


_NUMBER_LABEL = re.compile(
    r"(invoice|receipt|order|bill|document|transaction|txn|ref)?(#|no|nr|num|number|id|reference)#?"
)
# Words that make "how much ..." a question about the total rather than about one line.
_TOTAL_WORDS = re.compile(r"\btotal|\bdue\b|balance|\bowe|grand|altogether|in all|to pay")
# The words a question about the total / the document's number may use; any other word
# ("shipping", "phone") names something else, to look up among the document's labels.
_GENERAL_WORDS = {
    Intent.TOTAL: {
        "much", "cost", "amount", "price", "pay", "paid", "spent", "spend", "charge", "charged",
        "i", "we", "you", "my", "our", "have", "has", "had", "all", "money",
    },
    Intent.NUMBER: {"number", "no", "nr", "num", "id", "reference", "ref", "bill", "its"},
}  # fmt: skip


def _names_something_else(question: str, intent: Intent) -> bool:
    if intent is Intent.TOTAL and _TOTAL_WORDS.search(question.lower()):
        return False
    return bool(_content_words(question) - _GENERAL_WORDS[intent])


def _content_words(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", text.lower().replace("'s", ""))
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words if w not in _STOPWORDS}
