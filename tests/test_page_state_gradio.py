"""Gradio pages keep their component values across a save (issue 12), in real Chromium.

One devreload process serves most of the module's tests: each has its app served
first (support.serve_source), opens its own tab and saves its own edits. The options
of a run (-v, --no-keep-state) and the demo get a process of their own.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support import (
    DevreloadProcess,
    devreload,
    open_app_page,
    save_in_place,
    serve_source,
    shared_devreload,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

APP = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        gr.Markdown("# Header v1")
        name = gr.Textbox(label="Name")
        level = gr.Slider(0, 100, value=10, step=1, label="Level")
        agree = gr.Checkbox(label="Agree")
        color = gr.Dropdown(["red", "green", "blue"], value="red", label="Color")
        out = gr.Textbox(label="Out")
        go = gr.Button("Go")
        go.click(lambda n, v, a, c: f"{n}|{int(v)}|{a}|{c}", [name, level, agree, color], out)
        # Without a label, a field shows its class name as its (hidden) label.
        gr.MultimodalTextbox(show_label=False, elem_id="message", interactive=True)
        gr.Textbox(show_label=False, placeholder="No label")

    if __name__ == "__main__":
        demo.launch()
    """
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevreloadProcess]:
    with shared_devreload(tmp_path_factory.mktemp("page_state"), APP) as process:
        yield process


@pytest.fixture
def server(served: DevreloadProcess) -> DevreloadProcess:
    """The module's process, serving APP."""
    return serve_source(served, APP)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """APP in a folder of its own, for a test that runs devreload with other options."""
    path = tmp_path / "app.py"
    path.write_text(APP)
    return path


def work_page(page: Any, name: str, level: int, color: str) -> str:
    """Set every input by hand, run the event; returns the output it shows."""
    page.get_by_text("Header v1").wait_for(timeout=20_000)
    page.get_by_label("Name").fill(name)
    slider = page.get_by_label("number input for Level")
    slider.fill(str(level))
    slider.press("Enter")
    page.get_by_label("Agree").check()
    page.get_by_label("Color").click()
    page.get_by_role("option", name=color).click()
    page.get_by_role("button", name="Go", exact=True).click()
    expected = f"{name}|{level}|True|{color}"
    wait_for(lambda: page.get_by_label("Out").input_value() == expected, 20, what="the output")
    return expected


def values(page: Any) -> dict[str, Any]:
    return {
        "name": page.get_by_label("Name").input_value(),
        "level": page.get_by_label("number input for Level").input_value(),
        "agree": page.get_by_label("Agree").is_checked(),
        "color": page.get_by_label("Color").input_value(),
        "out": page.get_by_label("Out").input_value(),
    }


def wait_for_values(page: Any, expected: dict[str, Any]) -> None:
    wait_for(lambda: values(page) == expected, 10, what=f"the values {expected}")


def open_served(served: DevreloadProcess, page: Any, source: str) -> DevreloadProcess:
    """Serve ``source`` on the module's process and open it in ``page``."""
    server = serve_source(served, source)
    open_app_page(page, server.url)
    page.get_by_text("Header v1").wait_for(timeout=20_000)
    return server


def save_and_wait(app: Path, pages: list[Any], *edits: tuple[str, str], version: int = 2) -> None:
    """Save ``app`` with its header raised to ``version`` and each (old, new) of ``edits``
    replaced, in that order; wait until every page shows the new header."""
    source = app.read_text().replace(f"# Header v{version - 1}", f"# Header v{version}")
    for old, new in edits:
        source = source.replace(old, new)
    save_in_place(app, source)
    for page in pages:
        page.get_by_text(f"Header v{version}").wait_for(timeout=20_000)


def test_every_value_survives_a_save_of_an_unrelated_part(
    server: DevreloadProcess, page: Any
) -> None:
    open_app_page(page, server.url)
    out = work_page(page, "Ada", 42, "green")
    before = values(page)
    assert before == {"name": "Ada", "level": "42", "agree": True, "color": "green", "out": out}
    save_and_wait(server.app, [page])
    wait_for_values(page, before)


