"""The offline backend: RapidOCR reads the page, extract.py finds the answer, replies.py words it.

No token and no network: RapidOCR's ONNX models ship inside its wheel.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np
from documents import Document
from extract import Analyzer, OcrLine
from PIL import Image
from replies import compose_reply


class OcrReader:
    """RapidOCR, and the text it has read of each document.

    Slow to build and slow to run (seconds a page), so app.py makes one under
    ``if gr.NO_RELOAD:``: a save then neither loads the models again nor forgets what
    they read, and a question after a save is answered without reading the page again.
    """

    def __init__(self, keep: int = 16) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self.engine = RapidOCR()
        self.read_before: OrderedDict[str, list[OcrLine]] = OrderedDict()
        self.keep = keep
        # One run at a time: the engine is not documented as thread-safe.
        self.lock = threading.Lock()

    def read(self, document: Document) -> list[OcrLine]:
        with self.lock:
            lines = self.read_before.get(document.fingerprint)
            if lines is None:
                started = time.perf_counter()
                lines = [
                    line
                    for index, page in enumerate(document.pages)
                    for line in self._ocr(page, index)
                ]
                took = time.perf_counter() - started
                # The terminal shows when OCR runs: once per document, whatever is saved.
                print(f"doc-analyzer: OCR read {document.name} in {took:.1f} s", flush=True)
                self.read_before[document.fingerprint] = lines
                while len(self.read_before) > self.keep:
                    self.read_before.popitem(last=False)
            self.read_before.move_to_end(document.fingerprint)
            return lines

    def _ocr(self, page: Image.Image, index: int) -> Iterator[OcrLine]:
        # RapidOCR takes numpy arrays in OpenCV's BGR order.
        result, _ = self.engine(np.ascontiguousarray(np.asarray(page)[:, :, ::-1]))
        for box, text, score in result or []:
            xs = [float(point[0]) for point in box]
            ys = [float(point[1]) for point in box]
            yield OcrLine(str(text), (min(xs), min(ys), max(xs), max(ys)), float(score), index)


class LocalBackend:
    def __init__(self, reader: Any, warning: str = "", stream_delay: float = 0.03) -> None:
        self.reader = reader  # an OcrReader, kept across saves
        self.warning = warning  # why the Hugging Face models are not answering, if asked for
        self.stream_delay = stream_delay

    def describe(self) -> str:
        line = (
            "**Backend: `local`** (the offline fallback): RapidOCR reads the document and "
            "rules pick the answer; no network and no token needed. Set `HF_TOKEN` to use "
            "the Hugging Face models instead."
        )
        return f"⚠️ {self.warning}\n\n{line}" if self.warning else line

    def reply(
        self, document: Document, question: str, system_message: dict[str, str]
    ) -> Iterator[str]:
        lines = self.reader.read(document)
        if not lines:
            yield (
                "I could not find any text in this document; please upload a sharper, "
                "upright photo or scan."
            )
            return
        extraction = Analyzer(lines).answer(question)
        text = compose_reply(
            extraction, system_message["content"], document.pages_note(), len(document.pages)
        )
        yield from stream_words(text, self.stream_delay)


def stream_words(text: str, delay: float = 0.0) -> Iterator[str]:
    """``text`` growing a word at a time, like a chat model's token stream."""
    words = text.split(" ")
    for count in range(1, len(words) + 1):
        if delay and count > 1:
            time.sleep(delay)  # pacing for the eye only; nothing waits on it
        yield " ".join(words[:count])
