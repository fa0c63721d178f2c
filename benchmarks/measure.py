"""Probes: the served config, an open browser tab, a process tree's CPU and memory."""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

__all__ = [
    "ApiCallProbe",
    "ClickProbe",
    "ConfigProbe",
    "Tab",
    "cpu_percent",
    "percentile",
    "rss_bytes",
    "wait_http_ok",
]

#: Between two GETs of the config while waiting for a change; longer (as long as
#: the last GET took, up to POLL_MAX) when the config is big, so that the probe
#: never keeps a server more than half busy: polling a 500-component app's config
#: back to back made devreload's reload itself three times slower.
POLL_INTERVAL = 0.002
POLL_MAX = 0.1


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# -- the served config -------------------------------------------------------------


class ConfigProbe:
    """GETs one path over a kept-alive connection, reconnecting whenever it has to."""

    def __init__(self, port: int, path: str = "/config", host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.path = path
        self._connection: http.client.HTTPConnection | None = None

    def get(self, timeout: float = 5.0) -> bytes | None:
        try:
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            self._connection.timeout = timeout
            if self._connection.sock is not None:
                self._connection.sock.settimeout(timeout)
            self._connection.request("GET", self.path)
            response = self._connection.getresponse()
            body = response.read()
            if response.will_close:
                self.close()
            return body if response.status == 200 else None
        except (OSError, http.client.HTTPException):
            self.close()
            return None

    def wait_for(self, needle: str, started: float, deadline: float) -> float | None:
        """Seconds from ``started`` (perf_counter) until the body contains ``needle``."""
        wanted = needle.encode()
        while True:
            now = time.perf_counter()
            if now >= deadline:
                return None
            body = self.get(timeout=max(0.05, min(5.0, deadline - now)))
            answered = time.perf_counter()
            if body is not None and wanted in body:
                return answered - started
            took = answered - now if body is not None else 0.0
            time.sleep(max(POLL_INTERVAL, min(POLL_MAX, took)))

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class ApiCallProbe:
    """Calls one Gradio event through the HTTP API, back to back, until its answer
    has the wanted text: the way a script or ``gradio_client`` would see a handler edit.

    Same interface as :class:`ConfigProbe`. Each call is ``/gradio_api/call/<name>``
    (POST, then the event's stream) over one kept-alive connection.
    """

    def __init__(self, port: int, api_name: str, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.path = f"/gradio_api/call/{api_name}"
        self.connection: http.client.HTTPConnection | None = None
        #: Per save, the round trip (ms) of the call that ran the new code.
        self.round_trips_ms: list[float] = []
        #: Per save, when (ms after the save) that call was sent: calls sent from then
        #: on run the new code, whatever the call itself costs.
        self.sent_after_ms: list[float] = []

    def call(self, timeout: float = 5.0) -> bytes | None:
        """One call; the body of its "complete" event, or None."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        connection = self.connection
        try:
            connection.request(
                "POST",
                self.path,
                body=b'{"data": [0]}',
                headers={"Content-Type": "application/json"},
            )
            response = connection.getresponse()
            posted = response.read()
            if response.status != 200:
                return None
            connection.request("GET", f"{self.path}/{json.loads(posted)['event_id']}")
            response = connection.getresponse()
            body = response.read()
            return body if response.status == 200 and b"event: complete" in body else None
        except (OSError, ValueError, KeyError, http.client.HTTPException):
            self.close()
            return None

    def wait_for(self, needle: str, started: float, deadline: float) -> float | None:
        wanted = needle.encode()
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            body = self.call(timeout=max(0.5, deadline - sent))
            if body is not None and wanted in body:
                answered = time.perf_counter()
                self.round_trips_ms.append((answered - sent) * 1000)
                self.sent_after_ms.append((sent - started) * 1000)
                return answered - started
            if body is None:
                time.sleep(0.005)  # the server is between versions or not up yet
        return None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


#: Clicks the probe button until its handler's answer contains the wanted text.
#: The handler also bumps a counter, so each answer is seen the moment it lands.
_CLICK_UNTIL = """
async ([button, wanted, timeoutMs]) => {
  const started = performance.now();
  const count = () => document.querySelector('#probe-count input')?.value;
  const answer = () => document.querySelector('#probe-out textarea')?.value || '';
  while (performance.now() - started < timeoutMs) {
    const before = count();
    document.getElementById(button).click();
    const clicked = performance.now();
    while (count() === before && performance.now() - clicked < 5000) {
      await new Promise(r => setTimeout(r, 1));
    }
    // The click's round trip: from the click to its answer in the page.
    if (answer().includes(wanted)) return performance.now() - clicked;
  }
  return null;
}
"""


class ClickProbe:
    """A headless Chromium tab that runs an event the way a developer does: a click.

    Same interface as :class:`ConfigProbe`; ``wait_for`` times until a click on
    the page runs the new code of the handler.
    """

    def __init__(self, browser: Browser, url: str, button: str) -> None:
        self.url = url
        self.button = button
        self.context: BrowserContext = browser.new_context()
        self.page: Page = self.context.new_page()
        self.opened = False
        #: Per save, the round trip (ms) of the click that ran the new code: the part
        #: of the figure that is Gradio's event, not the reload.
        self.round_trips_ms: list[float] = []
        #: Per save, when (ms after the save) that click was made.
        self.sent_after_ms: list[float] = []

    def wait_for(self, needle: str, started: float, deadline: float) -> float | None:
        from playwright.sync_api import Error as PlaywrightError

        try:
            if not self.opened:
                self.page.goto(self.url, timeout=max(1.0, deadline - time.perf_counter()) * 1000)
                self.page.wait_for_selector(f"#{self.button}", timeout=30_000)
                self.opened = True
            remaining = max(0.05, deadline - time.perf_counter())
            round_trip = self.page.evaluate(_CLICK_UNTIL, [self.button, needle, remaining * 1000])
        except PlaywrightError:
            return None
        if round_trip is None:
            return None
        answered = time.perf_counter() - started
        self.round_trips_ms.append(float(round_trip))
        self.sent_after_ms.append(answered * 1000 - float(round_trip))
        return answered

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()


def wait_http_ok(
    port: int, path: str, started: float, deadline: float, alive: Callable[[], bool]
) -> float | None:
    """Seconds from ``started`` until GET ``path`` answers 200; None at the deadline or death."""
    probe = ConfigProbe(port, path)
    try:
        while time.perf_counter() < deadline:
            if probe.get(timeout=2.0) is not None:
                return time.perf_counter() - started
            if not alive():
                return None
            time.sleep(0.02)
        return None
    finally:
        probe.close()


# -- an open browser tab ----------------------------------------------------------------

#: Runs in every document the tab loads (so also after an F5): records, in page
#: time, the moment the text the benchmark waits for first appears in the DOM.
#: Text inside a <script> does not count: NiceGUI's page carries its elements as
#: JSON in one, and shows them only once Vue has rendered them.
_OBSERVER = """
(() => {
  const hidden = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT']);
  const shown = (root, want) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.data.includes(want) && !hidden.has(node.parentNode.nodeName)) return true;
    }
    return false;
  };
  let pending = null; // the text found in the page, waiting for a frame
  const check = () => {
    let want = null;
    try { want = sessionStorage.getItem('__benchWant'); } catch (error) { return; }
    if (!want || window.__benchSeen === want) return;
    const body = document.body;
    if (pending !== want && body && body.textContent && body.textContent.includes(want)
        && shown(body, want)) {
      // Seen at the first frame that can paint it: a page whose script is still busy
      // (mounting the rest of a re-render), or that holds its picture (a view
      // transition), shows nothing new before then. A tab that gets no frames (hidden)
      // is timed at the DOM change, after 2 s.
      pending = want;
      const inDom = Date.now();
      let done = false;
      const seen = (at) => {
        if (done) return;
        done = true;
        window.__benchSeen = want;
        window.__benchSeenAt = at;
      };
      requestAnimationFrame(() => seen(Date.now()));
      setTimeout(() => seen(inDom), 2000);
    }
  };
  window.__benchCheck = check;
  new MutationObserver(check).observe(document, {subtree: true, childList: true,
                                                 characterData: true});
})();
"""


class Tab:
    """A headless Chromium tab on one tool's app."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.url = url
        self.context: BrowserContext = browser.new_context()
        self.context.add_init_script(_OBSERVER)
        self.page: Page = self.context.new_page()

    def open(self, marker: str, timeout: float) -> bool:
        self.page.goto(self.url, wait_until="commit", timeout=timeout * 1000)
        self.arm(marker)
        return self.seen_at(marker, timeout) is not None

    def arm(self, marker: str) -> None:
        """Say which text to wait for; call just before the save."""
        self.page.evaluate(
            "m => { sessionStorage.setItem('__benchWant', m);"
            " if (window.__benchCheck) window.__benchCheck(); }",
            marker,
        )

    def seen_at(self, marker: str, timeout: float) -> float | None:
        """Wall-clock time (s) when ``marker`` appeared in the page; None after ``timeout``."""
        from playwright.sync_api import Error as PlaywrightError

        try:
            handle = self.page.wait_for_function(
                "m => window.__benchSeen === m ? window.__benchSeenAt : 0",
                arg=marker,
                timeout=max(1.0, timeout * 1000),
                polling=20,
            )
            value: Any = handle.json_value()
        except PlaywrightError:
            return None
        return float(value) / 1000 if value else None

    def rerender_ms(self) -> float | None:
        """How long the tab's Gradio frontend takes to re-render the config it already
        shows (devreload's page script fetches it and hands it over; no save): the
        browser's share of any save that re-renders, whatever the reloader. None where
        the page has no devreload page script."""
        from playwright.sync_api import Error as PlaywrightError

        try:
            value: Any = self.page.evaluate(
                "async () => { const page = window.__devreloadGradio;"
                " if (!page || !page.rerender) return null;"
                " const started = performance.now(); await page.rerender();"
                " return performance.now() - started; }"
            )
        except PlaywrightError:
            return None
        return float(value) if value is not None else None

    def reload(self, timeout: float) -> None:
        """What a developer does when the tab does not refresh: press F5."""
        from playwright.sync_api import Error as PlaywrightError

        with contextlib.suppress(PlaywrightError):
            self.page.reload(wait_until="commit", timeout=timeout * 1000)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the browser may already be gone
            self.context.close()


# -- CPU and memory of a process tree -----------------------------------------------------


def _tree(pid: int) -> list[Any]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def rss_bytes(pid: int) -> int:
    """Resident memory of the process and all its descendants."""
    total = 0
    for process in _tree(pid):
        try:
            total += int(process.memory_info().rss)
        except psutil.Error:
            continue
    return total


def _cpu_seconds(process: Any) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def cpu_percent(pids: dict[str, int], seconds: float) -> dict[str, float]:
    """CPU use of each process tree over the same ``seconds`` window (100 = one core)."""
    before: dict[str, dict[int, float]] = {}
    for key, pid in pids.items():
        before[key] = {}
        for process in _tree(pid):
            try:
                before[key][process.pid] = _cpu_seconds(process)
            except psutil.Error:
                continue
    started = time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - started
    result: dict[str, float] = {}
    for key, pid in pids.items():
        used = 0.0
        for process in _tree(pid):
            try:
                used += _cpu_seconds(process) - before[key].get(process.pid, 0.0)
            except psutil.Error:
                continue
        result[key] = 100 * used / elapsed
    return result