def test_a_changed_default_takes_the_new_value(server: DevreloadProcess, page: Any) -> None:
    open_app_page(page, server.url)
    out = work_page(page, "Ada", 42, "green")
    save_and_wait(server.app, [page], ("value=10, step=1", "value=77, step=1"))
    wait_for_values(
        page, {"name": "Ada", "level": "77", "agree": True, "color": "green", "out": out}
    )


def test_two_tabs_keep_their_own_values(server: DevreloadProcess, browser: Any) -> None:
    contexts = [browser.new_context(), browser.new_context()]
    try:
        first, second = (context.new_page() for context in contexts)
        open_app_page(first, server.url)
        open_app_page(second, server.url)
        work_page(first, "Ada", 42, "green")
        work_page(second, "Grace", 7, "blue")
        before = [values(first), values(second)]
        assert before[0] != before[1]
        save_and_wait(server.app, [first, second])
        wait_for(lambda: [values(first), values(second)] == before, 10, what="both tabs")
    finally:
        for context in contexts:
            context.close()


CHAT_APP = textwrap.dedent(
    """
    import gradio as gr

    def answer(message, history):
        return "", history + [
            {"role": "user", "content": message},
            {"role": "assistant", "content": "echo " + message},
        ]

    with gr.Blocks() as demo:
        gr.Markdown("# Header v1")
        chat = gr.Chatbot(label="Chat")
        box = gr.Textbox(label="Ask")
        box.submit(answer, [box, chat], [box, chat])

    if __name__ == "__main__":
        demo.launch()
    """
)


def test_chat_history_survives_a_save(served: DevreloadProcess, page: Any) -> None:
    server = serve_source(served, CHAT_APP)
    open_app_page(page, server.url)
    for message in ("first question", "second question"):
        page.get_by_label("Ask", exact=True).fill(message)
        page.get_by_label("Ask", exact=True).press("Enter")
        page.get_by_text(f"echo {message}").wait_for(timeout=20_000)
    save_and_wait(server.app, [page])
    for text in ("first question", "echo first question", "echo second question"):
        page.get_by_text(text, exact=True).wait_for(timeout=10_000)


def test_components_inserted_above_do_not_reset_it(server: DevreloadProcess, page: Any) -> None:
    open_app_page(page, server.url)
    work_page(page, "Ada", 42, "green")
    before = values(page)
    save_and_wait(
        server.app,
        [page],
        (
            '    name = gr.Textbox(label="Name")',
            '    gr.Slider(0, 5, label="Other")\n'
            '    gr.Dropdown(["x", "y"], label="Pick")\n'
            '    name = gr.Textbox(label="Name")',
        ),
    )
    wait_for_values(page, before)


def test_a_renamed_label_keeps_the_value_a_moved_one_does_not(
    server: DevreloadProcess, page: Any
) -> None:
    """Fixing a component's own label keeps what it holds (it kept its place); a
    component removed in one place and another of its type added elsewhere in the
    same save do not share a value: the new one starts empty."""
    open_app_page(page, server.url)
    out = work_page(page, "Ada", 42, "green")
    save_and_wait(
        server.app,
        [page],
        ('label="Name"', 'label="Full name"'),
        ('label="Level"', 'label="Level (0-100)"'),
    )
    wait_for(
        lambda: (
            page.get_by_label("Full name").input_value() == "Ada"
            and page.get_by_label("number input for Level (0-100)").input_value() == "42"
            and page.get_by_label("Out").input_value() == out
        ),
        10,
        what="the renamed components' values",
    )
    # "Out" removed below the button and "Notes" added above the first field:
    # not a rename.
    save_and_wait(
        server.app,
        [page],
        ('    out = gr.Textbox(label="Out")\n', ""),
        (
            '    name = gr.Textbox(label="Full name")',
            '    out = gr.Textbox(label="Notes")\n    name = gr.Textbox(label="Full name")',
        ),
        version=3,
    )
    page.get_by_label("Notes").wait_for(timeout=10_000)
    assert page.get_by_label("Notes").input_value() == ""
    assert page.get_by_label("Full name").input_value() == "Ada"


