"""The Gradio compatibility layer: every internal devreload uses exists in the installed
Gradio, and a release that drops one is named in one sentence (issue 11)."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Sequence

import gradio
import gradio.utils
import pytest

from reloader.adapters.base import ServeError, ServeOptions
from reloader.adapters.gradio import GradioAdapter, compat
from reloader.adapters.gradio.compat import (
    ATTRIBUTES,
    MCP_MODULE,
    OPTIONAL_ATTRIBUTES,
    REQUIRED,
    REQUIRED_WITH_MODULE,
    Attribute,
    resolve,
)


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


def test_launchs_localhost_probe_is_known_or_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve().without_localhost_probe == {"_frontend": False}  # Gradio 5 and 6 both
    # A release whose keyword does something else keeps its probe.
    monkeypatch.setattr(compat, "LOCALHOST_PROBE", ("_frontend", ("probe_elsewhere",)))
    assert resolve().without_localhost_probe == {}


@pytest.mark.parametrize(
    ("module", "path"), [(m, p) for m, p, _ in (*REQUIRED, *REQUIRED_WITH_MODULE)]
)
def test_a_missing_internal_is_named_in_one_sentence(
    monkeypatch: pytest.MonkeyPatch, module: str, path: str
) -> None:
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


@pytest.mark.parametrize("attribute", ATTRIBUTES, ids=lambda a: f"{a.owner}.{a.name}")
def test_every_attribute_is_where_gradio_sets_it(attribute: Attribute) -> None:
    """Attributes Gradio sets as it runs are on no class: each is checked in the code
    of the function that sets (or reads) it, in the installed Gradio."""
    owner, name = _function_of(attribute)
    function = vars(owner)[name]
    if isinstance(function, property):
        function = function.fget
    code = inspect.unwrap(function).__code__
    assert attribute.name in code.co_names + code.co_consts or any(
        attribute.name in nested.co_names + nested.co_consts
        for nested in code.co_consts
        if isinstance(nested, type(code))
    )


@pytest.mark.parametrize("attribute", ATTRIBUTES, ids=lambda a: f"{a.owner}.{a.name}")
def test_an_attribute_gradio_no_longer_sets_is_named_in_one_sentence(
    monkeypatch: pytest.MonkeyPatch, attribute: Attribute
) -> None:
    others = [a.name for a in ATTRIBUTES if a.function == attribute.function and a != attribute]
    _stand_in(monkeypatch, attribute, keep=others)
    with pytest.raises(ServeError) as raised:
        resolve()
    message = raised.value.headline
    where = f"{attribute.module}.{attribute.function}"
    assert f"has no {attribute.owner}.{attribute.name} (in {where}), which devreload uses" in (
        message
    )
    assert "install a Gradio version devreload supports" in message


def test_optional_attributes_are_used_where_the_release_has_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Gradio 6 has them all; Gradio 5 none. One this release lacks is done without."""
    found = resolve().optional
    assert found == ({a.name for a in OPTIONAL_ATTRIBUTES} if _gradio_major() >= 6 else set())
    for attribute in OPTIONAL_ATTRIBUTES:
        required = [a.name for a in ATTRIBUTES if a.function == attribute.function]
        with monkeypatch.context() as patch:
            _stand_in(patch, attribute, keep=required)
            assert attribute.name not in resolve().optional


def test_a_release_without_the_mcp_server_is_served(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gradio 5 before 5.28 has no gradio.mcp, and its Blocks no mcp_server_obj."""
    assert resolve().mcp
    monkeypatch.setitem(sys.modules, MCP_MODULE, None)  # import gradio.mcp fails
    mcp_server_obj = next(a for a in ATTRIBUTES if a.name == "mcp_server_obj")
    others = [
        a.name for a in ATTRIBUTES if a.function == mcp_server_obj.function and a != mcp_server_obj
    ]
    _stand_in(monkeypatch, mcp_server_obj, keep=others)
    assert not resolve().mcp


def _function_of(attribute: Attribute) -> tuple[type, str]:
    *path, name = attribute.function.split(".")
    owner: object = importlib.import_module(attribute.module)
    for part in path:
        owner = getattr(owner, part)
    assert isinstance(owner, type)
    return owner, name


def _stand_in(monkeypatch: pytest.MonkeyPatch, attribute: Attribute, keep: Sequence[str]) -> None:
    """Replace the function that sets ``attribute`` by one that sets only ``keep``."""
    owner, name = _function_of(attribute)
    namespace: dict[str, object] = {}
    body = "".join(f"    self.{kept} = None\n" for kept in keep) or "    pass\n"
    exec(f"def stand_in(self, *args, **kwargs):\n{body}", namespace)
    function = namespace["stand_in"]
    original = vars(owner)[name]
    monkeypatch.setattr(
        owner, name, property(function) if isinstance(original, property) else function
    )


def _gradio_major() -> int:
    return int(gradio.__version__.split(".")[0])


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

    from reloader.adapters.base import PageUpdate

    adapter = GradioAdapter()
    blocks = SimpleNamespace(head="", config={})
    adapter._running_app = SimpleNamespace(blocks=blocks)  # type: ignore[assignment]
    adapter._inject_client(blocks)
    blocks.config["head"] = blocks.head
    assert "version:0," in blocks.head
    for expected in (1, 2):
        adapter.notify(PageUpdate("reload"))
        assert adapter.broadcaster.version == expected
        assert f"version:{expected}," in blocks.head
        assert blocks.config["head"] == blocks.head
