"""devreload adapter for Toyweb: hot reload for ``toyweb.ToyApp`` apps."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler
from typing import Any

from reloader.adapters import (
    Adapter,
    PageUpdate,
    RunCapture,
    ServeOptions,
    bind,
    serving_address,
    the_one_app,
)

#: Put into every page: reload on "reload", show the error on "error".
CLIENT = """<script>
const events = new EventSource("/__toy__/events");
events.addEventListener("reload", () => location.reload());
events.addEventListener("error", (event) => {
  if (!event.data) return;  // a lost connection, not a failed reload
  const box = document.getElementById("toy-error") || document.createElement("pre");
  box.id = "toy-error";
  box.textContent = JSON.parse(event.data);
  document.body.append(box);
});
</script>"""


class ToyAdapter(Adapter):
    name = "toy"
    framework_modules = ("toyweb",)
    default_port = 8080  # ToyApp.run()'s

    def __init__(self) -> None:
        self.server: Any = None
        # Records the app file's app.run() calls while devreload executes the file.
        self.capture = RunCapture()
        # Each notify() bumps the version; every open event stream waits on this.
        self.changed = threading.Condition()
        self.version = 0
        self.last_event: PageUpdate | None = None
        self.tabs = 0

    # The user's file calls app.run() under `if __name__ == "__main__":`; while
    # devreload executes the file, that call is recorded instead of serving.
    def framework_imported(self, module_name: str) -> None:
        import toyweb

        self.capture.patch(toyweb.ToyApp, "run", kind="toy")

    def executing(self, first_load: bool) -> AbstractContextManager[object]:
        return self.capture.capturing()

    def find_app(self, namespace: Mapping[str, Any], name: str | None = None) -> Any | None:
        toyweb = sys.modules.get("toyweb")
        if toyweb is None:  # the file does not use Toyweb at all
            return None
        if name is not None:
            app = namespace.get(name)
            return app if isinstance(app, toyweb.ToyApp) else None
        run = self.capture.last(kind="toy")
        if run is not None:  # the app the file runs
            return run.target
        return the_one_app(namespace, lambda v: isinstance(v, toyweb.ToyApp), "Toyweb", "app.run()")

    def serve(self, app: Any, options: ServeOptions) -> str:
        import toyweb

        # --host/--port, else what app.run() asked for, else 127.0.0.1 and default_port.
        run = self.capture.last(kind="toy")
        asked = run.address() if run is not None else {}
        address = serving_address(options, **asked, default_port=self.default_port)
        host, port = address.host, address.port or self.default_port
        bind(host, port).close()  # a taken port: the one sentence every adapter says
        self.server = toyweb.ToyServer(app, host, port)
        self.server.head = CLIENT
        self.server.routes["/__toy__/events"] = self._events
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://{host}:{self.server.server_port}/"

    def swap(self, app: Any) -> None:
        self.server.app = app  # the next request renders the new app

    def notify(self, event: PageUpdate) -> int:
        with self.changed:
            self.version += 1
            self.last_event = event
            self.changed.notify_all()
            return self.tabs

    def shutdown(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def _events(self, request: BaseHTTPRequestHandler) -> None:
        """Server-sent events for one tab (runs in that request's thread)."""
        with self.changed:  # counted before the tab can see the stream is open
            self.tabs += 1
            seen = self.version
        try:
            request.send_response(200)
            request.send_header("Content-Type", "text/event-stream")
            request.send_header("Cache-Control", "no-cache")
            request.end_headers()
            while True:
                with self.changed:
                    if self.version == seen:
                        self.changed.wait(timeout=15)
                    fresh, seen, event = self.version != seen, self.version, self.last_event
                if not fresh or event is None:
                    request.wfile.write(b": heartbeat\n\n")
                elif event.kind == "error":
                    text = json.dumps(f"{event.headline}\n\n{event.details}")
                    request.wfile.write(f"event: error\ndata: {text}\n\n".encode())
                else:
                    request.wfile.write(b"event: reload\ndata: {}\n\n")
                request.wfile.flush()
        except OSError:  # the tab was closed
            pass
        finally:
            with self.changed:
                self.tabs -= 1