NUMBERS_APP = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        gr.Markdown("# Header v1")
        text = gr.Textbox(label="Text")
        count = gr.Number(label="Count")

    if __name__ == "__main__":
        demo.launch()
    """
)


def test_components_added_above_filled_ones_start_empty(
    served: DevreloadProcess, page: Any
) -> None:
    """Gradio reuses the mounted components by position: a Textbox and a Number
    added above filled ones must show their own (empty) values, not the text and the
    number the page's components held there, which move down with their owners."""
    server = open_served(served, page, NUMBERS_APP)
    page.get_by_label("Text").fill("kept text")
    page.get_by_label("Count").fill("42")
    page.get_by_label("Count").press("Tab")
    save_and_wait(
        server.app,
        [page],
        (
            '    text = gr.Textbox(label="Text")',
            '    gr.Textbox(label="New text")\n'
            '    gr.Number(label="New count")\n'
            '    text = gr.Textbox(label="Text")',
        ),
    )
    wait_for(
        lambda: (
            page.get_by_label("Text", exact=True).input_value() == "kept text"
            and page.get_by_label("Count", exact=True).input_value() == "42"
        ),
        10,
        what="the filled components' values",
    )
    assert page.get_by_label("New text").input_value() == ""
    assert page.get_by_label("New count").input_value() == ""


def test_devreload_reset_class_opts_a_component_out(served: DevreloadProcess, page: Any) -> None:
    server = serve_source(
        served, APP.replace('label="Level"', 'label="Level", elem_classes=["devreload-reset"]')
    )
    open_app_page(page, server.url)
    out = work_page(page, "Ada", 42, "green")
    save_and_wait(server.app, [page])
    wait_for_values(
        page, {"name": "Ada", "level": "10", "agree": True, "color": "green", "out": out}
    )


def test_values_changed_by_hand_after_the_last_event_are_kept(
    server: DevreloadProcess, page: Any
) -> None:
    open_app_page(page, server.url)
    out = work_page(page, "Ada", 42, "green")
    page.get_by_label("Name").fill("Ada typed later")
    slider = page.get_by_label("number input for Level")
    slider.fill("55")
    slider.press("Enter")
    page.get_by_label("Agree").uncheck()
    page.locator("#message textarea").fill("typed, not sent")
    page.get_by_placeholder("No label").fill("typed without a label")
    save_and_wait(server.app, [page])
    wait_for_values(
        page,
        {"name": "Ada typed later", "level": "55", "agree": False, "color": "green", "out": out},
    )
    assert page.locator("#message textarea").input_value() == "typed, not sent"
    assert page.get_by_placeholder("No label").input_value() == "typed without a label"


PLACE_APP = textwrap.dedent(
    """
    import gradio as gr

    def add(count):
        return count + 1, count + 1

    with gr.Blocks() as demo:
        gr.Markdown("# Header v1")
        with gr.Tabs():
            with gr.Tab("First"):
                gr.Textbox(label="A")
            with gr.Tab("Second"):
                gr.Textbox(label="B")
                with gr.Accordion("Deep", open=False):
                    gr.Textbox(label="Deep inside")
        with gr.Accordion("More", open=False):
            gr.Textbox(label="Inside")
        with gr.Accordion("Less", open=True):
            gr.Textbox(label="Shown")
        color = gr.Dropdown(["red", "green", "blue"], value="red", label="Color", interactive=True)
        size = gr.Radio([("Small", "s"), ("Large", "l")], value="s", label="Size", interactive=True)
        gr.Dropdown(
            [("Cheese", "c"), ("Ham", "h"), ("Olives", "o")],
            value=["c"],
            multiselect=True,
            label="Toppings",
            interactive=True,
        )
        count = gr.State(0)
        shown = gr.Number(label="Count")
        gr.Button("Add").click(add, count, [count, shown])
        for i in range(40):
            gr.Markdown(f"filler line {i}")
        gr.Markdown("the end")

    if __name__ == "__main__":
        demo.launch()
    """
)


