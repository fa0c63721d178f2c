"""Every Gradio internal devreload relies on, resolved in one place and checked at start-up.

devreload swaps a new Blocks into Gradio's running server the way Gradio's own
reload mode does, which needs a few dozen names that are not Gradio's public
API. They are listed here, each with what it is for, so that a Gradio release
that renames or drops one is reported in one sentence naming it, when Gradio is
imported, instead of failing with an AttributeError in the middle of a reload.
The rest of the adapter reaches them only through :class:`GradioInternals`, or, for
the attributes Gradio sets on its own objects as it runs (:data:`ATTRIBUTES`), by
the names checked here.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import logging
import textwrap
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from reloader._parse import parse
from reloader.adapters.base import ServeError

__all__ = [
    "ATTRIBUTES",
    "MCP_MODULE",
    "OPTIONAL_ATTRIBUTES",
    "PAGE_MAIN",
    "REQUIRED",
    "REQUIRED_WITH_MODULE",
    "Attribute",
    "GradioInternals",
    "PageRouting",
    "resolve",
]

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
    ("gradio.blocks", "Blocks.get_api_info", "to point the MCP server at each new version"),
    ("gradio.queueing", "Queue.push", "to count each event as activity (the queue's pace)"),
    (
        "gradio.blocks",
        "BlocksConfig.config_for_block",
        "to describe again the components a save updated in place",
    ),
)

#: Methods of a Gradio feature a release may not have: checked when its module exists.
REQUIRED_WITH_MODULE: tuple[tuple[str, str, str], ...] = (
    ("gradio.mcp", "GradioMCPServer.get_tool_to_endpoint", "to rebuild the MCP tool table"),
)


@dataclass(frozen=True)
class Attribute:
    """An attribute Gradio sets on its own objects as it runs (so on no class), checked
    where Gradio sets or reads it: the code of ``function`` names it."""

    #: The object it is on, as the adapter knows it ("Blocks", "reload_thread").
    owner: str
    name: str
    module: str
    #: The function in ``module`` that sets or reads it ("Blocks.queue").
    function: str
    #: What devreload uses it for, completing "devreload uses it ...".
    purpose: str
    #: Checked only in releases that have this module (the feature it belongs to).
    feature: str | None = None


def _set_in(
    module: str, function: str, owner: str, purposes: dict[str, str], feature: str | None = None
) -> tuple[Attribute, ...]:
    return tuple(
        Attribute(owner, name, module, function, why, feature) for name, why in purposes.items()
    )


#: Gradio's MCP server (launch(mcp_server=True)), from Gradio 5.28.
MCP_MODULE = "gradio.mcp"


_ADDRESS = "to give a Blocks launched again the served one's address"
_PREVIOUS_VERSION = "to point the MCP server at each new version"

#: All must be named where Gradio sets them. A release without the module, or the
#: feature, has no such feature (Gradio 5 before 5.28 has no MCP server): its
#: attributes are not checked.
ATTRIBUTES: tuple[Attribute, ...] = (
    *_set_in(
        "gradio.blocks",
        "Blocks.queue",
        "Blocks",
        {"_queue": "to pace the running queue and point it at each new version"},
    ),
    *_set_in(
        "gradio.blocks",
        "Blocks.launch",
        "Blocks",
        {
            "server_app": "to swap each new version into the server launch() started",
            "server": "to stop the server",
            **dict.fromkeys(
                ("server_name", "server_port", "local_url", "local_api_url", "protocol"), _ADDRESS
            ),
        },
    ),
    *_set_in(
        "gradio.blocks",
        "Blocks.__init__",
        "Blocks",
        {
            "share_url": "to say a Blocks launched again has no share link",
            "is_running": "to stop the server",
            "dev_mode": "to have the page listen for reloads",
            "app_id": "to apply a props-only save in the open pages",
            "custom_mount_path": "to leave a Blocks mounted in another app to the asgi adapter",
            "renderables": "to reload, not patch, an edited @gr.render function",
            "delete_cache": "to say a save changed gr.Blocks(delete_cache=...)",
            "default_config": "to describe again the components a save updated in place",
        },
    ),
    *_set_in(
        "gradio.blocks",
        "Block.__init__",
        "Block",
        dict.fromkeys(
            ("_id", "parent"), "to tell an app from an Interface rendered inside another"
        ),
    ),
    *_set_in(
        "gradio.blocks",
        "Blocks._is_running_in_reload_thread",
        "reload_thread",
        {"running_reload": "to have launch() only apply the theme and css on a save"},
    ),
    *_set_in(
        "gradio.renderable",
        "Renderable.__init__",
        "Renderable",
        {"fn": "to reload, not patch, an edited @gr.render function"},
    ),
    *_set_in(
        "gradio.routes",
        "App.__init__",
        "App",
        {
            "stop_event": "to end Gradio's heartbeat streams when devreload stops",
            **dict.fromkeys(
                ("api_info", "all_app_info"), "to drop the API description a save made stale"
            ),
        },
    ),
    *_set_in(
        "gradio.queueing",
        "Queue.__init__",
        "Queue",
        {
            "blocks": "to run API calls without a session on the new version",
            "sleep_when_free": "to set how often the queue looks for events",
            **dict.fromkeys(
                ("max_size", "default_concurrency_limit", "event_queue_per_concurrency_id"),
                "to give the running queue each version's queue() settings",
            ),
        },
    ),
    *_set_in(
        "gradio.blocks",
        "Blocks.__init__",
        "Blocks",
        {"mcp_server_obj": _PREVIOUS_VERSION},
        MCP_MODULE,
    ),
    *_set_in(
        MCP_MODULE,
        "GradioMCPServer.__init__",
        "GradioMCPServer",
        dict.fromkeys(
            ("blocks", "api_info", "tool_to_endpoint", "_client_instance"), _PREVIOUS_VERSION
        ),
    ),
)

#: Attributes a supported release may lack; devreload then does without.
OPTIONAL_ATTRIBUTES: tuple[Attribute, ...] = (
    *_set_in(
        "gradio.routes",
        "App.__init__",
        "App",
        {"page_api_info": "(Gradio 6) to drop each page's API description a save made stale"},
    ),
    *_set_in(
        "gradio.blocks",
        "Block.__init__",
        "Block",
        {"_is_initialized": "(Gradio 6) to number a block once when its __init__ runs twice"},
    ),
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

#: Where Gradio lists a component's server functions, for every component built: the
#: module, the statement (in ``Component.__init__``), which must be that module's only
#: call of ``dir``. Its ``dir`` becomes one that skips, per class, the plain methods
#: without the mark (_caches).
SERVER_FUNCTIONS: tuple[str, str] = (
    "gradio.components.base",
    """
