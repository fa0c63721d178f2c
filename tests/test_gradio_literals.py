"""Saves that change only literal arguments of top-level calls (a header's words, a
label, the choices of a dropdown) are applied to the components those calls built,
in place, without running the app again: the literal tier (tier "props"). After
each, the server serves what a fresh ``python app.py`` of the saved file serves, and
a save the tier cannot apply exactly runs the app again."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from gradio_oracle import Oracle, compare, snapshot
from support import devreload, free_port, serve_source, status

pytestmark = pytest.mark.integration

FIRST = textwrap.dedent(
    """
    import gradio as gr

    if gr.NO_RELOAD:
        LOADS = []
    LOADS.append(1)


    def answer(text, level):
        return f"{text} at {level}"


    def caption(component):
        return "Field: " + component.label


    with gr.Blocks() as demo:
        gr.Markdown("# Document analyzer")
        loads = gr.Number(value=len(LOADS), label="Loads")
        text = gr.Textbox(label="Question", placeholder="Ask about the document")
        letter = gr.Dropdown(["a", "b"], value="a", label="Letter")
        level = gr.Slider(0, 10, value=3, step=1, label="Level")
        out = gr.Textbox(label="Answer")
        go = gr.Button("Analyze")
        go.click(answer, [text, level], out, api_name="analyze")
        # js=True: launch() translates the function to JavaScript; so must a reload.
        enable = gr.Button("Enable", interactive=False)
        out.change(lambda: gr.Button(interactive=True), None, enable, js=True)
        for number in range(2):
            gr.Textbox(label="Note")
        example = gr.Textbox(label="Example")
        gr.Examples([["an example"]], inputs=[example])
        cleared = gr.Dataframe([[1, 2]], headers=["a", "b"])
        gr.ClearButton([cleared])
        named = gr.Number(label="Named")
        gr.Markdown(caption(named))

    demo.launch()
    """
)
HEADER = FIRST.replace("# Document analyzer", "# PDF analyzer")
SEVERAL = (
    HEADER.replace(
        'label="Question", placeholder="Ask about the document"',
        'label="Ask", placeholder="What is it about?"',
    )
    .replace('["a", "b"], value="a"', '["a", "b", "c"], value="c"')
    .replace("Slider(0, 10, value=3", "Slider(0, 20, value=5")
)
BUTTON = SEVERAL.replace('gr.Button("Analyze")', 'gr.Button("Run")')
IN_A_LOOP = BUTTON.replace('label="Note"', 'label="Remark"')
EVENT = IN_A_LOOP.replace('api_name="analyze"', 'api_name="ask"')
EXAMPLES = EVENT.replace('label="Example"', 'label="Sample"')
CLEARED = EXAMPLES.replace('headers=["a", "b"]', 'headers=["a", "c"]')
CAPTION = CLEARED.replace('label="Named"', 'label="Called"')
AFTER_A_RUN = CAPTION.replace("# PDF analyzer", "# Report analyzer")

#: (what the save does, the saved file, the tier that puts it in service)
EDITS = (
    ("the header's words", HEADER, "props"),
    ("a label, a placeholder, choices, a default and a slider's range", SEVERAL, "props"),
    ("a button's text", BUTTON, "props"),
    ("the label of components built in a loop", IN_A_LOOP, "full"),
    ("an event's api_name", EVENT, "full"),
    # Each of these three components' properties were read into another part of the
    # app as it loaded: the examples' dataset, the clear button's JavaScript, a caption.
    ("the label of a component gr.Examples shows", EXAMPLES, "full"),
    ("the headers of a table gr.ClearButton clears", CLEARED, "full"),
    ("the label of a component a function of the app read", CAPTION, "full"),
    ("the header again, after a full reload", AFTER_A_RUN, "props"),
)


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    fresh = Oracle()
    yield fresh
    fresh.close()


def fresh_runs(oracle: Oracle, folder: Path) -> list[dict[str, Any]]:
    found = []
    for number, (_, text, _) in enumerate(EDITS):
        version = folder / f"v{number}"
        version.mkdir(parents=True)
        (version / "app.py").write_text(text)
        with oracle.run(version / "app.py", free_port(), version / "fresh.log") as url:
            found.append(snapshot(url))
    return found


def test_literal_edits_are_applied_in_place_and_serve_what_a_fresh_run_serves(
    tmp_path: Path, oracle: Oracle
) -> None:
    app = tmp_path / "served" / "app.py"
    app.parent.mkdir()
    app.write_text(FIRST)
    unfaithful: list[str] = []
    with ThreadPoolExecutor(1) as pool, devreload(app) as process:
        fresh = pool.submit(fresh_runs, oracle, tmp_path / "fresh")
        process.wait_ready()
        for number, (what, text, tier) in enumerate(EDITS):
            serve_source(process, text)
            event = status(process)["last"]
            assert (event["event"], event.get("tier")) == ("reloaded", tier), (what, event)
            served = snapshot(process.url)
            expected = fresh.result(timeout=300)[number]
            # The NO_RELOAD counter says how many times the app ran: once more for
            # each full reload, never for an update in place (a fresh run says 1).
            ran = 1 + sum(1 for _, _, t in EDITS[: number + 1] if t == "full")
            assert _loads(served) == ran, what
            _loads(expected, set_to=ran)
            differences = compare(served, expected)
            unfaithful += [f"save {number + 1} ({what}): {line}" for line in differences]
        output = process.output
    assert not unfaithful, "\n".join(unfaithful)
    assert "ms, in place: only literal arguments changed (detect" in output


def _loads(snapshot: dict[str, Any], set_to: int | None = None) -> int:
    """The "Loads" number's value in a snapshot's config (``set_to``: changed to that)."""
    config: dict[str, Any] = snapshot["config"]
    for component in config["components"]:
        if component["props"].get("label") == "Loads":
            if set_to is not None:
                component["props"]["value"] = set_to
            return int(component["props"]["value"])
    raise AssertionError("no Loads component")