def accordion_open(page: Any, label: str) -> bool:
    return bool(
        page.evaluate(
            "(label) => [...document.querySelectorAll('.gr-accordion button.label-wrap')]"
            ".find(b => b.textContent.includes(label)).classList.contains('open')",
            label,
        )
    )


def test_selected_tab_accordions_and_scroll_survive_a_save(
    served: DevreloadProcess, page: Any
) -> None:
    server = open_served(served, page, PLACE_APP)
    page.get_by_role("tab", name="Second").click()
    page.get_by_text("More", exact=True).click()
    page.get_by_text("Less", exact=True).click()
    wait_for(lambda: accordion_open(page, "More") and not accordion_open(page, "Less"), 10)
    page.evaluate("() => window.scrollTo(0, 600)")
    wait_for(lambda: page.evaluate("() => window.scrollY") == 600, 10, what="scrolled")
    scrolled = 600
    save_and_wait(server.app, [page])
    wait_for(
        lambda: page.get_by_role("tab", name="Second").get_attribute("aria-selected") == "true",
        10,
        what="the second tab still selected",
    )
    wait_for(lambda: accordion_open(page, "More"), 10, what="More still open")
    assert not accordion_open(page, "Less")
    wait_for(
        lambda: abs(page.evaluate("() => window.scrollY") - scrolled) <= 2,
        10,
        what=f"the page scrolled to {scrolled}",
    )


def test_an_accordion_opened_in_a_tab_hidden_at_the_save_stays_open(
    served: DevreloadProcess, page: Any
) -> None:
    server = open_served(served, page, PLACE_APP)
    page.get_by_role("tab", name="Second").click()
    page.get_by_text("Deep", exact=True).click()
    wait_for(lambda: accordion_open(page, "Deep"), 10, what="Deep open")
    page.get_by_role("tab", name="First").click()
    wait_for(
        lambda: page.get_by_role("tab", name="First").get_attribute("aria-selected") == "true",
        10,
    )
    save_and_wait(server.app, [page])
    page.get_by_role("tab", name="Second").click()
    wait_for(lambda: accordion_open(page, "Deep"), 10, what="Deep still open")


def toppings(page: Any) -> list[str]:
    """The options a multiselect shows as chosen (its tokens)."""
    return list(
        page.evaluate(
            "() => [...document.querySelector('input[aria-label=\"Toppings\"]')"
            ".closest('.wrap-inner').querySelectorAll(':scope > .token > span')]"
            ".map(span => span.textContent.trim())"
        )
    )


def test_dropdown_and_radio_picked_by_hand_survive_a_save(
    served: DevreloadProcess, page: Any
) -> None:
    server = open_served(served, page, PLACE_APP)
    page.get_by_label("Color").click()
    page.get_by_role("option", name="blue").click()
    page.get_by_label("Large").check()
    wait_for(lambda: page.get_by_label("Color").input_value() == "blue", 10)
    # A multiselect: one option added, the default one removed, by hand.
    page.get_by_label("Toppings").click()
    page.get_by_role("option", name="Olives").click()
    page.get_by_label("Toppings").press("Escape")
    page.locator(".token", has_text="Cheese").locator(".token-remove").click()
    wait_for(lambda: toppings(page) == ["Olives"], 10, what="only Olives chosen")
    save_and_wait(server.app, [page])
    wait_for(
        lambda: (
            page.get_by_label("Color").input_value() == "blue"
            and page.get_by_label("Large").is_checked()
            and toppings(page) == ["Olives"]
        ),
        10,
        what="blue, Large and Olives still picked",
    )


def click_and_wait(page: Any, button: str, number: str, count: int) -> None:
    """Click ``button`` and wait until the Number labelled ``number`` shows ``count``."""
    page.get_by_role("button", name=button, exact=True).click()
    wait_for(
        lambda: page.get_by_label(number).input_value() == str(count), 20, what=f"{count} shown"
    )


