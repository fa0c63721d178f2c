"""Rebuild each open NiceGUI page in place after a save, with what the user entered kept.

NiceGUI builds a page per client, on the server, by calling its page function
(an ``@ui.page`` function, the ``root`` of ``ui.run(root)``, or, in script mode,
the file itself) and sends the elements over the client's socket. After a save,
each connected client's page is emptied and built again by the new version's
function for its path, called as NiceGUI called it for this client: with the
same path and query arguments (recorded when NiceGUI made the call), its client,
its request (``app.storage.user`` reads it), awaited if it is async. The tab
keeps its document, scroll, socket, ``app.storage.tab`` and ``app.storage.client``.

The values of its input elements (anything with a ``value``: inputs, checkboxes,
selects, sliders ...) are put back into the new elements at the same place in
the page, unless the developer changed that element's initial value. Setting a
value is what a user's input does: bindings and change handlers run.

A page that cannot be rebuilt that way (its new function needs an argument the
first call did not get, returns a response such as a redirect, raises, or takes
longer than :data:`REBUILD_SECONDS`) is reloaded instead.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from reloader.adapters.nicegui.compat import CLIENT_HANDLER_LISTS

__all__ = ["REBUILD_SECONDS", "PageCalls", "rebuild_clients"]

logger = logging.getLogger("reloader.adapters.nicegui")

#: How long a page function may take to rebuild a page (NiceGUI's own default
#: ``response_timeout`` is 3 s); a slower one has its tab reloaded.
REBUILD_SECONDS = 3.0

#: Where an element sits in its page: per level, (slot name, element type, its
#: index among the elements of that type in that slot, its markers).
Place = tuple[tuple[str, str, int, tuple[str, ...]], ...]


@dataclass
class PageCall:
    """How NiceGUI called a client's page function."""

    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


