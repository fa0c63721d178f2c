"""Component data models' JSON schemas are kept per model class (the Gradio adapter)."""

from __future__ import annotations

import gc
import weakref

from pydantic import BaseModel

from reloader.adapters.gradio._schemas import cache_model_schemas


def make_base() -> type[BaseModel]:
    class Base(BaseModel):
        pass

    cache_model_schemas([Base])
    return Base


def test_the_schema_is_pydantics_and_each_caller_gets_its_own_copy() -> None:
    base = make_base()

    class Message(base):  # type: ignore[misc,valid-type]
        role: str
        content: str | None = None

    expected = BaseModel.model_json_schema.__func__(Message)  # type: ignore[attr-defined]
    first = Message.model_json_schema()
    assert first == expected
    first.pop("properties")  # Gradio's api_info edits the dict it gets
    assert Message.model_json_schema() == expected
    assert Message.model_json_schema(mode="serialization") == BaseModel.model_json_schema.__func__(  # type: ignore[attr-defined]
        Message, mode="serialization"
    )


def test_a_model_class_redefined_by_a_reload_gets_its_own_schema_and_the_old_one_is_dropped() -> (
    None
):
    base = make_base()

    def version(field: type) -> type[BaseModel]:
        class Data(base):  # type: ignore[misc,valid-type]
            value: field  # type: ignore[valid-type]

        return Data

    old = version(int)
    assert old.model_json_schema()["properties"]["value"]["type"] == "integer"
    new = version(str)
    assert new.model_json_schema()["properties"]["value"]["type"] == "string"
    gone = weakref.ref(old)
    del old
    gc.collect()
    assert gone() is None, "the cache keeps a dropped model class alive"


def test_installing_twice_keeps_one_cache() -> None:
    base = make_base()
    installed = base.__dict__["model_json_schema"]
    cache_model_schemas([base])
    assert base.__dict__["model_json_schema"] is installed


def test_gradio_components_api_info_is_unchanged() -> None:
    import gradio as gr
    from gradio.data_classes import GradioModel, GradioRootModel

    before = [c.api_info() for c in (gr.Chatbot(), gr.MultimodalTextbox(), gr.File())]
    cache_model_schemas([GradioModel, GradioRootModel])
    assert [c.api_info() for c in (gr.Chatbot(), gr.MultimodalTextbox(), gr.File())] == before
    assert [c.api_info() for c in (gr.Chatbot(), gr.MultimodalTextbox(), gr.File())] == before
