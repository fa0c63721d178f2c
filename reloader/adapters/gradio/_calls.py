"""A save that changed only literal arguments: the components updated in place.

``gr.Markdown("# Title")`` edited to ``gr.Markdown("# Analyzer")``: the engine hands
the adapter the call's site and its new argument (:mod:`reloader._literal_edits`).
Running the app again would rebuild every component (about 100 ms at 500
components); instead the one component that call built gets the properties it would
have been built with.

* :class:`CallSites` records, while a version's top level runs, which component
  each call built directly (``gr.Textbox(...)`` in the module's own code, not in a
  function of the user's, not built inside another Gradio call such as
  ``gr.Examples`` or ``gr.Interface``), by the calling instruction.
* :func:`updated_in_place` builds the component twice, with the call's arguments
  before and after the edit, and copies to the live one each attribute the two
  builds disagree on: what the edited arguments decide, and nothing an event
  registration or the app's later code set on it (``_selectable``, say). A site
  that built several components, or none, a component whose arguments include a
  function (a value loaded on each page load), or one whose properties another block
  copied (``gr.Examples(inputs=[box])``, ``gr.ClearButton([box])``), is not updated:
  the app runs again.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

from reloader._literal_edits import ArgumentEdit, CallSite

__all__ = ["CallSites", "described_again", "updated_in_place"]

logger = logging.getLogger("reloader.adapters.gradio")

#: Attributes two builds of the same arguments never share: the block's identity.
_IDENTITY = frozenset({"_id", "share_token", "server_fns"})
#: Arguments that make a component run code on its own (events, timers).
_ACTIVE_ARGUMENTS = frozenset({"every", "inputs"})


class CallSites:
    """Which components each top-level call of the served version built."""

    def __init__(self) -> None:
        #: (module code, instruction offset) -> [(block, built by that very call)], for
        #: the execution in progress (None: none since the last commit).
        self._pending: dict[tuple[CodeType, int], list[tuple[Any, bool]]] | None = None
        self._served: dict[tuple[CodeType, int], list[tuple[Any, bool]]] = {}
        #: A module code's calling instructions by their positions (made when asked).
        self._by_position: dict[CodeType, dict[tuple[int, int, int, int], int]] = {}

    def begin(self) -> None:
        self._pending = {}

    def commit(self) -> None:
        """The execution just recorded is the served version."""
        if self._pending is not None:
            self._served, self._pending = self._pending, None
            self._by_position = {}

    def record(self, block: Any, caller: FrameType | None) -> None:
        """``block`` was just built, ``caller`` being the frame that called its
        ``Block.__init__``: note the top-level call it came from, if any."""
        if self._pending is None:
            return
        entry = None
        frame = caller
        while frame is not None:
            name = frame.f_globals.get("__name__")
            if not isinstance(name, str):
                return
            gradios = name == "gradio" or name.startswith(("gradio.", "gradio_"))
            if frame.f_code.co_name == "<module>":
                if gradios:
                    return
                break
            if not gradios:
                return  # built by a function of the user's: no literal of the call decides
            entry, frame = frame, frame.f_back
        if frame is None:
            return
        direct = entry is not None and entry.f_locals.get("self") is block
        self._pending.setdefault((frame.f_code, frame.f_lasti), []).append((block, direct))

    def built_at(self, site: CallSite) -> Any | None:
        """The one component the call at ``site`` built directly, if that is what it did."""
        for (code, offset), built in self._served.items():
            if code.co_filename != site.filename:
                continue
            positions = self._positions(code)
            key = (site.lineno, site.end_lineno, site.col_offset, site.end_col_offset)
            if positions.get(key) == offset:
                if len(built) == 1 and built[0][1]:
                    return built[0][0]
                return None
        return None

    def _positions(self, code: CodeType) -> dict[tuple[int, int, int, int], int]:
        found = self._by_position.get(code)
        if found is None:
            offsets = {offset for kept, offset in self._served if kept is code}
            found = {}
            for index, position in enumerate(code.co_positions()):
                if index * 2 in offsets and None not in position:
                    found[position] = index * 2  # type: ignore[index]
            self._by_position[code] = found
        return found


def updated_in_place(
    edits: Sequence[ArgumentEdit], sites: CallSites, served: Any, component_type: type[Any]
) -> list[Any] | None:
    """Apply ``edits`` to the components of ``served`` that their calls built: those
    components; None (nothing changed) where one cannot be updated."""
    by_site: dict[CallSite, list[ArgumentEdit]] = {}
    for edit in edits:
        by_site.setdefault(edit.site, []).append(edit)
    changes: list[tuple[Any, dict[str, Any]]] = []
    for site, site_edits in by_site.items():
        block = sites.built_at(site)
        where = f"{Path(site.filename).name}:{site.lineno}"
        if block is None or not isinstance(block, component_type):
            logger.info("full reload: the call at %s did not build one component itself", where)
            return None
        if served.blocks.get(block._id) is not block:
            logger.info("full reload: what the call at %s built is not in the served app", where)
            return None
        if _read_by_others(block, served):
            logger.info(
                "full reload: another part of the app (gr.Examples, gr.ClearButton, ...) "
                "copied the properties of the component built at %s",
                where,
            )
            return None
        attributes = _attributes_changed(block, site_edits)
        if attributes is None:
            logger.info(
                "full reload: the component built at %s cannot be built again off the page",
                where,
            )
            return None
        changes.append((block, attributes))
    for block, attributes in changes:
        for name, value in attributes.items():
            setattr(block, name, value)
        block._api_info_cache = None  # the API description is made again when asked
    return [block for block, _ in changes]


def described_again(config: Any, blocks_config: Any, updated: Sequence[Any]) -> Any | None:
    """The page config ``config`` with the entries of the ``updated`` components made
    again (``BlocksConfig.config_for_block``, as ``get_config_file()`` makes each): the
    rest of a config cannot change when only components' arguments did, and making
    all of it again is most of an update at 500 components. A new dict (the kept
    ``/config`` answers are kept per config object); None if a component is not in it."""
    if not isinstance(config, dict) or not isinstance(config.get("components"), list):
        return None
    components = list(config["components"])
    at = {entry.get("id"): index for index, entry in enumerate(components)}
    for block in updated:
        index = at.get(block._id)
        if index is None:
            return None
        components[index] = blocks_config.config_for_block(block._id, [], block)
    return {**config, "components": components}


def _read_by_others(block: Any, served: Any) -> bool:
    """Whether something else in the app was built from ``block``'s properties: a
    block given it as an argument (``gr.Examples``' dataset copies its props and label,
    ``gr.ClearButton`` its default value), or an event with JavaScript of its own
    (``gr.ClearButton``'s writes the outputs' defaults into it). Those copies keep the
    old properties until the app runs again."""
    for other in served.blocks.values():
        if other is block:
            continue
        for arguments in getattr(other, "_constructor_args", None) or ():
            if any(_holds(value, block) for value in arguments.values()):
                return True
    for function in served.fns.values():
        if isinstance(getattr(function, "js", None), str) and any(
            member is block for member in (*function.inputs, *function.outputs)
        ):
            return True
    return False


def _holds(value: Any, block: Any, depth: int = 3) -> bool:
    if value is block:
        return True
    if depth == 0:
        return False
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds(item, block, depth - 1) for item in value)
    if isinstance(value, dict):
        return any(_holds(item, block, depth - 1) for item in value.values())
    return False


def _attributes_changed(block: Any, edits: Sequence[ArgumentEdit]) -> dict[str, Any] | None:
    """What the component gets from its call's new arguments: the attributes of a build
    with the new arguments that differ from a build with the old ones."""
    recorded = getattr(block, "_constructor_args", None)
    if not recorded:
        return None
    before = dict(recorded[0])
    if any(callable(value) for value in before.values()) or any(
        before.get(name) is not None for name in _ACTIVE_ARGUMENTS
    ):
        return None
    after = dict(before)
    init = inspect.unwrap(type(block).__init__)
    try:
        parameters = list(inspect.signature(init).parameters)[1:]  # after self
    except (TypeError, ValueError):
        return None
    for edit in edits:
        if edit.keyword is not None:
            after[edit.keyword] = edit.value
        elif edit.position is not None and edit.position < len(parameters):
            after[parameters[edit.position]] = edit.value
        else:
            return None
    try:
        old_build, new_build = type(block)(**before), type(block)(**after)
    except Exception:  # the full reload says what is wrong with the arguments
        return None
    return _differences(vars(old_build), vars(new_build))


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any] | None:
    if old.keys() != new.keys():
        return None  # the arguments decide which attributes there are: build it anew
    changed = {}
    for name, value in new.items():
        if name in _IDENTITY:
            continue
        try:
            same = bool(old[name] == value) and type(old[name]) is type(value)
        except Exception:  # an array, say: compared as different
            same = False
        if not same:
            changed[name] = value
    return changed
