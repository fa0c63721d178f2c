"""The adapter interface: everything the engine needs from a UI framework.

The engine watches files, plans and executes module code, and measures. It
knows nothing of any framework: an adapter finds the app object in a module's
namespace, serves it once, swaps a newer one in, and tells connected browsers.

A minimal adapter::

    class ToyAdapter(Adapter):
        name = "toy"

        def find_app(self, namespace, name=None):
            app = namespace.get(name or "app")
            return app if isinstance(app, ToyApp) else None

        def serve(self, app, options):
            self.server = ToyServer(app, options.host, options.port)
            self.server.start()  # in a thread: serve() must return
            return self.server.url

        def swap(self, app):
            self.server.app = app

        def notify(self, event):
            return self.server.broadcast(event.kind)

Register it under the ``devreload.adapters`` entry-point group::

    [project.entry-points."devreload.adapters"]
    toy = "toy_devreload:ToyAdapter"
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import FunctionType
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from reloader._errors import ReloaderError
from reloader._events import StatusBoard
from reloader._literal_edits import ArgumentEdit

if TYPE_CHECKING:
    from reloader.notify import Tabs

__all__ = [
    "MATCH_EXACT",
    "MATCH_GENERIC",
    "MATCH_TYPE",
    "Adapter",
    "AppNotFound",
    "PageUpdate",
    "ReloaderError",
    "ServeError",
    "ServeOptions",
    "SwapError",
    "the_one_app",
]

#: How well an adapter fits an app (:meth:`Adapter.match`); the highest wins.
#: The framework's own app type, launched or run by the file.
MATCH_EXACT = 100
#: The framework's own app type, found among the module's globals.
MATCH_TYPE = 50
#: A generic protocol the app happens to speak (any ASGI or WSGI callable).
MATCH_GENERIC = 10


class AppNotFound(ReloaderError):
    """The namespace holds no app this adapter can serve, or several: the message says which."""


class ServeError(ReloaderError):
    """The app could not be served (port in use, bad launch arguments); one sentence."""


class SwapError(ReloaderError):
    """The new app could not be put in service; the old one keeps serving."""


@dataclass(frozen=True)
class ServeOptions:
    #: None means: whatever the app's own launch/run call asked for, else the framework's default.
    host: str | None = None
    port: int | None = None
    #: The folders being watched (an adapter must never serve files outside them because of us).
    watch_roots: tuple[Path, ...] = ()
    #: The engine's status (thread-safe): what ``GET /__devreload__/status`` and the
    #: MCP server at ``/__devreload__/mcp`` answer. Mount
    #: ``reloader.channel.ProgramChannel(status)``'s two endpoints behind the app's own
    #: auth where the framework has one. None: no such routes.
    status: StatusBoard | None = None
    #: Pages keep their state across a save (Gradio component values, morphed HTML
    #: pages); False (``--no-keep-state``): a save re-renders or reloads them afresh.
    keep_state: bool = True
    #: The app's file (for ``-m pkg.app`` and ``main:app``, the module's file).
    app_path: Path | None = None
    #: Tells the developer one thing (a terminal line, or a ``message`` event under
    #: ``--events json``): what an adapter has to say outside a reload.
    say: Callable[[str], None] = field(default=lambda text: None, compare=False)


@dataclass(frozen=True)
class PageUpdate:
    """What the open tabs are told after a save, through :meth:`Adapter.notify`.

    ``"reload"``: a new app serves (the page updates or reloads); ``"patch"``: function
    bodies were swapped in place, the app object is the same; ``"css"``: only
    stylesheets changed; ``"error"``: the save failed and the last good app keeps
    serving (the page shows ``headline`` and ``details``).
    """

    kind: Literal["reload", "error", "css", "patch"]
    #: Files whose change caused the update.
    changed: tuple[Path, ...] = ()
    #: For "error": the one-line summary and the user-code traceback.
    headline: str = ""
    details: str = ""
    #: For "error": what kind of problem it is, in one sentence for the top of the
    #: page's overlay ("the last save failed; ...", "the file watcher stopped; ...").
    title: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


class Adapter(ABC):
    """One UI framework. Instances live for the whole devreload process."""

    #: Used by ``--adapter NAME`` and in messages.
    name: ClassVar[str]
    #: Importing any of these (top-level) modules activates the adapter: its
    #: :meth:`framework_imported` runs right after the import, before user code
    #: goes on, so it can patch the framework's ``launch()``/``run()``.
    framework_modules: ClassVar[Sequence[str]] = ()
    #: The port served when neither ``--port`` nor the app's own run call names one
    #: (None: the framework picks one); the precedence is
    #: :func:`reloader.adapters.address.serving_address`'s.
    default_port: ClassVar[int | None] = None

    def framework_imported(self, module_name: str) -> None:  # noqa: B027 - optional hook
        """Called once, right after one of :attr:`framework_modules` is imported."""

    def configure(self, options: ServeOptions) -> None:  # noqa: B027 - optional hook
        """Called once before the first load, with the options :meth:`serve` will get
        (so that a captured ``launch()`` can return the URL the app will be served on)."""

    def executing(self, first_load: bool) -> AbstractContextManager[object]:
        """Wraps every execution of the user's modules (e.g. to capture ``launch()`` calls)."""
        return nullcontext()

    @abstractmethod
    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        """The app to serve from the app module's globals.

        Return None when nothing here is this adapter's kind of app; raise
        :class:`AppNotFound` with a message naming the candidates when it is
        ambiguous or when ``name`` does not name an app.
        """

    @abstractmethod
    def serve(self, app: Any, options: ServeOptions) -> str:
        """Start serving ``app`` in the background, once. Return the URL. Raise ServeError."""

    @abstractmethod
    def swap(self, app: Any) -> None:
        """Make ``app`` the one every new request sees; the server keeps running.

        Raise :class:`SwapError` if the new app cannot take over (its startup
        failed, say): the old app must then still be serving.
        """

    @abstractmethod
    def notify(self, event: PageUpdate) -> int:
        """Tell every connected browser tab; return how many were told."""

    def match(self, app: Any) -> int:
        """How well this adapter fits ``app``, which its :meth:`find_app` returned.

        When several adapters find an app, the highest score serves it (a NiceGUI
        or Gradio app is also an ASGI app; its own adapter knows it better).
        Built-in and entry-point adapters compete on equal terms; on a tie the
        order of ``devreload --help``'s adapter list decides.
        """
        return MATCH_TYPE

    def refuses_patch(self, function: FunctionType) -> str | None:
        """Why this running function must not get a new body in place (the save then
        reloads fully), in one sentence; None when it may. E.g. Gradio's ``@gr.render``
        functions, whose output is already on the page, or a Shiny Express file's
        functions, which Shiny runs its own copy of in each session."""
        return None

    #: :meth:`update_calls` can update what the app's calls built in place.
    updates_calls: ClassVar[bool] = False

    def update_calls(self, edits: Sequence[ArgumentEdit]) -> bool:
        """The save changed only these literal arguments of calls the app's top level
        made (:mod:`reloader._literal_edits`): update what each call built, in the
        served app, as running the file again would have built it, and return True;
        False (changing nothing) to have the app run again. All or nothing. The engine
        then tells the tabs, as after a swap. Adapters that can set :attr:`updates_calls`.
        """
        return False

    def tab_confirmations(self) -> Tabs | None:
        """The open tabs of the served pages, each confirming the version it shows
        (:class:`reloader.notify.Tabs`, which devreload's own client reports to), so
        that the terminal says how many show a save; None when the pages do not
        confirm (it then says how many were told)."""
        return None

    def handles_without_reexecution(self, changed: Sequence[Path]) -> bool:
        """True if these (non-Python) changes need only a notify, no re-run (e.g. a CSS file)."""
        return False

    def shutdown(self) -> None:  # noqa: B027 - optional hook
        """Stop serving; called once on exit, must return within a second."""


def the_one_app(
    namespace: Mapping[str, Any], is_app: Callable[[Any], bool], kind: str, run_call: str
) -> Any | None:
    """The one app among the module's public globals for which ``is_app`` holds (the
    same object under two names counts once); None when there is none; AppNotFound
    naming them when there are several and none is run by ``run_call``."""
    found: dict[int, tuple[str, Any]] = {}
    for key, value in namespace.items():
        if not key.startswith("_") and is_app(value):
            found.setdefault(id(value), (key, value))
    if len(found) > 1:
        names = ", ".join(sorted(key for key, _ in found.values()))
        raise AppNotFound(
            f"Several {kind} apps are defined ({names}) and none is run by {run_call}; "
            "choose one with --app NAME."
        )
    return next(iter(found.values()))[1] if found else None
