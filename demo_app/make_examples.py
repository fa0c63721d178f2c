"""Generate the sample invoices and receipt under demo_app/examples/.

Run from anywhere:  python demo_app/make_examples.py

Everything is drawn with Pillow and the font bundled with Pillow
(``ImageFont.load_default(size=...)``), so the output is the same on a fresh
machine and nothing is downloaded. The files are committed; re-run this script
only after changing it. The numbers add up (subtotal + tax = total) so that the
documents are believable test data for the answer extractor.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"

INK = (20, 20, 30)
GREY = (95, 95, 110)
ACCENT = (30, 70, 140)
RULE = (170, 170, 180)

# A4 at 150 dpi: the size of a typical scan.
PAGE_SIZE = (1240, 1754)
MARGIN = 90

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def font(size: int) -> Font:
    """Pillow's bundled font (Aileron) at ``size`` px; needs Pillow >= 10.1 with FreeType."""
    return ImageFont.load_default(size=size)


class Page:
    """A white page with a few layout helpers (left/right-aligned text, rules, tables)."""

    def __init__(self, size: tuple[int, int] = PAGE_SIZE) -> None:
        self.image = Image.new("RGB", size, "white")
        self.draw = ImageDraw.Draw(self.image)
        self.width, self.height = size

    def text(
        self,
        xy: tuple[int, int],
        text: str,
        size: int = 26,
        fill: tuple[int, int, int] = INK,
        bold: bool = False,
        anchor: str = "la",
    ) -> None:
        # The bundled font has no bold face: a thin stroke in the same colour reads as bold.
        self.draw.text(
            xy,
            text,
            font=font(size),
            fill=fill,
            anchor=anchor,
            stroke_width=1 if bold else 0,
            stroke_fill=fill,
        )

    def right(
        self,
        x: int,
        y: int,
        text: str,
        size: int = 26,
        fill: tuple[int, int, int] = INK,
        bold: bool = False,
    ) -> None:
        """Text whose right edge is at ``x`` (amount columns)."""
        self.text((x, y), text, size=size, fill=fill, bold=bold, anchor="ra")

    def rule(self, y: int, x0: int = MARGIN, x1: int | None = None, width: int = 2) -> None:
        self.draw.line([(x0, y), (x1 if x1 is not None else self.width - MARGIN, y)], RULE, width)

    def table(
        self,
        y: int,
        columns: Sequence[tuple[str, int, str]],
        rows: Sequence[Sequence[str]],
        row_height: int = 46,
    ) -> int:
        """Draw a table; ``columns`` are (title, x, "l" or "r"). Returns the y below it."""
        for title, x, align in columns:
            if align == "r":
                self.right(x, y, title, size=24, fill=GREY, bold=True)
            else:
                self.text((x, y), title, size=24, fill=GREY, bold=True)
        y += 40
        self.rule(y)
        y += 16
        for row in rows:
            for (_, x, align), cell in zip(columns, row, strict=True):
                if align == "r":
                    self.right(x, y, cell)
                else:
                    self.text((x, y), cell)
            y += row_height
        self.rule(y)
        return y + 20

    def totals(self, y: int, lines: Sequence[tuple[str, str]], bold_last: bool = True) -> int:
        """Right-aligned label/amount pairs under a table. Returns the y below them."""
        label_x, amount_x = self.width - MARGIN - 260, self.width - MARGIN
        for i, (label, amount) in enumerate(lines):
            last = bold_last and i == len(lines) - 1
            size = 30 if last else 26
            self.right(label_x, y, label, size=size, bold=last)
            self.right(amount_x, y, amount, size=size, bold=last)
            y += 50 if last else 44
        return y


