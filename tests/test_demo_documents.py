"""Loading uploads: formats, PDFs, downscaling, and a clear message for every bad file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from demo_support import EXAMPLES  # first: it puts demo_app/ on sys.path

# isort: split
import documents
from documents import DocumentError, load_document


def test_sample_documents_load() -> None:
    for name in ("invoice_acme.png", "invoice_northwind.png", "receipt_fresh_market.png"):
        doc = load_document(EXAMPLES / name)
        assert (doc.is_pdf, len(doc.pages), doc.total_pages) == (False, 1, 1)
        assert doc.pages[0].mode == "RGB"
        assert doc.pages_note() == ""
    pdf = load_document(EXAMPLES / "invoice_globex.pdf")
    assert (pdf.is_pdf, len(pdf.pages), pdf.total_pages) == (True, 2, 2)
    assert max(pdf.pages[0].size) <= documents.MAX_SIDE
    assert pdf.pages_note() == "I read all 2 pages of the PDF."


@pytest.mark.parametrize(("fmt", "suffix"), [("JPEG", ".jpg"), ("WEBP", ".webp"), ("PNG", ".png")])
def test_photo_formats_are_downscaled_and_turned_upright(
    tmp_path: Path, fmt: str, suffix: str
) -> None:
    # A 4000x3000 "phone photo" stored sideways with an EXIF orientation tag (6: rotate 90°).
    photo = Image.new("RGB", (4000, 3000), "white")
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / f"photo{suffix}"
    photo.save(path, fmt, exif=exif.tobytes())
    doc = load_document(path)
    width, height = doc.pages[0].size
    assert max(width, height) <= documents.MAX_SIDE
    assert height > width  # rotated upright, as the phone showed it


def test_file_type_is_sniffed_not_taken_from_the_name(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"  # a PNG with a misleading name
    Image.new("RGB", (50, 40), "white").save(path, "PNG")
    doc = load_document(path)
    assert (doc.is_pdf, doc.pages[0].size) == (False, (50, 40))


def test_transparent_png_gets_a_white_background(tmp_path: Path) -> None:
    path = tmp_path / "clear.png"
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(path)
    assert load_document(path).pages[0].getpixel((5, 5)) == (255, 255, 255)


def test_long_pdf_reads_the_first_pages_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    pages = [Image.new("RGB", (200, 280), "white") for _ in range(documents.MAX_PDF_PAGES + 2)]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    doc = load_document(path)
    assert len(doc.pages) == documents.MAX_PDF_PAGES
    assert doc.total_pages == documents.MAX_PDF_PAGES + 2
    assert f"only the first {documents.MAX_PDF_PAGES}" in doc.pages_note()


def _truncated_png() -> bytes:
    """The first half of a real PNG, like an interrupted download."""
    data = (EXAMPLES / "invoice_acme.png").read_bytes()
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"just some text\n", "“notes.txt” is not an image or a PDF"),
        ("noise.png", bytes(range(256)) * 8, "“noise.png” is not a valid PNG file"),
        ("renamed.jpg", b"hello, I am text", "“renamed.jpg” is not a valid JPG file"),
        ("cut.png", _truncated_png(), "“cut.png” appears to be corrupt or truncated"),
        ("empty.png", b"", "“empty.png” is empty"),
        ("broken.pdf", b"%PDF-1.7\n this is not really a PDF", "could not be opened"),
        ("photo.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC photo"),
    ],
)
def test_bad_files_give_one_clear_sentence(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as caught:
        load_document(path)
    text = str(caught.value)
    assert message in text
    assert text.endswith(".") and "\n" not in text and "Traceback" not in text


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="could not be read"):
        load_document(tmp_path / "gone.png")


@pytest.mark.parametrize(("fmt", "suffix"), [("TIFF", ".tif"), ("BMP", ".bmp"), ("GIF", ".gif")])
def test_other_raster_formats_are_read_too(tmp_path: Path, fmt: str, suffix: str) -> None:
    path = tmp_path / f"scan{suffix}"
    Image.new("RGB", (120, 80), "white").save(path, fmt)
    doc = load_document(path)
    assert (doc.pages[0].size, doc.pages[0].mode) == ((120, 80), "RGB")
