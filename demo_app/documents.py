"""Loading the uploaded document: validation, PDF rendering, downscaling.

Both backends work on page images, so every upload ends up as a ``Document``
with one RGB ``PIL.Image`` per page. Anything we cannot read raises
``DocumentError`` whose message is one sentence meant for the chat.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pypdfium2 as pdfium
from PIL import Image, ImageOps, UnidentifiedImageError

# Longest side of a page image handed to OCR / the inference API. Phone photos are
# 4000+ px; OCR is no better above ~2000 px but much slower, and the API has
# request size limits.
MAX_SIDE = 2000


def _max_pages() -> int:
    raw = os.environ.get("DOC_ANALYZER_MAX_PAGES", "").strip() or "5"
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"DOC_ANALYZER_MAX_PAGES must be a positive whole number, not {raw!r}.")
    return int(raw)


# Pages of a PDF that are read (each is one OCR run, or one API call with `hf`); the
# reply says so when a PDF has more.
MAX_PDF_PAGES = _max_pages()
# PDF pages are rendered at up to this many pixels per PDF point (72 per inch):
# 200 dpi is plenty for OCR, and MAX_SIDE caps it anyway.
MAX_PDF_SCALE = 200 / 72

SUPPORTED = "a PNG, JPEG or WebP image or a PDF"

# "image": another raster format Pillow reads (TIFF scans, BMP, GIF); its first frame is used.
Kind = Literal["png", "jpeg", "webp", "pdf", "image"]


class DocumentError(ValueError):
    """The upload cannot be used; ``str(error)`` is a one-sentence message for the user."""


@dataclass(frozen=True)
class Document:
    name: str
    kind: Kind
    pages: list[Image.Image]
    # Pages in the file; more than len(pages) when a long PDF was cut at MAX_PDF_PAGES.
    total_pages: int
    # Content hash: lets a backend cache OCR results when the same file is asked about again.
    fingerprint: str

    @property
    def is_pdf(self) -> bool:
        return self.kind == "pdf"

    def pages_note(self) -> str:
        """Which pages were read, for a multi-page PDF; "" otherwise."""
        if not self.is_pdf or self.total_pages <= 1:
            return ""
        if len(self.pages) == self.total_pages:
            return f"I read all {self.total_pages} pages of the PDF."
        return f"I read only the first {len(self.pages)} of the PDF's {self.total_pages} pages."


def sniff(head: bytes) -> Kind | Literal["heic"] | None:
    """The file type from its first bytes: the name's extension is not to be trusted."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    # The PDF spec allows the header anywhere in the first 1024 bytes.
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
        return "heic"
    return None


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".jfif"}


def load_document(path: str | Path, max_side: int = MAX_SIDE) -> Document:
    """Read an uploaded file into page images, or raise DocumentError."""
    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DocumentError(
            f"The file “{name}” could not be read; please upload it again."
        ) from error
    if not data:
        raise DocumentError(f"The file “{name}” is empty; please upload {SUPPORTED}.")

    kind = sniff(data[:1024]) or _other_image(data)
    if kind == "heic":
        raise DocumentError(
            f"“{name}” is a HEIC photo, which is not supported; please export it as JPEG or PNG."
        )
    if kind is None:
        if path.suffix.lower() in IMAGE_SUFFIXES | {".pdf"}:
            raise DocumentError(
                f"“{name}” is not a valid {path.suffix.lstrip('.').upper()} file; "
                "it may be corrupt, so please upload another copy."
            )
        raise DocumentError(f"“{name}” is not an image or a PDF; please upload {SUPPORTED}.")

    fingerprint = hashlib.sha256(data).hexdigest()
    if kind == "pdf":
        pages, total = _render_pdf(data, name, max_side)
    else:
        pages, total = [_decode_image(data, name, max_side)], 1
    return Document(name=name, kind=kind, pages=pages, total_pages=total, fingerprint=fingerprint)


def _other_image(data: bytes) -> Literal["image"] | None:
    """Formats beyond the usual three that Pillow can identify without decoding them."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return "image" if image.format in ("TIFF", "BMP", "GIF") else None
    except Exception:  # anything unidentifiable is reported by the caller
        return None


def _decode_image(data: bytes, name: str, max_side: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow warns above ~89 megapixels; we downscale right away, so that
            # is fine (it still refuses ~180+ MP, handled below).
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                # JPEG can decode at 1/2, 1/4, 1/8 scale: a 48 MP phone photo then
                # costs a fraction of the time and memory.
                image.draft("RGB", (max_side, max_side))
                image.load()
                # Phones store the camera orientation in EXIF instead of rotating pixels.
                upright = ImageOps.exif_transpose(image)
                return downscale(to_rgb(upright), max_side)
    except Image.DecompressionBombError as error:
        raise DocumentError(
            f"“{name}” is too large an image to process; please upload one under 100 megapixels."
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        # Truncated downloads and damaged files end up here (OSError "image file is truncated").
        raise DocumentError(
            f"The image “{name}” appears to be corrupt or truncated; please upload another copy."
        ) from error


def _render_pdf(data: bytes, name: str, max_side: int) -> tuple[list[Image.Image], int]:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise DocumentError(
                f"The PDF “{name}” is password-protected; please upload an unlocked copy."
            ) from error
        raise DocumentError(
            f"The PDF “{name}” could not be opened; it may be corrupt, so please upload another "
            "copy."
        ) from error
    try:
        total = len(pdf)
        if total == 0:
            raise DocumentError(f"The PDF “{name}” has no pages.")
        pages = []
        for index in range(min(total, MAX_PDF_PAGES)):
            page = pdf[index]
            try:
                width, height = page.get_size()
                scale = min(MAX_PDF_SCALE, max_side / max(width, height, 1.0))
                bitmap = page.render(scale=scale)
                pages.append(downscale(to_rgb(bitmap.to_pil()), max_side))
            finally:
                page.close()
        return pages, total
    except pdfium.PdfiumError as error:
        raise DocumentError(
            f"The PDF “{name}” could not be rendered; it may be corrupt, so please upload "
            "another copy."
        ) from error
    finally:
        pdf.close()


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB on white: transparent areas of a PNG would otherwise turn black and hide black text."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, "white")
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image


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
