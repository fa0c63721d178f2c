"""Gradio's per-instance introspection answered per class (the Gradio adapter's ``_caches``):
every answer is the one Gradio computes without the caches, for every built-in component
class, and a class or function that changes gets a fresh answer (issue 23)."""

from __future__ import annotations

import inspect
import json
import textwrap
import warnings
from pathlib import Path
from typing import Any

import gradio as gr
import gradio.blocks
import gradio.components
import gradio.layouts
import gradio.utils
import pytest
from gradio.blocks import Block, BlocksConfig
from gradio.state_holder import SessionState

from reloader.adapters.gradio._caches import Introspection, LazyBlockConfigs, install_caches
from reloader.adapters.gradio.compat import SESSION_STATE_INIT, _same_code, resolve
from support import devreload, save_in_place, wait_for

GRADIO = resolve()
INTROSPECTION = install_caches(GRADIO)


def _block_classes(*modules: Any) -> list[type[Block]]:
    found = {
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Block) and not inspect.isabstract(value)
    }
    return sorted(found, key=lambda cls: (cls.__module__, cls.__name__))


COMPONENTS = _block_classes(gradio.components)
LAYOUTS = _block_classes(gradio.layouts)


def _uncached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gradio as it is without devreload's caches, for the rest of the test."""
    for module in GRADIO.introspecting:
        monkeypatch.setattr(module, "inspect", inspect)
    for owner in GRADIO.class_id_owners:
        compute = owner.__dict__["get_component_class_id"].__func__.__wrapped__
        monkeypatch.setattr(owner, "get_component_class_id", classmethod(compute))
    if GRADIO.session_state is not None:
        original = GRADIO.session_state.__dict__["__init__"].__wrapped__
        monkeypatch.setattr(GRADIO.session_state, "__init__", original)
    for module in GRADIO.upload_folder_users:
        original = vars(module)["get_upload_folder"].__wrapped__
        monkeypatch.setattr(module, "get_upload_folder", original)
    for module in GRADIO.server_function_finders:
        monkeypatch.delattr(module, "dir")


def test_the_installed_gradio_has_every_cached_internal() -> None:
    assert len(GRADIO.introspecting) == 2
    assert GRADIO.class_id_owners
    assert GRADIO.session_state is SessionState
    assert [module.__name__ for module in GRADIO.upload_folder_users] == ["gradio.blocks"]
    assert [m.__name__ for m in GRADIO.server_function_finders] == ["gradio.components.base"]
    assert all(module.inspect is INTROSPECTION for module in GRADIO.introspecting)  # type: ignore[attr-defined]


def test_every_component_class_is_covered() -> None:
    names = {cls.__name__ for cls in COMPONENTS}
    assert {"Textbox", "Chatbot", "Dataframe", "Image", "State", "Timer"} <= names
    assert len(COMPONENTS) >= 40


@pytest.mark.parametrize("cls", COMPONENTS + LAYOUTS, ids=lambda cls: cls.__name__)
def test_introspection_of_every_builtin_class_is_gradios(cls: type[Block]) -> None:
    init = cls.__init__
    fresh = Introspection()
    for introspection in (fresh, fresh, INTROSPECTION):  # computed, then kept
        assert introspection.signature(init) == inspect.signature(init)
        assert introspection.getfullargspec(init) == inspect.getfullargspec(init)
    assert fresh.signature(init) is fresh.signature(init)
    for owner in GRADIO.class_id_owners:
        if issubclass(cls, owner):
            compute = owner.__dict__["get_component_class_id"].__func__.__wrapped__
            assert cls.get_component_class_id() == compute(cls)  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", COMPONENTS + LAYOUTS, ids=lambda cls: cls.__name__)
def test_the_config_of_every_builtin_class_is_gradios(
    cls: type[Block], monkeypatch: pytest.MonkeyPatch
) -> None:
    with warnings.catch_warnings():  # Gradio's own (Gradio 5's Chatbot: no type= given)
        warnings.simplefilter("ignore")
        block = cls(render=False)  # type: ignore[call-arg]
    cached = _described(block)
    assert cached == _described(block)  # again, from the caches
    _uncached(monkeypatch)
    assert cached == _described(block)


