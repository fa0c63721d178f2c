"""Component data models' JSON schemas, computed once per model class, not per reload.

The page config carries each component's ``api_info``: its data model's JSON
schema, which pydantic generates anew on every call and Gradio caches only per
component instance. A reload builds new instances, so every save paid for the
schemas again (a Chatbot's takes about 5 ms here, and a swap spent most of its
time there, measured with py-spy). A schema is a function of the model class and
the arguments alone, so it is kept per class (weakly: a model class defined in
the app is dropped with the version that defined it) and every caller gets its
own copy, since Gradio edits the dict it gets.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Iterable
from typing import Any

__all__ = ["cache_model_schemas"]

_MARK = "__devreload_cached_schema__"


def cache_model_schemas(bases: Iterable[type]) -> None:
    """Give ``bases`` (and their subclasses) a ``model_json_schema`` that keeps its result."""
    for base in bases:
        current = base.__dict__.get("model_json_schema")
        if current is not None and getattr(current.__func__, _MARK, False):
            continue  # already installed
        _install(base)


def _install(base: type) -> None:
    generate = base.model_json_schema.__func__  # type: ignore[attr-defined]
    kept: weakref.WeakKeyDictionary[type, dict[Any, str]] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def model_json_schema(cls: type, *args: Any, **kwargs: Any) -> dict[str, Any]:
        key = (args, tuple(sorted(kwargs.items())))
        try:
            hash(key)
        except TypeError:
            return dict(generate(cls, *args, **kwargs))
        with lock:
            text = kept.get(cls, {}).get(key)
        if text is None:
            schema = generate(cls, *args, **kwargs)
            try:
                text = json.dumps(schema)
            except (TypeError, ValueError):
                return dict(schema)
            with lock:
                kept.setdefault(cls, {})[key] = text
        return dict(json.loads(text))

    setattr(model_json_schema, _MARK, True)
    model_json_schema.__doc__ = generate.__doc__
    base.model_json_schema = classmethod(model_json_schema)  # type: ignore[attr-defined]
