"""Shiny's own example apps under devreload, used as their users would: several saves,
and the page keeps working (the new session answers every input) and keeps what
Shiny's JavaScript built (sliders, layouts) and what was typed. Real devreload, real
Chromium. The apps are in tests/upstream/shiny (copied from github.com/posit-dev/py-shiny,
with their source and licence noted)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from support import devreload, save_in_place

pytestmark = [pytest.mark.integration, pytest.mark.browser]

UPSTREAM = Path(__file__).resolve().parent / "upstream" / "shiny"

#: Shiny's session is up and connected (the page script's condition too).
CONNECTED = "() => window.Shiny && Shiny.shinyapp && Shiny.shinyapp.isConnected()"
#: ion.rangeSlider's widgets: each slider's input is hidden beside the one slider it built.
SLIDERS_BUILT = """(count) => {
  const inputs = [...document.querySelectorAll('input.js-range-slider')];
  const built = (input) => input.classList.contains('irs-hidden-input')
    && input.parentElement.querySelectorAll(':scope > span.irs--shiny').length === 1;
  return inputs.length === count && inputs.every(built)
    && document.querySelectorAll('span.irs--shiny').length === count;
}"""


def _copy(tmp_path: Path, name: str) -> Path:
    app = tmp_path / "app.py"
    shutil.copy(UPSTREAM / name, app)
    return app


def _same_document(page: Any) -> bool:
    return bool(page.evaluate("() => window.__sameDocument === true"))


def _columns(page: Any) -> int:
    """How many cards sit side by side in the first row of the page."""
    return int(
        page.evaluate(
            """() => {
              const tops = [...document.querySelectorAll('.card')].map(
                card => Math.round(card.getBoundingClientRect().top));
              return tops.filter(top => top === Math.min(...tops)).length;
            }"""
        )
    )


def test_inputs_update_keeps_its_sliders_layout_and_typed_text(tmp_path: Path, page: Any) -> None:
    """inputs-update: three saves (the title, a card's header, a slider's label). After
    each, the four sliders are still ion.rangeSlider widgets, the three cards still sit
    in one row (bslib's grid), the typed label text is kept, and the new session's
    effect updates the other inputs from it. (The morph used to put the server's raw
    markup back over what the JavaScript built: bare "14;16" inputs, two columns.)"""
    app = _copy(tmp_path, "inputs_update.py")
    source = app.read_text(encoding="utf-8")
    edits = [
        ("Changing the values of inputs", "Changing values of inputs"),
        ("These inputs control the other", "These inputs drive the other"),
        # A label the session does not set (it sets "Slider input:" to "Slider MINE"):
        # the save's line is printed once the tab shows the save, by then the session's.
        ('"Slider input 2:"', '"Slider input (two handles):"'),
    ]
    with devreload(app) as process:
        process.wait_ready()
        page.goto(process.url)
        page.wait_for_function(CONNECTED, timeout=30_000)
        page.wait_for_function(SLIDERS_BUILT, arg=4, timeout=30_000)
        assert _columns(page) == 3
        page.fill("#control_label", "MINE")
        page.press("#control_label", "Tab")
        page.wait_for_selector("text=New MINE", timeout=10_000)
        page.evaluate("() => { window.__sameDocument = true; }")
        for number, (old, new) in enumerate(edits, start=1):
            source = source.replace(old, new)
            save_in_place(app, source)
            process.wait_for_line("devreload: reloaded", occurrences=number)
            page.wait_for_selector(f"text={new.strip(chr(34))}", timeout=30_000)
            page.wait_for_function(CONNECTED, timeout=10_000)
            page.wait_for_function(SLIDERS_BUILT, arg=4, timeout=10_000)
            assert _columns(page) == 3, f"save {number}: the layout lost its columns"
            assert page.input_value("#control_label") == "MINE"
        page.wait_for_selector("text=Slider MINE", timeout=10_000)  # the new session's effect
        page.fill("#control_label", "OURS")
        page.press("#control_label", "Tab")
        page.wait_for_selector("text=New OURS", timeout=10_000)
        assert _same_document(page), "the page was reloaded"


def test_moduleapp_counters_answer_after_saves(tmp_path: Path, page: Any) -> None:
    """moduleapp (Shiny modules, a dynamic counter from render.ui): after saves of the
    modules' UI and of their server code, every counter's button still counts, in the
    new session, with the new code's text."""
    app = _copy(tmp_path, "moduleapp.py")
    source = app.read_text(encoding="utf-8")
    with devreload(app) as process:
        process.wait_ready()
        page.goto(process.url)
        page.wait_for_function(CONNECTED, timeout=30_000)
        for _ in range(3):
            page.click("#counter1-button")
        page.wait_for_selector("text=Click count is 3", timeout=10_000)
        page.evaluate("() => { window.__sameDocument = true; }")
        source = source.replace('"This is "', '"Here is "')
        save_in_place(app, source)
        page.wait_for_selector("text=Here is Counter 1", timeout=30_000)
        source = source.replace("Click count is", "Clicks:")
        save_in_place(app, source)
        page.wait_for_selector("text=Clicks:", timeout=30_000)
        page.wait_for_function(CONNECTED, timeout=10_000)
        for button in ("#counter1-button", "#counter2_wrapper-counter-button"):
            shown = page.inner_text(button.replace("button", "out"))
            page.click(button)
            page.wait_for_function(
                "([selector, before]) => document.querySelector(selector).innerText !== before",
                arg=[button.replace("button", "out"), shown],
                timeout=10_000,
            )
            assert page.inner_text(button.replace("button", "out")).startswith("Clicks:")
        assert _same_document(page), "the page was reloaded"


def test_an_express_app_keeps_its_slider_through_saves(tmp_path: Path, page: Any) -> None:
    """Shiny Express's basic app: a save of the slider's label and one of the output's
    code leave the slider built, where the user moved it, and the output follows it
    with the new code."""
    app = _copy(tmp_path, "express_basic.py")
    source = app.read_text(encoding="utf-8")
    with devreload(app) as process:
        process.wait_ready()
        page.goto(process.url)
        page.wait_for_function(CONNECTED, timeout=30_000)
        page.wait_for_function(SLIDERS_BUILT, arg=1, timeout=30_000)
        moved = _move_slider(page, "n = 50")
        page.evaluate("() => { window.__sameDocument = true; }")
        source = source.replace('"N"', '"How many"')
        save_in_place(app, source)
        page.wait_for_selector("text=How many", timeout=30_000)
        source = source.replace('f"n = ', 'f"n is ')
        save_in_place(app, source)
        page.wait_for_selector(f"text=n is {moved}", timeout=30_000)
        page.wait_for_function(SLIDERS_BUILT, arg=1, timeout=10_000)
        _move_slider(page, f"n is {moved}")
        assert _same_document(page), "the page was reloaded"


def _move_slider(page: Any, shown: str) -> int:
    """Drag the slider's handle to the right, as a user does; the slider's new value."""
    box = page.locator(".irs-handle").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    page.wait_for_function(
        "(before) => !document.body.innerText.includes(before)", arg=shown, timeout=10_000
    )
    return int(page.input_value("#n"))
