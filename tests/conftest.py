from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest

from support import CHROMIUM, CHROMIUM_ARGS

# A shell's background job (`bash scripts/test.sh &`, some CI runners) starts with
# SIGINT ignored, and every devreload process the tests start would inherit that and
# shrug off the Ctrl+C the tests send. A Python handler is not inherited: with one
# here, the children start with SIGINT at its default, as from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One real headless Chromium (Debian's) for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
