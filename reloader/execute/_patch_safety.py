"""Whether swapping in a function's new code is safe, and the reason when it is not.

A patch is refused where the swapped code would not behave as the saved source
does after a full reload: its closure or kind changed, a framework read its
docstring when the app was built, the adapter names a reason, inner functions an
earlier call made keep the old code, or it runs while the modules load."""

from __future__ import annotations

import ast
import gc
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import CodeType, FunctionType

from reloader.execute._load_time import called_while_loading, load_time_name

__all__ = [
    "Fallback",
    "LoadTimeCalls",
    "Swap",
    "adapter_refusal",
    "live_inner_functions",
    "unsafe_new_code",
]

_KIND_FLAGS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
#: Inner code objects whose function objects never outlive the call that makes them.
_TRANSIENT = frozenset({"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"})

#: A live function, the code it gets, and its label in messages (``"Model.run()"``).
Swap = tuple[FunctionType, CodeType, str]
Trees = Callable[[], Iterable[ast.Module | None]]


@dataclass(frozen=True)
class Fallback:
    """The save needs a full reload; ``reason`` says why, in one sentence."""

    reason: str


def unsafe_new_code(qualname: str, old_code: CodeType, new_code: CodeType) -> Fallback | None:
    """Why the live function ``qualname`` cannot simply take ``new_code``; None if it can."""
    if old_code.co_freevars != new_code.co_freevars:
        return Fallback(f"{qualname}() now uses different outer variables")
    if old_code.co_flags & _KIND_FLAGS != new_code.co_flags & _KIND_FLAGS:
        return Fallback(f"{qualname}() changed kind (generator, coroutine or plain)")
    if _docstring(old_code) != _docstring(new_code):
        # Frameworks read it when they build the app (Gradio's API and MCP
        # descriptions): only running the modules again shows the new one.
        return Fallback(f"the docstring of {qualname}() changed")
    return None


def adapter_refusal(
    swaps: Iterable[Swap], refuse: Callable[[FunctionType], str | None] | None
) -> Fallback | None:
    """The adapter's reason not to patch one of the running functions, if it has one."""
    if refuse is None:
        return None
    for live, _, _ in swaps:
        reason = refuse(live)
        if reason:
            return Fallback(reason)
    return None


def live_inner_functions(swaps: Iterable[Swap]) -> Fallback | None:
    """Refuse a patch of a function whose changed inner functions exist as live function
    objects (made by an earlier call: a Shiny session's outputs, a factory's closures):
    they would keep running the old inner code without saying so."""
    changed: dict[CodeType, str] = {}
    for live, new_code, label in swaps:
        old_inner = _inner_codes(live.__code__)
        if _inner_code_changed(old_inner, _inner_codes(new_code)):
            for old in old_inner:
                if old.co_name not in _TRANSIENT:
                    changed[old] = label.removesuffix("()")
    if not changed:
        return None
    # The referrers of a code object are the functions made from it and the
    # constants of the code that holds it; gc finds them in C, not object by object.
    for obj in gc.get_referrers(*changed):
        if isinstance(obj, FunctionType) and obj.__code__ in changed:
            return Fallback(f"{changed[obj.__code__]}() made inner functions that are still alive")
    return None


class LoadTimeCalls:
    """The names of the functions that may run while the remembered modules load,
    computed once per load, and the patches they rule out."""

    def __init__(self) -> None:
        self._names: frozenset[str] | None = None

    def forget(self) -> None:
        """The modules were loaded again: the names are computed anew when needed."""
        self._names = None

    def names(self, trees: Trees) -> frozenset[str]:
        if self._names is None:
            self._names = frozenset(called_while_loading(trees()))
        return self._names

    def refusal(self, swaps: list[Swap], trees: Trees, trees_after: Trees) -> Fallback | None:
        """Refuse a patch of a function that may run while the modules load: its result
        may be built into the app (a header, a layout helper), and only running the
        modules again shows the change. ``trees`` are the remembered sources',
        ``trees_after`` those the patch would leave.

        The names called at load time depend on module-level code, which a patch
        never changes, and on the bodies of the functions reached from it. So while
        no function whose body changed (the patched ones and the functions defined
        inside them) is among the names before the patch, the names after it are
        the same: kept, not recomputed. Otherwise they are computed from the new
        sources, as they would be after a full reload.
        """
        if not swaps:
            return None
        before = self.names(trees)
        after = before
        if _bodies_changed(swaps) & before:
            after = frozenset(called_while_loading(trees_after()))
        for _, _, label in swaps:
            if load_time_name(label) in after:
                return Fallback(f"{label} runs while the modules load; they run again")
        self._names = after
        return None


def _inner_codes(code: CodeType) -> list[CodeType]:
    """The code objects defined inside ``code``, at any depth."""
    found = []
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found.append(const)
            found.extend(_inner_codes(const))
    return found


def _bodies_changed(swaps: Iterable[Swap]) -> set[str]:
    """The names of the functions whose body a patch changes, inner ones included."""
    touched = set()
    for live, new_code, label in swaps:
        touched.add(load_time_name(label))
        touched.update(inner.co_name for inner in _inner_codes(live.__code__))
        touched.update(inner.co_name for inner in _inner_codes(new_code))
    return touched


def _inner_code_changed(old_inner: list[CodeType], new_inner: list[CodeType]) -> bool:
    return len(old_inner) != len(new_inner) or any(
        old != new for old, new in zip(old_inner, new_inner, strict=True)
    )


def _docstring(code: CodeType) -> str | None:
    """A function's docstring, read from its code (the first constant up to 3.13;
    3.14 says with a flag whether there is one)."""
    flag = getattr(inspect, "CO_HAS_DOCSTRING", None)
    first = code.co_consts[0] if code.co_consts else None
    if flag is not None and not code.co_flags & flag:
        return None
    return first if isinstance(first, str) else None
