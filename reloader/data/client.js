// devreload browser client: shows reload errors over the page and, for apps
// whose own frontend does not refresh itself, patches the page in place with
// idiomorph (keeping typed values, focus and scroll) or reloads it, and its CSS.
// Configured by window.__devreload = {events: URL, reloadPage: bool, version: N} in
// an inline script, or, where a Content-Security-Policy forbids inline scripts, by
// the data-events, data-reload-page and data-version attributes of the
// <script src> that loads it.
(function () {
  "use strict";
  var tag = document.currentScript;
  var config = window.__devreload ||
    (tag && tag.dataset.events
      ? {events: tag.dataset.events, reloadPage: "reloadPage" in tag.dataset,
         version: tag.dataset.version}
      : {});
  if (!config.events || window.__devreloadClient) return;  // injected twice: keep one
  window.__devreloadClient = true;

  var OVERLAY_ID = "devreload-error-overlay";

  // The page under the overlay still runs the last good version and stays in use:
  // while the overlay is up, the page's bottom gets room for it, so that whatever
  // the overlay covers (say, rows an app renders at its end) can be scrolled clear.
  var paddingBefore = null;

  function hideError() {
    var overlay = document.getElementById(OVERLAY_ID);
    if (overlay) overlay.remove();
    if (paddingBefore !== null) {
      document.body.style.paddingBottom = paddingBefore;
      paddingBefore = null;
    }
  }

  // The server says what kind of problem it is (a failed save, a stopped watcher...).
  var DEFAULT_TITLE = "devreload: the last save failed; the page still runs the last good version.";

  function showError(text, heading) {
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
    title.id = OVERLAY_ID + "-title";
    title.textContent = heading || DEFAULT_TITLE;
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
    paddingBefore = document.body.style.paddingBottom;
    document.body.style.paddingBottom = overlay.offsetHeight + "px";
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

  // The version this page was served at: a save published before the stream opens
  // (the page was still loading) comes back at once as "stale".
  var events = config.events;
  if (config.version !== undefined && config.version !== null) {
    events += (events.indexOf("?") >= 0 ? "&" : "?") + "since=" + config.version;
  }
  var source = new EventSource(events);
  // The version the page is at now: each reload it takes moves it on. A stream that
  // reopens (EventSource reconnects with the URL it started with) is then "stale"
  // only if a reload went out while it was closed.
  var seen = Number(config.version);
  source.addEventListener("reload", function () { seen += 1; });
  source.addEventListener("stale", function (event) {
    var now = Number(JSON.parse(event.data || "{}").version);
    if (!(now > seen)) return;
    // At most once in a few seconds: a page that comes back stale again (a server
    // that serves an old version) must not reload in a loop.
    var key = "devreload-stale-reload", last = 0;
    try { last = Number(sessionStorage.getItem(key)) || 0; } catch (error) { /* no storage */ }
    if (Date.now() - last < 5000) {
      console.warn("devreload: this page is still not at the server's version " + now);
      return;
    }
    try { sessionStorage.setItem(key, String(Date.now())); } catch (error) { /* no storage */ }
    console.info("devreload: a save reached the server while this page was not listening; reloading it");
    location.reload();
  });
  source.addEventListener("error", function (event) {
    if (!event.data) return;  // a connection error, not a reload error
    var data;
    try { data = JSON.parse(event.data); } catch (e) { data = event.data; }
    if (data && typeof data === "object") showError(String(data.text || ""), data.title);
    else showError(String(data));  // an older server: the text alone
  });
  // --- Server-rendered pages: patch the live DOM instead of reloading the tab ---

  function fullReload(why) {
    console.info("devreload: reloading the whole page: " + why);
    location.reload();
  }

  function isOwnScript(node) {
    return node.nodeName === "SCRIPT" &&
      (node.hasAttribute("data-events") ||
       (!node.src && node.textContent.indexOf("__devreloadClient") >= 0));
  }

  // What patching cannot apply: scripts run once, so a page whose scripts changed
  // needs a real load to run the new ones.
  function scriptsOf(doc, ignore) {
    var found = [];
    var scripts = doc.querySelectorAll("script");
    for (var i = 0; i < scripts.length; i++) {
      var s = scripts[i];
      if (isOwnScript(s) || (ignore && ignore(s))) continue;
      var type = (s.getAttribute("type") || "").toLowerCase();
      if (type && type !== "module" && type.indexOf("javascript") < 0) continue;  // data blocks
      found.push(s.src ? "src:" + new URL(s.getAttribute("src"), location.href).href
                       : "inline:" + s.textContent);
    }
    return found.join("\n\u0000");
  }

  // Typed values and ticked boxes are live DOM properties the server's markup does
  // not carry: remember them, and put them back unless the markup's own default for
  // that field changed (the developer changed it on purpose).
  function saveFields() {
    var saved = [];
    var fields = document.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      saved.push({node: f, value: f.value, checked: f.checked, defaults: fieldDefaults(f)});
    }
    return saved;
  }

  function fieldDefaults(f) {
    if (f.nodeName === "SELECT") {
      var flags = "";
      for (var i = 0; i < f.options.length; i++) {
        flags += f.options[i].value + (f.options[i].defaultSelected ? "*" : "") + "\u0000";
      }
      return flags;
    }
    return f.defaultValue + "\u0000" + f.defaultChecked;
  }

  function restoreFields(saved) {
    for (var i = 0; i < saved.length; i++) {
      var s = saved[i], f = s.node;
      if (!f.isConnected || fieldDefaults(f) !== s.defaults) continue;
      if (f.type === "checkbox" || f.type === "radio") f.checked = s.checked;
      else if (f.type !== "file" && f.value !== s.value) f.value = s.value;
    }
  }

  function morphPage(html, ignoreScript) {
    var Idiomorph = window.__devreloadIdiomorph;
    var next = new DOMParser().parseFromString(html, "text/html");
    if (scriptsOf(next, ignoreScript) !== scriptsOf(document, ignoreScript)) {
      fullReload("a <script> changed, and a patched page would not run it");
      return false;
    }
    var own = next.querySelectorAll("script");
    for (var i = 0; i < own.length; i++) if (isOwnScript(own[i])) own[i].remove();
    var active = document.activeElement;
    var selection = null;
    try {
      if (active && "selectionStart" in active && active.selectionStart !== null) {
        selection = [active.selectionStart, active.selectionEnd, active.selectionDirection];
      }
    } catch (e) { selection = null; }
    var scrollX = window.scrollX, scrollY = window.scrollY;
    var fields = saveFields();
    var keep = function (node) { return !isOwnScript(node) && node.id !== OVERLAY_ID; };
    Idiomorph.morph(document.documentElement, next.documentElement, {
      morphStyle: "outerHTML",
      head: {style: "merge", shouldPreserve: isOwnScript},
      callbacks: {beforeNodeRemoved: keep},
    });
    if (next.title !== document.title) document.title = next.title;
    restoreFields(fields);
    if (active && active !== document.activeElement && active.isConnected && active.focus) {
      active.focus({preventScroll: true});
      if (selection) {
        try { active.setSelectionRange(selection[0], selection[1], selection[2]); } catch (e) {}
      }
    }
    window.scrollTo(scrollX, scrollY);
    return true;
  }

  // Fetch the page again and morph this one into it: true once patched in place; on
  // a failure, or when the page cannot be patched, it reloads the page (false).
  // ignoreScript(node): scripts left out of the "did a script change" comparison
  // (a framework's init script that removes itself once it has run).
  function patchPage(ignoreScript) {
    return fetch(location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        var type = response.headers.get("content-type") || "";
        if (!response.ok || type.indexOf("html") < 0) {
          throw new Error("the page answered " + response.status + " " + type);
        }
        return response.text();
      })
      .then(function (html) { return morphPage(html, ignoreScript); })
      .catch(function (error) {
        fullReload("patching the page failed (" + error + ")");
        return false;
      });
  }

  var morphing = false, again = false;

  function refreshPage() {
    if (!window.__devreloadIdiomorph || !window.DOMParser || !window.fetch) {
      return fullReload("this browser cannot patch the page in place");
    }
    if (morphing) { again = true; return; }
    morphing = true;
    patchPage().then(function () {
        morphing = false;
        if (again) { again = false; refreshPage(); }
      });
  }

  source.addEventListener("reload", function (event) {
    hideError();
    if (!config.reloadPage) return;
    var data = {};
    try { data = JSON.parse(event.data || "{}"); } catch (e) { data = {}; }
    // An adapter's page script may take the save in place (Dash re-fetches its layout;
    // Shiny's patches the page with patchPage, then starts a new session).
    var detail = {message: data, patchPage: window.__devreloadIdiomorph && window.DOMParser &&
      window.fetch ? patchPage : null};
    var update = new CustomEvent("devreload:reload", {cancelable: true, detail: detail});
    if (!window.dispatchEvent(update)) return;
    // Pages built by the framework's own JavaScript (Dash, Shiny) keep an unchanged
    // HTML shell: the adapter asks for a real reload, patching would change nothing.
    if (data.page === "reload") location.reload();
    // The adapter updated the page itself (NiceGUI, over its own socket).
    else if (data.page === "keep") return;
    else refreshPage();
  });
  source.addEventListener("css", function () {
    hideError();
    reloadStylesheets();
  });
  window.addEventListener("beforeunload", function () { source.close(); });
})();
