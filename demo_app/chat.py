"""The chat around ``chat_fn``: the conversation in, the reply streamed into it.

``chat_fn`` takes the article's multimodal message, ``{"text": ..., "files": [...]}``.
These helpers make it from the conversation (the question just sent, and the last
document uploaded, so that a follow-up question needs no new upload), and turn bad
input and failures into one sentence in the chat instead of an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import backends
import gradio as gr

# Gradio 5 still defaults to the deprecated "tuples" format of the chat history.
MESSAGES: dict[str, Any] = {"type": "messages"} if gr.__version__.startswith("5.") else {}

NO_FILE = (
    "Please attach a document first: use the paperclip button to upload an invoice or a "
    "receipt (PNG, JPEG, WebP or PDF), then ask your question."
)
NO_QUESTION = "Please type a question about the document, for example “What is the total?”."

History = list[dict[str, Any]]


def add_message(message: dict[str, Any] | None, history: History) -> tuple[History, Any]:
    """Show the upload and the question in the chat; lock the textbox while answering."""
    message = message or {}
    for item in message.get("files") or []:
        path = item["path"] if isinstance(item, dict) else item
        history.append({"role": "user", "content": {"path": str(path)}})
    text = (message.get("text") or "").strip()
    if text or not message.get("files"):
        # An empty submit still gets a turn, so that the reply can say what is missing.
        history.append({"role": "user", "content": text or " "})
    return history, gr.MultimodalTextbox(value=None, interactive=False)


def unlock() -> Any:
    return gr.MultimodalTextbox(interactive=True)


def stream(
    chat_fn: Callable[[dict[str, Any]], Iterator[str]], history: History
) -> Iterator[History]:
    """``chat_fn``'s reply to the question awaiting one, streamed into the chat."""
    message = pending_message(history)
    if message is None:
        yield history
        return
    # The reply's bubble appears with its first piece; until then Gradio shows that it waits.
    reply = ""
    if not message["files"]:
        replies: Iterator[str] = iter([NO_FILE])
    elif not message["text"]:
        replies = iter([NO_QUESTION])
    else:
        replies = chat_fn(message)
    try:
        for reply in replies:
            yield _show(history, reply)
    except Exception as error:  # never a traceback in the page: one sentence
        problem = f"⚠️ {backends.explain(error)}"
        yield _show(history, f"{reply}\n\n{problem}" if reply else problem)


def _show(history: History, reply: str) -> History:
    if history[-1]["role"] == "assistant":
        history[-1]["content"] = reply
    else:
        history.append({"role": "assistant", "content": reply})
    return history


def pending_message(history: History) -> dict[str, Any] | None:
    """The question awaiting an answer, as ``{"text", "files"}``; None if none is."""
    if not history or history[-1].get("role") != "user":
        return None
    texts: list[str] = []
    for message in reversed(history):
        if message.get("role") != "user":
            break
        texts[:0] = [text for part in _parts(message) if (text := _text_of(part))]
    files = [
        path
        for message in history
        if message.get("role") == "user"
        for part in _parts(message)
        if (path := _file_of(part)) is not None
    ]
    return {"text": " ".join(texts), "files": files[-1:]}


def _parts(message: dict[str, Any]) -> list[Any]:
    content = message.get("content")
    return content if isinstance(content, list) else [content]


def _text_of(part: Any) -> str | None:
    if isinstance(part, str):
        return part.strip()
    if isinstance(part, dict) and part.get("type") == "text":
        return str(part.get("text", "")).strip()
    return None


def _file_of(part: Any) -> str | None:
    """The path of a file in the conversation, in each of the shapes Gradio uses."""
    if isinstance(part, dict) and isinstance(part.get("file"), dict):  # Gradio 6
        return str(part["file"]["path"])
    if isinstance(part, dict) and "path" in part:  # as add_message puts it
        return str(part["path"])
    if isinstance(part, tuple) and part and isinstance(part[0], str):  # Gradio 5: (path, alt)
        return part[0]
    return None
