"""Which adapter serves the app, and the app itself, among the app module's globals."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reloader.adapters import Adapter, AppNotFound

__all__ = ["app_of_new_version", "find_app"]

logger = logging.getLogger("reloader.engine")


def find_app(
    candidates: Sequence[Adapter],
    namespace: Mapping[str, Any],
    app_name: str | None,
    app_path: Path,
) -> tuple[Adapter, Any]:
    """Ask every candidate adapter; the one that matches the app best serves it (the
    first listed among equals). :class:`AppNotFound` says what was tried."""
    found: list[tuple[int, int, Adapter, Any]] = []
    broken: list[str] = []
    for order, adapter in enumerate(candidates):
        try:
            app = adapter.find_app(namespace, app_name)
            if app is not None:
                found.append((adapter.match(app), -order, adapter, app))
        except AppNotFound:
            raise
        except Exception as error:  # one adapter's bug must not take devreload down
            logger.debug("the %s adapter failed to look for the app", adapter.name, exc_info=True)
            broken.append(f"the {adapter.name} adapter failed: {type(error).__name__}: {error}")
    if found:
        _, _, adapter, app = max(found, key=lambda item: item[:2])
        logger.info(
            "adapters that can serve the app: %s",
            ", ".join(f"{a.name} ({score})" for score, _, a, _ in found),
        )
        return adapter, app
    if app_name is not None:
        raise AppNotFound(f"{app_path} has no app named {app_name!r}.")
    kinds = ", ".join(adapter.name for adapter in candidates)
    raise AppNotFound(
        f"{app_path} defines no app that devreload can serve (tried: {kinds}); "
        "create one at module level, or name it with --app NAME."
        + "".join(f" ({note})" for note in broken)
    )


def app_of_new_version(
    adapter: Adapter, namespace: Mapping[str, Any], app_name: str | None, app_path: Path
) -> Any:
    """The app a re-executed app module defines, for the adapter already serving."""
    app = adapter.find_app(namespace, app_name)
    if app is None:
        raise AppNotFound(
            f"{app_path} no longer defines a {adapter.name} app; the last good one keeps serving."
        )
    return app
