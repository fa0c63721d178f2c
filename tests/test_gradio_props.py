"""Which saves are props-only: two real Gradio configs of an app built twice, as a
reload builds it (ids from 0), compared by the adapter's rule (pure logic)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from reloader.adapters.gradio._props import props_update

MESSAGES = {"type": "messages"} if gr.__version__.startswith("5.") else {}


def config(
    *,
    title: str = "# Title",
    label: str = "Name",
    choices: tuple[str, ...] = ("a", "b"),
    value: str = "",
    extra: bool = False,
    event: bool = True,
    info: str | None = None,
    row_visible: bool = True,
    out_visible: bool = True,
) -> dict[str, Any]:
    from gradio.context import Context

    Context.id = 0
    with gr.Blocks() as demo:
        gr.Markdown(title)
        if extra:
            gr.Textbox(label="Inserted")
        name = gr.Textbox(label=label, value=value, info=info)
        gr.Dropdown(list(choices), label="Letter")
        # Gradio 5 warns without a type; Gradio 6 has only messages.
        gr.Chatbot(label="Chat", **MESSAGES)
        with gr.Row(visible=row_visible):
            out = gr.Textbox(label="Out", visible=out_visible)
            button = gr.Button("Go")
        if event:
            button.click(lambda n: n, name, out)
    return dict(demo.get_config_file())


def ids_by_label(built: dict[str, Any]) -> dict[str, int]:
    return {
        str(c["props"].get("label") or c["props"].get("value")): c["id"]
        for c in built["components"]
    }


def test_the_same_app_built_again_changes_nothing() -> None:
    assert props_update(config(), config()) == {}


def test_text_label_choices_and_a_default_value_are_props() -> None:
    before = config()
    after = config(title="# New title", label="Your name", choices=("a", "b", "c"), value="hi")
    ids = ids_by_label(before)
    changes = props_update(before, after)
    assert changes is not None
    assert changes[ids["# Title"]] == {"value": "# New title"}
    assert changes[ids["Name"]] == {"label": "Your name", "value": "hi"}
    assert changes[ids["Letter"]] == {"choices": [("a", "a"), ("b", "b"), ("c", "c")]}
    assert set(changes) == {ids["# Title"], ids["Name"], ids["Letter"]}


def test_a_prop_set_only_now_is_a_prop_and_one_dropped_is_structure() -> None:
    plain, informed = config(), config(info="Who you are")
    name = ids_by_label(plain)["Name"]
    assert props_update(plain, informed) == {name: {"info": "Who you are"}}
    # The page cannot make a mounted component forget a prop it was given.
    dropped = config(info="Who you are")
    for component in dropped["components"]:
        if component["id"] == name:
            del component["props"]["info"]
    assert props_update(informed, dropped) is None


def test_an_inserted_component_or_a_changed_event_is_structure() -> None:
    assert props_update(config(), config(extra=True)) is None
    assert props_update(config(), config(event=False)) is None


def test_a_page_setting_is_structure() -> None:
    before = config()
    after = {**config(), "title": "Another title"}
    assert props_update(before, after) is None


def test_a_component_shown_or_hidden_is_a_prop_a_container_is_structure() -> None:
    before = config()
    out = ids_by_label(before)["Out"]
    assert props_update(before, config(out_visible=False)) == {out: {"visible": False}}
    # Gradio would hand the row's visibility to the children, whatever their own.
    assert props_update(before, config(row_visible=False)) is None
