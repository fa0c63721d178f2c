"""Document analyzer: ask questions about an invoice or a receipt.

The final app of the Hugging Face blog article on Gradio's reload mode, with an
offline fallback. Run it with ``python demo_app/app.py``, or under a hot reloader
(``devreload demo_app/app.py``, ``gradio demo_app/app.py``): the code under
``if gr.NO_RELOAD:`` then runs only once, so editing this file does not rebuild
the inference client or reload the OCR models.

Environment: DOC_ANALYZER_BACKEND (hf | local), HF_TOKEN, DOC_ANALYZER_PIPELINE
(vlm | two-step), DOC_ANALYZER_VLM_MODEL, DOC_ANALYZER_BASE_URL, DOC_ANALYZER_QA_MODEL,
DOC_ANALYZER_CHAT_MODEL, DOC_ANALYZER_TIMEOUT (seconds), DOC_ANALYZER_MAX_PAGES;
see README.md beside this file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import backends
import documents
import gradio as gr

logger = logging.getLogger("doc_analyzer")

if gr.NO_RELOAD:
    # Built once per process: a reload re-runs the rest of this file but keeps these.
    settings = backends.Settings.from_env()
    client: Any = None
    ocr_engine: Any = None
    # Whether the Hub says the models are served; None for the local backend by choice.
    availability: backends.Availability | None = None
    if settings.backend == "hf":
        from huggingface_hub import HfApi, InferenceClient

        # Asked before the first question: a model no provider serves (or no network)
        # means the offline backend answers, and the header says why.
        hub = HfApi(endpoint=settings.hub_endpoint, token=settings.token)
        availability = backends.check_models(hub, settings)
        if availability.ok:
            client = InferenceClient(
                token=settings.token, timeout=settings.timeout, base_url=settings.base_url
            )
    if client is None:
        from rapidocr_onnxruntime import RapidOCR

        ocr_engine = RapidOCR()  # loads the ONNX models bundled in the package (~0.5 s)
    # Printed once per process under a hot reloader: the proof that saves keep the models.
    print(f"doc-analyzer: {'hf' if client else 'local'} backend loaded", flush=True)

system_message = {
    "role": "system",
    "content": """
You are a helpful assistant.
You will be given a question and a set of answers along with a confidence score between 0 and 1 for each answer.
You job is to turn this information into a short, coherent response.

For example:
Question: "Who is being invoiced?", answer: {"answer": "John Doe", "confidence": 0.98}

You should respond with something like:
With a high degree of confidence, I can say John Doe is being invoiced.

Question: "What is the invoice total?", answer: [{"answer": "154.08", "confidence": 0.75}, {"answer": "155", "confidence": 0.25}

You should respond with something like:
I believe the invoice total is $154.08 but it can also be $155.
""",  # noqa: E501 (the article's prompt, verbatim)
}

# The same prompt for the one-step pipeline, where the model reads the document itself
# instead of being given scored answers.
vlm_system_message = {
    "role": "system",
    "content": """
You are a helpful assistant.
You will be given the image of a document (an invoice or a receipt, one image per page) and a question about it.
You job is to find the answer in the document and turn it into a short, coherent response.

For example:
Question: "Who is being invoiced?"

You should respond with something like:
With a high degree of confidence, I can say John Doe is being invoiced.

Question: "What is the invoice total?"

You should respond with something like:
I believe the invoice total is $154.08 but it can also be $155.
""",  # noqa: E501 (the article's prompt, adapted)
}

# Cheap wrappers, rebuilt on every reload so that edits to backends.py / extract.py show up.
backend: backends.Backend
if client is None:
    backend = backends.LocalBackend(ocr_engine)
elif settings.pipeline == "two-step":
    backend = backends.HfBackend(client, settings, system_message)
    backend.availability = availability
else:
    backend = backends.VlmBackend(client, settings, vlm_system_message, availability=availability)

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
NO_FILE = (
    "Please attach a document first: use the paperclip button to upload an invoice or receipt "
    "(PNG, JPEG, WebP or PDF), then ask your question."
)
NO_QUESTION = "Please type a question about the document, for example “What is the total?”."


def _file_path(item: Any) -> str:
    """A file from the textbox or the chat history: a path, or a dict with a "path"."""
    return str(item["path"] if isinstance(item, dict) else item)


def chat_fn(multimodal_message: dict[str, Any]) -> Iterator[str]:
    """Answer a question about the attached document; yields the reply as it grows."""
    question = (multimodal_message.get("text") or "").strip()
    files = multimodal_message.get("files") or []
    if not files:
        yield NO_FILE
        return
    if not question:
        yield NO_QUESTION
        return
    message = ""
    try:
        document = documents.load_document(_file_path(files[0]))
        for message in backend.reply(document, question):
            yield message
    except documents.DocumentError as error:  # not an image or PDF, corrupt, too large...
        yield f"⚠️ {error}"
    except Exception as error:  # never a traceback in the page: explain, and log the details
        explanation = backends.describe_error(error, settings.timeout)
        unexpected = explanation.startswith(backends.UNEXPECTED)
        logger.warning("Answering %r failed: %r", question, error, exc_info=unexpected)
        yield f"{message}\n\n⚠️ {explanation}" if message else f"⚠️ {explanation}"


# --------------------------------------------------------------------------- chat wiring


def _parts(message: dict[str, Any]) -> list[Any]:
    content = message.get("content")
    return content if isinstance(content, list) else [content]


def _text_of(part: Any) -> str | None:
    if isinstance(part, str):
        return part
    if isinstance(part, dict) and part.get("type") == "text":
        return str(part.get("text", ""))
    return None


def _file_of(part: Any) -> str | None:
    """The path of a file in the chat history, in any of the shapes Gradio uses."""
    if isinstance(part, dict) and isinstance(part.get("file"), dict):  # Gradio 6
        return str(part["file"]["path"])
    if isinstance(part, dict) and "path" in part:  # as added by add_user_message
        return str(part["path"])
    if isinstance(part, tuple) and part and isinstance(part[0], str):  # Gradio 5: (path, alt)
        return part[0]
    return None


def pending_message(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The question awaiting an answer, as the article's ``{"text", "files"}`` message.

    The text is what the user sent since the last reply; the file is the most recent
    one in the conversation, so follow-up questions need not upload it again.
    """
    texts: list[str] = []
    new_turn = False
    for message in reversed(history):
        if message.get("role") != "user":
            break
        new_turn = True
        texts[:0] = [text for part in _parts(message) if (text := _text_of(part)) is not None]
    if not new_turn:
        return None
    files = [
        path
        for message in history
        if message.get("role") == "user"
        for part in _parts(message)
        if (path := _file_of(part)) is not None
    ]
    return {"text": " ".join(texts), "files": files[-1:]}


def add_user_message(
    message: dict[str, Any] | None, history: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], Any]:
    """Show the upload and the question in the chat, and lock the textbox while answering."""
    message = message or {}
    for item in message.get("files") or []:
        history.append({"role": "user", "content": {"path": _file_path(item)}})
    text = (message.get("text") or "").strip()
    if text or not message.get("files"):
        # An empty submit still gets a turn, so that chat_fn can say what is missing.
        history.append({"role": "user", "content": text or " "})
    return history, gr.MultimodalTextbox(value=None, interactive=False)


