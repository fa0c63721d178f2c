"""The Gradio compatibility layer: every internal devreload uses exists in the installed
Gradio, and a release that drops one is named in one sentence (issue 11)."""

from __future__ import annotations

import gradio.utils
import pytest

from reloader.adapters.base import ServeError, ServeOptions
from reloader.adapters.gradio import GradioAdapter, compat
from reloader.adapters.gradio.compat import REQUIRED, resolve


def test_every_internal_exists_in_the_installed_gradio() -> None:
    internals = resolve()
    assert internals.api_prefix.startswith("/")
    assert hasattr(internals.Context, "id")
    assert internals.lock_factories  # Gradio 5 and 6 both have them


def test_gradios_queue_loops_are_known_or_left_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    import gradio.queueing

    assert resolve().queue is gradio.queueing.Queue  # Gradio 5 and 6 both
    # A release whose loop sleeps some other way keeps Gradio's own polling.
    monkeypatch.setattr(compat, "QUEUE_LOOPS", (("start_processing", "sleep_elsewhere"),))
    assert resolve().queue is None


@pytest.mark.parametrize(("module", "path"), [(m, p) for m, p, _ in REQUIRED])
def test_a_missing_internal_is_named_in_one_sentence(
    monkeypatch: pytest.MonkeyPatch, module: str, path: str
) -> None:
    import importlib

    owner = importlib.import_module(module)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    monkeypatch.delattr(owner, name)
    with pytest.raises(ServeError) as raised:
        resolve()
    message = raised.value.headline
    assert f"has no {module}.{path}, which devreload uses" in message
    assert message.count(". ") == 0 and message.endswith(".")
    assert "install a Gradio version devreload supports" in message


def test_the_adapter_reports_it_when_serving_and_never_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(gradio.utils, "reassign_keys")
    adapter = GradioAdapter()
    adapter.framework_imported("gradio")
    adapter.configure(ServeOptions(port=1))
    namespace: dict[str, object] = {}
    with adapter.executing(first_load=True):
        exec(  # launch() is still captured: it returns at once, starting nothing
            "import gradio as gr\nwith gr.Blocks() as demo:\n    gr.Markdown('x')\n"
            "result = demo.launch()\n",
            namespace,
        )
    assert namespace["result"] == (None, None, None)
    app = adapter.find_app(namespace)
    assert app is namespace["demo"]
    with pytest.raises(ServeError, match=r"gradio\.utils\.reassign_keys"):
        adapter.serve(app, ServeOptions(port=1))
    adapter._capture.restore()


def test_each_reload_stamps_the_served_pages_with_its_version() -> None:
    """The pages Gradio serves after a reload say which version they are, also when
    the reload came without a new Blocks (the watcher back after a problem): a tab
    loaded then is not told it is stale (and reloaded) when it starts listening."""
    from types import SimpleNamespace

    from reloader.adapters.base import ReloadEvent

    adapter = GradioAdapter()
    blocks = SimpleNamespace(head="", config={})
    adapter._running_app = SimpleNamespace(blocks=blocks)  # type: ignore[assignment]
    adapter._inject_client(blocks)
    blocks.config["head"] = blocks.head
    assert "version:0," in blocks.head
    for expected in (1, 2):
        adapter.notify(ReloadEvent("reload"))
        assert adapter.broadcaster.version == expected
        assert f"version:{expected}," in blocks.head
        assert blocks.config["head"] == blocks.head
