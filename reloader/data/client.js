// devreload browser client: shows reload errors over the page and, for apps
// whose own frontend does not refresh itself, reloads the page or its CSS.
// Configured by window.__devreload = {events: URL, reloadPage: bool} in an inline
// script, or, where a Content-Security-Policy forbids inline scripts, by the
// data-events and data-reload-page attributes of the <script src> that loads it.
(function () {
  "use strict";
  var tag = document.currentScript;
  var config = window.__devreload ||
    (tag && tag.dataset.events
      ? {events: tag.dataset.events, reloadPage: "reloadPage" in tag.dataset}
      : {});
  if (!config.events || window.__devreloadClient) return;  // injected twice: keep one
  window.__devreloadClient = true;

  var OVERLAY_ID = "devreload-error-overlay";

  function hideError() {
    var overlay = document.getElementById(OVERLAY_ID);
    if (overlay) overlay.remove();
  }

  function showError(text) {
    hideError();
    var overlay = document.createElement("div");
    overlay.id = OVERLAY_ID;
    overlay.setAttribute("role", "alert");
    overlay.style.cssText =
      "position:fixed;left:0;right:0;bottom:0;max-height:50vh;overflow:auto;z-index:2147483647;" +
      "background:#1e1e1e;color:#f8f8f2;border-top:4px solid #e5484d;padding:12px 16px;" +
      "font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;";
    var title = document.createElement("div");
    title.style.cssText = "color:#ff6b6b;font-weight:bold;margin-bottom:6px;";
    title.textContent = "devreload: the last save failed; the page still runs the last good version.";
    var body = document.createElement("pre");
    body.style.cssText = "margin:0;white-space:pre-wrap;";
    body.textContent = text;
    var close = document.createElement("button");
    close.textContent = "×";
    close.setAttribute("aria-label", "Dismiss");
    close.style.cssText = "position:absolute;top:6px;right:10px;background:none;border:0;color:#aaa;font-size:18px;cursor:pointer;";
    close.onclick = hideError;
    overlay.appendChild(close);
    overlay.appendChild(title);
    overlay.appendChild(body);
    document.body.appendChild(overlay);
  }

  function reloadStylesheets() {
    var links = document.querySelectorAll('link[rel="stylesheet"]');
    for (var i = 0; i < links.length; i++) {
      var url = new URL(links[i].href, location.href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set("devreload", Date.now().toString());
      links[i].href = url.toString();
    }
  }

  var source = new EventSource(config.events);
  source.addEventListener("error", function (event) {
    if (!event.data) return;  // a connection error, not a reload error
    var text;
    try { text = JSON.parse(event.data); } catch (e) { text = event.data; }
    showError(String(text));
  });
  source.addEventListener("reload", function () {
    hideError();
    if (config.reloadPage) location.reload();
  });
  source.addEventListener("css", function () {
    hideError();
    reloadStylesheets();
  });
  window.addEventListener("beforeunload", function () { source.close(); });
})();
