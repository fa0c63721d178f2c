"""Document analyzer: upload an invoice or a receipt and ask a question about it.

The app of Hugging Face's article on Gradio's reload mode, answering offline too.
``python demo_app/app.py`` runs it; ``devreload demo_app/app.py`` runs it and follows
your saves: the ``if gr.NO_RELOAD:`` block runs once, everything else on each save.
Which backend answers: see README.md beside this file.
"""

from collections.abc import Iterator
from pathlib import Path

import backends
import chat
import documents
import gradio as gr

if gr.NO_RELOAD:
    # Runs once, not on each save: it loads the OCR models (or makes the Hugging Face
    # client), and `models` keeps what the OCR has read, so a question after a save
    # is answered without reading the page again.
    models = backends.load_models()

# Cheap, so made again on each save: edits to the backends' code show at once.
backend = backends.backend_for(models)

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


def chat_fn(multimodal_message: dict) -> Iterator[str]:
    question = multimodal_message["text"]
    image = multimodal_message["files"][0]
    document = documents.load_document(image)
    yield from backend.reply(document, question, system_message)


def respond(history: list) -> Iterator[list]:
    """Stream chat_fn's answer to the question just sent, about the last upload."""
    yield from chat.stream(chat_fn, history)


EXAMPLES = Path(__file__).parent / "examples"

with gr.Blocks(title="Document Analyzer") as demo:
    gr.Markdown(f"# 📄 Document Analyzer\n{backend.describe()}")
    chatbot = gr.Chatbot(
        height=480, placeholder="Answers about your document appear here.", **chat.MESSAGES
    )
    textbox = gr.MultimodalTextbox(
        file_count="single",
        placeholder="Attach an invoice or a receipt, then ask e.g. “What is the total?”",
        show_label=False,
    )
    gr.Examples(
        [
            {"text": "Who is being invoiced?", "files": [str(EXAMPLES / "invoice_acme.png")]},
            {"text": "What is the total?", "files": [str(EXAMPLES / "receipt_fresh_market.png")]},
            {"text": "What is the invoice date?", "files": [str(EXAMPLES / "invoice_globex.pdf")]},
        ],
        textbox,
        label="Sample documents",
    )
    textbox.submit(chat.add_message, [textbox, chatbot], [chatbot, textbox], queue=False).then(
        respond, chatbot, chatbot, api_name="answer"
    ).then(chat.unlock, None, textbox)

if __name__ == "__main__":
    demo.launch(allowed_paths=[str(EXAMPLES)])
