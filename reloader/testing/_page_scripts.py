"""JavaScript a check runs in the page (through Playwright) to know when it listens."""

from __future__ import annotations

__all__ = ["ANY_EVENT_SOURCE_OPEN", "PAGE_LISTENS", "TRACK_EVENT_SOURCES"]

#: Records the page's EventSources, so that a check can wait until the page listens.
TRACK_EVENT_SOURCES = """
(() => {
  const Original = window.EventSource;
  window.__eventSources = [];
  window.EventSource = function (url, options) {
    const source = new Original(url, options);
    window.__eventSources.push(source);
    return source;
  };
  window.EventSource.prototype = Original.prototype;
})();
"""
#: Some EventSource of the page is open (an adapter's own client, as the toy adapter's).
ANY_EVENT_SOURCE_OPEN = "() => (window.__eventSources || []).some(s => s.readyState === 1)"
#: devreload's client in the page is connected (the server knows the tab) and, on a
#: Gradio page, Gradio's frontend listens for reloads: the page follows the next save.
PAGE_LISTENS = (
    "() => { const tab = window.__devreloadTab, gradio = window.__devreloadGradio;"
    " return !!(tab && tab.connected && (!gradio || gradio.listening)); }"
)
