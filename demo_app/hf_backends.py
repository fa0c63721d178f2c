"""The Hugging Face backends, through huggingface_hub's InferenceClient.

* ``VlmBackend`` (the default with a token): one streamed ``chat_completion``; a
  vision-language model reads the page images and answers, under the system message.
* ``TwoStepBackend``: the article's pipeline: ``document_question_answering`` finds
  scored answers, then ``chat_completion`` turns them into a sentence. No Inference
  Provider serves document question answering today, so it needs a layoutlm model on
  your own Inference Endpoint (a URL).

``check_models`` asks the Hub, once at start-up, whether the models are served.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from documents import Document, to_png_bytes

logger = logging.getLogger("doc_analyzer")

# The start-up check must not hold the app up for long when the Hub is slow or unreachable.
CHECK_TIMEOUT = 5.0
FALLBACK = "so the offline `local` backend answers instead"


@dataclass(frozen=True)
class Availability:
    """The start-up check's verdict, and the sentence the page header shows."""

    ok: bool
    summary: str


def is_url(model: str) -> bool:
    return model.startswith(("http://", "https://"))


def check_models(api: Any, models: list[tuple[str, str]]) -> Availability:
    """Ask the Hub (``api``: an ``HfApi``) whether each (model, task) is served.

    A model is served when an Inference Provider lists it as live for the task. Models
    given as URLs are the user's own endpoints and are not checked.
    """
    served: list[str] = []
    for model, task in models:
        if is_url(model):
            served.append(f"`{model}` (your endpoint)")
            continue
        try:
            info = api.model_info(model, expand=["inferenceProviderMapping"], timeout=CHECK_TIMEOUT)
        except Exception as error:  # any failure: answer offline rather than fail every question
            logger.warning("Checking %s on the Hub failed: %r", model, error)
            reason = _reason(error, CHECK_TIMEOUT)
            return Availability(
                False, f"Could not check whether `{model}` is served ({reason}), {FALLBACK}."
            )
        providers = [
            str(mapping.provider)
            for mapping in info.inference_provider_mapping or []
            if mapping.status == "live" and mapping.task == task
        ]
        if not providers:
            return Availability(
                False, f"`{model}` is not served by any Inference Provider for {task}, {FALLBACK}."
            )
        served.append(f"`{model}` (via {', '.join(providers)})")
    return Availability(True, "Served today: " + ", ".join(served) + ".")


class VlmBackend:
    def __init__(self, client: Any, model: str, timeout: float, where: str, note: str = "") -> None:
        self.client = client  # an InferenceClient, kept across saves
        self.model = model
        self.timeout = timeout
        self.where = where
        self.note = note

    def describe(self) -> str:
        line = f"**Backend: `vlm`**: {self.where}; `{self.model}` reads the document."
        return f"{line} {self.note}".strip()

    def reply(
        self, document: Document, question: str, system_message: dict[str, str]
    ) -> Iterator[str]:
        pages = [{"type": "image_url", "image_url": {"url": data_url(p)}} for p in document.pages]
        # The article's system message promises scored answers; this model finds its own.
        text = f"Question: {question}, answer: read it from the document above."
        messages = [
            system_message,
            {"role": "user", "content": [*pages, {"type": "text", "text": text}]},
        ]
        with explained(self.timeout):
            message = ""
            chunks = self.client.chat_completion(
                messages=messages, max_tokens=200, stream=True, model=self.model
            )
            for message in stream_text(chunks):
                yield message
        if not message.strip():
            yield "The model sent an empty reply; please ask again or rephrase the question."
        elif document.pages_note():
            yield f"{message}\n\n_{document.pages_note()}_"


class TwoStepBackend:
    def __init__(
        self, client: Any, qa_model: str, chat_model: str, timeout: float, note: str = ""
    ) -> None:
        self.client = client  # an InferenceClient, kept across saves
        self.qa_model = qa_model
        self.chat_model = chat_model
        self.timeout = timeout
        self.note = note

    def describe(self) -> str:
        line = (
            f"**Backend: `two-step`** (the article's pipeline): answers found by "
            f"`{self.qa_model}`, written up by `{self.chat_model}`."
        )
        return f"{line} {self.note}".strip()

    def reply(
        self, document: Document, question: str, system_message: dict[str, str]
    ) -> Iterator[str]:
        with explained(self.timeout):
            scored = [
                (float(a.score), str(a.answer))
                for page in document.pages
                for a in self.client.document_question_answering(
                    image=to_png_bytes(page), question=question, model=self.qa_model
                )
            ]
            answer = [
                {"answer": text, "confidence": round(score, 2)}
                for score, text in sorted(scored, reverse=True)[:3]
            ]
            if not answer:
                yield "The document model found no answer to that question in this document."
                return
            user_message = {"role": "user", "content": f"Question: {question}, answer: {answer}"}
            message = ""
            chunks = self.client.chat_completion(
                messages=[system_message, user_message],
                max_tokens=200,
                stream=True,
                model=self.chat_model,
            )
            for message in stream_text(chunks):
                yield message
        if not message.strip():  # say what the document model found rather than nothing
            best = answer[0]
            message = (
                f"The chat model sent an empty reply; the document model's best answer is "
                f"{best['answer']} (confidence {best['confidence']:.2f})."
            )
            yield message
        if document.pages_note():
            yield f"{message}\n\n_{document.pages_note()}_"


