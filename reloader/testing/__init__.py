"""Test a devreload adapter the way devreload tests its own: real processes, editor saves.

Three parts, all public so that a third-party adapter is held to the same bar:

* a harness: :class:`DevreloadProcess` runs ``python -m reloader APP`` in a real
  subprocess on a free port and reads its output (``_process``); ``save_in_place``,
  ``save_atomic`` and ``save_vim`` save a file the way editors do (``_saves``);
  :func:`wait_for` waits for a condition with a deadline, never a fixed sleep
  (``_waiting``);
* a reverse proxy: :class:`Nginx` puts a real nginx in front of servers, each at a
  sub-path, as on a remote box or behind a team's proxy (``_nginx``);
* the adapter-conformance suite (``_conformance``, ``_tab_check``): :data:`CHECKS`,
  run against a :class:`ConformanceApp` (an app of your framework written to a
  small convention), checks what every adapter must do: serve, reload on each kind of
  editor save, keep NO_RELOAD objects, follow a helper module, keep the last good
  app through a syntax error, refuse a port in use in one sentence, stop cleanly
  on SIGINT and SIGTERM; and, in a browser, :func:`tab_keeps_working_across_saves`:
  an open tab follows several saves and still works after each (its events are
  answered by the new code, typed values and the framework's widgets stay).

In your adapter's tests (see docs/adapters.md, "Test an adapter")::

    import pytest
    from reloader.testing import CHECKS, ConformanceApp

    APP = ConformanceApp(name="toy", files={...}, read=..., args=("--adapter", "toy"))

    @pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
    def test_conformance(check, tmp_path):
        check(APP, tmp_path)
"""

from __future__ import annotations

from reloader.testing._conformance import (
    CHECKS,
    ConformanceApp,
    follows_a_helper_module,
    keeps_no_reload_objects,
    keeps_the_last_good_app_through_a_syntax_error,
    read_http,
    refuses_a_port_in_use_in_one_sentence,
    serves_and_follows_every_editor_save,
    stops_cleanly_on_sigint_and_sigterm,
)
from reloader.testing._nginx import Nginx, ProxiedApp
from reloader.testing._page_scripts import ANY_EVENT_SOURCE_OPEN, PAGE_LISTENS, TRACK_EVENT_SOURCES
from reloader.testing._process import DevreloadProcess, devreload, free_port, running
from reloader.testing._saves import EDITOR_SAVES, save_atomic, save_in_place, save_vim
from reloader.testing._tab_check import TAB_SAVES, TYPED, tab_keeps_working_across_saves
from reloader.testing._waiting import wait_for

__all__ = [
    "ANY_EVENT_SOURCE_OPEN",
    "CHECKS",
    "EDITOR_SAVES",
    "PAGE_LISTENS",
    "TAB_SAVES",
    "TRACK_EVENT_SOURCES",
    "TYPED",
    "ConformanceApp",
    "DevreloadProcess",
    "Nginx",
    "ProxiedApp",
    "devreload",
    "follows_a_helper_module",
    "free_port",
    "keeps_no_reload_objects",
    "keeps_the_last_good_app_through_a_syntax_error",
    "read_http",
    "refuses_a_port_in_use_in_one_sentence",
    "running",
    "save_atomic",
    "save_in_place",
    "save_vim",
    "serves_and_follows_every_editor_save",
    "stops_cleanly_on_sigint_and_sigterm",
    "tab_keeps_working_across_saves",
    "wait_for",
]
