"""Each framework's compat module lists the internals its adapter reaches beyond the
framework's public API; they all exist in the installed version, and a missing one is
told in one sentence naming it (instead of an AttributeError in the middle of a reload)."""

from __future__ import annotations

import pytest

from reloader.adapters.internals import Internal, check, lookup
from reloader.adapters.nicegui import compat as nicegui_compat
from reloader.adapters.shiny import compat as shiny_compat


@pytest.mark.parametrize("compat", [nicegui_compat, shiny_compat], ids=["nicegui", "shiny"])
def test_every_listed_internal_exists_in_the_installed_version(compat: object) -> None:
    for internal in compat.REQUIRED:  # type: ignore[attr-defined]
        lookup(internal.module, internal.path)  # raises if missing
    assert compat.problem() is None  # type: ignore[attr-defined]


def test_a_missing_internal_is_named_with_what_it_is_for() -> None:
    required = (
        Internal("nicegui.client", "Client.page_routes", "to drop the previous version's pages"),
        Internal("nicegui.client", "Client.renamed_in_a_future_release", "to do something"),
    )
    error = check("nicegui", "2.x or 3.x", required)
    assert error is not None
    import nicegui

    assert str(error) == (
        f"This nicegui release ({nicegui.__version__}) has no "
        "nicegui.client.Client.renamed_in_a_future_release, which devreload uses to do "
        "something; install a nicegui version devreload supports (2.x or 3.x) or upgrade "
        "devreload."
    )


def test_a_missing_module_is_named_too() -> None:
    error = check("shiny", "1.x", (Internal("shiny.gone_module", "f", "to test"),))
    assert error is not None and "shiny.gone_module.f" in str(error)
