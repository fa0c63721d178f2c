"""Where an adapter serves: the host and port it decides on, and the socket bound there.

Every adapter decides the address the same way, each of host and port separately,
taking the first of:

1. devreload's ``--host``/``--port`` (:attr:`ServeOptions.host`/``port``);
2. what the app's own run call asked for (``uvicorn.run(app, port=8001)``,
   ``demo.launch(server_port=7861)``, ``app.run(port=8051)``, ``ui.run(port=8081)``),
   else the environment variable that call reads in its place, for a framework
   whose run call reads one devreload honours (Gradio's ``GRADIO_SERVER_NAME`` and
   ``GRADIO_SERVER_PORT``);
3. the defaults: host :data:`DEFAULT_HOST` (not the ``0.0.0.0`` some frameworks
   default to: devreload's routes carry tracebacks), port the adapter's
   ``default_port``, or None to let the framework choose (Gradio takes the first
   free port from 7860).

A value of None or ``""`` is not given. :func:`bind` binds the socket, so that a
taken port is one sentence naming it.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reloader.adapters.base import ServeError, ServeOptions

__all__ = ["DEFAULT_HOST", "Address", "bind", "serving_address"]

#: The host served when neither ``--host`` nor the app's run call names one.
DEFAULT_HOST = "127.0.0.1"


@dataclass(frozen=True)
class Address:
    host: str
    #: None: the framework chooses the port itself.
    port: int | None


def serving_address(
    options: ServeOptions,
    host: Any = None,
    port: Any = None,
    *,
    default_port: int | None,
    variables: tuple[str, str] | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Address:
    """The address to serve on, by the precedence above. ``host`` and ``port`` are
    what the app's run call asked for (None: nothing); ``variables`` names the
    environment variables (host, port) the framework's run call reads in their place.
    A port that is not a number is a ServeError saying where it came from."""
    host_variable, port_variable = variables or ("", "")
    chosen_host = _first(
        (options.host, "--host"),
        (host, "the app's run call"),
        (environ.get(host_variable) if host_variable else None, host_variable),
    )
    chosen_port = _first(
        (options.port, "--port"),
        (port, "the app's run call"),
        (environ.get(port_variable) if port_variable else None, port_variable),
    )
    return Address(
        str(chosen_host[0]) if chosen_host is not None else DEFAULT_HOST,
        _port_number(*chosen_port) if chosen_port is not None else default_port,
    )


def _first(*candidates: tuple[Any, str]) -> tuple[Any, str] | None:
    """The first candidate (value, where it came from) that is given."""
    return next((pair for pair in candidates if pair[0] is not None and pair[0] != ""), None)


def _port_number(value: Any, source: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ServeError(
            f"The port {value!r} from {source} is not a number; pass a port such as --port 8000."
        ) from None


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` (port 0: any free one), not yet listening:
    a taken port, or a host that is not an address here, is one ServeError."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (OSError, UnicodeError) as error:
        raise ServeError(
            f"Cannot listen on {host!r} ({error}); pass --host with an address."
        ) from None
    # The protocol must be IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off
    # (TCP_NODELAY) only on sockets that say so, and with it on every request on a
    # kept-alive connection waited 40 ms for the client's delayed ACK.
    sock = socket.socket(family, kind, protocol or socket.IPPROTO_TCP)
    # As uvicorn does: a port left in TIME_WAIT by a previous run is free.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise ServeError(
                f"Port {port} on {host} is in use; stop the other server or pass --port N."
            ) from None
        raise ServeError(f"Cannot listen on {host}:{port} ({error.strerror}).") from None
    return sock