def invoice_acme() -> Image.Image:
    """A classic one-page invoice: key-value header, a "Bill To:" block, a table, totals."""
    p = Page()
    r = p.width - MARGIN
    p.text((MARGIN, 90), "ACME Corporation", size=54, fill=ACCENT, bold=True)
    p.text((MARGIN, 160), "123 Industrial Way, Springfield, IL 62701", size=24, fill=GREY)
    p.text((MARGIN, 194), "billing@acme.example   (555) 010-2000", size=24, fill=GREY)
    p.right(r, 96, "INVOICE", size=56, fill=ACCENT, bold=True)
    p.rule(260)

    p.text((MARGIN, 300), "Invoice #: INV-1042", size=28)
    p.text((MARGIN, 346), "Date: March 14, 2024", size=28)
    p.text((MARGIN, 392), "Due Date: April 13, 2024", size=28)

    p.text((MARGIN, 480), "Bill To:", size=28, fill=GREY, bold=True)
    p.text((MARGIN, 526), "John Doe", size=30)
    p.text((MARGIN, 570), "42 Elm Street", size=26)
    p.text((MARGIN, 610), "Springfield, IL 62704", size=26)

    y = p.table(
        720,
        [
            ("Description", MARGIN, "l"),
            ("Qty", 700, "r"),
            ("Unit Price", 900, "r"),
            ("Amount", r, "r"),
        ],
        [
            ["Widget, large", "2", "$35.00", "$70.00"],
            ["Gadget service plan", "1", "$49.99", "$49.99"],
            ["Shipping", "1", "$22.68", "$22.68"],
        ],
    )
    y = p.totals(y + 10, [("Subtotal:", "$142.67"), ("Tax (8%):", "$11.41"), ("Total:", "$154.08")])
    p.text((MARGIN, y + 120), "Payment due within 30 days. Thank you for your business!", size=24)
    p.text((MARGIN, y + 160), "Bank: First Springfield Bank, account 0042-1187", size=22, fill=GREY)
    return p.image


def invoice_northwind() -> Image.Image:
    """A two-column header (customer left, invoice details right) and "Amount Due"."""
    p = Page()
    r = p.width - MARGIN
    mid = 700
    p.text((MARGIN, 90), "NORTHWIND TRADERS", size=50, fill=INK, bold=True)
    p.text((MARGIN, 156), "Consulting & Software", size=26, fill=GREY)
    p.text((MARGIN, 190), "9 Harbour Lane, Seattle, WA 98101", size=24, fill=GREY)
    p.text((MARGIN, 260), "Invoice", size=44, fill=ACCENT, bold=True)
    p.rule(330)

    p.text((MARGIN, 370), "Billed To: Maria Garcia", size=28)
    p.text((MARGIN, 414), "Contoso Ltd.", size=26)
    p.text((MARGIN, 454), "77 Lake View Road", size=26)
    p.text((MARGIN, 494), "Portland, OR 97201", size=26)
    p.text((mid, 370), "Invoice No.: NW-2024-0087", size=28)
    p.text((mid, 414), "Invoice Date: 2024-05-02", size=28)
    p.text((mid, 458), "Due: 2024-06-01", size=28)
    p.text((mid, 502), "Terms: Net 30", size=26, fill=GREY)

    y = p.table(
        600,
        [("Item", MARGIN, "l"), ("Hours", 720, "r"), ("Rate", 920, "r"), ("Line Total", r, "r")],
        [
            ["Consulting", "12", "$85.00", "$1,020.00"],
            ["Software license (annual)", "1", "$165.00", "$165.00"],
        ],
    )
    y = p.totals(
        y + 10, [("Subtotal", "$1,185.00"), ("Tax (8%)", "$94.80"), ("Amount Due", "$1,279.80")]
    )
    p.text((MARGIN, y + 100), "Please include the invoice number with your payment.", size=24)
    return p.image


def receipt_grocery() -> Image.Image:
    """A narrow till receipt: centred store header, item lines, TOTAL, card line."""
    p = Page((620, 1180))
    c, left, right = 310, 50, 570
    p.text((c, 60), "FRESH MARKET", size=44, bold=True, anchor="ma")
    p.text((c, 120), "88 Harbor Road, Bayview", size=24, fill=GREY, anchor="ma")
    p.text((c, 154), "Tel: 555-0147", size=24, fill=GREY, anchor="ma")
    p.text((left, 220), "Receipt #: 004512", size=26)
    p.text((left, 260), "Date: 07/21/2024", size=26)
    p.right(right, 260, "Time: 14:32", size=26)
    p.text((left, 300), "Cashier: Sam", size=26)
    p.rule(350, left, right)
    y = 372
    for item, price in [
        ("Bananas 1.2 kg", "2.38"),
        ("Whole milk 1 gal", "4.29"),
        ("Sourdough bread", "5.49"),
        ("Eggs, dozen", "3.99"),
        ("Coffee beans", "7.32"),
    ]:
        p.text((left, y), item, size=26)
        p.right(right, y, price, size=26)
        y += 44
    p.rule(y + 6, left, right)
    y += 26
    for label, amount, big in [("SUBTOTAL", "23.47", False), ("TAX 8%", "1.88", False)]:
        p.text((left, y), label, size=26, bold=big)
        p.right(right, y, amount, size=26)
        y += 44
    p.text((left, y + 6), "TOTAL", size=34, bold=True)
    p.right(right, y + 6, "25.35", size=34, bold=True)
    y += 70
    p.text((left, y), "VISA **** 4242", size=26)
    p.right(right, y, "25.35", size=26)
    p.text((c, y + 90), "Thank you for shopping!", size=26, anchor="ma")
    return p.image


