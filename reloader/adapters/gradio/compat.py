"""Every Gradio internal devreload relies on, resolved in one place and checked at start-up.

devreload swaps a new Blocks into Gradio's running server the way Gradio's own
reload mode does, which needs about a dozen names that are not Gradio's public
API. They are listed here, each with what it is for, so that a Gradio release
that renames or drops one is reported in one sentence naming it, when Gradio is
imported, instead of failing with an AttributeError in the middle of a reload.
The rest of the adapter reaches them only through :class:`GradioInternals`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import logging
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from reloader.adapters.base import ServeError

__all__ = ["REQUIRED", "GradioInternals", "resolve"]

logger = logging.getLogger("reloader.adapters.gradio")

#: (module, attribute path, what devreload uses it for). All must exist.
REQUIRED: tuple[tuple[str, str, str], ...] = (
    ("gradio.blocks", "Blocks.launch", "to capture demo.launch() and start the server"),
    ("gradio.blocks", "Blocks.block_thread", "to keep launch(debug=True) from blocking"),
    ("gradio.blocks", "Blocks.get_config_file", "to build the page config once per reload"),
    ("gradio.blocks", "Block.__init__", "to number block ids across reloads"),
    ("gradio.context", "Context.id", "to give reloaded components their previous ids"),
    ("gradio.routes", "App.create_app", "to reuse the running server's app on reloads"),
    ("gradio.utils", "BaseReloader.swap_blocks", "to swap the new Blocks into the server"),
    ("gradio.utils", "reassign_keys", "to keep values typed into the page across reloads"),
    ("gradio.utils", "TupleNoPrint", "to return what launch() returns"),
    ("gradio.utils", "_parse_file_size", "to apply launch(max_file_size=...) on a save"),
    ("gradio.utils", "get_space", "to apply launch()'s defaults on a save"),
    ("gradio.cli.commands.reload", "reload_thread", "to apply launch()'s theme and css"),
    ("gradio.route_utils", "API_PREFIX", "to find the /dev/reload route the page listens on"),
)

#: Gradio's event-loop-per-call lock factories (replaced while re-executing); a
#: release without them simply has nothing to replace.
LOCK_FACTORIES: tuple[tuple[str, str], ...] = (
    ("gradio.utils", "safe_get_lock"),
    ("gradio.utils", "safe_get_stop_event"),
    ("gradio.queueing", "safe_get_lock"),
    ("gradio.queueing", "safe_get_stop_event"),
)

#: Gradio modules that ask ``inspect`` about a component's class for every instance;
#: their ``inspect`` global becomes one that keeps the answer per function (_caches).
#: A release whose module has no such global is simply not sped up there.
INTROSPECTING: tuple[tuple[str, str], ...] = (
    ("gradio.blocks", "Block.get_config: signature(cls.__init__) per block, per config"),
    ("gradio.component_meta", "updateable(): getfullargspec(__init__) per __init__ call"),
)

#: Where Gradio defines ``get_component_class_id`` (6.x: Block, for every block of every
#: config; 5.x: BlockContext and ComponentBase, once per instance): a hash of the class's
#: name and file, kept per class (_caches).
CLASS_ID_OWNERS: tuple[tuple[str, str], ...] = (
    ("gradio.blocks", "Block"),
    ("gradio.blocks", "BlockContext"),
    ("gradio.components.base", "ComponentBase"),
)

#: Modules whose ``get_upload_folder`` (Gradio's, imported by name) is called for every
#: block built (Block.__init__): kept per temporary folder and reload (_caches).
UPLOAD_FOLDER_USERS: tuple[str, ...] = ("gradio.blocks",)

#: Gradio's ``SessionState.__init__`` (5.x and 6.x alike), which describes every block
#: for deep links on each new session: devreload makes those descriptions when first
#: read (_caches.LazyBlockConfigs), and only for this very code, in which
#: ``blocks.blocks`` chooses the blocks to describe and is read for nothing else.
SESSION_STATE_INIT = """
def __init__(self, blocks: Blocks):
    self.blocks_config = copy(blocks.default_config)
    self.config_values = {
        k: self.blocks_config.config_for_block(k, [], v)
        for k, v in self.blocks_config.blocks.items()
        if k in blocks.blocks
    }
    self.state_data: dict[int, Any] = {}
    self._state_ttl = {}
    self.is_closed = False
    self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600