def data_url(page: Any) -> str:
    """A page image as the data URL of an OpenAI-style ``image_url`` content part."""
    return "data:image/png;base64," + base64.b64encode(to_png_bytes(page)).decode("ascii")


def stream_text(chunks: Iterable[Any]) -> Iterator[str]:
    """The message so far, from a streamed chat_completion."""
    message = ""
    for token in chunks:
        # Some servers end with a usage-only chunk that has no choices.
        if not token.choices or token.choices[0].finish_reason is not None:
            continue
        if piece := token.choices[0].delta.content:
            message += piece
            yield message


# --------------------------------------------------------------------------- errors


class ServiceError(Exception):
    """An inference call failed; ``str(error)`` is one sentence for the chat."""


@contextmanager
def explained(timeout: float) -> Iterator[None]:
    """Turn a failed inference call into a ServiceError that says what to do."""
    try:
        yield
    except ServiceError:
        raise
    except Exception as error:
        sentence = explain(error, timeout)
        if sentence is None:
            raise
        raise ServiceError(sentence) from error


def explain(error: BaseException, timeout: float) -> str | None:
    """One sentence on why an inference call failed; None for what is not the service's doing."""
    status = _status(error)
    if status in (401, 403):
        return (
            f"The Hugging Face token was rejected (HTTP {status}): it is missing, invalid or "
            "expired, so set a valid HF_TOKEN or use DOC_ANALYZER_BACKEND=local to run offline."
        )
    if status == 404:
        return "The model was not found on the inference service (HTTP 404); check its name."
    if status == 429:
        return "The inference service is rate-limiting requests (HTTP 429); please wait a minute."
    if status is not None and status >= 500:
        return (
            f"The model is unavailable or still loading (HTTP {status}); please try again "
            "in a minute."
        )
    if status is not None:
        return f"The inference service refused the request (HTTP {status})."
    reason = _reason(error, timeout)
    if reason.startswith("no answer"):
        return f"The model gave {reason}; please try again, or raise DOC_ANALYZER_TIMEOUT."
    if reason == "no network":
        return (
            "Could not reach the inference service; check the network connection, or use "
            "DOC_ANALYZER_BACKEND=local to run offline."
        )
    if "api_key" in str(error) or reason == "LocalTokenNotFoundError":
        return "No Hugging Face token is configured; set HF_TOKEN or run offline."
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and the errors it was raised from."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _status(error: BaseException) -> int | None:
    for item in _chain(error):
        try:
            status = getattr(getattr(item, "response", None), "status_code", None)
        except Exception:  # httpx raises RuntimeError for a .response never set
            continue
        if isinstance(status, int):
            return status
    return None


# Matched by class name: huggingface_hub raises requests' or httpx's errors, by version.
_TIMEOUTS = {
    "Timeout", "TimeoutException", "ReadTimeout", "ConnectTimeout", "InferenceTimeoutError",
}  # fmt: skip
_NO_NETWORK = {
    "ConnectError", "ConnectionError", "NetworkError", "RemoteProtocolError", "ProxyError",
    "ReadError", "WriteError", "OfflineModeIsEnabled", "SSLError",
}  # fmt: skip


def _reason(error: BaseException, timeout: float) -> str:
    """Why a call got no answer, in a few words."""
    status = _status(error)
    if status in (401, 403):
        return f"the token was rejected, HTTP {status}"
    if status == 404:
        return "no such model on the Hub, HTTP 404"
    if status is not None:
        return f"HTTP {status}"
    for item in _chain(error):
        names = {cls.__name__ for cls in type(item).__mro__}
        if isinstance(item, TimeoutError) or names & _TIMEOUTS:
            return f"no answer within {timeout:g} second{'' if timeout == 1 else 's'}"
        if isinstance(item, ConnectionError) or names & _NO_NETWORK:
            return "no network"
    return type(error).__name__
