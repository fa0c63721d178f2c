"""The two ways of answering a question about a document.

* ``hf``: Hugging Face Inference Providers. By default (pipeline ``vlm``) one streamed
  ``chat_completion`` call to a vision-language model that reads the page images and
  the question. The article's two-step pipeline (``two-step``: document question
  answering, then a chat model phrasing the scored answers) stays available for a
  document-QA model served by an Inference Endpoint, since no provider serves that task.
  ``check_models`` asks the Hub, once at start-up, whether the models are served.
* ``local``: offline fallback, no token: RapidOCR reads the text (its models ship
  inside the pip package) and ``extract`` picks the answer with rules, then the
  templated reply is streamed word by word.

The expensive objects (``InferenceClient``, the OCR engine) are built by app.py
inside ``if gr.NO_RELOAD:`` and passed in, so a hot reload keeps them.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
from documents import Document, to_png_bytes
from extract import Analyzer, Extraction, OcrLine, compose_reply

logger = logging.getLogger("doc_analyzer")

BACKEND_ENV = "DOC_ANALYZER_BACKEND"
QA_MODEL_ENV = "DOC_ANALYZER_QA_MODEL"
CHAT_MODEL_ENV = "DOC_ANALYZER_CHAT_MODEL"
TIMEOUT_ENV = "DOC_ANALYZER_TIMEOUT"
PIPELINE_ENV = "DOC_ANALYZER_PIPELINE"
VLM_MODEL_ENV = "DOC_ANALYZER_VLM_MODEL"
BASE_URL_ENV = "DOC_ANALYZER_BASE_URL"

DEFAULT_QA_MODEL = "impira/layoutlm-document-qa"
DEFAULT_CHAT_MODEL = "HuggingFaceH4/zephyr-7b-beta"
# The VLM the Inference Providers documentation recommends for chat completion with images.
DEFAULT_VLM_MODEL = "Qwen/Qwen2.5-VL-7B-Instruct"
DEFAULT_TIMEOUT = 60.0
# The start-up check must not hold the app up long when the Hub is slow or unreachable.
CHECK_TIMEOUT = 5.0

BackendName = Literal["hf", "local"]
Pipeline = Literal["vlm", "two-step"]


def find_token() -> str | None:
    """The Hugging Face token from HF_TOKEN or the one saved by `hf auth login`."""
    token = os.environ.get("HF_TOKEN")
    if token:
        return token
    try:
        from huggingface_hub import get_token

        return get_token()
    except Exception:  # an unreadable token file must not stop the app from starting
        logger.warning("Could not read the saved Hugging Face token", exc_info=True)
        return None


@dataclass(frozen=True)
class Settings:
    """Configuration from the environment, read once at start-up."""

    backend: BackendName
    token: str | None
    qa_model: str
    chat_model: str
    timeout: float
    pipeline: Pipeline = "vlm"
    vlm_model: str = DEFAULT_VLM_MODEL
    # An OpenAI-compatible server to send the chat to instead of Inference Providers.
    base_url: str | None = None
    # The Hub asked for the model check (HF_ENDPOINT; None: huggingface_hub's default).
    hub_endpoint: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        token = find_token() if environ is None else env.get("HF_TOKEN") or None
        choice = env.get(BACKEND_ENV, "").strip().lower()
        if choice not in ("", "hf", "local"):
            raise ValueError(f"{BACKEND_ENV} must be 'hf' or 'local', not {choice!r}.")
        # Default: the article's Hugging Face pipeline when there is a token to call it with.
        backend: BackendName = "hf" if choice == "hf" or (not choice and token) else "local"
        raw_timeout = env.get(TIMEOUT_ENV, "").strip()
        try:
            timeout = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT
        except ValueError:
            raise ValueError(
                f"{TIMEOUT_ENV} must be a number of seconds, not {raw_timeout!r}."
            ) from None
        if timeout <= 0:
            raise ValueError(f"{TIMEOUT_ENV} must be positive, not {raw_timeout!r}.")
        pipeline = env.get(PIPELINE_ENV, "").strip().lower() or "vlm"
        if pipeline not in ("vlm", "two-step"):
            raise ValueError(f"{PIPELINE_ENV} must be 'vlm' or 'two-step', not {pipeline!r}.")
        return cls(
            backend=backend,
            token=token,
            qa_model=env.get(QA_MODEL_ENV, "").strip() or DEFAULT_QA_MODEL,
            chat_model=env.get(CHAT_MODEL_ENV, "").strip() or DEFAULT_CHAT_MODEL,
            timeout=timeout,
            pipeline="vlm" if pipeline == "vlm" else "two-step",
            vlm_model=env.get(VLM_MODEL_ENV, "").strip() or DEFAULT_VLM_MODEL,
            base_url=env.get(BASE_URL_ENV, "").strip() or None,
            hub_endpoint=env.get("HF_ENDPOINT", "").strip() or None,
        )


class Backend(Protocol):
    name: BackendName

    def describe(self) -> str:
        """One Markdown line for the page header: which backend answers."""
        ...

    def reply(self, document: Document, question: str) -> Iterator[str]:
        """The reply so far, growing with each item (what the Chatbot streams)."""
        ...


# --------------------------------------------------------------------------- hf


def _is_url(model: str) -> bool:
    return model.startswith(("http://", "https://"))


def required_models(settings: Settings) -> list[tuple[str, str]]:
    """(model, Inference Providers task) for each model the chosen pipeline calls."""
    if settings.pipeline == "vlm":
        return [(settings.vlm_model, "conversational")]
    return [
        (settings.qa_model, "document-question-answering"),
        (settings.chat_model, "conversational"),
    ]


@dataclass(frozen=True)
class Availability:
    """The start-up check's verdict and the sentence the page header shows."""

    ok: bool
    summary: str


