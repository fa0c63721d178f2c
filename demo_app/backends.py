"""Which backend answers, behind one small interface.

A backend has two methods: ``describe()``, a Markdown line for the page header, and
``reply(document, question, system_message)``, the reply so far, growing like a streamed
chat completion. Three exist: ``local`` (local_backend.py: RapidOCR and rules, offline), and
``vlm`` and ``two-step`` (hf_backends.py: Hugging Face Inference Providers).

What is slow to make, the OCR models with what they have read, or the Hugging Face
client with the Hub's word on the models, comes from ``load_models``, which app.py runs
under ``if gr.NO_RELOAD:``. ``backend_for`` wraps it in the backend's code; that is cheap,
so app.py does it on every save, and edits to the backends take effect at once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import hf_backends
import local_backend
from documents import Document, DocumentError

logger = logging.getLogger("doc_analyzer")

Name = Literal["local", "vlm", "two-step"]


class Backend(Protocol):
    def describe(self) -> str:
        """One Markdown line for the page header: what answers."""
        ...

    def reply(
        self, document: Document, question: str, system_message: dict[str, str]
    ) -> Iterator[str]:
        """The reply so far, growing with each item (what the Chatbot streams)."""
        ...


@dataclass(frozen=True)
class Settings:
    """The environment, read once at start-up (see README.md for each variable)."""

    backend: Name
    token: str | None = None
    # The VLM the Inference Providers documentation recommends for chat with images.
    vlm_model: str = "Qwen/Qwen2.5-VL-7B-Instruct"
    qa_model: str = "impira/layoutlm-document-qa"  # two-step: the article's models
    chat_model: str = "HuggingFaceH4/zephyr-7b-beta"
    # An OpenAI-compatible server to send the chat to instead of Inference Providers.
    base_url: str | None = None
    timeout: float = 60.0
    hub_endpoint: str | None = None  # huggingface_hub's HF_ENDPOINT: the Hub asked

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        token = env.get("HF_TOKEN") or (_saved_token() if environ is None else None)
        name = env.get("DOC_ANALYZER_BACKEND", "").strip().lower() or ("vlm" if token else "local")
        if name not in ("local", "vlm", "two-step"):
            raise ValueError(
                f"DOC_ANALYZER_BACKEND must be 'local', 'vlm' or 'two-step', not {name!r}."
            )
        raw = env.get("DOC_ANALYZER_TIMEOUT", "").strip() or "60"
        try:
            timeout = float(raw)
        except ValueError:
            timeout = 0.0
        if not timeout > 0:
            raise ValueError(
                f"DOC_ANALYZER_TIMEOUT must be a positive number of seconds, not {raw!r}."
            )
        given = {
            field: value
            for field, variable in [
                ("vlm_model", "DOC_ANALYZER_VLM_MODEL"),
                ("qa_model", "DOC_ANALYZER_QA_MODEL"),
                ("chat_model", "DOC_ANALYZER_CHAT_MODEL"),
                ("base_url", "DOC_ANALYZER_BASE_URL"),
                ("hub_endpoint", "HF_ENDPOINT"),
            ]
            if (value := env.get(variable, "").strip())
        }
        return cls(backend=name, token=token, timeout=timeout, **given)  # type: ignore[arg-type]

    def models(self) -> list[tuple[str, str]]:
        """(model, Inference Providers task) for each model the backend calls."""
        if self.backend == "two-step":
            return [
                (self.qa_model, "document-question-answering"),
                (self.chat_model, "conversational"),
            ]
        return [(self.vlm_model, "conversational")]


def _saved_token() -> str | None:
    """The token saved by `hf auth login`, if any."""
    try:
        from huggingface_hub import get_token

        return get_token()
    except Exception:  # an unreadable token file must not stop the app from starting
        logger.warning("Could not read the saved Hugging Face token", exc_info=True)
        return None


@dataclass
class Models:
    """What is slow to make; app.py keeps it across saves."""

    settings: Settings
    client: Any = None  # a huggingface_hub.InferenceClient, for vlm and two-step
    reader: Any = None  # a local_backend.OcrReader, for local
    availability: hf_backends.Availability | None = None


def load_models(settings: Settings | None = None) -> Models:
    settings = settings or Settings.from_env()
    models = Models(settings)
    if settings.backend != "local":
        from huggingface_hub import HfApi, InferenceClient

        # Asked before the first question: if a model is not served (or there is no
        # network), the offline backend answers, and the header says why.
        hub = HfApi(endpoint=settings.hub_endpoint, token=settings.token)
        models.availability = hf_backends.check_models(hub, settings.models())
        if models.availability.ok:
            models.client = InferenceClient(
                token=settings.token, timeout=settings.timeout, base_url=settings.base_url
            )
    if models.client is None:
        models.reader = local_backend.OcrReader()
    # Printed once per process under a hot reloader: saves keep the models.
    name = "local" if models.client is None else settings.backend
    print(f"doc-analyzer: {name} backend loaded", flush=True)
    return models


def backend_for(models: Models) -> Backend:
    settings, availability = models.settings, models.availability
    note = availability.summary if availability else ""
    if models.client is None:
        return local_backend.LocalBackend(models.reader, warning=note)
    if settings.backend == "two-step":
        return hf_backends.TwoStepBackend(
            models.client, settings.qa_model, settings.chat_model, settings.timeout, note
        )
    where = settings.base_url or "Hugging Face Inference Providers"
    return hf_backends.VlmBackend(models.client, settings.vlm_model, settings.timeout, where, note)


def explain(error: Exception) -> str:
    """One sentence for the chat on why a question went unanswered."""
    if isinstance(error, DocumentError | hf_backends.ServiceError):
        return str(error)
    # A bug: the sentence says so, and the server log has the traceback.
    logger.warning("Answering failed", exc_info=error)
    return (
        f"Something went wrong while answering ({type(error).__name__}); please try again, "
        "and see the server log for details."
    )
