"""Which saves change only literal arguments of top-level calls (pure logic): the
literal tier's rule, before any adapter sees the edits."""

from __future__ import annotations

import textwrap

import pytest

from reloader._literal_edits import ArgumentEdit, CallSite
from reloader.execute._literals import literal_edits
from reloader.execute._patch_safety import Fallback

APP = textwrap.dedent(
    """
    import gradio as gr

    TITLE = "Analyzer"

    def greet(name):
        return "Hello " + name

    with gr.Blocks() as demo:
        gr.Markdown("# Title")
        name = gr.Textbox(label="Name", placeholder="Ada")
        level = gr.Slider(0, 10, value=3, label="Level")
        letter = gr.Dropdown(["a", "b"], label="Letter")
        shift = gr.Number(value=-1)
        header = gr.Markdown(f"# {TITLE}")
        for number in range(3):
            gr.Textbox(label="Box")
        if gr.NO_RELOAD:
            gr.Markdown("kept")
        name.submit(greet, name, name, api_name="greet")
    """
)


def edits(new: str, old: str = APP, ran: str | None = None) -> list[ArgumentEdit] | Fallback:
    return literal_edits(ran if ran is not None else old, old, new, "app.py")


def only(found: list[ArgumentEdit] | Fallback) -> ArgumentEdit:
    assert isinstance(found, list), found
    assert len(found) == 1, found
    return found[0]


def test_a_positional_literal_is_an_edit_at_its_call() -> None:
    edit = only(edits(APP.replace('"# Title"', '"# Document analyzer"')))
    assert edit.position == 0 and edit.keyword is None
    assert edit.value == "# Document analyzer"
    line = APP.splitlines().index('    gr.Markdown("# Title")') + 1
    assert edit.site == CallSite("app.py", line, 4, line, 26)


def test_keywords_lists_and_negative_numbers_are_literals() -> None:
    found = edits(
        APP.replace('placeholder="Ada"', 'placeholder="Grace"')
        .replace('["a", "b"]', '["a", "b", "c"]')
        .replace("value=-1", "value=-2")
        .replace("Slider(0, 10", "Slider(0, 20")
    )
    assert isinstance(found, list), found
    assert {(e.position, e.keyword, str(e.value)) for e in found} == {
        (None, "placeholder", "Grace"),
        (0, None, "['a', 'b', 'c']"),
        (None, "value", "-2"),
        (1, None, "20"),
    }


@pytest.mark.parametrize(
    ("what", "new"),
    [
        (
            "a line added",
            APP.replace('    gr.Markdown("# Title")\n', '    gr.Markdown("# Title")\n\n'),
        ),
        ("a module constant", APP.replace('TITLE = "Analyzer"', 'TITLE = "Reader"')),
        ("a function body", APP.replace('"Hello "', '"Hi "')),
        ("an f-string", APP.replace('f"# {TITLE}"', 'f"## {TITLE}"')),
        ("a NO_RELOAD block", APP.replace('"kept"', '"held"')),
        ("a keyword renamed", APP.replace('label="Level"', 'info="Level"')),
        ("an argument added", APP.replace('label="Letter")', 'label="Letter", info="x")')),
        ("a name changed", APP.replace("gr.Number(", "gr.Slider(")),
        ("nothing", APP),
        ("a syntax error", APP.replace('"# Title")', '"# Title"')),
    ],
)
def test_anything_but_literal_arguments_is_not_an_edit(what: str, new: str) -> None:
    assert isinstance(edits(new), Fallback), what


def test_an_event_s_literal_is_an_edit_the_adapter_may_refuse() -> None:
    """``api_name="greet"`` is a literal argument too: that the call built no component,
    so that the app must run again, only the adapter knows."""
    edit = only(edits(APP.replace('api_name="greet"', 'api_name="hello"')))
    assert edit.keyword == "api_name" and edit.value == "hello"


def test_the_site_is_where_the_running_code_has_the_call() -> None:
    """After a literal edit that made a line longer, the running code still knows the
    next call on that line by the first source's columns."""
    one_line = APP.replace(
        '    name = gr.Textbox(label="Name", placeholder="Ada")\n',
        '    name = gr.Textbox(label="Name", placeholder="Ada"); gr.Markdown("x")\n',
    )
    longer = one_line.replace('label="Name"', 'label="Full name"')
    edit = only(edits(longer.replace('"x"', '"y"'), old=longer, ran=one_line))
    line = next(n for n, text in enumerate(one_line.splitlines(), 1) if '"x"' in text)
    column = one_line.splitlines()[line - 1].index('gr.Markdown("x")')
    assert edit.site == CallSite("app.py", line, column, line, column + len('gr.Markdown("x")'))


@pytest.mark.parametrize(
    ("reader", "edit"),
    [
        # An attribute read at the top level: it read the old argument.
        ("echo = gr.Markdown(name.placeholder)", ('placeholder="Ada"', 'placeholder="Grace"')),
        # Handed to a function called by name, which may read name.label.
        ("echo = gr.Markdown(caption([name]))", ('label="Name"', 'label="Your name"')),
    ],
)
def test_a_component_something_read_as_the_module_loaded_is_not_an_edit(
    reader: str, edit: tuple[str, str]
) -> None:
    """Only running the module again shows the new argument where it was read. Its
    events (``name.submit``), the framework's own calls through an attribute (left to
    the adapter: ``gr.Examples(inputs=[name])``) and reads inside handlers, which run
    later, are no such reads; nor does the reader stop edits of other calls."""
    reads = APP.replace(
        "    shift = gr.Number(value=-1)\n", f"    shift = gr.Number(value=-1); {reader}\n"
    )
    found = edits(reads.replace(*edit), old=reads)
    assert isinstance(found, Fallback) and "name" in found.reason
    assert only(edits(reads.replace('"# Title"', '"# T"'), old=reads)).value == "# T"


def test_a_component_a_handler_reads_is_an_edit() -> None:
    in_handler = APP.replace('return "Hello " + name', 'return "Hello " + name + LEVEL.label')
    in_handler = in_handler.replace("level = gr.Slider", "LEVEL = level = gr.Slider")
    assert only(edits(in_handler.replace('label="Level"', 'label="Lvl"'), old=in_handler))
