"""NiceGUI's own example apps under devreload, used as their users would: several tabs,
several saves, and every page is rebuilt in place (no reload), keeps what was typed and
ticked, and its handlers answer with the new code. Real devreload, real Chromium. The
apps are in tests/upstream/nicegui (copied from github.com/zauberzeug/nicegui, with
their source and licence noted)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support import devreload, save_in_place

pytestmark = [pytest.mark.integration, pytest.mark.browser]

UPSTREAM = Path(__file__).resolve().parent / "upstream" / "nicegui"


def _copy(tmp_path: Path, name: str) -> Path:
    app = tmp_path / "app.py"
    shutil.copy(UPSTREAM / name, app)
    return app


def _connected(page: Any) -> None:
    """Wait for NiceGUI's socket handshake: input typed before it is lost (the server
    never hears of it), as it is under ``python app.py``."""
    page.wait_for_function("() => window.did_handshake === true", timeout=30_000)


def _wait_until(page: Any, condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition was not met in time"
        page.wait_for_timeout(20)  # lets Playwright deliver the page's events


def _mark(page: Any) -> None:
    page.evaluate("() => { window.__sameDocument = true; }")


def _same_document(page: Any) -> bool:
    return bool(page.evaluate("() => window.__sameDocument === true"))


def test_todo_list_a_root_page_is_rebuilt_with_its_values(tmp_path: Path, page: Any) -> None:
    """todo_list (``ui.run(root)``, a ``ui.refreshable``, bound inputs): two saves rebuild
    the open page in place; the renamed item, the ticked box and the half-typed new item
    are kept, and adding an item still works. (A root page used to be reloaded: NiceGUI
    serves it as page(''), which devreload looked up under '/'.)"""
    app = _copy(tmp_path, "todo_list.py")
    source = app.read_text(encoding="utf-8")
    with devreload(app) as process:
        process.wait_ready()
        updates: list[str] = []
        page.on(
            "websocket",
            lambda socket: socket.on(
                "framereceived",
                lambda frame: updates.append(frame) if '"update"' in str(frame) else None,
            ),
        )
        page.goto(process.url)
        page.wait_for_selector("text=Completed: 1", timeout=30_000)
        # The refreshable list, refreshed by todos.add() before the page connected, is
        # sent again in the first update after the handshake: what is typed into the
        # rows before that is lost with them (under ``python app.py`` too).
        _wait_until(page, lambda: bool(updates))
        page.locator("input[type=text]").nth(1).fill("Buy a NiceGUI release")  # item 2's name
        page.get_by_role("checkbox").nth(2).click()  # tick "Clean the house"
        page.wait_for_selector("text=Completed: 2", timeout=10_000)
        page.get_by_label("New item").fill("half typed")
        _mark(page)
        for number, (old, new) in enumerate(
            [("'List is empty.'", "'Nothing to do.'"), ("f'Remaining: ", "f'Left: ")], start=1
        ):
            source = source.replace(old, new)
            save_in_place(app, source)
            process.wait_for_line("devreload: reloaded", occurrences=number)
        page.wait_for_selector("text=Left: 2", timeout=30_000)
        page.wait_for_selector("text=Completed: 2", timeout=10_000)
        assert page.locator("input[type=text]").nth(1).input_value() == "Buy a NiceGUI release"
        assert page.get_by_role("checkbox").nth(2).get_attribute("aria-checked") == "true"
        assert page.get_by_label("New item").input_value() == "half typed"
        page.get_by_label("New item").fill("Water the plants")
        page.get_by_label("New item").press("Enter")
        page.wait_for_selector("text=Left: 3", timeout=10_000)
        assert _same_document(page), "the page was reloaded"


def test_authentication_storage_writes_do_not_reload_and_pages_keep_their_state(
    tmp_path: Path, page: Any, browser: Any
) -> None:
    """authentication (``app.storage.user``, an auth middleware, a page with a query
    parameter): logging in writes the user's storage file into .nicegui in the app's
    folder, which reloads nothing; a save then rebuilds both users' pages in place: the
    logged-in page reads app.storage.user as it is rebuilt, and the other user's login
    page keeps its typed name and its ``redirect_to`` parameter."""
    app = _copy(tmp_path, "authentication.py")
    source = app.read_text(encoding="utf-8")
    other = browser.new_context()
    try:
        login = other.new_page()
        with devreload(app) as process:
            process.wait_ready()
            login.goto(process.url + "/subpage")  # sent to /login?redirect_to=/subpage
            login.wait_for_selector("text=Log in", timeout=30_000)
            _connected(login)
            login.get_by_label("Username").fill("user2")
            _mark(login)
            page.goto(process.url + "/login")
            _connected(page)
            page.get_by_label("Username").fill("user1")
            page.get_by_label("Password").fill("pass1")
            page.get_by_role("button", name="Log in").click()
            page.wait_for_selector("text=Hello user1!", timeout=10_000)
            _mark(page)
            storage = list((tmp_path / ".nicegui").glob("storage-user-*.json"))
            assert storage, "NiceGUI wrote no user storage"
            save_in_place(app, source.replace("f'Hello {", "f'Welcome {"))
            page.wait_for_selector("text=Welcome user1!", timeout=30_000)
            # The line comes once both tabs confirm (or after its bound), not with the page.
            process.wait_for_line("devreload: reloaded")
            assert process.count("devreload: reloaded") == 1, process.output
            assert ".nicegui" not in process.output
            assert login.get_by_label("Username").input_value() == "user2"
            login.get_by_label("Password").fill("pass2")
            login.get_by_role("button", name="Log in").click()
            login.wait_for_selector("text=This is a sub page.", timeout=10_000)
            assert _same_document(page), "the logged-in page was reloaded"
            assert "RuntimeError" not in process.output
    finally:
        other.close()


def test_chat_app_an_async_page_keeps_the_typed_message(tmp_path: Path, page: Any) -> None:
    """chat_app (an async page function that awaits the client's connection): a save
    rebuilds the page in place with the message being typed kept, and sending it works."""
    app = _copy(tmp_path, "chat_app.py")
    source = app.read_text(encoding="utf-8")
    with devreload(app) as process:
        process.wait_ready()
        page.goto(process.url)
        page.wait_for_selector("text=No messages yet", timeout=30_000)
        _connected(page)
        page.get_by_placeholder("message").fill("hello from a tab")
        _mark(page)
        save_in_place(app, source.replace("'No messages yet'", "'Nothing said yet'"))
        page.wait_for_selector("text=Nothing said yet", timeout=30_000)
        assert page.get_by_placeholder("message").input_value() == "hello from a tab"
        page.get_by_placeholder("message").press("Enter")
        page.wait_for_selector(".q-message-text >> text=hello from a tab", timeout=10_000)
        assert _same_document(page), "the page was reloaded"
