"""Per-class answers to what Gradio works out again for every component instance.

Measured with py-spy and cProfile on a Blocks of 500 Textboxes (Gradio 6.31), most of
a reload, of a page config and of a session-less API call went to questions whose
answer depends on a class or a function, never on the instance:

* ``Block.get_config`` calls ``inspect.signature(cls.__init__)`` for every block each
  time a config is built (a swap builds one; so does every new session);
* ``component_meta.updateable`` wraps every component ``__init__`` and calls
  ``inspect.getfullargspec`` on each call (three per Textbox: its own, FormComponent's
  and Component's ``__init__``);
* ``Block.get_component_class_id`` hashes the class's name and file for every block of
  every config;
* ``Block.__init__`` resolves the upload folder's real path (``get_upload_folder``:
  ``Path.resolve``, a system call per path part) for every block built;
* ``SessionState.__init__`` builds the config of every block again, for deep links
  only, on every new session; a call through the HTTP API (``/gradio_api/call/...``)
  is a new session each time, which made that call cost about 60 ms of CPU at 500
  components under ``python app.py``;
* ``Component.__init__`` finds the component's server functions (``@server`` methods)
  by reading on the instance every attribute ``dir(cls)`` names, binding each method
  three times: about 40 µs per component, for a list the class's functions decide.

The first three are answered from caches keyed (weakly) by the function or the class
object, never by a name: a class that a reload redefines is a new object with an entry
of its own. Each entry also records what the answer was computed from (the code, the
defaults, the ``__wrapped__`` chain; the module file), and is recomputed when any of it
changed: a function patched in place gets a fresh answer. The caches are emptied at
every reload, so that nothing an answer refers to outlives the version that made it.
The upload folder is kept per ``GRADIO_TEMP_DIR`` and temporary folder, and resolved
again at every reload.

The session's per-block configs are made when something first reads them
(``SessionState.config_values``), which for a session made by an API call is never.

For the server functions, ``dir`` in that module lists, per class (weakly, emptied at
every reload like the others), only the names that may be one: not the plain methods
without the mark, which Gradio would bind and test for every component.
"""

from __future__ import annotations

import builtins
import inspect
import os
import sys
import tempfile
import threading
import types
import weakref
from collections.abc import Callable, Iterator, MutableMapping
from types import FunctionType, ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reloader.adapters.gradio.compat import GradioInternals

__all__ = ["Introspection", "LazyBlockConfigs", "install", "install_caches"]

_MARK = "__devreload_cached__"
#: A function with one of these (set by functools.partialmethod) is not cached.
_NOT_CACHED_IF_SET = frozenset({"_partialmethod", "__partialmethod__"})
#: A longer ``__wrapped__`` chain is not cached (inspect.unwrap gives up at 100).
_LONGEST_CHAIN = 16
#: Class attributes that can never be a server function: built-in slots and methods
#: carry no ``_is_server_fn``.
_BUILT_IN = (
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
    types.BuiltinFunctionType,
)