self.server_fns = [
    getattr(self, value)
    for value in dir(self.__class__)
    if callable(getattr(self, value))
    and getattr(getattr(self, value), "_is_server_fn", False)
]
""",
)

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

#: launch()'s keyword that turns its localhost probe off, and the names that show what
#: the probe is. Once its server is up, launch() asks it for ``startup-events`` (without
#: a timeout: that is the server answering), then probes the page with
#: ``networking.url_ok`` (a HEAD with a 3 s timeout) and, if that fails, raises "When
#: localhost is not accessible, a shareable link must be created" with its server up: on
#: a busy machine the page takes longer than that, and the first load failed. The probe
#: is for hosted notebooks, which devreload does not serve; Gradio 5 and 6 use the
#: keyword for nothing else.
LOCALHOST_PROBE: tuple[str, tuple[str, ...]] = ("_frontend", ("url_ok", "startup-events"))
#: Gradio's ``App.create_app`` routes the pages of a multipage app (``Blocks.route``)
#: once, for the Blocks it is made for: its nested ``attach_page`` answers ``GET /{page}``
#: with ``main(request, user, page, deep_link)``, the function behind ``GET /``, and
#: ``/{page}/`` with the page (Gradio 5) or a redirect to ``/{page}`` (Gradio 6, its
#: nested ``page_redirect``). devreload routes a page a save adds the same way (_pages).
PAGE_ROUTES = ("gradio.routes", "App.create_app")
#: The parameters of that ``main``, and the name of its function (found at ``GET /``).
PAGE_MAIN = ("main", ("request", "user", "page", "deep_link"))


@dataclass(frozen=True)
class PageRouting:
    """How this release routes the pages of a multipage app (see PAGE_ROUTES)."""

    #: ``/{page}/`` redirects to ``/{page}`` (else it answers the page too).
    slash_redirects: bool


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
    #: SERVER_FUNCTIONS' module, if it lists server functions as that statement says.
    server_function_finders: tuple[ModuleType, ...] = ()
    #: The OPTIONAL_ATTRIBUTES this release has, by name.
    optional: frozenset[str] = frozenset()
    #: This release has Gradio's MCP server (MCP_MODULE).
    mcp: bool = False
    #: gradio.queueing.Queue, if its loops are QUEUE_LOOPS and it has QUEUE_WAKERS.
    queue: type[Any] | None = None
    #: The launch() argument that turns its LOCALHOST_PROBE off; empty if it is not known.
    without_localhost_probe: Mapping[str, Any] = field(default_factory=dict)
    #: How pages are routed, if create_app routes them as PAGE_ROUTES says.
    page_routing: PageRouting | None = None


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
            raise _missing(f"{module_name}.{path}", purpose) from None
    for module_name, path, purpose in REQUIRED_WITH_MODULE:
        try:
            importlib.import_module(module_name)
        except ImportError:
            continue
        try:
            _lookup(module_name, path)
        except (AttributeError, KeyError):
            raise _missing(f"{module_name}.{path}", purpose) from None
    for attribute in ATTRIBUTES:
        named = _named_by(attribute)
        if named is False:
            raise _missing(
                f"{attribute.owner}.{attribute.name} (in {attribute.module}.{attribute.function})",
                attribute.purpose,
            )
    optional = frozenset(a.name for a in OPTIONAL_ATTRIBUTES if _named_by(a))
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
        server_function_finders=_server_function_finders(),
        optional=optional,
        mcp=_has_module(MCP_MODULE),
        queue=_queue(),
        without_localhost_probe=_without_localhost_probe(found["Blocks.launch"]),
        page_routing=_page_routing(),
    )


def _missing(what: str, purpose: str) -> ServeError:
    return ServeError(
        f"This Gradio release ({_version()}) has no {what}, which devreload uses "
        f"{purpose}; install a Gradio version devreload supports (5.x or 6.x) or "
        "upgrade devreload."
    )


def _named_by(attribute: Attribute) -> bool | None:
    """Whether the code of ``attribute.function`` names the attribute; None when this
    release has no such module (the feature is not in it)."""
    if not _has_module(attribute.module) or (
        attribute.feature is not None and not _has_module(attribute.feature)
    ):
        return None
    try:
        function = _lookup(attribute.module, attribute.function)
    except (AttributeError, KeyError):
        return False
    if isinstance(function, property):
        function = function.fget
    function = inspect.unwrap(getattr(function, "__func__", function))
    code = getattr(function, "__code__", None)
    return code is not None and attribute.name in _names_in(code)


def _has_module(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _names_in(code: types.CodeType) -> set[str]:
    """The attribute and global names, and string constants, a function's code uses
    (``getattr(obj, "name")`` included), its nested functions' too."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, str):
            names.add(constant)
        elif isinstance(constant, types.CodeType):
            names |= _names_in(constant)
    return names


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


