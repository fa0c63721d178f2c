"""The oracle for Gradio saves: what a fresh ``python app.py`` of the saved file serves.

A reload is right when the app it serves is the one a fresh run of the saved file
serves: the same page config, the same API description, the same answers to calls.
:class:`Oracle` gives each saved version its fresh run, and :func:`snapshot` reads
those three from any running Gradio server (the fresh run's, or devreload's) in a
form where the two can be compared with ``==``.

A fresh interpreter per version costs Gradio's import (about 4 s here) each time,
so the oracle is a fork server: one process imports Gradio once and, for each
version, forks a child that runs the file as ``__main__`` (``runpy``), as
``python app.py`` does, and serves it with Gradio's own ``launch()`` on a port of
its own. The child is a fresh run of the file: after ``import gradio`` the parent
has no thread, no Blocks and no event loop (it checks, and refuses to fork
otherwise), so the child starts from the state a fresh interpreter reaches at the
file's ``import gradio`` (its random generators reseeded; its string hashes are
the parent's, as under a fixed ``PYTHONHASHSEED``), and nothing of an earlier
version, which ran in another child, reaches it. ``tests/test_gradio_faithful.py``
also checks one version against a real ``python app.py`` subprocess.

The fresh run gets ``GRADIO_ANALYTICS_ENABLED=False``, as devreload sets it by
default (the config reports the setting), and launch()'s check that its own page
answers within 3 s is skipped (a busy machine fails it; it changes nothing served).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

__all__ = ["Oracle", "call", "compare", "differences", "snapshot"]

#: Devreload's client and page-state scripts, which it adds to the page's head.
_DEVRELOAD_HEAD = re.compile(r"<script>/\*__devreload_client__\*/.*\Z", re.DOTALL)
#: A function's repr names its address, which differs between two processes.
_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")
#: The key devreload's dev mode gives a component that has none (Gradio's reload mode
#: does the same): it lets the page match components across a save.
_DEV_MODE_KEY = re.compile(r"__\d+__")


class Oracle:
    """A fork server: ``run(app)`` serves a fresh run of ``app`` and says where."""

    def __init__(self, python: str = sys.executable) -> None:
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
        self._process = subprocess.Popen(
            [python, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            text=True,
            env=env,
            start_new_session=True,
        )
        self._lock = threading.Lock()
        #: It imports Gradio meanwhile: the first request waits for it.
        self._ready = False

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the oracle process exited")
        return dict(json.loads(line))

    def _ask(self, **request: Any) -> dict[str, Any]:
        assert self._process.stdin is not None
        with self._lock:
            if not self._ready:
                reply = self._read()
                if reply.get("ready") is not True:
                    raise RuntimeError(f"the oracle did not start: {reply}")
                self._ready = True
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            return self._read()

    @contextmanager
    def run(self, app: Path, port: int, log: Path) -> Iterator[str]:
        """A fresh run of ``app`` serving on ``port`` while in the block; yields its URL."""
        from support import wait_for

        pid = int(self._ask(run=str(app), port=port, log=str(log))["pid"])
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(
                lambda: _get(url, "/config") or self._ask(alive=pid)["alive"] is False,
                timeout=60,
                what=f"the fresh run of {app.name} to serve",
            )
            if not self._ask(alive=pid)["alive"]:
                raise AssertionError(f"the fresh run of {app} exited:\n{log.read_text()}")
            yield url
        finally:
            self._ask(stop=pid)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def _get(url: str, path: str, timeout: float = 10) -> bytes | None:
    try:
        with urllib.request.urlopen(url + path, timeout=timeout) as response:
            return bytes(response.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


# -- what a server serves, comparable ---------------------------------------------------


def snapshot(url: str, calls: Mapping[str, list[Any]] | None = None) -> dict[str, Any]:
    """The page config, the API description and call answers of the server at ``url``.

    ``calls`` maps endpoint names (``"/echo"``) to the inputs to call them with;
    by default each named endpoint of the API description is called with its
    example inputs. Only what legitimately differs between two servers of the same
    app is normalised: the origin (another port), the random ``app_id``, dev mode and
    what comes with it (devreload's scripts in the head, the components' dev keys).
    """
    origin = url.rstrip("/")
    config = _json(url, "/config", origin)
    info = _json(url, "/gradio_api/info", origin)
    if calls is None:
        calls = {
            name: [parameter.get("example_input") for parameter in endpoint["parameters"]]
            for name, endpoint in info["named_endpoints"].items()
        }
    answers = {name: call(url, name, inputs) for name, inputs in sorted(calls.items())}
    return {
        "config": _normal_config(config),
        "info": info,
        "calls": json.loads(json.dumps(answers).replace(origin, "{origin}")),
    }


def _json(url: str, path: str, origin: str) -> Any:
    body = _get(url, path)
    assert body is not None, f"no answer from {url}{path}"
    return json.loads(_ADDRESS.sub(">", body.decode("utf-8").replace(origin, "{origin}")))


def _normal_config(config: dict[str, Any]) -> dict[str, Any]:
    config = dict(config)
    config.pop("app_id", None)
    config.pop("dev_mode", None)
    head = _DEVRELOAD_HEAD.sub("", config.get("head") or "")
    config["head"] = head or None
    for component in config.get("components", []):
        props = component.get("props", {})
        if props.get("key", "") is None:
            del props["key"]
    return config


def compare(served: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """How a reload's snapshot differs from the fresh run's, one line per difference.

    A component key is a hash (Python's, salted per process, so only whether there
    is one compares) and dev mode gives one to every component that has none.
    """
    served = json.loads(json.dumps(served))
    fresh_keys = {c["id"]: c.get("key") for c in fresh["config"].get("components", [])}
    fresh_props = {c["id"]: c.get("props", {}) for c in fresh["config"].get("components", [])}
    for component in served["config"].get("components", []):
        props = component.get("props", {})
        dev_key = _DEV_MODE_KEY.fullmatch(str(props.get("key")))
        if dev_key and "key" not in fresh_props.get(component["id"], {}):
            del props["key"]
        fresh_key = fresh_keys.get(component["id"], component.get("key"))
        if component.get("key") is not None and fresh_key is not None:
            component["key"] = fresh_key
        elif fresh_key is None and component["id"] in fresh_keys:
            component["key"] = None
    return differences(served, fresh)


def call(url: str, endpoint: str, inputs: list[Any], timeout: float = 30) -> Any:
    """``POST /gradio_api/call/<name>`` and its answer: the outputs, or the error event."""
    name = endpoint.lstrip("/")
    request = urllib.request.Request(
        f"{url}/gradio_api/call/{name}",
        data=json.dumps({"data": inputs}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            event_id = json.loads(response.read())["event_id"]
    except urllib.error.HTTPError as error:
        return {"http_error": error.code}
    try:
        with urllib.request.urlopen(
            f"{url}/gradio_api/call/{name}/{event_id}", timeout=timeout
        ) as r:
            stream = r.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return {"http_error": error.code}
    except (urllib.error.URLError, ConnectionError) as error:
        return {"connection_error": type(error).__name__}
    events = re.findall(r"^event: (\w+)\ndata: (.*)$", stream, re.MULTILINE)
    if not events:
        return {"stream": stream}
    kind, data = events[-1]
    return {kind: json.loads(data) if data and data != "null" else None}


def differences(served: Any, fresh: Any, path: str = "") -> list[str]:
    """Where ``served`` differs from ``fresh``, one line per leaf (``config.title: ...``)."""
    if isinstance(served, dict) and isinstance(fresh, dict):
        found = []
        for key in sorted(set(served) | set(fresh), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in fresh:
                found.append(f"{where}: served only by the reload ({_short(served[key])})")
            elif key not in served:
                found.append(f"{where}: missing after the reload (fresh: {_short(fresh[key])})")
            else:
                found += differences(served[key], fresh[key], where)
        return found
    if isinstance(served, list) and isinstance(fresh, list) and len(served) == len(fresh):
        found = []
        for index, (a, b) in enumerate(zip(served, fresh, strict=True)):
            found += differences(a, b, f"{path}[{index}]")
        return found
    if served != fresh:
        return [f"{path}: reload {_short(served)} != fresh {_short(fresh)}"]
    return []


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


# -- the fork server (this file run as a program) ----------------------------------------


def _reseed() -> None:
    """A forked child starts with its parent's random state; a fresh run draws its own."""
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def _serve_forks() -> None:
    """Import Gradio once; then, per request on stdin, fork a fresh run of an app."""
    import runpy
    import signal

    import gradio  # what every child starts from
    import gradio.networking

    # launch() gives up when a HEAD of its own page takes over 3 s, which a machine
    # busy with a test suite can take; that check decides nothing about what is served.
    gradio.networking.url_ok = lambda url: True

    if threading.active_count() != 1:
        raise SystemExit(f"importing gradio started threads: {threading.enumerate()}")
    children: set[int] = set()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if "run" in request:
            app = Path(request["run"])
            log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            pid = os.fork()
            if pid == 0:  # the fresh run: `cd folder && python app.py`
                try:
                    os.setsid()
                    _reseed()
                    null = os.open(os.devnull, os.O_RDONLY)
                    os.dup2(null, 0)
                    os.dup2(log, 1)
                    os.dup2(log, 2)
                    sys.stdin = open(0, closefd=False)  # noqa: SIM115
                    signal.signal(signal.SIGINT, signal.default_int_handler)
                    os.chdir(app.parent)
                    os.environ["GRADIO_SERVER_PORT"] = str(request["port"])
                    os.environ["GRADIO_SERVER_NAME"] = "127.0.0.1"
                    sys.argv = [str(app)]
                    sys.path[0] = str(app.parent)
                    runpy.run_path(str(app), run_name="__main__")
                except BaseException:
                    import traceback

                    traceback.print_exc()
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(1)
            os.close(log)
            children.add(pid)
            reply: dict[str, Any] = {"pid": pid}
        elif "alive" in request:
            pid = int(request["alive"])
            reply = {"alive": pid in children and os.waitpid(pid, os.WNOHANG) == (0, 0)}
            if not reply["alive"]:
                children.discard(pid)
        else:
            pid = int(request["stop"])
            if pid in children:
                children.discard(pid)
                with suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            reply = {"stopped": pid}
        print(json.dumps(reply), flush=True)
    for pid in children:
        os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    sys.path.pop(0)  # this folder is not the app's
    _serve_forks()