class Introspection:
    """``inspect``, but ``signature()``, ``getfullargspec()`` of a function are kept.

    Installed as the ``inspect`` global of the Gradio modules that ask per instance;
    everything else is the ``inspect`` module's own.
    """

    def __init__(self) -> None:
        self._signatures: weakref.WeakKeyDictionary[FunctionType, tuple[tuple[Any, ...], Any]]
        self._signatures = weakref.WeakKeyDictionary()
        self._argspecs: weakref.WeakKeyDictionary[FunctionType, tuple[tuple[Any, ...], Any]]
        self._argspecs = weakref.WeakKeyDictionary()
        #: Per class that defines get_component_class_id: its answer per subclass.
        self._class_ids: dict[type, weakref.WeakKeyDictionary[type, tuple[tuple[Any, ...], str]]]
        self._class_ids = {}
        #: Per class: the names that may be server functions (see server_function_names).
        self._server_functions: weakref.WeakKeyDictionary[type, tuple[str, ...]]
        self._server_functions = weakref.WeakKeyDictionary()
        #: ((GRADIO_TEMP_DIR, temporary folder), get_upload_folder()'s answer)
        self._upload_folder: tuple[tuple[str | None, str], str] | None = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(inspect, name)

    def clear(self) -> None:
        """Forget every answer (at each reload: see the module's docstring)."""
        with self._lock:
            self._signatures.clear()
            self._argspecs.clear()
            for table in self._class_ids.values():
                table.clear()
            self._server_functions.clear()
            self._upload_folder = None

    def signature(self, obj: Any, *args: Any, **kwargs: Any) -> inspect.Signature:
        if args or kwargs or type(obj) is not FunctionType:
            return inspect.signature(obj, *args, **kwargs)
        return self._kept(self._signatures, obj, inspect.signature, follow_wrapped=True)

    def getfullargspec(self, func: Any) -> inspect.FullArgSpec:
        if type(func) is not FunctionType:
            return inspect.getfullargspec(func)
        spec: inspect.FullArgSpec = self._kept(
            self._argspecs, func, inspect.getfullargspec, follow_wrapped=False
        )
        # Its lists and dicts are the caller's to change, as an uncached answer's would be.
        return inspect.FullArgSpec(
            list(spec.args),
            spec.varargs,
            spec.varkw,
            spec.defaults,
            list(spec.kwonlyargs),
            None if spec.kwonlydefaults is None else dict(spec.kwonlydefaults),
            dict(spec.annotations),
        )

    def _kept(
        self,
        table: weakref.WeakKeyDictionary[FunctionType, tuple[tuple[Any, ...], Any]],
        function: FunctionType,
        compute: Callable[[FunctionType], Any],
        *,
        follow_wrapped: bool,
    ) -> Any:
        made_from = _made_from(function, follow_wrapped)
        if made_from is None:
            return compute(function)
        with self._lock:
            entry = table.get(function)
        if entry is not None and entry[0] == made_from:
            return entry[1]
        answer = compute(function)
        with self._lock:
            table[function] = (made_from, answer)
        return answer

    def class_id(self, owner: type, cls: type, compute: Callable[[type], str]) -> str:
        """Gradio's ``get_component_class_id``: a hash of the class's name and file."""
        module = sys.modules.get(cls.__module__)
        made_from = (cls.__name__, cls.__module__, getattr(module, "__file__", None))
        with self._lock:
            table = self._class_ids.get(owner)
            if table is None:  # not setdefault(): a new table per call cost 15 µs
                table = self._class_ids[owner] = weakref.WeakKeyDictionary()
            entry = table.get(cls)
        if entry is not None and entry[0] == made_from:
            return entry[1]
        answer = compute(cls)
        with self._lock:
            table[cls] = (made_from, answer)
        return answer

    def server_function_names(self, cls: type) -> tuple[str, ...]:
        """Of the names ``dir(cls)`` gives, those Gradio must still read on the instance
        to find its server functions: all but the plain functions (and built-in methods)
        that are not marked ``_is_server_fn``, which no instance can turn into one short
        of shadowing a method with an attribute of its own before ``Component.__init__``.
        """
        with self._lock:
            names = self._server_functions.get(cls)
        if names is None:
            names = tuple(name for name in builtins.dir(cls) if _may_serve(cls, name))
            with self._lock:
                self._server_functions[cls] = names
        return names

    def upload_folder(self, compute: Callable[[], str]) -> str:
        """Gradio's ``get_upload_folder()``, for what it is computed from."""
        made_from = (os.environ.get("GRADIO_TEMP_DIR"), tempfile.gettempdir())
        kept = self._upload_folder
        if kept is not None and kept[0] == made_from:
            return kept[1]
        answer = compute()
        self._upload_folder = (made_from, answer)
        return answer


def _made_from(function: FunctionType, follow_wrapped: bool) -> tuple[Any, ...] | None:
    """What ``inspect`` reads to describe ``function`` (along its ``__wrapped__`` chain
    for ``signature()``): code, defaults, annotations, ``__signature__``, ``__wrapped__``.

    None when the chain holds something else than plain functions (a partial, a class),
    or an annotation cannot be read yet: such a function is simply not cached.
    """
    parts = []
    current: Any = function
    for _ in range(_LONGEST_CHAIN):
        if type(current) is not FunctionType:
            return None
        own = current.__dict__
        if own and not own.keys().isdisjoint(_NOT_CACHED_IF_SET):
            return None
        try:
            annotations = current.__annotations__
        except Exception:  # Python 3.14: an annotation naming what is not defined yet
            return None
        wrapped = own.get("__wrapped__")
        stop = "__signature__" in own
        parts.append(
            (
                current.__code__,
                current.__defaults__,
                current.__kwdefaults__,
                annotations,
                own.get("__signature__"),
                wrapped,
            )
        )
        if not follow_wrapped or stop or wrapped is None:
            return tuple(parts)
        current = wrapped
    return None


