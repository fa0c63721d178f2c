"""Props-only saves: what changed between two page configs, when only properties did.

A save that rewords a label or a Markdown's text leaves the app's components, their
tree and their events as they were. Re-rendering the whole config for it costs the
tab time in proportion to the app's size; telling the tab which properties changed
costs time in proportion to the edit. The page applies them to the mounted
components the way Gradio applies an event's outputs (reloader/data/gradio_reload.js).

Two configs compare after devreload's ids made them comparable (``_ids``): the same
component ids with the same types, the same layout, the same dependencies and the same
page settings. Anything else is a structure change, which keeps the full re-render.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["props_update"]

#: What differs between two builds of the same app without meaning a change: a new
#: random id per Blocks (a props-only swap keeps the served one).
_PER_BUILD = frozenset({"app_id"})
#: A component's API description follows its props (a Dropdown's choices are its API's
#: enum); the page renders from the props, and the API description is served fresh.
_FOLLOWS_PROPS = frozenset(
    {"props", "api_info", "api_info_as_input", "api_info_as_output", "example_inputs"}
)


def props_update(
    old: Mapping[str, Any], new: Mapping[str, Any]
) -> dict[int, dict[str, Any]] | None:
    """``{component id: {prop: new value}}`` for each component whose props changed, when
    nothing but props changed between ``old`` and ``new``; None for a structure change.

    A prop the new version no longer sets counts as a structure change: the page
    cannot tell a mounted component to forget a prop it was given."""
    if not isinstance(old.get("components"), list) or not isinstance(new.get("components"), list):
        return None
    if _page(old) != _page(new):
        return None
    before = {component.get("id"): component for component in old["components"]}
    if len(before) != len(old["components"]) or len(new["components"]) != len(before):
        return None
    changes: dict[int, dict[str, Any]] = {}
    for component in new["components"]:
        previous = before.get(component.get("id"))
        if previous is None or _outline(previous) != _outline(component):
            return None
        old_props = previous.get("props") or {}
        new_props = component.get("props") or {}
        if not set(old_props) <= set(new_props):
            return None
        changed = {
            name: value
            for name, value in new_props.items()
            if name not in old_props or old_props[name] != value
        }
        if changed:
            changes[int(component["id"])] = changed
    # Gradio hands a container's new visibility on to everything inside it, whatever
    # each child's own: only a re-render shows the children as the code has them.
    shown_or_hidden = {id_ for id_, changed in changes.items() if "visible" in changed}
    if shown_or_hidden & _containers(new):
        return None
    return changes


def _containers(config: Mapping[str, Any]) -> set[int]:
    """The ids of the layout's nodes that have children (all pages' layouts)."""
    found: set[int] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict) and node.get("children"):
            found.add(int(node["id"]))
            for child in node["children"]:
                walk(child)

    walk(config.get("layout"))
    for page in (config.get("page") or {}).values():
        if isinstance(page, dict):
            walk(page.get("layout"))
    return found


def _page(config: Mapping[str, Any]) -> dict[str, Any]:
    """Everything but the components' props: the tree, the events, the page settings."""
    return {
        key: value for key, value in config.items() if key not in _PER_BUILD and key != "components"
    }


def _outline(component: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in component.items() if key not in _FOLLOWS_PROPS}
