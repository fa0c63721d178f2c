"""Which globals of the app module are ASGI apps (and which of them is *the* app).

A Starlette/FastAPI instance, an object with ``async __call__(self, scope,
receive, send)`` or ``async def app(scope, receive, send)``; routers and routes
are parts of an app, and an app mounted in or wrapped by another is not the app.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import (
    Mapping,
)
from typing import Any

__all__ = ["is_asgi_app", "is_starlette", "positional_arity", "top_level_apps"]


def is_starlette(value: Any) -> bool:
    module = sys.modules.get("starlette.applications")
    return module is not None and isinstance(value, module.Starlette)


def _is_component(value: Any) -> bool:
    """Routers and routes are ASGI callables, but parts of an app rather than apps."""
    routing = sys.modules.get("starlette.routing")
    return routing is not None and isinstance(value, routing.Router | routing.BaseRoute)


def is_asgi_app(value: Any, *, strict: bool = True) -> bool:
    """True for an ASGI app: a Starlette/FastAPI app, an object with ``async
    __call__(self, scope, receive, send)``, or ``async def app(scope, receive, send)``
    (with ``strict``, a function must use those very parameter names)."""
    return _is_asgi_instance(value) or _is_asgi_function(value, strict=strict)


def _is_asgi_instance(value: Any) -> bool:
    """A Starlette/FastAPI app, or an object with ``async __call__(self, scope, receive, send)``."""
    if is_starlette(value):
        return True
    if isinstance(value, type) or inspect.isroutine(value):
        return False
    call = getattr(type(value), "__call__", None)  # noqa: B004 - the class's, not callable()
    return call is not None and inspect.iscoroutinefunction(call) and positional_arity(call) == 4


def _is_asgi_function(value: Any, *, strict: bool = True) -> bool:
    """``async def app(scope, receive, send)``; ``strict`` also wants those very names."""
    if not inspect.iscoroutinefunction(value) or inspect.ismethod(value):
        return False
    if positional_arity(value) != 3:
        return False
    if not strict:
        return True
    return list(inspect.signature(value).parameters)[:3] == ["scope", "receive", "send"]


def positional_arity(function: Any) -> int:
    """How many positional parameters ``function`` takes (-1 when it cannot be told)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return -1
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for parameter in parameters if parameter.kind in positional)


def top_level_apps(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The module's apps, leaving out those mounted in or wrapped by another one."""
    found: dict[int, tuple[str, Any]] = {}
    for name, value in namespace.items():
        if name.startswith("_"):
            continue
        try:
            if not _is_component(value) and (_is_asgi_instance(value) or _is_asgi_function(value)):
                found.setdefault(id(value), (name, value))
        except Exception:  # a proxy that raises on any attribute (shiny.express.input)
            continue
    inner: set[int] = set()
    reached: dict[int, set[int]] = {}
    for key, (_, value) in found.items():
        reached[key] = _reachable(value)
        inner |= reached[key] - {key}
    roots = {key: pair for key, pair in found.items() if key not in inner}
    if len(roots) > 1:
        # A FastAPI/Starlette app (or a middleware wrapping one) wins over stray
        # ASGI helpers such as an unmounted StaticFiles.
        preferred = {
            key: pair
            for key, pair in roots.items()
            if any(is_starlette(found[other][1]) for other in reached[key] if other in found)
        }
        roots = preferred or roots
    return {name: value for name, value in roots.values()}


def _reachable(app: Any, limit: int = 2000) -> set[int]:
    """Ids of the app and of the ASGI apps it wraps (``.app``) or mounts (routes)."""
    seen: set[int] = set()
    stack = [app]
    while stack and len(seen) < limit:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for attribute in ("app", "_base_app", "router"):
            child = _safe_getattr(current, attribute)
            if child is not None and not isinstance(child, type):
                stack.append(child)
        routes = _safe_getattr(current, "routes")
        if isinstance(routes, list):
            for route in routes:
                child = _safe_getattr(route, "app")
                if child is not None and (
                    _is_asgi_instance(child) or _is_component(child) or _is_asgi_function(child)
                ):
                    stack.append(child)
    return seen


def _safe_getattr(value: Any, name: str) -> Any:
    try:
        return getattr(value, name, None)
    except Exception:  # a property that raises: not an app
        return None