def _may_serve(cls: type, name: str) -> bool:
    """Whether ``getattr(instance, name)`` may be a server function: anything but a plain
    function (or static or class method) without the mark, or a built-in method."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            found = klass.__dict__[name]
            break
    else:
        return True
    if isinstance(found, (staticmethod, classmethod)):
        found = found.__func__
    if type(found) is FunctionType:
        return bool(getattr(found, "_is_server_fn", False))
    return not isinstance(found, _BUILT_IN)


class _Pending:
    """A block whose config is computed when first read."""

    __slots__ = ("block",)

    def __init__(self, block: Any) -> None:
        self.block = block


class LazyBlockConfigs(MutableMapping[Any, Any]):
    """``SessionState.config_values``, each block's config made when first read.

    Gradio builds it as ``{id: config_for_block(id, [], block) for each block of the
    Blocks}`` when the session starts, to rebuild the page for a deep link later. Here
    the blocks of that moment are kept (the session may replace them later) and each
    config is made from its block the first time it is read; what is written (a new
    block's config, a value) is kept as written. Keys, order and values read are those
    of Gradio's dict, since Gradio never changes a Blocks' own components in place
    after it is built (an update makes a new instance in the session's state).
    """

    def __init__(self, blocks_config: Any, blocks: dict[Any, Any]) -> None:
        self._config_for_block = blocks_config.config_for_block
        self._values: dict[Any, Any] = {key: _Pending(block) for key, block in blocks.items()}

    def __getitem__(self, key: Any) -> Any:
        value = self._values[key]
        if type(value) is _Pending:
            value = self._values[key] = self._config_for_block(key, [], value.block)
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        self._values[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self._values)} blocks)"


class _WithoutBlocks:
    """A Blocks whose ``blocks`` is empty, everything else the Blocks' own."""

    def __init__(self, blocks: Any) -> None:
        self._blocks = blocks
        self.blocks: dict[Any, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._blocks, name)


def _lazy_session_configs(session_state: type) -> None:
    original = session_state.__dict__["__init__"]
    if getattr(original, _MARK, False):
        return

    def __init__(self: Any, blocks: Any, *args: Any, **kwargs: Any) -> None:
        # Gradio's own __init__ runs, but finds no block to describe (see compat:
        # blocks.blocks is read there only to choose which blocks to describe).
        original(self, _WithoutBlocks(blocks), *args, **kwargs)
        described = blocks.blocks
        self.config_values = LazyBlockConfigs(
            self.blocks_config,
            {key: block for key, block in self.blocks_config.blocks.items() if key in described},
        )

    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    __init__.__qualname__ = original.__qualname__
    setattr(__init__, _MARK, True)
    session_state.__init__ = __init__  # type: ignore[misc]


def _cached_class_id(owner: type, introspection: Introspection) -> None:
    compute = owner.__dict__["get_component_class_id"].__func__
    if getattr(compute, _MARK, False):
        return

    def get_component_class_id(cls: type) -> str:
        return introspection.class_id(owner, cls, compute)

    setattr(get_component_class_id, _MARK, True)
    get_component_class_id.__wrapped__ = compute  # type: ignore[attr-defined]
    get_component_class_id.__doc__ = compute.__doc__
    owner.get_component_class_id = classmethod(get_component_class_id)  # type: ignore[attr-defined]


def _kept_upload_folder(module: ModuleType, introspection: Introspection) -> None:
    compute = vars(module)["get_upload_folder"]
    if getattr(compute, _MARK, False):
        return

    def get_upload_folder() -> str:
        return introspection.upload_folder(compute)

    setattr(get_upload_folder, _MARK, True)
    get_upload_folder.__wrapped__ = compute  # type: ignore[attr-defined]
    get_upload_folder.__doc__ = compute.__doc__
    module.get_upload_folder = get_upload_folder  # type: ignore[attr-defined]


def _server_functions_per_class(module: ModuleType, introspection: Introspection) -> None:
    if getattr(vars(module).get("dir"), _MARK, False):
        return

    # compat checked that this module calls dir() once: to list a component's server
    # functions, with dir(self.__class__).
    def dir(*args: Any) -> Any:
        if len(args) == 1 and isinstance(args[0], type):
            return introspection.server_function_names(args[0])
        return builtins.dir(*args)

    setattr(dir, _MARK, True)
    dir.__wrapped__ = builtins.dir  # type: ignore[attr-defined]
    module.dir = dir  # type: ignore[attr-defined]


def install(
    modules: tuple[ModuleType, ...],
    class_id_owners: tuple[type, ...],
    session_state: type | None,
    upload_folder_users: tuple[ModuleType, ...] = (),
    server_function_finders: tuple[ModuleType, ...] = (),
) -> Introspection:
    """Answer Gradio's per-instance questions per class; the caches to clear at each reload.

    ``modules`` get an :class:`Introspection` as their ``inspect`` (one shared by all,
    kept across calls); the ``get_component_class_id`` of ``class_id_owners`` answers
    per class, and
    ``session_state``'s per-block configs are made when read, ``upload_folder_users``
    get a ``get_upload_folder`` that is kept, and ``server_function_finders`` a ``dir``
    that lists only what may be a server function (see compat for the checks these rely
    on).
    Installing twice changes nothing more.
    """
    introspection: Introspection | None = None
    for module in modules:
        current = vars(module).get("inspect")
        if isinstance(current, Introspection):
            introspection = current
    if introspection is None:
        introspection = Introspection()
    for module in modules:
        setattr(module, "inspect", introspection)  # noqa: B010
    for owner in class_id_owners:
        _cached_class_id(owner, introspection)
    if session_state is not None:
        _lazy_session_configs(session_state)
    for module in upload_folder_users:
        _kept_upload_folder(module, introspection)
    for module in server_function_finders:
        _server_functions_per_class(module, introspection)
    return introspection


def install_caches(gr: GradioInternals) -> Introspection:
    """:func:`install` with what compat found in this Gradio release."""
    return install(
        gr.introspecting,
        gr.class_id_owners,
        gr.session_state,
        gr.upload_folder_users,
        gr.server_function_finders,
    )