class PageCalls:
    """What each client's page function was called with, and the initial values of
    the elements it built (to tell a value the user entered from one the developer
    changed in the code). Installed once, on NiceGUI's ``page`` class."""

    def __init__(self) -> None:
        self.calls: weakref.WeakKeyDictionary[Any, PageCall] = weakref.WeakKeyDictionary()
        self.initial: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    def install(self) -> None:
        """Wrap each page function NiceGUI registers (``page._wrap``, which both
        ``@ui.page`` and the ``root`` page use) so that its calls are recorded."""
        from nicegui.page import page

        original = page.__dict__["_wrap"]
        if getattr(original, "__devreload__", False):
            return
        calls = self

        @functools.wraps(original)
        def _wrap(self: Any, func: Callable[..., Any]) -> Callable[..., Any]:
            return original(self, calls.recording(func))

        _wrap.__devreload__ = True  # type: ignore[attr-defined]
        page._wrap = _wrap  # type: ignore[method-assign]

    def recording(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func``, recording each call and the values its page starts with.
        (``functools.wraps`` keeps its signature, which NiceGUI and FastAPI read.)"""
        calls = self

        @functools.wraps(func)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            from nicegui import context

            client = context.client
            calls.calls[client] = PageCall(args, {k: v for k, v in kwargs.items() if k != "client"})
            result = func(*args, **kwargs)
            if inspect.isawaitable(result):
                return calls._then_remember(client, result)
            calls.remember_values(client)
            return result

        return recorded

    async def _then_remember(self, client: Any, result: Any) -> Any:
        value = await result
        self.remember_values(client)
        return value

    def remember_values(self, client: Any) -> None:
        for element in _value_elements(client):
            self.initial.setdefault(element, _copy(element.value))


async def rebuild_clients(calls: PageCalls, builders: dict[str, Any]) -> None:
    """Rebuild every connected client's page with ``builders[client.page.path]``
    (the new version's page functions by path); reload those that cannot be."""
    from nicegui.client import Client

    clients = [
        client
        for client in list(Client.instances.values())
        if not client.is_deleted and client.has_socket_connection
    ]
    tasks = {
        client: asyncio.ensure_future(_rebuild(client, builders.get(client.page.path), calls))
        for client in clients
    }
    if not tasks:
        return
    await asyncio.wait(tasks.values(), timeout=REBUILD_SECONDS)
    for client, task in tasks.items():
        rebuilt = False
        if task.done() and not task.cancelled():
            if task.exception() is None:
                rebuilt = task.result()
            else:
                logger.debug("rebuilding client %s failed", client.id, exc_info=task.exception())
        else:
            task.cancel()
        if not rebuilt and not client.is_deleted:
            client.run_javascript("location.reload()")


async def _rebuild(client: Any, builder: Any, calls: PageCalls) -> bool:
    """Empty the client's page and run ``builder`` into it, as NiceGUI called the
    previous version's function; then put the user's values back. False: reload."""
    from nicegui import storage

    if builder is None:
        return False
    call = calls.calls.get(client, PageCall())
    kwargs = _arguments(builder, call, client)
    if kwargs is None:
        return False
    entered = {
        _place(element): (type(element), element.value, calls.initial.get(element, _UNKNOWN))
        for element in _value_elements(client)
    }
    # The page function registers its client.on_connect/on_disconnect/on_delete
    # handlers again as it runs: the previous version's give way, as on a new load.
    handlers = {name: getattr(client, name, None) for name in CLIENT_HANDLER_LISTS}
    for name, registered in handlers.items():
        if isinstance(registered, list):
            setattr(client, name, [])
    # app.storage.user and .browser read the request of the current context.
    storage.request_contextvar.set(client.request)
    try:
        with client:
            for element in list(client.layout.default_slot.children):
                if element is not client.page_container:
                    client.layout.remove(element)
            client.content.clear()
            result = builder(**kwargs)
            if inspect.isawaitable(result):
                result = await result
    except Exception:
        logger.debug("rebuilding the page of client %s failed", client.id, exc_info=True)
        for name, registered in handlers.items():
            if isinstance(registered, list):
                setattr(client, name, registered)
        return False
    if result is not None:  # a response (a redirect, say): the page must load it
        return False
    calls.calls[client] = PageCall(call.args, {k: v for k, v in kwargs.items() if k != "client"})
    calls.remember_values(client)
    _restore(client, entered, calls)
    return True


def _arguments(builder: Any, call: PageCall, client: Any) -> dict[str, Any] | None:
    """The keyword arguments for the new page function: those of the recorded call
    it still takes, its client and request; None when it needs one there is not."""
    if call.args:
        return None
    try:
        parameters = inspect.signature(builder).parameters
    except (TypeError, ValueError):
        return None
    kwargs: dict[str, Any] = {}
    for name, parameter in parameters.items():
        if name == "client":
            kwargs[name] = client
        elif name in call.kwargs:
            kwargs[name] = call.kwargs[name]
        elif name == "request":
            kwargs[name] = client.request
        elif parameter.kind is parameter.VAR_KEYWORD:
            kwargs.update({k: v for k, v in call.kwargs.items() if k not in parameters})
        elif parameter.kind is parameter.VAR_POSITIONAL:
            continue
        elif parameter.default is parameter.empty:
            return None
    return kwargs


_UNKNOWN = object()


def _restore(client: Any, entered: dict[Place, tuple[Any, Any, Any]], calls: PageCalls) -> None:
    """Put the values the user entered into the rebuilt page's elements at the same
    places. A value set can run change handlers that rebuild part of the page (a
    ``ui.refreshable``): the places are then looked up again in the page as it is."""
    places: dict[Place, Any] = {}
    shape: tuple[int, int] | None = None
    for place, (kind, value, initial) in entered.items():
        if shape != _shape(client):  # elements were made or removed: look again
            places = {_place(element): element for element in _value_elements(client)}
            shape = _shape(client)
        element = places.get(place)
        if element is None or element.is_deleted or type(element) is not kind:
            continue
        now_initial = calls.initial.get(element, _UNKNOWN)
        if initial is not _UNKNOWN and now_initial is not _UNKNOWN and now_initial != initial:
            continue  # the developer changed what this element starts with
        if element.value != value:
            try:
                element.value = _copy(value)
            except Exception:
                logger.debug("could not put %r back into %s", value, element, exc_info=True)


def _shape(client: Any) -> tuple[int, int]:
    """Changes when elements are made or removed: their count and the newest id."""
    elements = client.elements
    return len(elements), next(reversed(elements), -1)


def _value_elements(client: Any) -> Iterator[Any]:
    from nicegui.elements.mixins.value_element import ValueElement

    for element in client.layout.descendants():
        if isinstance(element, ValueElement) and not element.is_deleted:
            yield element


def _place(element: Any) -> Place:
    steps = []
    while True:
        slot = element.parent_slot
        if slot is None:
            break
        kind = type(element)
        same = [child for child in slot.children if type(child) is kind]
        steps.append((slot.name, kind.__name__, same.index(element), tuple(element._markers)))
        element = slot.parent
    return tuple(reversed(steps))


def _copy(value: Any) -> Any:
    """Lists and dicts (a multi-select's value) are copied: the page must not share them."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value