def test_state_and_the_number_showing_it_agree_after_a_save(
    served: DevreloadProcess, page: Any
) -> None:
    server = open_served(served, page, PLACE_APP)
    for count in (1, 2, 3):
        click_and_wait(page, "Add", "Count", count)
    save_and_wait(server.app, [page])
    wait_for(lambda: page.get_by_label("Count").input_value() == "3", 10, what="3 shown")
    # gr.State kept 3 on the server: the next event shows 4.
    click_and_wait(page, "Add", "Count", 4)


def test_no_keep_state_turns_it_off_for_the_run(app: Path, page: Any) -> None:
    with devreload(app, args=["--no-keep-state"]) as process:
        process.wait_ready()
        open_app_page(page, process.url)
        out = work_page(page, "Ada", 42, "green")
        assert page.evaluate("() => window.__devreloadGradioState === undefined")
        save_and_wait(app, [page])
        # What Gradio's own reload keeps (the textboxes) stays; the rest starts afresh.
        expected = {"name": "Ada", "level": "10", "agree": False, "color": "red", "out": out}
        wait_for(lambda: values(page) == expected, 10, what=f"the defaults {expected}")


def test_verbose_says_which_components_kept_and_which_reset(app: Path, page: Any) -> None:
    with devreload(app, args=["-v"]) as process:
        process.wait_ready()
        open_app_page(page, process.url)
        work_page(page, "Ada", 42, "green")
        save_and_wait(
            app,
            [page],
            ('label="Level"', 'label="Level", elem_classes=["devreload-reset"]'),
            ('value="red"', 'value="blue"'),
            ('    go = gr.Button("Go")', '    gr.Textbox(label="Extra")\n    go = gr.Button("Go")'),
        )
        expected = (
            'page state: kept 3 components (Textbox "Name", Checkbox "Agree", Textbox "Out"); '
            'reset Slider "Level" (the devreload-reset class), '
            'Dropdown "Color" (its default changed), Textbox "Extra" (new component)'
        )
        process.wait_for_line(expected, timeout=10)


UPLOAD_APP = textwrap.dedent(
    """
    import gradio as gr

    with gr.Blocks() as demo:
        gr.Markdown("# Header v1")
        doc = gr.File(label="Doc", interactive=True)
        pic = gr.Image(label="Pic", type="filepath", interactive=True)
        msg = gr.MultimodalTextbox(label="Msg", interactive=True)

    if __name__ == "__main__":
        demo.launch()
    """
)


def block(page: Any, label: str) -> Any:
    """The Gradio block whose label (block-info or block-label) is ``label``."""
    title = page.locator('[data-testid="block-info"], [data-testid="block-label"]')
    return page.locator(".block", has=title.filter(has_text=label)).last


def shows_file(page: Any, label: str, name: str) -> bool:
    """Gradio's File shows a name in pieces ("invoice" and ".txt")."""
    return name in "".join(block(page, label).inner_text().split())


def test_uploads_and_a_multimodal_message_survive_a_save(
    tmp_path: Path, served: DevreloadProcess, page: Any
) -> None:
    invoice = tmp_path / "invoice.txt"
    invoice.write_text("total: 42 EUR\n")
    picture = tmp_path / "red.png"
    from PIL import Image

    Image.new("RGB", (8, 8), (255, 0, 0)).save(picture)
    server = open_served(served, page, UPLOAD_APP)
    block(page, "Doc").locator("input[type=file]").set_input_files(invoice)
    wait_for(lambda: shows_file(page, "Doc", "invoice.txt"), 10, what="invoice.txt in Doc")
    block(page, "Pic").locator("input[type=file]").set_input_files(picture)
    block(page, "Pic").locator('img[src*="red.png"]').wait_for(timeout=10_000)
    message = block(page, "Msg")
    message.locator("textarea").fill("what is the total?")
    message.locator("input[type=file]").set_input_files(picture)
    message.locator('img[src*="red.png"]').wait_for(timeout=10_000)
    save_and_wait(server.app, [page])
    wait_for(lambda: shows_file(page, "Doc", "invoice.txt"), 10, what="invoice.txt in Doc")
    block(page, "Pic").locator('img[src*="red.png"]').wait_for(timeout=10_000)
    block(page, "Msg").locator('img[src*="red.png"]').wait_for(timeout=10_000)
    wait_for(
        lambda: block(page, "Msg").locator("textarea").input_value() == "what is the total?",
        10,
        what="the message's text",
    )


