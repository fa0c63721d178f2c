"""The `hf` backend with the real huggingface_hub clients against a local fake server.

The default one-step pipeline (a VLM over OpenAI-compatible chat completions with image
content parts), the start-up check of the Hub's inference provider mapping with its
fallback to `local`, and the article's two-step pipeline behind DOC_ANALYZER_PIPELINE.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from types import ModuleType

import huggingface_hub
import pytest
from huggingface_hub import InferenceClient

from demo_support import (
    EXAMPLES,
    GOOD_TOKEN,
    FakeBehaviour,
    FakeInferenceServer,
    load_app,
)
from support import free_port, wait_for

# isort: split
import backends
from backends import Settings, describe_error

INVOICE = str(EXAMPLES / "invoice_acme.png")
TIMEOUT = 1.0  # seconds; DOC_ANALYZER_TIMEOUT of the app under test


@pytest.fixture(scope="module")
def server() -> Iterator[FakeInferenceServer]:
    with FakeInferenceServer() as running:
        yield running


@pytest.fixture(scope="module")
def hf_app(server: FakeInferenceServer) -> Iterator[ModuleType]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DOC_ANALYZER_BACKEND", raising=False)  # a token is set: hf is the default
        mp.delenv("HF_HUB_OFFLINE", raising=False)
        mp.setenv("HF_TOKEN", GOOD_TOKEN)
        mp.setenv("HF_ENDPOINT", server.url)
        mp.setenv("DOC_ANALYZER_PIPELINE", "two-step")
        mp.setenv("DOC_ANALYZER_QA_MODEL", server.qa_url)
        mp.setenv("DOC_ANALYZER_CHAT_MODEL", server.chat_url)
        mp.setenv("DOC_ANALYZER_TIMEOUT", str(TIMEOUT))
        app = load_app("demo_app_hf_under_test")
    assert app.settings.backend == "hf"
    assert isinstance(app.client, InferenceClient)
    yield app


@pytest.fixture(autouse=True)
def fresh_server(server: FakeInferenceServer) -> None:
    server.behaviour = FakeBehaviour()
    server.requests.clear()


def ask(app: ModuleType, question: str, path: str = INVOICE) -> list[str]:
    return list(app.chat_fn({"text": question, "files": [path]}))


def test_reply_streams_token_by_token(hf_app: ModuleType, server: FakeInferenceServer) -> None:
    gate = server.behaviour.gate = threading.Event()
    stream = hf_app.chat_fn({"text": "Who is being invoiced?", "files": [INVOICE]})
    # The first piece arrives while the server is still holding back the rest of the reply.
    first = next(stream)
    assert first == "With"
    assert not gate.is_set()
    gate.set()
    pieces = [first, *stream]
    assert not server.gate_timed_out
    assert pieces == [
        "With",
        "With a high degree",
        "With a high degree of confidence,",
        "With a high degree of confidence, I can say",
        "With a high degree of confidence, I can say John Doe",
        "With a high degree of confidence, I can say John Doe is being invoiced.",
    ]


def test_requests_follow_the_inference_api(hf_app: ModuleType, server: FakeInferenceServer) -> None:
    ask(hf_app, "Who is being invoiced?")
    dqa, chat = server.requests
    # Document QA: POSTed to the model URL itself, the page as a base64 PNG.
    assert dqa.path == "/models/layoutlm-document-qa"
    assert dqa.headers["authorization"] == f"Bearer {GOOD_TOKEN}"
    assert dqa.body["inputs"]["question"] == "Who is being invoiced?"
    assert base64.b64decode(dqa.body["inputs"]["image"]).startswith(b"\x89PNG")
    # Chat: the OpenAI-compatible route under the model URL, streamed, with the article's prompt.
    assert chat.path == "/models/zephyr-7b-beta/v1/chat/completions"
    assert chat.body["stream"] is True
    assert chat.body["max_tokens"] == 200
    assert chat.body["messages"][0] == hf_app.system_message
    assert chat.body["messages"][1] == {
        "role": "user",
        "content": "Question: Who is being invoiced?, answer: "
        "[{'answer': 'John Doe', 'confidence': 0.98}, {'answer': 'Jane Doe', 'confidence': 0.01}]",
    }


def test_every_pdf_page_is_asked(hf_app: ModuleType, server: FakeInferenceServer) -> None:
    reply = ask(hf_app, "What is the total?", str(EXAMPLES / "invoice_globex.pdf"))[-1]
    assert [r.path for r in server.requests].count("/models/layoutlm-document-qa") == 2
    assert reply.endswith("_I read all 2 pages of the PDF._")


def test_no_answer_found(hf_app: ModuleType, server: FakeInferenceServer) -> None:
    server.behaviour.answers = []
    assert ask(hf_app, "Who signed it?") == [
        "The document model found no answer to that question in this document."
    ]


def test_empty_chat_reply_falls_back_to_the_answer(
    hf_app: ModuleType, server: FakeInferenceServer
) -> None:
    server.behaviour.reply_pieces = []
    reply = ask(hf_app, "Who is being invoiced?")[-1]
    assert "John Doe" in reply and "0.98" in reply


@pytest.mark.parametrize(
    ("route", "status", "body", "expected"),
    [
        ("dqa", 401, {"error": "Invalid credentials"}, "The Hugging Face token was rejected"),
        ("dqa", 429, {"error": "Rate limit reached"}, "rate-limiting requests (HTTP 429)"),
        (
            "dqa",
            503,
            {"error": "Model is currently loading", "estimated_time": 20.0},
            "unavailable or still loading (HTTP 503)",
        ),
        ("dqa", 404, {"error": "Not Found"}, "model was not found"),
        ("chat", 429, {"error": "Rate limit reached"}, "rate-limiting requests (HTTP 429)"),
        ("chat", 503, {"error": "Service Unavailable"}, "unavailable or still loading"),
        ("chat", 500, {"error": "boom"}, "internal error (HTTP 500)"),
    ],
)
def test_http_errors_become_one_clear_sentence(
    hf_app: ModuleType,
    server: FakeInferenceServer,
    route: str,
    status: int,
    body: dict[str, object],
    expected: str,
) -> None:
    if route == "dqa":
        server.behaviour.dqa_error = (status, body)
    else:
        server.behaviour.chat_error = (status, body)
    replies = ask(hf_app, "What is the total?")
    assert len(replies) == 1
    assert replies[0].startswith("⚠️ ") and expected in replies[0]
    assert "\n" not in replies[0] and "Traceback" not in replies[0]


def _swap_backend(
    app: ModuleType, monkeypatch: pytest.MonkeyPatch, client: InferenceClient, **changes: str
) -> None:
    settings = Settings(**{**app.settings.__dict__, **changes})
    monkeypatch.setattr(app, "backend", backends.HfBackend(client, settings, app.system_message))


def test_invalid_or_expired_token(hf_app: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    _swap_backend(hf_app, monkeypatch, InferenceClient(token="hf_expired", timeout=TIMEOUT))
    (reply,) = ask(hf_app, "What is the total?")
    assert "The Hugging Face token was rejected (HTTP 401)" in reply


def test_refused_connection(hf_app: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"http://127.0.0.1:{free_port()}/models/layoutlm-document-qa"  # nothing listens there
    _swap_backend(hf_app, monkeypatch, InferenceClient(token=GOOD_TOKEN, timeout=5), qa_model=dead)
    (reply,) = ask(hf_app, "What is the total?")
    assert reply.startswith("⚠️ Could not reach the inference service")


def test_slow_model_times_out(hf_app: ModuleType, server: FakeInferenceServer) -> None:
    server.behaviour.dqa_delay = 30  # far beyond the app's 1 s timeout
    (reply,) = ask(hf_app, "What is the total?")
    assert reply == (
        "⚠️ The model did not answer within 1 second; please try again, "
        "or raise DOC_ANALYZER_TIMEOUT."
    )
    wait_for(lambda: server.requests, timeout=5, what="the request to reach the server")


def test_header_names_the_hf_backend(hf_app: ModuleType, server: FakeInferenceServer) -> None:
    header = hf_app.header()
    assert "`hf`" in header and server.qa_url in header and server.chat_url in header
    assert "two-step" in header and "(your endpoint)" in header


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({}, "local"),
        ({"HF_TOKEN": "hf_x"}, "hf"),
        ({"HF_TOKEN": "hf_x", "DOC_ANALYZER_BACKEND": "local"}, "local"),
        ({"DOC_ANALYZER_BACKEND": "hf"}, "hf"),
        ({"DOC_ANALYZER_BACKEND": " HF "}, "hf"),
    ],
)
def test_backend_selection(env: dict[str, str], backend: str) -> None:
    assert Settings.from_env(env).backend == backend


def test_settings_defaults_and_overrides() -> None:
    default = Settings.from_env({})
    assert default.qa_model == "impira/layoutlm-document-qa"
    assert default.chat_model == "HuggingFaceH4/zephyr-7b-beta"
    assert default.timeout == 60.0
    assert (default.pipeline, default.vlm_model) == ("vlm", "Qwen/Qwen2.5-VL-7B-Instruct")
    assert (default.base_url, default.hub_endpoint) == (None, None)
    two_step = Settings.from_env({"DOC_ANALYZER_PIPELINE": " Two-Step "})
    assert two_step.pipeline == "two-step"
    custom = Settings.from_env(
        {
            "DOC_ANALYZER_QA_MODEL": "http://127.0.0.1:9/qa",
            "DOC_ANALYZER_CHAT_MODEL": "http://127.0.0.1:9/chat",
            "DOC_ANALYZER_TIMEOUT": "12.5",
        }
    )
    assert (custom.qa_model, custom.chat_model, custom.timeout) == (
        "http://127.0.0.1:9/qa",
        "http://127.0.0.1:9/chat",
        12.5,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DOC_ANALYZER_BACKEND": "openai"}, "must be 'hf' or 'local'"),
        ({"DOC_ANALYZER_TIMEOUT": "soon"}, "must be a number of seconds"),
        ({"DOC_ANALYZER_TIMEOUT": "0"}, "must be positive"),
        ({"DOC_ANALYZER_PIPELINE": "ocr"}, "must be 'vlm' or 'two-step'"),
    ],
)
def test_bad_settings_are_refused_at_start(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


def test_saved_login_token_selects_hf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("DOC_ANALYZER_BACKEND", raising=False)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_saved_by_login")
    settings = Settings.from_env()
    assert (settings.backend, settings.token) == ("hf", "hf_saved_by_login")
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    assert Settings.from_env().backend == "local"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ConnectionError("offline"), "Could not reach the inference service"),
        (TimeoutError(), "did not answer within 60 seconds"),
        (
            ValueError("You must provide an api_key to work with hf-inference API"),
            "No Hugging Face token",
        ),
        (RuntimeError("?"), "Something went wrong while answering (RuntimeError)"),
    ],
)
def test_describe_other_errors(error: Exception, expected: str) -> None:
    assert expected in describe_error(error, 60.0)
