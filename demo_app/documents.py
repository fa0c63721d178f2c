"""An upload read into page images: photos and scans through Pillow, PDFs through pypdfium2.

Every backend works on page images, so an upload becomes a ``Document`` with one RGB
image per page. A file that cannot be read raises ``DocumentError``, whose message is
one sentence for the chat.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageOps, UnidentifiedImageError

# Longest side of a page image: phone photos are 4000+ px, and OCR is no better above
# ~2000 px, only slower; the inference API limits request sizes too.
MAX_SIDE = 2000
# Pages of a PDF that are read (each is one OCR run, or one more image for the model).
MAX_PDF_PAGES = 5
SUPPORTED = "a PNG, JPEG or WebP image or a PDF"
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


class DocumentError(ValueError):
    """The upload cannot be used; ``str(error)`` is one sentence for the user."""


@dataclass(frozen=True)
class Document:
    name: str
    pages: list[Image.Image]
    # Pages in the file: more than len(pages) when a long PDF was cut at MAX_PDF_PAGES.
    total_pages: int
    # A hash of the file's bytes: the OCR keeps what it read of a document under it.
    fingerprint: str
    is_pdf: bool = False

    def pages_note(self) -> str:
        """Which pages were read, for a PDF of several pages; "" otherwise."""
        if not self.is_pdf or self.total_pages <= 1:
            return ""
        if len(self.pages) == self.total_pages:
            return f"I read all {self.total_pages} pages of the PDF."
        return f"I read only the first {len(self.pages)} of the PDF's {self.total_pages} pages."


def load_document(path: str | Path) -> Document:
    """Read an uploaded file into page images, or raise DocumentError."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DocumentError(
            f"The file “{path.name}” could not be read; please upload it again."
        ) from error
    if not data:
        raise DocumentError(f"The file “{path.name}” is empty; please upload {SUPPORTED}.")
    fingerprint = hashlib.sha256(data).hexdigest()
    # The file's first bytes tell its type (a name can lie); PDF allows the header
    # anywhere in the first 1024 bytes.
    if b"%PDF-" in data[:1024]:
        pages, total = _render_pdf(data, path.name)
        return Document(path.name, pages, total, fingerprint, is_pdf=True)
    return Document(path.name, [_decode_image(data, path)], 1, fingerprint)


def _decode_image(data: bytes, path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow warns above ~89 megapixels; the image is downscaled at once, so that
            # is fine (Pillow still refuses twice that, handled below).
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                # A JPEG decodes at 1/2 to 1/8 scale: a 48 MP photo costs a fraction.
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))
                image.load()
                # Phones store the camera's orientation in EXIF instead of turning the pixels.
                return downscale(to_rgb(ImageOps.exif_transpose(image)))
    except UnidentifiedImageError as error:
        raise DocumentError(_not_an_image(data, path)) from error
    except Image.DecompressionBombError as error:
        raise DocumentError(
            f"“{path.name}” is too large an image to process; please upload one under "
            "100 megapixels."
        ) from error
    except (OSError, SyntaxError, ValueError) as error:  # a truncated download, a damaged file
        raise DocumentError(
            f"The image “{path.name}” appears to be corrupt or truncated; please upload "
            "another copy."
        ) from error


def _not_an_image(data: bytes, path: Path) -> str:
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
        return (
            f"“{path.name}” is a HEIC photo, which is not supported; please export it as JPEG "
            "or PNG."
        )
    if path.suffix.lower() in _IMAGE_SUFFIXES | {".pdf"}:
        return (
            f"“{path.name}” is not a valid {path.suffix.lstrip('.').upper()} file; it may be "
            "corrupt, so please upload another copy."
        )
    return f"“{path.name}” is not an image or a PDF; please upload {SUPPORTED}."


def _render_pdf(data: bytes, name: str) -> tuple[list[Image.Image], int]:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise DocumentError(
                f"The PDF “{name}” is password-protected; please upload an unlocked copy."
            ) from error
        raise DocumentError(
            f"The PDF “{name}” could not be opened; it may be corrupt, so please upload "
            "another copy."
        ) from error
    try:
        if len(pdf) == 0:
            raise DocumentError(f"The PDF “{name}” has no pages.")
        pages = []
        for index in range(min(len(pdf), MAX_PDF_PAGES)):
            page = pdf[index]
            try:
                # 200 dpi is plenty for OCR (a PDF point is 1/72 inch), and MAX_SIDE caps it.
                scale = min(200 / 72, MAX_SIDE / max(*page.get_size(), 1.0))
                pages.append(downscale(to_rgb(page.render(scale=scale).to_pil())))
            finally:
                page.close()
        return pages, len(pdf)
    except pdfium.PdfiumError as error:
        raise DocumentError(
            f"The PDF “{name}” could not be rendered; it may be corrupt, so please upload "
            "another copy."
        ) from error
    finally:
        pdf.close()


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB on white: the transparent parts of a PNG would turn black and hide black text."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def downscale(image: Image.Image, max_side: int = MAX_SIDE) -> Image.Image:
    """Shrink so that the longest side is at most ``max_side``, keeping the aspect ratio."""
    if max(image.size) <= max_side:
        return image
    factor = max_side / max(image.size)
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def to_png_bytes(image: Image.Image) -> bytes:
    """A page as PNG bytes, the form the inference API takes an image in."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