def _server_function_finders() -> tuple[ModuleType, ...]:
    module_name, statement = SERVER_FUNCTIONS
    try:
        module = importlib.import_module(module_name)
        tree = parse(inspect.getsource(module))
    except (ImportError, OSError, TypeError, SyntaxError):
        return ()
    known = ast.dump(parse(statement).body[0])
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dir"
    ]
    listing = [node for node in ast.walk(tree) if ast.dump(node) == known]
    current = vars(module).get("dir")  # None, or devreload's: it wraps the built-in
    foreign = current is not None and getattr(current, "__wrapped__", None) is not builtins.dir
    if len(calls) != 1 or len(listing) != 1 or foreign:
        logger.debug("server functions found per instance: %s lists them otherwise", module_name)
        return ()
    return (module,)


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


def _without_localhost_probe(launch: Callable[..., Any]) -> dict[str, Any]:
    keyword, names = LOCALHOST_PROBE
    launch = inspect.unwrap(launch)  # devreload's capture of it
    parameter = inspect.signature(launch).parameters.get(keyword)
    code = getattr(launch, "__code__", None)
    if (
        parameter is None
        or parameter.default is not True
        or code is None
        or not set(names) <= _names_in(code)
    ):
        logger.debug("launch() keeps its localhost probe: %s is not known", keyword)
        return {}
    return {keyword: False}


def _page_routing() -> PageRouting | None:
    try:
        create_app = _lookup(*PAGE_ROUTES)
    except (ImportError, AttributeError, KeyError):
        return None
    code = getattr(inspect.unwrap(getattr(create_app, "__func__", create_app)), "__code__", None)
    nested = {c.co_name: c for c in _nested_code(code)} if code is not None else {}
    name, parameters = PAGE_MAIN
    main, attach = nested.get(name), nested.get("attach_page")
    if (
        main is None
        or attach is None
        or main.co_varnames[: main.co_argcount] != parameters
        or name not in attach.co_freevars
    ):
        logger.debug("a page a save adds is not routed: Gradio's page routes are not known")
        return None
    return PageRouting(slash_redirects="page_redirect" in nested)


def _nested_code(code: types.CodeType) -> list[types.CodeType]:
    """The code of the functions defined in ``code``, at any depth."""
    found = []
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            found += [constant, *_nested_code(constant)]
    return found


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
    ours, theirs = (ast.dump(parse(textwrap.dedent(text))) for text in (source, reference))
    return ours == theirs


def _version() -> str:
    try:
        return str(importlib.import_module("gradio").__version__)
    except (ImportError, AttributeError):
        return "unknown version"