def invoice_globex_pages() -> list[Image.Image]:
    """A two-page invoice whose totals are on page 2, to show that every page is read."""
    r = PAGE_SIZE[0] - MARGIN
    columns = [
        ("Description", MARGIN, "l"),
        ("Qty", 700, "r"),
        ("Unit Price", 900, "r"),
        ("Amount", r, "r"),
    ]

    one = Page()
    one.text((MARGIN, 90), "GLOBEX INDUSTRIES", size=52, fill=ACCENT, bold=True)
    one.text((MARGIN, 156), "500 Cypress Creek Road, Cypress Creek", size=24, fill=GREY)
    one.right(r, 96, "INVOICE", size=52, fill=ACCENT, bold=True)
    one.rule(230)
    one.text((MARGIN, 270), "Invoice Number: GX-7781", size=28)
    one.text((MARGIN, 316), "Invoice Date: January 9, 2025", size=28)
    one.text((MARGIN, 362), "Payment Terms: Net 15", size=28)
    one.text((MARGIN, 450), "Bill To:", size=28, fill=GREY, bold=True)
    one.text((MARGIN, 496), "Jane Smith", size=30)
    one.text((MARGIN, 540), "Initech LLC", size=26)
    one.text((MARGIN, 580), "1 Corporate Plaza, Austin, TX 73301", size=26)
    y = one.table(
        680,
        columns,
        [
            ["Hydraulic press maintenance", "1", "$1,200.00", "$1,200.00"],
            ["Safety inspection", "2", "$450.00", "$900.00"],
            ["Replacement valves", "6", "$84.99", "$509.94"],
        ],
    )
    one.text((MARGIN, y + 40), "Continued on page 2", size=24, fill=GREY)
    one.right(r, PAGE_SIZE[1] - 90, "Page 1 of 2", size=22, fill=GREY)

    two = Page()
    two.text((MARGIN, 90), "GLOBEX INDUSTRIES", size=40, fill=ACCENT, bold=True)
    two.right(r, 96, "Invoice GX-7781", size=28, fill=GREY)
    two.rule(170)
    y = two.table(
        220,
        columns,
        [
            ["Calibration kit", "1", "$399.50", "$399.50"],
            ["Freight", "1", "$185.00", "$185.00"],
        ],
    )
    y = two.totals(
        y + 10, [("Subtotal:", "$3,194.44"), ("Tax (8%):", "$255.56"), ("Total Due:", "$3,450.00")]
    )
    two.text((MARGIN, y + 100), "Thank you for your business.", size=24)
    two.right(r, PAGE_SIZE[1] - 90, "Page 2 of 2", size=22, fill=GREY)
    return [one.image, two.image]


def main() -> None:
    EXAMPLES_DIR.mkdir(exist_ok=True)
    # optimize=True keeps the committed PNGs small; the output is byte-for-byte reproducible.
    invoice_acme().save(EXAMPLES_DIR / "invoice_acme.png", optimize=True)
    invoice_northwind().save(EXAMPLES_DIR / "invoice_northwind.png", optimize=True)
    receipt_grocery().save(EXAMPLES_DIR / "receipt_fresh_market.png", optimize=True)
    first, *rest = invoice_globex_pages()
    # A fixed timestamp keeps the PDF reproducible (Pillow writes the current time otherwise).
    stamp = time.gmtime(1736380800)  # 2025-01-09T00:00:00Z
    first.save(
        EXAMPLES_DIR / "invoice_globex.pdf",
        save_all=True,
        append_images=rest,
        resolution=150.0,
        quality=95,
        subsampling=0,
        title="Invoice GX-7781",
        author="Globex Industries",
        creationDate=stamp,
        modDate=stamp,
    )
    for path in sorted(EXAMPLES_DIR.iterdir()):
        print(
            f"wrote {path.relative_to(EXAMPLES_DIR.parent.parent)} ({path.stat().st_size:,} bytes)"
        )


if __name__ == "__main__":
    main()