def respond(history: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Stream chat_fn's reply into the chat."""
    message = pending_message(history)
    if message is None:
        yield history
        return
    # The assistant bubble appears with the first piece of the reply; until then Gradio
    # shows its "thinking" indicator.
    started = False
    for reply in chat_fn(message):
        if not started:
            history.append({"role": "assistant", "content": reply})
            started = True
        else:
            history[-1]["content"] = reply
        yield history


def header() -> str:
    return (
        "# 📄 Document Analyzer\n"
        "Upload an invoice or a receipt (PNG, JPEG, WebP or PDF) and ask a question about "
        "it: who is invoiced, the total, the date, the invoice number…\n\n"
        + (f"⚠️ {availability.summary}\n\n" if availability and not availability.ok else "")
        + backend.describe()
    )


EXAMPLES = [
    {"text": "Who is being invoiced?", "files": [str(EXAMPLES_DIR / "invoice_acme.png")]},
    {"text": "What is the invoice total?", "files": [str(EXAMPLES_DIR / "invoice_northwind.png")]},
    {"text": "What is the total?", "files": [str(EXAMPLES_DIR / "receipt_fresh_market.png")]},
    {"text": "What is the invoice number?", "files": [str(EXAMPLES_DIR / "invoice_globex.pdf")]},
]

# The demo extra allows Gradio 5 and 6: Gradio 5 still defaults to the deprecated "tuples"
# chat format and names the API switch differently.
GRADIO_5 = gr.__version__.startswith("5.")
MESSAGES_FORMAT: dict[str, Any] = {"type": "messages"} if GRADIO_5 else {}
NOT_IN_API: dict[str, Any] = {"show_api": False} if GRADIO_5 else {"api_visibility": "private"}

with gr.Blocks(title="Document Analyzer") as demo:
    gr.Markdown(header())
    chatbot = gr.Chatbot(
        label="Document analyzer",
        height=480,
        placeholder="Answers about your document appear here.",
        **MESSAGES_FORMAT,
    )
    textbox = gr.MultimodalTextbox(
        file_count="single",
        sources=["upload"],
        placeholder="Attach an invoice or receipt, then ask e.g. “What is the total?”",
        show_label=False,
        autofocus=True,
    )
    gr.Examples(examples=EXAMPLES, inputs=[textbox], label="Sample documents")

    submitted = textbox.submit(
        add_user_message, [textbox, chatbot], [chatbot, textbox], queue=False, **NOT_IN_API
    )
    answered = submitted.then(respond, chatbot, chatbot, api_name="answer")
    answered.then(lambda: gr.MultimodalTextbox(interactive=True), None, textbox, **NOT_IN_API)


if __name__ == "__main__":
    demo.launch(allowed_paths=[str(EXAMPLES_DIR)])