DROP_FILE = """
(button) => {
  const files = new DataTransfer();
  files.items.add(new File(["total: 42 EUR"], "dropped.txt", { type: "text/plain" }));
  for (const type of ["dragenter", "dragover", "drop"]) {
    button.dispatchEvent(
      new DragEvent(type, { dataTransfer: files, bubbles: true, cancelable: true }),
    );
  }
}
"""


def test_a_file_dropped_onto_an_upload_area_survives_a_save(
    served: DevreloadProcess, page: Any
) -> None:
    server = open_served(served, page, UPLOAD_APP)
    block(page, "Doc").locator('button[aria-dropeffect="copy"]').evaluate(DROP_FILE)
    wait_for(lambda: shows_file(page, "Doc", "dropped.txt"), 10, what="dropped.txt in Doc")
    save_and_wait(server.app, [page])
    wait_for(lambda: shows_file(page, "Doc", "dropped.txt"), 10, what="dropped.txt kept")


def test_demo_conversation_and_document_survive_a_save(tmp_path: Path, page: Any) -> None:
    """The demo README's walkthrough: upload, ask, edit the system message, save, ask again."""
    import shutil

    from demo_support import DEMO_DIR, EXAMPLES

    demo = tmp_path / "demo_app"
    shutil.copytree(DEMO_DIR, demo, ignore=shutil.ignore_patterns("__pycache__"))
    app = demo / "app.py"
    with devreload(app, cwd=tmp_path, env={"DOC_ANALYZER_BACKEND": "local"}) as process:
        process.wait_ready(timeout=120)
        open_app_page(page, process.url)
        page.get_by_text("offline fallback").wait_for(timeout=30_000)
        textbox = page.get_by_test_id("textbox")
        page.locator("input[type=file]").set_input_files(EXAMPLES / "invoice_acme.png")
        page.get_by_label("File thumbnail").wait_for(timeout=10_000)
        textbox.fill("What is the invoice total?")
        textbox.press("Enter")
        bots = page.get_by_test_id("bot")
        wait_for(lambda: "$154.08" in bots.last.inner_text(), 60, what="the first answer")
        save_in_place(
            app,
            app.read_text()
            .replace("You are a helpful assistant.", "You are a very helpful assistant.", 1)
            .replace("# 📄 Document Analyzer", "# 📄 Invoice Helper"),
        )
        page.get_by_text("Invoice Helper").wait_for(timeout=30_000)
        # The conversation and the document in it are still on the page...
        assert "$154.08" in bots.last.inner_text()
        assert page.get_by_test_id("user").locator("img").count() >= 1
        # ...and the next question uses that document without uploading it again.
        wait_for(lambda: textbox.is_editable(), 30, what="the textbox unlocked")
        textbox.fill("Who is being invoiced?")
        textbox.press("Enter")
        wait_for(
            lambda: "John Doe is being invoiced" in bots.last.inner_text(),
            60,
            what="the follow-up answer",
        )


BROWSER_STATE_APP = textwrap.dedent(
    """
    import gradio as gr

    def add(value):
        value = (value or 0) + 1
        return value, value

    with gr.Blocks() as demo:
        gr.Markdown("# Header v1")
        kept = gr.BrowserState(0)
        shown = gr.Number(label="Clicks")
        gr.Button("Click").click(add, kept, [kept, shown])

    if __name__ == "__main__":
        demo.launch()
    """
)


def test_browser_state_and_the_number_showing_it_survive_a_save(
    served: DevreloadProcess, page: Any
) -> None:
    server = open_served(served, page, BROWSER_STATE_APP)
    for count in (1, 2):
        click_and_wait(page, "Click", "Clicks", count)
    save_and_wait(server.app, [page])
    wait_for(lambda: page.get_by_label("Clicks").input_value() == "2", 10, what="2 shown")
    # The BrowserState kept 2 in the page: the next event shows 3.
    click_and_wait(page, "Click", "Clicks", 3)
