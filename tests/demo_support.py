"""Helpers for the demo app's tests (tests/test_demo_*.py).

* ``DEMO_DIR`` is put on sys.path, so that the demo's modules import each other the way
  they do under ``python demo_app/app.py``.
* ``FakeInferenceServer``: a tiny HTTP server on 127.0.0.1 speaking the Hugging Face
  protocols the app uses, so the real ``huggingface_hub`` clients run against it and
  nothing reaches the network. Per huggingface_hub's source:
    - ``document_question_answering`` with a model URL POSTs
      ``{"inputs": {"question", "image"}, ...}`` to the URL itself and reads a JSON list
      of ``{"answer", "score", "start", "end"}``;
    - ``chat_completion`` with a model URL or a ``base_url`` POSTs to
      ``<url>/v1/chat/completions`` and, with ``stream=True``, reads server-sent events
      ``data: {chunk}`` ending with ``data: [DONE]`` (the ``vlm`` backend's user message
      carries ``image_url`` content parts);
    - ``HfApi.model_info(id, expand=["inferenceProviderMapping"])`` GETs
      ``/api/models/<id>?expand=inferenceProviderMapping`` (``HfApi(endpoint=server.url)``)
      and reads the Hub's ``{"id", "inferenceProviderMapping": {provider: {"status",
      "providerId", "task"}}}``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO / "demo_app"
EXAMPLES = DEMO_DIR / "examples"

# Appended, not prepended: the demo's plain module names (app, backends, ...) must not
# shadow modules that other tests put first on the path.
if str(DEMO_DIR) not in sys.path:
    sys.path.append(str(DEMO_DIR))

GOOD_TOKEN = "hf_demo_test_token"
VLM_MODEL = "Qwen/Qwen2.5-VL-7B-Instruct"


def provider_mapping(task: str, status: str = "live") -> dict[str, dict[str, str]]:
    """The Hub's inferenceProviderMapping of a model served by one provider."""
    return {"nebius": {"status": status, "providerId": "qwen-vl-7b", "task": task}}


def load_app(name: str) -> ModuleType:
    """Execute demo_app/app.py as a fresh module (its backend is chosen from os.environ)."""
    spec = importlib.util.spec_from_file_location(name, DEMO_DIR / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeBehaviour:
    """What the fake server does; tests change it between requests."""

    answers: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"answer": "John Doe", "score": 0.98, "start": 12, "end": 13},
            {"answer": "Jane Doe", "score": 0.01, "start": 20, "end": 21},
        ]
    )
    reply_pieces: list[str] = field(
        default_factory=lambda: [
            "With",
            " a high degree",
            " of confidence,",
            " I can say",
            " John Doe",
            " is being invoiced.",
        ]
    )
    # (status, JSON body) returned instead of an answer, for the DQA and/or the chat route.
    dqa_error: tuple[int, dict[str, Any]] | None = None
    chat_error: tuple[int, dict[str, Any]] | None = None
    # Answer only after this many seconds (to exercise the client timeout); the handler
    # returns early when the server shuts down.
    dqa_delay: float = 0.0
    chat_delay: float = 0.0
    # If set, the stream pauses after its first chunk until the event is set: a test can
    # then prove it received the first piece before the rest was even sent.
    gate: threading.Event | None = None
    # The Hub's model info: model id -> its inferenceProviderMapping (absent: HTTP 404).
    hub_models: dict[str, dict[str, dict[str, str]]] = field(
        default_factory=lambda: {VLM_MODEL: provider_mapping("conversational")}
    )
    hub_error: tuple[int, dict[str, Any]] | None = None
    hub_delay: float = 0.0


class FakeInferenceServer:
    """A threaded HTTP server on 127.0.0.1 imitating an Inference Endpoint / TGI server."""

    def __init__(self) -> None:
        self.behaviour = FakeBehaviour()
        self.requests: list[Recorded] = []
        self.stopping = threading.Event()
        self.gate_timed_out = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                headers = {key.lower(): value for key, value in self.headers.items()}
                server.requests.append(Recorded(self.path, headers, {}))
                behaviour = server.behaviour
                if behaviour.hub_delay and server.stopping.wait(behaviour.hub_delay):
                    return
                path = urlsplit(self.path)
                model = unquote(path.path.removeprefix("/api/models/"))
                if not path.path.startswith("/api/models/"):
                    self._json(404, {"error": "Not Found"})
                elif behaviour.hub_error is not None:
                    self._json(*behaviour.hub_error)
                elif model not in behaviour.hub_models:
                    self._json(404, {"error": "Repository not found"})
                else:
                    mapping = behaviour.hub_models[model]
                    self._json(200, {"id": model, "_id": "0", "inferenceProviderMapping": mapping})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw_bytes": len(raw)}
                headers = {key.lower(): value for key, value in self.headers.items()}
                server.requests.append(Recorded(self.path, headers, body))
                if headers.get("authorization") != f"Bearer {GOOD_TOKEN}":
                    self._json(401, {"error": "Invalid credentials in Authorization header"})
                elif self.path.endswith("/chat/completions"):
                    self._chat()
                else:
                    self._dqa()

            def _json(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _dqa(self) -> None:
                behaviour = server.behaviour
                if behaviour.dqa_delay and server.stopping.wait(behaviour.dqa_delay):
                    return
                if behaviour.dqa_error is not None:
                    self._json(*behaviour.dqa_error)
                else:
                    self._json(200, behaviour.answers)

            def _chat(self) -> None:
                behaviour = server.behaviour
                if behaviour.chat_delay and server.stopping.wait(behaviour.chat_delay):
                    return
                if behaviour.chat_error is not None:
                    self._json(*behaviour.chat_error)
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.send_header("connection", "close")
                self.end_headers()
                self.close_connection = True
                pieces = [*behaviour.reply_pieces, None]  # None: the finish_reason chunk
                for index, piece in enumerate(pieces):
                    self._event(_chunk(piece))
                    gate = behaviour.gate
                    if index == 0 and gate is not None and not gate.wait(10):
                        server.gate_timed_out = True
                        return
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, payload: dict[str, Any]) -> None:
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def qa_url(self) -> str:
        return f"{self.url}/models/layoutlm-document-qa"

    @property
    def chat_url(self) -> str:
        return f"{self.url}/models/zephyr-7b-beta"

    def __enter__(self) -> FakeInferenceServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        if self.behaviour.gate is not None:
            self.behaviour.gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


def _chunk(piece: str | None) -> dict[str, Any]:
    """One OpenAI-compatible chat.completion.chunk as TGI streams it; None: the last one."""
    finished = piece is None
    return {
        "id": "chatcmpl-demo",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "HuggingFaceH4/zephyr-7b-beta",
        "system_fingerprint": "demo-fake",
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": "" if finished else piece},
                "logprobs": None,
                "finish_reason": "stop" if finished else None,
            }
        ],
    }
