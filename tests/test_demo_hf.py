"""The Hugging Face backends against a local server speaking the Hub's and the inference protocols.

The app runs the real ``huggingface_hub.HfApi`` and ``InferenceClient``, pointed at the
fake server through HF_ENDPOINT, DOC_ANALYZER_BASE_URL or model URLs: the start-up check
of the Hub's inference provider mapping (and the fallback to `local`), the default `vlm`
backend (one streamed chat completion with the page images), the article's `two-step`
pipeline, and the settings. Nothing reaches the network.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from types import ModuleType

import huggingface_hub
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
import hf_backends
from backends import Settings
from hf_backends import check_models, explain

INVOICE = str(EXAMPLES / "invoice_acme.png")
PDF = str(EXAMPLES / "invoice_globex.pdf")
TIMEOUT = 1.0  # seconds; DOC_ANALYZER_TIMEOUT of the apps under test
FALLBACK = "so the offline `local` backend answers instead."
STREAMED = "With a high degree of confidence, I can say John Doe is being invoiced."


@pytest.fixture(scope="module")
def server() -> Iterator[FakeInferenceServer]:
    with FakeInferenceServer() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_server(server: FakeInferenceServer) -> None:
    server.behaviour = FakeBehaviour()
    server.requests.clear()


def start_app(name: str, server: FakeInferenceServer, **env: str) -> ModuleType:
    with pytest.MonkeyPatch.context() as mp:
        for variable in ("DOC_ANALYZER_BACKEND", "HF_HUB_OFFLINE"):
            mp.delenv(variable, raising=False)  # a token is set: `vlm` is the default
        for variable, value in {
            "HF_TOKEN": GOOD_TOKEN,
            "HF_ENDPOINT": server.url,
            "DOC_ANALYZER_BASE_URL": server.url,
            "DOC_ANALYZER_TIMEOUT": str(TIMEOUT),
            **env,
        }.items():
            mp.setenv(variable, value)
        return load_app(name)


@pytest.fixture(scope="module")
def vlm_app(server: FakeInferenceServer) -> ModuleType:
    app = start_app("demo_app_vlm_under_test", server)
    assert isinstance(app.backend, hf_backends.VlmBackend)
    assert isinstance(app.models.client, InferenceClient)
    return app


@pytest.fixture(scope="module")
def two_step_app(server: FakeInferenceServer) -> ModuleType:
    app = start_app(
        "demo_app_two_step_under_test",
        server,
        DOC_ANALYZER_BACKEND="two-step",
        DOC_ANALYZER_BASE_URL="",  # the article's models, here the fake's URLs
        DOC_ANALYZER_QA_MODEL=server.qa_url,
        DOC_ANALYZER_CHAT_MODEL=server.chat_url,
    )
    assert isinstance(app.backend, hf_backends.TwoStepBackend)
    return app


def ask(app: ModuleType, question: str, path: str = INVOICE) -> list[str]:
    """The replies the page shows as they grow, for a question about ``path``."""
    history, _ = app.chat.add_message({"text": question, "files": [path]}, [])
    return [str(shown[-1]["content"]) for shown in app.respond(history)]


# --------------------------------------------------------------------------- vlm


def test_the_reply_streams_token_by_token(vlm_app: ModuleType, server: FakeInferenceServer) -> None:
    gate = server.behaviour.gate = threading.Event()
    stream = vlm_app.chat_fn({"text": "Who is being invoiced?", "files": [INVOICE]})
    first = next(stream)  # arrives while the server still holds back the rest
    assert first == "With"
    assert not gate.is_set()
    gate.set()
    pieces = [first, *stream]
    assert not server.gate_timed_out
    assert pieces[-1] == STREAMED and len(pieces) == 6


def test_one_chat_request_with_the_page_image_and_the_system_message(
    vlm_app: ModuleType, server: FakeInferenceServer
) -> None:
    ask(vlm_app, "Who is being invoiced?")
    (chat,) = server.requests
    assert chat.path == "/v1/chat/completions"
    assert chat.headers["authorization"] == f"Bearer {GOOD_TOKEN}"
    assert chat.body["model"] == VLM_MODEL
    assert chat.body["stream"] is True and chat.body["max_tokens"] == 200
    system, user = chat.body["messages"]
    assert system == vlm_app.system_message  # the one edited in app.py
    image, text = user["content"]
    assert text["type"] == "text" and text["text"].startswith("Question: Who is being invoiced?")
    prefix = "data:image/png;base64,"
    assert image["type"] == "image_url" and image["image_url"]["url"].startswith(prefix)
    assert base64.b64decode(image["image_url"]["url"][len(prefix) :]).startswith(b"\x89PNG")


def test_every_pdf_page_is_sent(vlm_app: ModuleType, server: FakeInferenceServer) -> None:
    reply = ask(vlm_app, "What is the total?", PDF)[-1]
    (chat,) = server.requests
    kinds = [part["type"] for part in chat.body["messages"][1]["content"]]
    assert kinds == ["image_url", "image_url", "text"]
    assert reply.endswith("_I read all 2 pages of the PDF._")


def test_the_header_says_which_model_answers(vlm_app: ModuleType) -> None:
    header = vlm_app.backend.describe()
    assert f"`{VLM_MODEL}` reads the document" in header
    assert f"Served today: `{VLM_MODEL}` (via nebius)." in header


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "The Hugging Face token was rejected (HTTP 401)"),
        (429, "rate-limiting requests (HTTP 429)"),
        (503, "unavailable or still loading (HTTP 503)"),
        (500, "unavailable or still loading (HTTP 500)"),
    ],
)
def test_service_errors_become_one_sentence(
    vlm_app: ModuleType, server: FakeInferenceServer, status: int, expected: str
) -> None:
    server.behaviour.chat_error = (status, {"error": "nope"})
    (reply,) = ask(vlm_app, "What is the total?")
    assert reply.startswith("⚠️ ") and expected in reply
    assert "\n" not in reply and "Traceback" not in reply


def test_an_expired_token(vlm_app: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    expired = InferenceClient(
        token="hf_expired", timeout=TIMEOUT, base_url=vlm_app.models.settings.base_url
    )
    monkeypatch.setattr(vlm_app.backend, "client", expired)
    (reply,) = ask(vlm_app, "What is the total?")
    assert "The Hugging Face token was rejected (HTTP 401)" in reply


def test_no_network(vlm_app: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = InferenceClient(token=GOOD_TOKEN, timeout=5, base_url=f"http://127.0.0.1:{free_port()}")
    monkeypatch.setattr(vlm_app.backend, "client", dead)
    (reply,) = ask(vlm_app, "What is the total?")
    assert reply.startswith("⚠️ Could not reach the inference service")


def test_a_slow_model_times_out(vlm_app: ModuleType, server: FakeInferenceServer) -> None:
    server.behaviour.chat_delay = 30  # far beyond the app's 1 s timeout
    assert ask(vlm_app, "What is the total?") == [
        "⚠️ The model gave no answer within 1 second; please try again, "
        "or raise DOC_ANALYZER_TIMEOUT."
    ]


def test_an_empty_reply_is_explained(vlm_app: ModuleType, server: FakeInferenceServer) -> None:
    server.behaviour.reply_pieces = []
    assert ask(vlm_app, "What is the total?") == [
        "The model sent an empty reply; please ask again or rephrase the question."
    ]


# --------------------------------------------------------------------------- the start-up check


def test_the_start_asks_the_hub_once(server: FakeInferenceServer) -> None:
    start_app("demo_app_vlm_check", server)
    (hub,) = server.requests
    assert hub.path == f"/api/models/{VLM_MODEL}?expand=inferenceProviderMapping"
    assert hub.headers["authorization"] == f"Bearer {GOOD_TOKEN}"


def test_a_model_not_served_falls_back_to_local(server: FakeInferenceServer) -> None:
    server.behaviour.hub_models = {VLM_MODEL: provider_mapping("conversational", "staging")}
    app = start_app("demo_app_vlm_not_served", server)
    header = app.backend.describe()
    assert header.startswith(
        f"⚠️ `{VLM_MODEL}` is not served by any Inference Provider for conversational, {FALLBACK}"
    )
    assert "**Backend: `local`**" in header
    server.requests.clear()
    reply = ask(app, "What is the total?", str(EXAMPLES / "receipt_fresh_market.png"))[-1]
    assert reply.endswith("25.35.") and not server.requests  # answered offline


def test_no_network_at_the_start_falls_back(server: FakeInferenceServer) -> None:
    app = start_app("demo_app_offline", server, HF_ENDPOINT=f"http://127.0.0.1:{free_port()}")
    assert app.models.client is None
    assert f"Could not check whether `{VLM_MODEL}` is served (no network), {FALLBACK}" in (
        app.backend.describe()
    )


@pytest.mark.parametrize(
    ("status", "reason"),
    [(401, "the token was rejected, HTTP 401"), (429, "HTTP 429"), (503, "HTTP 503")],
)
def test_hub_errors_at_the_start_are_one_sentence(
    server: FakeInferenceServer, status: int, reason: str
) -> None:
    server.behaviour.hub_error = (status, {"error": "nope"})
    api = HfApi(endpoint=server.url, token=GOOD_TOKEN)
    availability = check_models(api, [(VLM_MODEL, "conversational")])
    assert availability == hf_backends.Availability(
        False, f"Could not check whether `{VLM_MODEL}` is served ({reason}), {FALLBACK}"
    )


def test_a_slow_hub_at_the_start(
    server: FakeInferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hf_backends, "CHECK_TIMEOUT", 0.5)
    server.behaviour.hub_delay = 30
    api = HfApi(endpoint=server.url, token=GOOD_TOKEN)
    assert check_models(api, [(VLM_MODEL, "conversational")]).summary == (
        f"Could not check whether `{VLM_MODEL}` is served (no answer within 0.5 seconds), "
        + FALLBACK
    )


def test_the_articles_qa_model_is_not_served(server: FakeInferenceServer) -> None:
    # What a user of the two-step pipeline with the article's model ids sees today.
    api = HfApi(endpoint=server.url, token=GOOD_TOKEN)
    models = Settings.from_env({"DOC_ANALYZER_BACKEND": "two-step"}).models()
    assert check_models(api, models).summary == (
        "Could not check whether `impira/layoutlm-document-qa` is served "
        f"(no such model on the Hub, HTTP 404), {FALLBACK}"
    )
    server.behaviour.hub_models = {
        "impira/layoutlm-document-qa": {},
        "HuggingFaceH4/zephyr-7b-beta": provider_mapping("conversational"),
    }
    assert check_models(api, models).summary == (
        "`impira/layoutlm-document-qa` is not served by any Inference Provider for "
        f"document-question-answering, {FALLBACK}"
    )


# --------------------------------------------------------------------------- two-step


def test_two_step_follows_the_article(
    two_step_app: ModuleType, server: FakeInferenceServer
) -> None:
    assert ask(two_step_app, "Who is being invoiced?")[-1] == STREAMED
    dqa, chat = server.requests
    # Document QA: POSTed to the model URL itself, the page as a base64 PNG.
    assert dqa.path == "/models/layoutlm-document-qa"
    assert dqa.headers["authorization"] == f"Bearer {GOOD_TOKEN}"
    assert dqa.body["inputs"]["question"] == "Who is being invoiced?"
    assert base64.b64decode(dqa.body["inputs"]["image"]).startswith(b"\x89PNG")
    # Chat: the OpenAI-compatible route under the model URL, streamed, with the article's prompt.
    assert chat.path == "/models/zephyr-7b-beta/v1/chat/completions"
    assert chat.body["stream"] is True and chat.body["max_tokens"] == 200
    assert chat.body["messages"] == [
        two_step_app.system_message,
        {
            "role": "user",
            "content": "Question: Who is being invoiced?, answer: [{'answer': 'John Doe', "
            "'confidence': 0.98}, {'answer': 'Jane Doe', 'confidence': 0.01}]",
        },
    ]
    header = two_step_app.backend.describe()
    assert "`two-step`" in header and f"`{server.qa_url}` (your endpoint)" in header


def test_two_step_asks_about_every_pdf_page(
    two_step_app: ModuleType, server: FakeInferenceServer
) -> None:
    reply = ask(two_step_app, "What is the total?", PDF)[-1]
    assert [r.path for r in server.requests].count("/models/layoutlm-document-qa") == 2
    assert reply.endswith("_I read all 2 pages of the PDF._")


def test_two_step_without_an_answer(two_step_app: ModuleType, server: FakeInferenceServer) -> None:
    server.behaviour.answers = []
    assert ask(two_step_app, "Who signed it?") == [
        "The document model found no answer to that question in this document."
    ]
    server.behaviour.answers = FakeBehaviour().answers
    server.behaviour.reply_pieces = []  # the chat model says nothing: the best answer is given
    reply = ask(two_step_app, "Who is being invoiced?")[-1]
    assert "John Doe" in reply and "0.98" in reply


@pytest.mark.parametrize(
    ("status", "expected"),
    [(404, "The model was not found"), (503, "unavailable or still loading (HTTP 503)")],
)
def test_two_step_document_qa_errors(
    two_step_app: ModuleType, server: FakeInferenceServer, status: int, expected: str
) -> None:
    server.behaviour.dqa_error = (status, {"error": "Model is currently loading"})
    (reply,) = ask(two_step_app, "What is the total?")
    assert reply.startswith("⚠️ ") and expected in reply


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({}, "local"),
        ({"HF_TOKEN": "hf_x"}, "vlm"),
        ({"HF_TOKEN": "hf_x", "DOC_ANALYZER_BACKEND": "local"}, "local"),
        ({"DOC_ANALYZER_BACKEND": " Two-Step "}, "two-step"),
    ],
)
def test_backend_selection(env: dict[str, str], backend: str) -> None:
    assert Settings.from_env(env).backend == backend


def test_settings_defaults_and_overrides() -> None:
    default = Settings.from_env({})
    assert (default.vlm_model, default.timeout) == (VLM_MODEL, 60.0)
    assert (default.qa_model, default.chat_model) == (
        "impira/layoutlm-document-qa",
        "HuggingFaceH4/zephyr-7b-beta",
    )
    assert (default.base_url, default.hub_endpoint) == (None, None)
    custom = Settings.from_env(
        {"DOC_ANALYZER_VLM_MODEL": "http://127.0.0.1:9/vlm", "DOC_ANALYZER_TIMEOUT": "12.5"}
    )
    assert (custom.vlm_model, custom.timeout) == ("http://127.0.0.1:9/vlm", 12.5)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DOC_ANALYZER_BACKEND": "openai"}, "must be 'local', 'vlm' or 'two-step'"),
        ({"DOC_ANALYZER_TIMEOUT": "soon"}, "must be a positive number of seconds"),
        ({"DOC_ANALYZER_TIMEOUT": "0"}, "must be a positive number of seconds"),
    ],
)
def test_bad_settings_are_refused_at_the_start(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


def test_the_token_saved_by_a_login_selects_vlm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("DOC_ANALYZER_BACKEND", raising=False)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_saved_by_login")
    settings = Settings.from_env()
    assert (settings.backend, settings.token) == ("vlm", "hf_saved_by_login")
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    assert Settings.from_env().backend == "local"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ConnectionError("offline"), "Could not reach the inference service"),
        (TimeoutError(), "no answer within 60 seconds"),
        (ValueError("You must provide an api_key to work with hf-inference API"), "No Hugging"),
        (RuntimeError("?"), None),  # not the service's doing: a bug, reported as one
    ],
)
def test_explain(error: Exception, expected: str | None) -> None:
    sentence = explain(error, 60.0)
    assert sentence == expected or (expected and sentence and expected in sentence)