"""

#: Gradio's queue loops, which poll: each sleeps ``asyncio.sleep(self.<attribute>)``
#: whenever it finds nothing to do (Gradio 6: 1 ms for events, 10 ms for progress),
#: reading the attribute on every pass. devreload makes them sleep until there is
#: something to do (_queue), which the queue learns in ``QUEUE_WAKERS``.
QUEUE_LOOPS: tuple[tuple[str, str], ...] = (
    ("start_processing", "sleep_when_free"),
    ("start_progress_updates", "progress_update_sleep_when_free"),
)
#: The Queue methods after which a loop has something to do: an event is pushed, a job
#: starts or ends (the only changes the loops wait for).
QUEUE_WAKERS: tuple[str, ...] = ("push", "process_events")

#: The route Gradio's frontend opens when the config has dev_mode on; devreload
#: serves its own event stream there (``data: {"type": "reload"}`` messages).
DEV_RELOAD_ROUTE = "/dev/reload"

# Not resolved here, because the page uses them: a props-only save (_props) reaches
# Gradio 6's frontend tree (AppTree, found where its constructor binds
# register_component) and its update_state, the path of event outputs
# (reloader/data/gradio_reload.js). The page checks them itself: a tab that finds no
# such tree, or where applying props throws, re-renders from the config as before.


@dataclass(frozen=True)
class GradioInternals:
    Blocks: type[Any]
    Block: type[Any]
    Context: type[Any]
    App: type[Any]
    BaseReloader: type[Any]
    reassign_keys: Callable[[Any, Any], None]
    TupleNoPrint: type[Any]
    parse_file_size: Callable[[Any], Any]
    get_space: Callable[[], Any]
    reload_thread: Any
    api_prefix: str
    #: (module, name) pairs of LOCK_FACTORIES that this release has.
    lock_factories: tuple[tuple[Any, str], ...]
    #: The INTROSPECTING modules this release has, with ``inspect`` as a global.
    introspecting: tuple[ModuleType, ...] = ()
    #: The classes of CLASS_ID_OWNERS whose ``get_component_class_id`` is their own classmethod.
    class_id_owners: tuple[type[Any], ...] = ()
    #: SessionState, if its ``__init__`` is SESSION_STATE_INIT.
    session_state: type[Any] | None = None
    #: The UPLOAD_FOLDER_USERS whose ``get_upload_folder`` is gradio.utils'.
    upload_folder_users: tuple[ModuleType, ...] = ()
    #: gradio.queueing.Queue, if its loops are QUEUE_LOOPS and it has QUEUE_WAKERS.
    queue: type[Any] | None = None


def _lookup(module_name: str, path: str) -> Any:
    value: Any = importlib.import_module(module_name)
    for part in path.split("."):
        # A class's attribute must be its own: devreload replaces it in that class.
        value = vars(value)[part] if isinstance(value, type) else getattr(value, part)
    return value


def resolve() -> GradioInternals:
    """Every internal of :data:`REQUIRED`; ServeError naming the first one that is missing."""
    found: dict[str, Any] = {}
    for module_name, path, purpose in REQUIRED:
        try:
            found[path] = _lookup(module_name, path)
        except (ImportError, AttributeError, KeyError):
            raise ServeError(
                f"This Gradio release ({_version()}) has no {module_name}.{path}, which "
                f"devreload uses {purpose}; install a Gradio version devreload supports "
                "(5.x or 6.x) or upgrade devreload."
            ) from None
    locks = []
    for module_name, name in LOCK_FACTORIES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, name):
            locks.append((module, name))
    return GradioInternals(
        Blocks=_lookup("gradio.blocks", "Blocks"),
        Block=_lookup("gradio.blocks", "Block"),
        Context=_lookup("gradio.context", "Context"),
        App=_lookup("gradio.routes", "App"),
        BaseReloader=_lookup("gradio.utils", "BaseReloader"),
        reassign_keys=found["reassign_keys"],
        TupleNoPrint=found["TupleNoPrint"],
        parse_file_size=found["_parse_file_size"],
        get_space=found["get_space"],
        reload_thread=found["reload_thread"],
        api_prefix=str(found["API_PREFIX"]),
        lock_factories=tuple(locks),
        introspecting=_introspecting(),
        class_id_owners=_class_id_owners(),
        session_state=_session_state(),
        upload_folder_users=_upload_folder_users(),
        queue=_queue(),
    )


def _introspecting() -> tuple[ModuleType, ...]:
    found = []
    for module_name, purpose in INTROSPECTING:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        current = vars(module).get("inspect")
        if current is inspect or type(current).__name__ == "Introspection":
            found.append(module)
        else:
            logger.debug("not caching %s: %s has no inspect global", purpose, module_name)
    return tuple(found)


def _class_id_owners() -> tuple[type[Any], ...]:
    found = []
    for module_name, path in CLASS_ID_OWNERS:
        try:
            owner = _lookup(module_name, path)
        except (ImportError, AttributeError, KeyError):
            continue
        if isinstance(owner.__dict__.get("get_component_class_id"), classmethod):
            found.append(owner)
    return tuple(found)


def _upload_folder_users() -> tuple[ModuleType, ...]:
    try:
        compute = _lookup("gradio.utils", "get_upload_folder")
    except (ImportError, AttributeError):
        return ()
    found = []
    for module_name in UPLOAD_FOLDER_USERS:
        module = importlib.import_module(module_name)
        current = vars(module).get("get_upload_folder")
        if current is compute or getattr(current, "__wrapped__", None) is compute:
            found.append(module)
    return tuple(found)


def _queue() -> type[Any] | None:
    try:
        queue = _lookup("gradio.queueing", "Queue")
        sources = {name: inspect.getsource(vars(queue)[name]) for name, _ in QUEUE_LOOPS}
        init = inspect.getsource(vars(queue)["__init__"])
        wakers = [vars(queue)[name] for name in QUEUE_WAKERS]
    except (ImportError, AttributeError, KeyError, OSError, TypeError):
        sources, init, wakers = {}, "", []
    known = (
        bool(sources)
        and all(
            f"asyncio.sleep(self.{attribute})" in sources[loop] and f"self.{attribute} =" in init
            for loop, attribute in QUEUE_LOOPS
        )
        and all(inspect.iscoroutinefunction(waker) for waker in wakers)
    )
    if not known:
        logger.debug("Gradio's queue left polling: its loops or %s are not known", QUEUE_WAKERS)
        return None
    return queue


def _session_state() -> type[Any] | None:
    try:
        session_state = _lookup("gradio.state_holder", "SessionState")
        source = inspect.getsource(session_state.__init__)
        same = _same_code(source, SESSION_STATE_INIT)
    except (ImportError, AttributeError, KeyError, OSError, TypeError, SyntaxError):
        same = False
    if not same:
        logger.debug("SessionState's block configs not deferred: its __init__ is not the known one")
        return None
    return session_state


def _same_code(source: str, reference: str) -> bool:
    """Whether two function definitions are the same code (comments and layout aside)."""
    ours, theirs = (ast.dump(ast.parse(textwrap.dedent(text))) for text in (source, reference))
    return ours == theirs


def _version() -> str:
    try:
        return str(importlib.import_module("gradio").__version__)
    except (ImportError, AttributeError):
        return "unknown version"
