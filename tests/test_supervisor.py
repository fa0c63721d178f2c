"""The supervisor's parts in-process: the watchdog's interrupt only ever hits the
execution it was meant for; the hard exit keeps the exit code."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from reloader.engine._supervisor import Abandoned, Interrupter, Watchdog, capture_signals

pytestmark = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="needs the main thread"
)


def busy(seconds: float) -> None:
    """Run bytecode (not a C sleep) so a signal handler gets its chance at once."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        pass


def test_an_interrupt_is_raised_inside_its_execution() -> None:
    interrupter = Interrupter()
    with (
        capture_signals(interrupter),
        pytest.raises(Abandoned) as raised,
        interrupter.running() as token,
    ):
        threading.Timer(0.05, interrupter.interrupt, args=(token, "app.py, line 3")).start()
        busy(5.0)
    assert raised.value.where == "app.py, line 3"


def test_an_interrupt_after_its_execution_ended_is_ignored() -> None:
    interrupter = Interrupter()
    with capture_signals(interrupter):
        with interrupter.running() as token:
            pass
        assert not interrupter.interrupt(token, "late")
        busy(0.05)  # swap(), notify(): nothing may be raised here


def test_an_interrupt_meant_for_one_execution_never_hits_the_next() -> None:
    interrupter = Interrupter()
    with capture_signals(interrupter):
        with interrupter.running() as first:
            pass
        with interrupter.running():
            assert not interrupter.interrupt(first, "old")
            busy(0.05)


def test_race_between_the_end_of_an_execution_and_its_interrupt() -> None:
    """The race of issue 10, item 1: an execution that ends about when the watchdog
    interrupts it. Abandoned may only ever come out of the execution itself."""
    interrupter = Interrupter()
    outside = 0
    sent = 0
    rng = random.Random(10)
    deadline = time.monotonic() + 30
    with capture_signals(interrupter):
        # Until the interrupt has really been sent often (a busy machine shifts timings).
        while sent < 30 and time.monotonic() < deadline:
            results: list[bool] = []
            try:
                with interrupter.running() as token:
                    timer = threading.Timer(
                        rng.uniform(0, 0.01),
                        lambda token=token, results=results: results.append(
                            interrupter.interrupt(token, "x")
                        ),
                    )
                    timer.start()
                    busy(rng.uniform(0, 0.01))
            except Abandoned:
                pass
            try:
                timer.join()
                busy(0.002)  # what the engine does next: swap(), notify()
            except Abandoned:
                outside += 1
            sent += sum(results)
    assert outside == 0
    assert sent >= 30


def test_watchdog_says_nothing_once_the_execution_ended() -> None:
    interrupter = Interrupter()
    said: list[str] = []
    with interrupter.running() as token:
        watchdog = Watchdog(
            interrupter,
            token,
            after_seconds=0.05,
            roots=[Path.cwd()],
            saves_seen=lambda: 0,
            say=said.append,
        )
        with watchdog:
            pass
    time.sleep(0.2)  # longer than after_seconds: a leftover watchdog would speak now
    assert said == []


#: A library (outside the roots) whose import runs bytecode for a while: a signal
#: gets its chance at once, and the import binds a name only at its very end.
SLOW_LIBRARY = textwrap.dedent(
    """
    import time

    _until = time.perf_counter() + {seconds}
    while time.perf_counter() < _until:
        pass
    COMPLETE = True
    """
)


