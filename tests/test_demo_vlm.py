"""The default `hf` pipeline against local servers speaking today's protocols.

A fake Hub answers ``HfApi.model_info(..., expand=["inferenceProviderMapping"])`` and a
fake OpenAI-compatible server streams ``/v1/chat/completions``; the app uses the real
``huggingface_hub.HfApi`` and ``InferenceClient``, pointed at them through HF_ENDPOINT
and DOC_ANALYZER_BASE_URL. Nothing reaches the real network.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from types import ModuleType

import pytest
from huggingface_hub import HfApi, InferenceClient

from demo_support import (
    EXAMPLES,
    GOOD_TOKEN,
    VLM_MODEL,
    FakeBehaviour,
    FakeInferenceServer,
    load_app,
    provider_mapping,
)
from support import free_port

# isort: split
import backends
from backends import Settings, check_models

INVOICE = str(EXAMPLES / "invoice_acme.png")
TIMEOUT = 1.0  # seconds; DOC_ANALYZER_TIMEOUT of the app under test
FALLBACK = "so the offline `local` backend answers instead."


@pytest.fixture(scope="module")
def server() -> Iterator[FakeInferenceServer]:
    with FakeInferenceServer() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_server(server: FakeInferenceServer) -> None:
    server.behaviour = FakeBehaviour()
    server.requests.clear()


def _env(mp: pytest.MonkeyPatch, server: FakeInferenceServer) -> None:
    for name in ("DOC_ANALYZER_BACKEND", "DOC_ANALYZER_PIPELINE", "DOC_ANALYZER_VLM_MODEL"):
        mp.delenv(name, raising=False)
    mp.delenv("HF_HUB_OFFLINE", raising=False)
    mp.setenv("HF_TOKEN", GOOD_TOKEN)
    mp.setenv("HF_ENDPOINT", server.url)
    mp.setenv("DOC_ANALYZER_BASE_URL", server.url)
    mp.setenv("DOC_ANALYZER_TIMEOUT", str(TIMEOUT))


@pytest.fixture(scope="module")
def vlm_app(server: FakeInferenceServer) -> Iterator[ModuleType]:
    with pytest.MonkeyPatch.context() as mp:
        _env(mp, server)
        app = load_app("demo_app_vlm_under_test")
    assert isinstance(app.backend, backends.VlmBackend)
    assert isinstance(app.client, InferenceClient)
    yield app


def ask(app: ModuleType, question: str, path: str = INVOICE) -> list[str]:
    return list(app.chat_fn({"text": question, "files": [path]}))


def test_reply_streams_token_by_token(vlm_app: ModuleType, server: FakeInferenceServer) -> None:
    gate = server.behaviour.gate = threading.Event()
    stream = vlm_app.chat_fn({"text": "Who is being invoiced?", "files": [INVOICE]})
    first = next(stream)  # arrives while the server still holds back the rest
    assert first == "With"
    assert not gate.is_set()
    gate.set()
    pieces = [first, *stream]
    assert not server.gate_timed_out
    assert pieces[-1] == "With a high degree of confidence, I can say John Doe is being invoiced."
    assert len(pieces) == 6


def test_one_chat_request_with_the_page_image(
    vlm_app: ModuleType, server: FakeInferenceServer
) -> None:
    ask(vlm_app, "Who is being invoiced?")
    (chat,) = server.requests
    assert chat.path.endswith("/chat/completions")
    assert chat.headers["authorization"] == f"Bearer {GOOD_TOKEN}"
    assert chat.body["model"] == VLM_MODEL
    assert chat.body["stream"] is True and chat.body["max_tokens"] == 200
    system, user = chat.body["messages"]
    assert system == vlm_app.vlm_system_message
    image, text = user["content"]
    assert text == {"type": "text", "text": "Question: Who is being invoiced?"}
    assert image["type"] == "image_url"
    prefix = "data:image/png;base64,"
    assert image["image_url"]["url"].startswith(prefix)
    assert base64.b64decode(image["image_url"]["url"][len(prefix) :]).startswith(b"\x89PNG")


def test_every_pdf_page_is_sent(vlm_app: ModuleType, server: FakeInferenceServer) -> None:
    reply = ask(vlm_app, "What is the total?", str(EXAMPLES / "invoice_globex.pdf"))[-1]
    (chat,) = server.requests
    kinds = [part["type"] for part in chat.body["messages"][1]["content"]]
    assert kinds == ["image_url", "image_url", "text"]
    assert reply.endswith("_I read all 2 pages of the PDF._")


def test_header_says_which_model_answers(vlm_app: ModuleType) -> None:
    header = vlm_app.header()
    assert f"`{VLM_MODEL}` reads the document" in header
    assert f"Served today: `{VLM_MODEL}` (via nebius)." in header
    assert "⚠️" not in header


def test_startup_asks_the_hub_once(server: FakeInferenceServer) -> None:
    with pytest.MonkeyPatch.context() as mp:
        _env(mp, server)
        app = load_app("demo_app_vlm_check")
    (hub,) = server.requests
    assert hub.path == f"/api/models/{VLM_MODEL}?expand=inferenceProviderMapping"
    assert hub.headers["authorization"] == f"Bearer {GOOD_TOKEN}"
    assert isinstance(app.backend, backends.VlmBackend)


def test_model_not_served_falls_back_to_local(server: FakeInferenceServer) -> None:
    server.behaviour.hub_models = {VLM_MODEL: provider_mapping("conversational", "staging")}
    with pytest.MonkeyPatch.context() as mp:
        _env(mp, server)
        app = load_app("demo_app_vlm_not_served")
    assert isinstance(app.backend, backends.LocalBackend)
    header = app.header()
    assert (
        f"⚠️ `{VLM_MODEL}` is not served by any Inference Provider for conversational, {FALLBACK}"
        in header
    )
    assert "**Backend: `local`**" in header
    server.requests.clear()
    reply = ask(app, "Who is being invoiced?")[-1]
    assert not reply.startswith("⚠️") and not server.requests  # answered offline


def test_article_qa_model_is_not_served(server: FakeInferenceServer) -> None:
    # What a user of the two-step pipeline with the article's model ids sees today.
    api = HfApi(endpoint=server.url, token=GOOD_TOKEN)
    settings = Settings.from_env({"HF_TOKEN": GOOD_TOKEN, "DOC_ANALYZER_PIPELINE": "two-step"})
    availability = check_models(api, settings)
    assert not availability.ok
    assert availability.summary == (
        "Could not check whether `impira/layoutlm-document-qa` is served "
        f"(no such model on the Hub, HTTP 404), {FALLBACK}"
    )
    server.behaviour.hub_models = {
        "impira/layoutlm-document-qa": {},
        "HuggingFaceH4/zephyr-7b-beta": provider_mapping("conversational"),
    }
    assert check_models(api, settings).summary == (
        "`impira/layoutlm-document-qa` is not served by any Inference Provider for "
        f"document-question-answering, {FALLBACK}"
    )


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (401, "the token was rejected, HTTP 401"),
        (429, "HTTP 429"),
        (503, "HTTP 503"),
    ],
)
def test_hub_errors_at_startup_are_one_sentence(
    server: FakeInferenceServer, status: int, reason: str
) -> None:
    server.behaviour.hub_error = (status, {"error": "nope"})
    api = HfApi(endpoint=server.url, token=GOOD_TOKEN)
    availability = check_models(api, Settings.from_env({"HF_TOKEN": GOOD_TOKEN}))
    assert not availability.ok
    assert availability.summary == (
        f"Could not check whether `{VLM_MODEL}` is served ({reason}), {FALLBACK}"
    )


def test_slow_hub_at_startup(server: FakeInferenceServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "CHECK_TIMEOUT", 0.5)
    server.behaviour.hub_delay = 30
    api = HfApi(endpoint=server.url, token=GOOD_TOKEN)
    availability = check_models(api, Settings.from_env({"HF_TOKEN": GOOD_TOKEN}))
    assert availability.summary == (
        f"Could not check whether `{VLM_MODEL}` is served (no answer within 0.5 seconds), "
        + FALLBACK
    )


def test_no_network_at_startup_falls_back(
    server: FakeInferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.MonkeyPatch.context() as mp:
        _env(mp, server)
        mp.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")  # nothing listens there
        app = load_app("demo_app_vlm_offline")
    assert isinstance(app.backend, backends.LocalBackend)
    assert (
        f"⚠️ Could not check whether `{VLM_MODEL}` is served (no network), {FALLBACK}"
        in app.header()
    )


# --------------------------------------------------------------------------- errors while answering


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (429, "rate-limiting requests (HTTP 429)"),
        (503, "unavailable or still loading (HTTP 503)"),
        (500, "internal error (HTTP 500)"),
    ],
)
def test_chat_errors_become_one_clear_sentence(
    vlm_app: ModuleType, server: FakeInferenceServer, status: int, expected: str
) -> None:
    server.behaviour.chat_error = (status, {"error": "nope"})
    (reply,) = ask(vlm_app, "What is the total?")
    assert reply.startswith("⚠️ ") and expected in reply
    assert "\n" not in reply and "Traceback" not in reply


def _swap_client(app: ModuleType, monkeypatch: pytest.MonkeyPatch, client: InferenceClient) -> None:
    backend = backends.VlmBackend(client, app.settings, app.vlm_system_message)
    monkeypatch.setattr(app, "backend", backend)


def test_invalid_token(
    vlm_app: ModuleType, server: FakeInferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = InferenceClient(token="hf_expired", timeout=TIMEOUT, base_url=server.url)
    _swap_client(vlm_app, monkeypatch, client)
    (reply,) = ask(vlm_app, "What is the total?")
    assert "The Hugging Face token was rejected (HTTP 401)" in reply


def test_refused_connection(vlm_app: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    _swap_client(vlm_app, monkeypatch, InferenceClient(token=GOOD_TOKEN, timeout=5, base_url=dead))
    (reply,) = ask(vlm_app, "What is the total?")
    assert reply.startswith("⚠️ Could not reach the inference service")


def test_slow_model_times_out(vlm_app: ModuleType, server: FakeInferenceServer) -> None:
    server.behaviour.chat_delay = 30  # far beyond the app's 1 s timeout
    (reply,) = ask(vlm_app, "What is the total?")
    assert reply == (
        "⚠️ The model did not answer within 1 second; please try again, "
        "or raise DOC_ANALYZER_TIMEOUT."
    )


def test_empty_reply_is_explained(vlm_app: ModuleType, server: FakeInferenceServer) -> None:
    server.behaviour.reply_pieces = []
    assert ask(vlm_app, "What is the total?") == [
        "The model sent an empty reply; please ask again or rephrase the question."
    ]
