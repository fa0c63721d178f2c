"""What devreload adds to the page Gradio serves, in the Blocks' ``head``, stamped with
the version it shows: its client (the reload channel and error overlay), the script
that keeps component values across a save, and the one that has Gradio's frontend
take each save in place (both read the config with gradio_config.js)."""

from __future__ import annotations

import json
import re
from typing import Any

from reloader.adapters.gradio.compat import DEV_RELOAD_ROUTE
from reloader.notify import TAB_PATH, WORKER_PATH, client_script

__all__ = ["inject_client", "stamp_version"]

_CLIENT_MARKER = "__devreload_client__"
#: The version in the injected client's settings (see inject_client).
_SERVED_VERSION = re.compile(rf"(/\*{_CLIENT_MARKER}\*/window\.__devreload=\{{[^}}]*version:)\d+")


def inject_client(
    blocks: Any, version: int, api_prefix: str, keep_state: bool, report_state: bool
) -> None:
    """Put devreload's scripts in ``blocks.head``, for pages of ``version``.

    ``keep_state``: the page keeps component values across a save; ``report_state``:
    it says what it kept at each save (devreload -v, see _routes)."""
    head: str = blocks.head or ""
    # Gradio's swap hands the new Blocks the old one's head when the new one names
    # none: the client is already there (stamp_version() updates its version).
    if _CLIENT_MARKER in head:
        return
    # Relative to the app's root as the page finds it (see _app_base): under a
    # root_path, or behind a proxy at a prefix the app does not know.
    events = f"{api_prefix.lstrip('/')}{DEV_RELOAD_ROUTE}?client=overlay"
    report = "true" if report_state else "false"
    # Both page scripts read the config with gradio_config.js. The state script wraps
    # window.fetch first: the page script's re-render sees the config with the
    # values carried over.
    config = f"<script>{_page_script('gradio_config.js')}</script>"
    state = f"<script>{_page_script('gradio_state.js')}</script>" if keep_state else ""
    blocks.head = (
        f"{head}<script>/*{_CLIENT_MARKER}*/window.__devreload={{events:"
        f'"{events}",reloadPage:false,stateReport:{report},version:{int(version)},'
        f'tab:"{TAB_PATH.lstrip("/")}",worker:"{WORKER_PATH.lstrip("/")}",'
        f"base:{_app_base(api_prefix)}}};\n"
        f"{client_script(morph=False)}</script>{config}{state}"
        f"<script>{_page_script('gradio_reload.js')}</script>"
    )


def stamp_version(served: Any, version: int) -> None:
    """Pages served from now on say they show ``version`` (in the head and the config)."""
    head = getattr(served, "head", None)
    if served is None or not isinstance(head, str):
        return
    stamped = _SERVED_VERSION.sub(rf"\g<1>{int(version)}", head)
    if stamped == head:
        return
    served.head = stamped
    config = getattr(served, "config", None)
    if isinstance(config, dict) and "head" in config:
        config["head"] = stamped  # what Gradio renders the page from


def _app_base(api_prefix: str) -> str:
    """JavaScript for the app's root URL as Gradio's frontend finds it: the page's path
    (Gradio's client connects to ``location.pathname``), less the page name of a
    multipage app's page and the run history's ``{api_prefix}/runs``.

    Not the config's ``root``: Gradio builds that from ``root_path`` and the
    ``X-Forwarded-Host`` header, which a proxy often sends without its port, and it
    has no path at all behind a prefix the app was not told (JupyterHub's
    ``/user/NAME/proxy/7860/``, whose proxy strips it). The page's own URL is right
    in both cases, and devreload's routes are on the server that served it."""
    runs = json.dumps(f"{api_prefix}/runs")
    return (
        "(function(){var p=location.pathname.replace(/\\/$/,''),"
        f"c=window.gradio_config||{{}},r={runs};"
        "if(p.slice(-r.length)===r)p=p.slice(0,-r.length);"
        "else if(c.current_page)p=p.slice(0,p.lastIndexOf('/'));"
        "return p+'/';})()"
    )


def _page_script(name: str) -> str:
    """reloader/data/gradio_config.js reads Gradio's config (which component is which
    across a save); gradio_state.js keeps component values across a save;
    gradio_reload.js has Gradio's frontend take each save in place."""
    from importlib import resources

    return resources.files("reloader").joinpath("data", name).read_text("utf-8")