def test_an_interrupt_never_lands_inside_a_library_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newer save while the load imports a library: the watchdog's interrupt waits
    for the import to end (one cut halfway would leave the library broken for good),
    then stops the user code that runs on."""
    (tmp_path / "slow_library.py").write_text(SLOW_LIBRARY.format(seconds=0.6))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_library", raising=False)
    tests = Path(__file__).resolve().parent  # this file is the user's code here
    interrupter = Interrupter(roots=[tests])
    said: list[str] = []
    with (
        capture_signals(interrupter),
        pytest.raises(Abandoned) as raised,
        interrupter.running() as token,
    ):
        watchdog = Watchdog(
            interrupter,
            token,
            after_seconds=0.05,
            roots=[tests],
            saves_seen=itertools.count().__next__,  # a save comes after every look
            say=said.append,
            first_load=True,
            import_seconds=0.2,
        )
        with watchdog:
            import slow_library  # noqa: F401

            busy(30.0)  # the user's code after the import: this is what hangs
    assert sys.modules["slow_library"].COMPLETE
    assert "test_supervisor.py" in raised.value.where
    assert said[0].startswith("the first load has been importing slow_library for")


def test_a_save_made_before_the_report_is_not_taken_for_a_fix() -> None:
    """A save made while the code runs on (an edit made during a slow load) is loaded
    once the load is done; only a save after the report interrupts the code."""
    tests = Path(__file__).resolve().parent
    interrupter = Interrupter(roots=[tests])
    said: list[str] = []
    with capture_signals(interrupter), interrupter.running() as token:
        watchdog = Watchdog(
            interrupter,
            token,
            after_seconds=0.2,
            roots=[tests],
            saves_seen=lambda: 1,  # one save, made before the report, and no other
            say=said.append,
        )
        with watchdog:
            busy(1.0)  # no Abandoned raised in here
    assert len(said) == 1 and said[0].startswith("the reload has been running for")


def first_load_report(tmp_path: Path, import_seconds: float, then_seconds: float) -> list[str]:
    """What the watchdog says of a first load that imports a library for
    ``import_seconds`` and then runs the user's own code for ``then_seconds``
    (its report is due after 0.5 s outside imports)."""
    name = f"library_{int(import_seconds * 1000)}_{int(then_seconds * 1000)}"
    (tmp_path / f"{name}.py").write_text(SLOW_LIBRARY.format(seconds=import_seconds))
    sys.path.insert(0, str(tmp_path))
    tests = Path(__file__).resolve().parent
    interrupter = Interrupter(roots=[tests])
    said: list[str] = []
    try:
        with interrupter.running() as token:
            watchdog = Watchdog(
                interrupter,
                token,
                after_seconds=0.5,
                roots=[tests],
                saves_seen=lambda: 0,
                say=said.append,
                first_load=True,
            )
            with watchdog:
                __import__(name)
                busy(then_seconds)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)
    return said


def test_the_first_load_is_reported_for_the_time_it_spends_outside_imports(
    tmp_path: Path,
) -> None:
    # Importing a framework for 1.5 s, then building the app: not stuck.
    assert first_load_report(tmp_path, import_seconds=1.5, then_seconds=0.2) == []
    # The user's own code running on (a model download under NO_RELOAD): said, calmly.
    said = first_load_report(tmp_path, import_seconds=0.1, then_seconds=1.5)
    assert len(said) == 1 and said[0].startswith("still loading the app after ")
    assert "test_supervisor.py, line" in said[0]


def test_a_ctrl_c_during_the_apps_cleanup_waits_for_it_and_a_second_acts_at_once() -> None:
    import os
    import signal

    from reloader.engine._supervisor import stop_signals_deferred

    done: list[str] = []
    with pytest.raises(KeyboardInterrupt), stop_signals_deferred():
        os.kill(os.getpid(), signal.SIGINT)
        busy(0.1)  # a signal handler gets its chance here: nothing is raised
        done.append("flushed")
    assert done == ["flushed"]
    with pytest.raises(KeyboardInterrupt), stop_signals_deferred():
        os.kill(os.getpid(), signal.SIGINT)
        busy(0.1)
        os.kill(os.getpid(), signal.SIGINT)  # the impatient second one
        busy(5.0)
        done.append("never")
    assert done == ["flushed"]


def test_hard_exit_keeps_the_exit_code(tmp_path: Path) -> None:
    script = tmp_path / "hang.py"
    script.write_text(
        textwrap.dedent(
            """
            import threading
            from reloader.engine._supervisor import hard_exit_after
            hard_exit_after(0.2, 7)
            threading.Event().wait()  # something that never ends
            """
        )
    )
    done = subprocess.run([sys.executable, str(script)], timeout=30, capture_output=True)
    assert done.returncode == 7


def test_main_returns_and_leaves_its_caller_alive(tmp_path: Path) -> None:
    """Issue 10, item 2: reloader.main() used to kill its caller 1.5 s after returning."""
    (tmp_path / "noapp.py").write_text("x = 1\n")
    script = tmp_path / "caller.py"
    script.write_text(
        textwrap.dedent(
            """
            import time
            import reloader
            code = reloader.main(["noapp.py"])
            time.sleep(2.5)  # the caller goes on with its own work
            print("alive", code, flush=True)
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, timeout=60, capture_output=True, text=True
    )
    assert "alive 3" in done.stdout, done.stderr
    assert done.returncode == 0
