"""Finding the app: the launched one, else the only one, else --demo-name, else a clear error."""

from __future__ import annotations

from typing import Any

import gradio as gr
import pytest

from reloader.adapters import AppNotFound, available_adapters, load_adapters
from reloader.adapters.base import MATCH_EXACT, MATCH_TYPE
from reloader.adapters.gradio import GradioAdapter


@pytest.fixture(scope="module")
def patched() -> GradioAdapter:
    adapter = GradioAdapter()
    adapter.framework_imported("gradio")
    return adapter


@pytest.fixture
def adapter(patched: GradioAdapter) -> GradioAdapter:
    # As before each execution: no launch() captured yet.
    with patched.executing(first_load=True):
        pass
    return patched


def blocks(text: str) -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(text)
    return demo


def run_module(adapter: GradioAdapter, source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    with adapter.executing(first_load=True):
        exec(source, namespace)
    return namespace


def test_the_launched_app_wins(adapter: GradioAdapter) -> None:
    namespace = run_module(
        adapter,
        "import gradio as gr\n"
        "with gr.Blocks() as helper_ui:\n    gr.Markdown('a')\n"
        "with gr.Blocks() as main_ui:\n    gr.Markdown('b')\n"
        "main_ui.launch(auth=('u', 'p'))\n",
    )
    assert adapter.find_app(namespace) is namespace["main_ui"]
    assert adapter._launch_kwargs(namespace["main_ui"]) == {"auth": ("u", "p")}


def test_a_launched_app_matches_exactly_one_found_among_globals_by_type(
    adapter: GradioAdapter,
) -> None:
    namespace = run_module(
        adapter,
        "import gradio as gr\n"
        "with gr.Blocks() as other:\n    gr.Markdown('a')\n"
        "with gr.Blocks() as main_ui:\n    gr.Markdown('b')\n"
        "main_ui.launch()\n",
    )
    assert adapter.match(namespace["main_ui"]) == MATCH_EXACT
    assert adapter.match(namespace["other"]) == MATCH_TYPE
    run_module(adapter, "x = 1\n")  # a later run launched nothing
    assert adapter.match(namespace["main_ui"]) == MATCH_TYPE


def test_launch_is_captured_not_run(adapter: GradioAdapter) -> None:
    namespace = run_module(
        adapter, "import gradio as gr\nd = gr.Interface(str, 'text', 'text')\nd.launch()\n"
    )
    assert not namespace["d"].is_running


def test_the_only_app(adapter: GradioAdapter) -> None:
    demo = blocks("x")
    assert adapter.find_app({"demo": demo, "other": 1}) is demo


def test_interface_rendered_inside_blocks_is_not_a_second_app(adapter: GradioAdapter) -> None:
    with gr.Blocks() as outer:
        inner = gr.Interface(str, "text", "text")
    assert adapter.find_app({"outer": outer, "inner": inner}) is outer


def test_several_apps_name_the_candidates(adapter: GradioAdapter) -> None:
    with pytest.raises(AppNotFound, match=r"one, two.*--demo-name"):
        adapter.find_app({"one": blocks("1"), "two": blocks("2")})


def test_demo_name_picks_one(adapter: GradioAdapter) -> None:
    two = blocks("2")
    assert adapter.find_app({"one": blocks("1"), "two": two}, "two") is two


def test_demo_name_that_is_not_an_app(adapter: GradioAdapter) -> None:
    with pytest.raises(AppNotFound, match="'x' is a int"):
        adapter.find_app({"x": 1, "demo": blocks("1")}, "x")


def test_no_app_is_none(adapter: GradioAdapter) -> None:
    assert adapter.find_app({"x": 1}) is None


def test_gradio_adapter_is_registered() -> None:
    assert available_adapters()["gradio"] == "reloader.adapters.gradio:GradioAdapter"
    assert [a.name for a in load_adapters("gradio")] == ["gradio"]


def test_a_global_that_raises_on_any_attribute_is_not_an_app() -> None:
    """Shiny Express's ``input`` raises on any attribute outside a session: the
    search for the app passes over it and finds the real one."""
    from starlette.applications import Starlette

    from reloader.adapters.asgi.discovery import top_level_apps

    class RaisingProxy:
        def __getattribute__(self, name: str) -> Any:
            raise RuntimeError("no session")

    app = Starlette()
    assert top_level_apps({"input": RaisingProxy(), "app": app}) == {"app": app}