@pytest.mark.parametrize("cls", COMPONENTS, ids=lambda cls: cls.__name__)
def test_the_server_functions_of_every_builtin_class_are_gradios(
    cls: type[Block], monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = [_server_functions(cls) for _ in range(2)]  # computed, then kept
    _uncached(monkeypatch)
    assert cached == [_server_functions(cls)] * 2


def _server_functions(cls: type[Block]) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        block = cls(render=False)  # type: ignore[call-arg]
    return [function.__name__ for function in getattr(block, "server_fns", [])]


def _described(block: Block) -> str:
    """The block's config as Gradio makes it, or the error it raises (Gradio 5's
    FormComponent is a base class that cannot describe itself)."""
    try:
        config = BlocksConfig.config_for_block(block._id, [], block)
    except NotImplementedError as error:
        return f"{type(error).__name__}: {error}"
    return json.dumps(config, sort_keys=True, default=repr)


def test_a_class_redefined_under_the_same_name_gets_its_own_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    introspection = Introspection()
    monkeypatch.delitem(sys.modules, "fancy_component", raising=False)
    first = _custom_component(tmp_path, "shade", "red")
    if GRADIO.class_id_owners:
        first_id = first.get_component_class_id()  # type: ignore[attr-defined]
    answer = introspection.signature(first.__init__)
    assert "shade" in answer.parameters
    second = _custom_component(tmp_path, "tint", "blue")
    assert (second.__module__, second.__qualname__) == (first.__module__, first.__qualname__)
    answer = introspection.signature(second.__init__)
    assert "tint" in answer.parameters and "shade" not in answer.parameters
    assert answer.parameters["tint"].default == "blue"
    assert introspection.getfullargspec(second.__init__) == inspect.getfullargspec(second.__init__)
    for owner in GRADIO.class_id_owners:
        if issubclass(second, owner):
            compute = owner.__dict__["get_component_class_id"].__func__.__wrapped__
            assert second.get_component_class_id() == compute(second)  # type: ignore[attr-defined]
    if GRADIO.class_id_owners:  # the same name and file: the same id (Gradio's hash of them)
        assert second.get_component_class_id() == first_id  # type: ignore[attr-defined]
    # Its server functions are the new class's, although the class it replaces was asked.
    assert _server_functions(first) == ["shade_choices"]
    assert _server_functions(second) == ["tint_choices"]


def _custom_component(folder: Path, name: str, default: str) -> type[Block]:
    """A component class defined in a module of the app, as a reload re-executes it."""
    import importlib.util
    import sys

    source = folder / "fancy_component.py"
    source.write_text(
        textwrap.dedent(
            f"""
            import gradio as gr
            from gradio.components.base import server


            class Fancy(gr.Textbox):
                def __init__(self, value="", *, {name}="{default}", **kwargs):
                    super().__init__(value, **kwargs)
                    self.{name} = {name}

                @server
                def {name}_choices(self, query):
                    return [self.{name}]
            """
        )
    )
    spec = importlib.util.spec_from_file_location("fancy_component", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fancy_component"] = module  # the caller's monkeypatch puts it back
    spec.loader.exec_module(module)
    return module.Fancy  # type: ignore[no-any-return]


def test_a_function_changed_in_place_gets_a_fresh_answer() -> None:
    introspection = Introspection()

    def handler(text: str, times: int = 1) -> str:
        return text * times

    assert introspection.signature(handler).parameters["times"].default == 1
    handler.__defaults__ = (3,)
    assert introspection.signature(handler).parameters["times"].default == 3

    def other(words: str) -> str:
        return words

    handler.__code__ = other.__code__
    handler.__defaults__ = None
    assert list(introspection.signature(handler).parameters) == ["words"]
    assert introspection.getfullargspec(handler).args == ["words"]
    # Changing what a caller got back changes nothing kept.
    introspection.getfullargspec(handler).args.append("spoiled")
    assert introspection.getfullargspec(handler).args == ["words"]


def test_what_is_not_a_plain_function_is_asked_of_inspect_itself() -> None:
    import functools

    introspection = Introspection()
    partial = functools.partial(lambda a, b: a + b, 1)
    assert introspection.signature(partial) == inspect.signature(partial)
    assert introspection.signature(gr.Textbox) == inspect.signature(gr.Textbox)
    assert introspection.Parameter is inspect.Parameter


def test_the_upload_folder_follows_what_it_is_made_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = gradio.blocks.get_upload_folder
    assert kept is not gradio.utils.get_upload_folder
    assert kept() == gradio.utils.get_upload_folder()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))
    assert kept() == gradio.utils.get_upload_folder() == str(tmp_path / "uploads")
    monkeypatch.delenv("GRADIO_TEMP_DIR")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    assert kept() == gradio.utils.get_upload_folder() == str((tmp_path / "gradio").resolve())
    block = gr.Textbox(render=False)
    assert kept() == block.GRADIO_CACHE