def _check_failure(error: BaseException) -> str:
    """Why the Hub could not be asked, in a few words."""
    status = _status_code(error)
    if status in (401, 403):
        return f"the token was rejected, HTTP {status}"
    if status == 404:
        return "no such model on the Hub, HTTP 404"
    if status is not None:
        return f"HTTP {status}"
    for item in _chain(error):
        names = _class_names(item)
        if isinstance(item, TimeoutError) or names & _TIMEOUT_NAMES:
            return f"no answer within {CHECK_TIMEOUT:g} seconds"
        if isinstance(item, ConnectionError) or names & _CONNECTION_NAMES:
            return "no network"
    return type(error).__name__


FALLBACK = "so the offline `local` backend answers instead"


def check_models(api: Any, settings: Settings) -> Availability:
    """Ask the Hub (``api``: a ``huggingface_hub.HfApi``) whether each model is served.

    A model is served when an Inference Provider lists it as live for the task the
    pipeline uses. Models given as URLs are the user's own endpoints and are not checked.
    """
    served: list[str] = []
    for model, task in required_models(settings):
        if _is_url(model):
            served.append(f"`{model}` (your endpoint)")
            continue
        try:
            info = api.model_info(model, expand=["inferenceProviderMapping"], timeout=CHECK_TIMEOUT)
        except Exception as error:  # any failure: fall back rather than fail every question
            logger.warning("Checking %s on the Hub failed: %r", model, error)
            return Availability(
                False,
                f"Could not check whether `{model}` is served ({_check_failure(error)}), "
                f"{FALLBACK}.",
            )
        mappings = info.inference_provider_mapping or []
        # huggingface_hub < 0.31 keyed the mappings by provider; later ones give a list.
        named = (
            list(mappings.items())
            if isinstance(mappings, dict)
            else [(mapping.provider, mapping) for mapping in mappings]
        )
        providers = [
            str(provider)
            for provider, mapping in named
            if mapping.status == "live" and mapping.task == task
        ]
        if not providers:
            return Availability(
                False,
                f"`{model}` is not served by any Inference Provider for {task}, {FALLBACK}.",
            )
        served.append(f"`{model}` (via {', '.join(providers)})")
    return Availability(True, "Served today: " + ", ".join(served) + ".")


def data_url(page: Any) -> str:
    """A page image as the data URL an OpenAI-style ``image_url`` content part carries."""
    return "data:image/png;base64," + base64.b64encode(to_png_bytes(page)).decode("ascii")


def _stream_text(chunks: Iterable[Any]) -> Iterator[str]:
    """The message so far, from a streamed chat_completion."""
    message = ""
    for token in chunks:
        # Some servers end with a usage-only chunk that has no choices.
        if not token.choices or token.choices[0].finish_reason is not None:
            continue
        piece = token.choices[0].delta.content
        if piece:
            message += piece
            yield message


