"""Where adapters serve: one precedence for host and port (pure logic), one bind error,
and the run-call patch that re-points the framework's re-exports."""

from __future__ import annotations

import socket
import types

import pytest

from reloader.adapters.address import DEFAULT_HOST, Address, bind, serving_address
from reloader.adapters.base import ServeError, ServeOptions
from reloader.adapters.capture import RunCapture

GRADIO_VARIABLES = ("GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT")
ENVIRON = {"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "7870"}


def test_the_flags_win_over_the_run_call_and_the_environment() -> None:
    options = ServeOptions(host="::1", port=9001)
    address = serving_address(
        options, "0.0.0.0", 8001, default_port=8000, variables=GRADIO_VARIABLES, environ=ENVIRON
    )
    assert address == Address("::1", 9001)


def test_the_run_call_wins_over_the_environment_and_the_defaults() -> None:
    address = serving_address(
        ServeOptions(),
        "localhost",
        "8001",  # Dash's run() takes the port as a string too
        default_port=8000,
        variables=GRADIO_VARIABLES,
        environ=ENVIRON,
    )
    assert address == Address("localhost", 8001)


def test_the_environment_variable_the_run_call_reads_comes_next() -> None:
    address = serving_address(
        ServeOptions(), default_port=None, variables=GRADIO_VARIABLES, environ=ENVIRON
    )
    assert address == Address("0.0.0.0", 7870)


def test_then_devreloads_host_and_the_adapters_port() -> None:
    assert serving_address(ServeOptions(), default_port=5000, environ=ENVIRON) == Address(
        DEFAULT_HOST, 5000
    )
    # None: the framework picks the port (Gradio scans from 7860).
    assert serving_address(ServeOptions(), default_port=None) == Address("127.0.0.1", None)


def test_host_and_port_are_decided_each_on_its_own() -> None:
    address = serving_address(ServeOptions(port=9001), "0.0.0.0", 8001, default_port=8000)
    assert address == Address("0.0.0.0", 9001)
    address = serving_address(ServeOptions(host="::1"), None, 8001, default_port=8000)
    assert address == Address("::1", 8001)


def test_none_and_empty_are_not_given() -> None:
    address = serving_address(
        ServeOptions(),
        "",
        None,
        default_port=8000,
        variables=GRADIO_VARIABLES,
        environ={"GRADIO_SERVER_NAME": "", "GRADIO_SERVER_PORT": ""},
    )
    assert address == Address(DEFAULT_HOST, 8000)


def test_a_port_that_is_not_a_number_says_where_it_came_from() -> None:
    with pytest.raises(ServeError, match=r"'eighty' from the app's run call is not a number"):
        serving_address(ServeOptions(), port="eighty", default_port=8000)
    environ = {"GRADIO_SERVER_PORT": "7860x"}
    with pytest.raises(ServeError, match=r"'7860x' from GRADIO_SERVER_PORT is not a number"):
        serving_address(
            ServeOptions(), default_port=None, variables=GRADIO_VARIABLES, environ=environ
        )


def test_a_taken_port_is_one_sentence_naming_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServeError) as raised:
            bind("127.0.0.1", port)
    assert str(raised.value) == (
        f"Port {port} on 127.0.0.1 is in use; stop the other server or pass --port N."
    )


def test_a_host_that_is_no_address_here_is_not_called_a_taken_port() -> None:
    with pytest.raises(ServeError, match=r"Cannot listen on 'no such host\.invalid'.*--host"):
        bind("no such host.invalid", 8000)


def test_a_free_port_is_bound() -> None:
    with bind("127.0.0.1", 0) as sock:
        assert sock.getsockname()[1] > 0


def _serve(port: int = 8000) -> str:
    return f"served on {port}"


def test_a_patched_run_call_reaches_its_reexports() -> None:
    core = types.ModuleType("core")
    core.serve = _serve  # type: ignore[attr-defined]
    common = types.ModuleType("common")  # `from .core import serve`
    common.serve = _serve  # type: ignore[attr-defined]
    other = types.ModuleType("other")  # a module with a serve() of its own
    other.serve = print  # type: ignore[attr-defined]
    capture = RunCapture()
    original = capture.patch(core, "serve", kind="toy", reexported_by=(common, other))
    assert original is _serve
    assert common.serve is core.serve is not _serve
    assert other.serve is print
    with capture.capturing():
        assert common.serve(port=8001) is None  # captured, not run
    call = capture.last(kind="toy")
    assert call is not None and call.address() == {"port": 8001}
    assert common.serve() == "served on 8000"  # outside an execution: the real one
    capture.restore()
    assert core.serve is _serve and common.serve is _serve
