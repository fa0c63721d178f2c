"""A real IPython kernel driven as a notebook frontend drives it, for tests and benchmarks.

Each cell is sent with the id a notebook gives it (``metadata.cellId``, which
ipykernel hands to IPython's ``pre_run_cell`` event), and its outputs are
collected until the kernel is idle again, as JupyterLab shows them. Needs
``jupyter_client`` and ``ipykernel`` (the ``testcore`` extra).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CellRun", "Kernel", "running_kernel"]


@dataclass
class CellRun:
    """What one execution of a cell produced."""

    status: str = ""
    stdout: str = ""
    stderr: str = ""
    #: ``text/html`` and ``text/plain`` of display_data and execute_result messages.
    displays: list[Mapping[str, Any]] = field(default_factory=list)
    #: For status "error": the exception's name, value and traceback lines (ANSI removed).
    error_name: str = ""
    error_value: str = ""
    traceback: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Everything the cell shows as text, for messages when a test fails."""
        shown = [self.stdout, self.stderr, *self.traceback]
        shown += [str(d.get("text/plain", "")) for d in self.displays]
        return "\n".join(part for part in shown if part)


class Kernel:
    """A started kernel and a blocking client to it."""

    def __init__(self, manager: Any, client: Any) -> None:
        self.manager = manager
        self.client = client

    def run(self, code: str, cell_id: str | None = None, timeout: float = 60.0) -> CellRun:
        """Execute ``code`` as the cell ``cell_id``; return once the kernel is idle."""
        client = self.client
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        metadata = {"cellId": cell_id} if cell_id is not None else {}
        message = client.session.msg("execute_request", content, metadata=metadata)
        client.shell_channel.send(message)
        msg_id = message["header"]["msg_id"]
        run = CellRun()
        deadline = time.monotonic() + timeout
        idle = False
        while not idle:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the cell did not finish within {timeout} s:\n{run.text}")
            try:
                reply = client.get_iopub_msg(timeout=left)
            except Exception:  # queue.Empty: the deadline is checked above
                continue
            if reply["parent_header"].get("msg_id") != msg_id:
                continue
            kind, body = reply["msg_type"], reply["content"]
            if kind == "stream":
                if body["name"] == "stdout":
                    run.stdout += body["text"]
                else:
                    run.stderr += body["text"]
            elif kind in ("display_data", "execute_result"):
                run.displays.append(body["data"])
            elif kind == "error":
                run.error_name, run.error_value = body["ename"], body["evalue"]
                run.traceback = [_plain(line) for line in body["traceback"]]
            elif kind == "status" and body["execution_state"] == "idle":
                idle = True
        while True:
            left = max(0.1, deadline - time.monotonic())
            reply = client.get_shell_msg(timeout=left)
            if reply["parent_header"].get("msg_id") == msg_id:
                run.status = reply["content"]["status"]
                return run

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=False)


@contextmanager
def running_kernel(cwd: Path, env: Mapping[str, str] | None = None) -> Iterator[Kernel]:
    """An ipykernel on this Python (its native kernel spec) in ``cwd``, stopped on exit."""
    from jupyter_client.manager import KernelManager

    manager = KernelManager()
    manager.start_kernel(cwd=str(cwd), env={**os.environ, **(env or {})})
    client = manager.client()
    client.start_channels()
    kernel = Kernel(manager, client)
    try:
        client.wait_for_ready(timeout=60)
        yield kernel
    finally:
        kernel.shutdown()


def _plain(text: str) -> str:
    """Without ANSI colour codes."""
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)