class VlmBackend:
    """One streamed chat_completion: a vision-language model reads the pages and answers."""

    name: BackendName = "hf"

    def __init__(
        self,
        client: Any,  # huggingface_hub.InferenceClient
        settings: Settings,
        system_message: dict[str, str],
        max_tokens: int = 200,
        availability: Availability | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.system_message = system_message
        self.max_tokens = max_tokens
        self.availability = availability

    def describe(self) -> str:
        where = self.settings.base_url or "Hugging Face Inference Providers"
        line = f"**Backend: `hf`**: {where}; `{self.settings.vlm_model}` reads the document."
        return f"{line} {self.availability.summary}" if self.availability else line

    def messages(self, document: Document, question: str) -> list[dict[str, Any]]:
        content: list[dict[str, Any]] = [
            {"type": "image_url", "image_url": {"url": data_url(page)}} for page in document.pages
        ]
        content.append({"type": "text", "text": f"Question: {question}"})
        return [self.system_message, {"role": "user", "content": content}]

    def reply(self, document: Document, question: str) -> Iterator[str]:
        message = ""
        for message in _stream_text(
            self.client.chat_completion(
                messages=self.messages(document, question),
                max_tokens=self.max_tokens,
                stream=True,
                model=self.settings.vlm_model,
            )
        ):
            yield message
        if not message.strip():
            yield "The model sent an empty reply; please ask again or rephrase the question."
            return
        note = document.pages_note()
        if note:
            yield f"{message}\n\n_{note}_"


class HfBackend:
    """The article's pipeline: document QA, then a chat model phrases the answer."""

    name: BackendName = "hf"

    def __init__(
        self,
        client: Any,  # huggingface_hub.InferenceClient (Any: tests may pass a stand-in)
        settings: Settings,
        system_message: dict[str, str],
        max_tokens: int = 200,
    ) -> None:
        self.client = client
        self.settings = settings
        self.system_message = system_message
        self.max_tokens = max_tokens

    availability: Availability | None = None

    def describe(self) -> str:
        line = (
            "**Backend: `hf`** (two-step pipeline): answers found by "
            f"`{self.settings.qa_model}`, written up by `{self.settings.chat_model}`."
        )
        return f"{line} {self.availability.summary}" if self.availability else line

    def find_answers(self, document: Document, question: str) -> list[dict[str, Any]]:
        """Document QA on every page read; the best answers first, in the article's shape."""
        scored: list[tuple[float, str]] = []
        for page in document.pages:
            output = self.client.document_question_answering(
                image=to_png_bytes(page), question=question, model=self.settings.qa_model
            )
            scored += [(float(a.score), str(a.answer)) for a in output]
        scored.sort(key=lambda item: -item[0])
        return [{"answer": answer, "confidence": round(score, 2)} for score, answer in scored[:3]]

    def reply(self, document: Document, question: str) -> Iterator[str]:
        answer = self.find_answers(document, question)
        note = document.pages_note()
        if not answer:
            yield "The document model found no answer to that question in this document."
            return
        user_message = {"role": "user", "content": f"Question: {question}, answer: {answer}"}
        message = ""
        for token in self.client.chat_completion(
            messages=[self.system_message, user_message],
            max_tokens=self.max_tokens,
            stream=True,
            model=self.settings.chat_model,
        ):
            # Some servers end with a usage-only chunk that has no choices.
            if not token.choices or token.choices[0].finish_reason is not None:
                continue
            piece = token.choices[0].delta.content
            if piece:
                message += piece
                yield message
        if not message.strip():
            # Say what the document model found rather than leave an empty bubble.
            best = answer[0]
            message = (
                f"The chat model sent an empty reply; the document model's best answer is "
                f"{best['answer']} (confidence {best['confidence']:.2f})."
            )
            yield message
        if note:
            yield f"{message}\n\n_{note}_"


# --------------------------------------------------------------------------- local


class OcrEngine(Protocol):
    """What app.py passes in: ``rapidocr_onnxruntime.RapidOCR()`` (or a test double)."""

    def __call__(self, img_content: Any, /) -> tuple[Any, Any]: ...


def run_ocr(engine: OcrEngine, document: Document) -> list[OcrLine]:
    lines: list[OcrLine] = []
    for index, page in enumerate(document.pages):
        # RapidOCR takes numpy arrays in OpenCV's BGR order.
        bgr = np.ascontiguousarray(np.asarray(page.convert("RGB"))[:, :, ::-1])
        result, _ = engine(bgr)
        for box, text, score in result or []:
            xs = [float(point[0]) for point in box]
            ys = [float(point[1]) for point in box]
            lines.append(
                OcrLine(str(text), (min(xs), min(ys), max(xs), max(ys)), float(score), index)
            )
    return lines


def stream_words(text: str, delay: float = 0.0) -> Iterator[str]:
    """Yield ``text`` growing a word at a time, like a chat model's token stream."""
    words = text.split(" ")
    for count in range(1, len(words) + 1):
        if delay and count > 1:
            time.sleep(delay)  # pacing for the eye only; nothing waits on it
        yield " ".join(words[:count])


class LocalBackend:
    """Offline: RapidOCR + rule-based extraction + a templated reply."""

    name: BackendName = "local"

    def __init__(self, engine: OcrEngine, stream_delay: float = 0.03, cache_size: int = 16) -> None:
        self.engine = engine
        self.stream_delay = stream_delay
        # Follow-up questions about the same file are answered without OCR-ing it again.
        self._cache: OrderedDict[str, list[OcrLine]] = OrderedDict()
        self._cache_size = cache_size
        # One OCR run at a time: the engine is not documented as thread-safe.
        self._lock = threading.Lock()

    def describe(self) -> str:
        return (
            "**Backend: `local`** (the offline fallback): RapidOCR reads the document and "
            "rules pick the answer; no network and no token needed. Set `HF_TOKEN` to use "
            "the Hugging Face models instead."
        )

    def read(self, document: Document) -> list[OcrLine]:
        with self._lock:
            lines = self._cache.get(document.fingerprint)
            if lines is None:
                lines = run_ocr(self.engine, document)
                self._cache[document.fingerprint] = lines
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            self._cache.move_to_end(document.fingerprint)
            return lines

    def analyze(self, document: Document, question: str) -> Extraction:
        return Analyzer(self.read(document)).answer(question)

    def reply(self, document: Document, question: str) -> Iterator[str]:
        lines = self.read(document)
        if not lines:
            yield (
                "I could not find any text in this document; please upload a sharper, "
                "upright photo or scan."
            )
            return
        extraction = Analyzer(lines).answer(question)
        text = compose_reply(extraction, document.pages_note(), len(document.pages))
        yield from stream_words(text, self.stream_delay)


# --------------------------------------------------------------------------- errors


def _chain(error: BaseException) -> Iterable[BaseException]:
    """The error and the errors it was raised from."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _class_names(error: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(error).__mro__}


def _status_code(error: BaseException) -> int | None:
    for item in _chain(error):
        try:
            response = getattr(item, "response", None)
            status = getattr(response, "status_code", None)
        except Exception:  # httpx raises RuntimeError for a .request/.response never set
            continue
        if isinstance(status, int):
            return status
    return None


# Matched by class name so that this works with whichever HTTP library the installed
# huggingface_hub uses (requests before 1.0, httpx after, httpx2 in 2.x).
_TIMEOUT_NAMES = {
    "Timeout",
    "TimeoutException",
    "ReadTimeout",
    "ConnectTimeout",
    "InferenceTimeoutError",
}
_CONNECTION_NAMES = {
    "ConnectError", "ConnectionError", "NetworkError", "RemoteProtocolError", "ProxyError",
    "ReadError", "WriteError", "OfflineModeIsEnabled", "SSLError",
}  # fmt: skip


# The start of the message for errors that describe_error does not recognize: bugs, to be
# logged with their traceback.
UNEXPECTED = "Something went wrong"


def describe_error(error: BaseException, timeout: float | None = None) -> str:
    """A one-sentence explanation for the chat of why an inference call failed."""
    status = _status_code(error)
    if status in (401, 403):
        return (
            f"The Hugging Face token was rejected (HTTP {status}): it is missing, invalid or "
            "expired, so set a valid HF_TOKEN or use DOC_ANALYZER_BACKEND=local to run offline."
        )
    if status == 404:
        return (
            "The model was not found on the inference service (HTTP 404); check "
            f"{QA_MODEL_ENV} and {CHAT_MODEL_ENV}."
        )
    if status == 429:
        return (
            "The inference service is rate-limiting requests (HTTP 429); "
            "please wait a minute and try again."
        )
    if status == 503:
        return "The model is unavailable or still loading (HTTP 503); please try again in a minute."
    if status == 504:
        return "The inference service timed out (HTTP 504); please try again in a minute."
    if status is not None and status >= 500:
        return (
            f"The inference service had an internal error (HTTP {status}); please try again later."
        )
    if status in (400, 413, 422):
        return (
            f"The inference service rejected the request (HTTP {status}); the model may not "
            "support this kind of document."
        )
    if status is not None:
        return (
            f"The inference service answered with an error (HTTP {status}); please try again later."
        )

    for item in _chain(error):
        names = _class_names(item)
        if isinstance(item, TimeoutError) or names & _TIMEOUT_NAMES:
            unit = "second" if timeout == 1 else "seconds"
            limit = f"within {timeout:g} {unit}" if timeout else "in time"
            return f"The model did not answer {limit}; please try again, or raise {TIMEOUT_ENV}."
        if "OverloadedError" in names:
            return "The chat model is overloaded right now; please try again in a minute."
        if isinstance(item, ConnectionError) or names & _CONNECTION_NAMES:
            return (
                "Could not reach the inference service; check the network connection, or use "
                "DOC_ANALYZER_BACKEND=local to run offline."
            )
        if "api_key" in str(item) or "LocalTokenNotFoundError" in names:
            return (
                "No Hugging Face token is configured; set HF_TOKEN or use "
                "DOC_ANALYZER_BACKEND=local to run offline."
            )
    return (
        f"{UNEXPECTED} while answering ({type(error).__name__}); please try again, "
        "and see the server log for details."
    )