APP_BLOCKS = """
with gr.Blocks() as demo:
    gr.Markdown("# header")
    with gr.Row():
        name = gr.Textbox(label="Name", value="Ada")
        level = gr.Slider(0, 10, value=3, label="Level")
    pick = gr.Dropdown(["a", "b"], value="a", label="Pick")
    counter = gr.State(0)
    chat = gr.Chatbot()
    out = gr.Textbox(label="Out")
    gr.Button("Go").click(lambda n: n.upper(), name, out, api_name="go")
"""


def _blocks() -> gr.Blocks:
    namespace: dict[str, Any] = {"gr": gr}
    with warnings.catch_warnings():  # Gradio 5's Chatbot: no type= given
        warnings.simplefilter("ignore")
        exec(APP_BLOCKS, namespace)
    return namespace["demo"]  # type: ignore[no-any-return]


def test_a_sessions_block_configs_are_gradios_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = _blocks()
    lazy = SessionState(demo)
    assert isinstance(lazy.config_values, LazyBlockConfigs)
    _uncached(monkeypatch)
    eager = SessionState(demo)
    assert type(eager.config_values) is dict
    assert list(lazy.config_values) == list(eager.config_values)
    assert len(lazy.config_values) == len(eager.config_values)
    assert list(lazy.components) == list(eager.components)
    assert dict(lazy.config_values.items()) == eager.config_values
    # What Gradio writes into them after an event is kept as written, in both.
    out_id = next(i for i, b in demo.blocks.items() if getattr(b, "label", None) == "Out")
    for state in (lazy, eager):
        state._update_value_in_config(out_id, "ANSWER")
        state[out_id] = gr.Textbox(label="Out, updated", render=False)
    assert list(lazy.components) == list(eager.components)
    assert lazy.blocks_config.blocks.keys() == eager.blocks_config.blocks.keys()
    assert lazy.state_data == eager.state_data


def test_a_session_made_for_an_api_call_describes_no_block() -> None:
    demo = _blocks()
    described: list[int] = []
    original = BlocksConfig.config_for_block

    state = SessionState(demo)
    values = state.config_values
    assert isinstance(values, LazyBlockConfigs)
    values._config_for_block = lambda *a: described.append(a[0]) or original(*a)  # type: ignore[attr-defined]
    assert described == []
    key = next(iter(values))
    assert values[key] == original(key, [], demo.blocks[key])
    assert described == [key]


def test_only_gradios_known_session_state_init_is_deferred() -> None:
    assert _same_code(textwrap.indent(SESSION_STATE_INIT, "    "), SESSION_STATE_INIT)
    changed = SESSION_STATE_INIT.replace("if k in blocks.blocks", "if k in blocks.fns")
    assert not _same_code(changed, SESSION_STATE_INIT)


CUSTOM_APP = """
import gradio as gr


class Fancy(gr.Textbox):
    def __init__(self, value="", *, PARAM="DEFAULT", **kwargs):
        super().__init__(value, **kwargs)
        self.PARAM = PARAM


with gr.Blocks() as demo:
    gr.Markdown("MARK")
    Fancy()

if __name__ == "__main__":
    demo.launch()
"""


def _fancy_props(config: dict[str, Any]) -> dict[str, Any]:
    for component in config["components"]:
        if component.get("type") == "fancy":
            return dict(component["props"])
    raise AssertionError("no Fancy component in the served config")


@pytest.mark.integration
def test_a_custom_component_redefined_by_a_save_is_described_anew(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(CUSTOM_APP.replace("PARAM", "shade").replace("DEFAULT", "red"))
    with devreload(app) as process:
        process.wait_ready()
        assert _fancy_props(process.config())["shade"] == "red"
        steps = [
            ("shade", "green", "step-two"),
            ("tint", "blue", "step-three"),
            ("tint", "navy", "step-four"),
        ]
        for param, default, mark in steps:
            source = CUSTOM_APP.replace("PARAM", param).replace("DEFAULT", default)
            save_in_place(app, source.replace("MARK", mark))
            props = wait_for(
                lambda mark=mark: (lambda c: c if mark in json.dumps(c) else None)(
                    process.config()
                ),
                timeout=30,
                what=f"{mark} served",
            )
            fancy = _fancy_props(props)
            assert fancy[param] == default
            assert ({"shade", "tint"} - {param}).isdisjoint(fancy)
