"""launch() settings across a swap: each as a fresh run of the saved file has it.

Gradio's reload path (``launch()`` in its reload thread, then
``BaseReloader.swap_blocks``) applies only the appearance arguments, and the swap
then hands the new Blocks the served version's value for each appearance argument
the new version leaves out, and reads ``css_paths`` and ``head_paths`` into the
css and head a second time. A fresh ``python app.py`` has launch() set every
argument, from the call or from launch()'s defaults. So a swap sorts them in three:

* appearance (theme, css, js, head, their ``*_paths``): launch() in the reload
  thread sets them on the new Blocks; what it set is kept through the swap
  (:func:`appearance_of`);
* settings Gradio reads from the served Blocks or its app on each request
  (``show_error``, the footer, ``max_file_size``, ``auth``, ``root_path``,
  ``i18n``, ...): set from the new call or launch()'s default, converted as
  launch() converts them (:func:`settings_of`, :func:`apply_to_app`);
* settings fixed when the server started (its address and TLS, the FastAPI
  app's arguments and middleware, the MCP server, SSR, the thread limit,
  ``delete_cache``'s clean-up task): the running server keeps them, and a save
  that changes one is told once (:func:`server_changes`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "APPEARANCE_ARGS",
    "SERVER_ARGS",
    "appearance_of",
    "apply_to_app",
    "server_changes",
    "server_settings_of",
    "settings_of",
]

#: launch() arguments that shape the page (Gradio 6 moved them from the Blocks
#: constructor to launch(); Gradio 5 has them in the constructor only).
APPEARANCE_ARGS = ("theme", "css", "css_paths", "js", "head", "head_paths")
#: What they set on the Blocks (the theme's css, stylesheets and hash follow from theme).
#: Gradio 5 and 6 set different ones: those a Blocks has count (appearance_of).
_APPEARANCE = ("theme_css", "stylesheets", "theme_hash", *APPEARANCE_ARGS)

#: launch() arguments stored on the Blocks as given.
_AS_GIVEN = (
    "show_error",
    "show_api",
    "height",
    "width",
    "favicon_path",
    "auth_message",
    "state_session_capacity",
    "ssl_verify",
)
#: Gradio 6's footer when launch() names none (``footer_links=None``).
_DEFAULT_FOOTER_LINKS = ("api", "gradio", "settings", "runs")

#: launch() arguments fixed when the server starts: a save cannot apply them.
SERVER_ARGS = (
    "server_name",
    "server_port",
    "max_threads",
    "auth_dependency",
    "ssl_keyfile",
    "ssl_certfile",
    "ssl_keyfile_password",
    "app_kwargs",
    "strict_cors",
    "mcp_server",
    "ssr_mode",
    "num_workers",
    "node_server_name",
    "node_port",
)
#: What launch() sets on the Blocks about the running server: the served Blocks'
#: values carry over to the new one.
_CARRIED = ("ssr_mode", "max_threads", "has_launched")


def appearance_of(blocks: Any) -> dict[str, Any]:
    """What the appearance arguments set on ``blocks``, to keep through a swap."""
    return {name: getattr(blocks, name) for name in _APPEARANCE if hasattr(blocks, name)}


def settings_of(
    kwargs: Mapping[str, Any],
    parameters: Mapping[str, Any],
    served: Any,
    parse_file_size: Callable[[Any], Any],
    on_spaces: bool,
) -> dict[str, Any]:
    """The Blocks attributes ``launch(**kwargs)`` would set, read by Gradio per request.

    ``parameters``: launch()'s signature parameters (their defaults; Gradio 5 lacks
    some arguments, which are then left alone); ``served``: the served Blocks, whose
    server-bound values (:data:`_CARRIED`) carry over.
    """

    def given(name: str) -> Any:
        return kwargs.get(name, parameters[name].default)

    settings: dict[str, Any] = {n: getattr(served, n) for n in _CARRIED if hasattr(served, n)}
    settings.update({name: given(name) for name in _AS_GIVEN if name in parameters})
    if "run_history" in parameters:
        run_history = given("run_history")
        if run_history is None:
            run_history = os.environ.get("GRADIO_RUN_HISTORY", "True").lower() == "true"
        settings["run_history"] = run_history
    if "footer_links" in parameters:
        links = given("footer_links")
        links = list(_DEFAULT_FOOTER_LINKS if links is None else links)
        if not settings.get("run_history", True):
            links = [link for link in links if link != "runs"]
        settings["footer_links"] = links
    if "max_file_size" in parameters:
        settings["max_file_size"] = parse_file_size(given("max_file_size"))
    if "pwa" in parameters:
        pwa = given("pwa")
        settings["pwa"] = on_spaces if pwa is None else pwa
    if "root_path" in parameters:
        root_path = given("root_path")
        settings["root_path"] = (
            os.environ.get("GRADIO_ROOT_PATH", "") if root_path is None else root_path
        )
    for name, variable in (
        ("allowed_paths", "GRADIO_ALLOWED_PATHS"),
        ("blocked_paths", "GRADIO_BLOCKED_PATHS"),
    ):
        if name in parameters:
            from_env = [p.strip() for p in os.environ.get(variable, "").split(",") if p.strip()]
            settings[name] = given(name) or from_env
    if "enable_monitoring" in parameters:
        settings["enable_monitoring"] = given("enable_monitoring") in (True, None)
    if "i18n" in parameters:
        settings["i18n_instance"] = given("i18n")
    if "auth" in parameters:
        auth = given("auth")
        if auth and not callable(auth) and not isinstance(auth[0], (tuple, list)):
            auth = [auth]
        settings["auth"] = auth
    return settings


#: What some of Gradio's routes read from the Blocks the app was created with (the
#: first version's), not the served one: the upload limit, /monitoring, translations.
_READ_FROM_FIRST = ("max_file_size", "enable_monitoring", "i18n_instance")


def apply_to_app(running_app: Any, first: Any, settings: Mapping[str, Any]) -> None:
    """What Gradio's app takes from the Blocks when it is created (``configure_app``),
    and from the first Blocks for good (``first``)."""
    for name in _READ_FROM_FIRST:
        if name in settings and first is not None:
            setattr(first, name, settings[name])
    if "auth" in settings:
        auth = settings["auth"]
        if auth is None or callable(auth):
            running_app.auth = auth
        else:
            running_app.auth = {account[0]: account[1] for account in auth}
    if "root_path" in settings:
        running_app.root_path = settings["root_path"]
    if "favicon_path" in settings:
        running_app.favicon_path = settings["favicon_path"]


def server_settings_of(kwargs: Mapping[str, Any], blocks: Any) -> dict[str, Any]:
    """The server-bound settings of a launch() call and its Blocks, to compare across saves."""
    found = {name: kwargs.get(name) for name in SERVER_ARGS}
    found["delete_cache"] = blocks.delete_cache
    return found


def server_changes(started: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """The server-bound settings that differ from those the server started with."""
    return [name for name in started if not _same(started[name], now.get(name))]


def _same(a: Any, b: Any) -> bool:
    """Equal, with functions (re-created by every save) equal when their names are."""
    if callable(a) and callable(b) and not isinstance(a, type):
        return _name(a) == _name(b)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b)
    except Exception:  # an object whose == refuses another type
        return a is b


def _name(function: Any) -> tuple[str, str]:
    return (getattr(function, "__module__", ""), getattr(function, "__qualname__", repr(function)))
