// devreload browser client: shows reload errors over the page and, for apps
// whose own frontend does not refresh itself, patches the page in place with
// idiomorph (keeping typed values, focus and scroll) or reloads it, and its CSS.
// Each save closes a loop: the tab tells the server the version it now shows, or
// why it could not show it, and then reloads itself with its state carried over.
// Configured by window.__devreload = {events: URL, reloadPage: bool, version: N,
// tab: URL, worker: URL} in an inline script, or, where a Content-Security-Policy
// forbids inline scripts, by the data-events, data-reload-page and data-version
// attributes of the <script src> that loads it.
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

  function hideError() {
    var overlay = document.getElementById(OVERLAY_ID);
    if (overlay) overlay.remove();
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

  // --- The connection: one per browser, shared by all the app's tabs ---

  var events = new URL(config.events, location.href).href;
  // Beside the stream, unless the page names them (Gradio's stream is under its API).
  var sibling = function (name) {
    return new URL(name, events.replace(/[?#].*$/, "")).href;
  };
  var TAB_URL = config.tab ? new URL(config.tab, location.href).href : sibling("tab");
  var WORKER_URL = config.worker ? new URL(config.worker, location.href).href : sibling("worker.js");
  var handlers = {};
  var reloading = false;  // this page reloads itself: it comes back under the same id

  function deliver(name, data) {
    if (handlers[name]) handlers[name](data);
  }

  function post(message, keepalive) {
    if (!window.fetch) return Promise.resolve();
    return fetch(TAB_URL, {method: "POST", body: JSON.stringify(message), keepalive: !!keepalive,
                           credentials: "same-origin", headers: {"Content-Type": "application/json"}})
      .catch(function () { /* the server is restarting: the next hello tells it */ });
  }

  // Who this tab is, across its own reloads (sessionStorage is the tab's): the
  // server waits for a tab that reloads itself to come back showing the version.
  var tabId = (function () {
    var id = null;
    try { id = sessionStorage.getItem("devreload-tab"); } catch (error) { /* no storage */ }
    return id || newTabId();
  })();

  function newTabId() {
    var id = Math.random().toString(36).slice(2) + Date.now().toString(36);
    try { sessionStorage.setItem("devreload-tab", id); } catch (error) { /* no storage */ }
    return id;
  }

  // Held while the tab lives, so that the shared worker sees a tab go even when it
  // cannot say so; a duplicated tab (its sessionStorage copied) takes a new id.
  function holdTabLock(then) {
    var locks = navigator.locks;
    if (!locks) return then();
    locks.request("devreload-tab:" + tabId, {ifAvailable: true}, function (lock) {
      if (!lock) {
        tabId = tab.id = newTabId();
        holdTabLock(then);
        return null;
      }
      then();
      return new Promise(function () {});
    }).catch(function () { then(); });
  }

  function ownStream() {
    var source = new EventSource(events);
    ["hello", "reload", "css", "error"].forEach(function (name) {
      source.addEventListener(name, function (event) { deliver(name, event.data); });
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // Without a SharedWorker, the tabs of a browser still share one stream: the tab
  // holding a Web Lock keeps it and passes each event on over a BroadcastChannel;
  // when that tab goes, another takes the lock and opens the stream again.
  function sharedByALeader() {
    var channel = new BroadcastChannel("devreload " + events);
    var leading = false, hello = null, standing = null;
    channel.onmessage = function (message) {
      var data = message.data || {};
      if (data.ask) {  // a tab that joined: what the stream said so far
        if (leading && hello) channel.postMessage(hello);
        if (leading && standing) channel.postMessage(standing);
      } else if (data.event) {
        deliver(data.event, data.data);
      }
    };
    navigator.locks.request("devreload-stream " + events, function () {
      leading = true;
      var source = new EventSource(events);
      ["hello", "reload", "css", "error"].forEach(function (name) {
        source.addEventListener(name, function (event) {
          if (name === "error" && !event.data) return;
          var message = {event: name, data: event.data};
          if (name === "hello") { hello = message; standing = null; }
          else if (name === "error") standing = message;
          else if (name === "reload" && hello) {
            standing = null;
            var info = JSON.parse(hello.data), reload = JSON.parse(event.data || "{}");
            info.version = reload.version;
            info.reload = reload;
            hello = {event: "hello", data: JSON.stringify(info)};
          }
          channel.postMessage(message);
          deliver(name, event.data);
        });
      });
      return new Promise(function () {});  // led until this tab goes
    });
    channel.postMessage({ask: true});
  }

  function fallbackStream() {
    if (navigator.locks && window.BroadcastChannel) return sharedByALeader();
    return ownStream();
  }

  function connect() {
    if (!window.SharedWorker) return fallbackStream();
    var worker;
    try {
      worker = new SharedWorker(WORKER_URL, {name: "devreload " + events});
    } catch (error) {  // a Content-Security-Policy that forbids workers, say
      return fallbackStream();
    }
    var answered = false, gaveUp = false;
    var giveUp = function () {
      if (answered || gaveUp) return;
      gaveUp = true;
      worker.port.close();
      fallbackStream();
    };
    worker.onerror = giveUp;
    worker.port.onmessage = function (message) {
      if (gaveUp) return;
      answered = true;
      deliver(message.data.event, message.data.data);
    };
    worker.port.start();
    holdTabLock(function () {
      worker.port.postMessage({type: "open", events: events, tab: tabId, tabUrl: TAB_URL});
    });
    setTimeout(giveUp, 5000);  // never answered (blocked): a stream of the tab's own
    window.addEventListener("pagehide", function () {
      if (!gaveUp) worker.port.postMessage({type: "close"});
    });
  }

  // --- The loop: take each save, say what the tab shows, recover when it cannot ---

  // The version this page shows: it was served at config.version; each save it takes
  // moves it on. A hello with a higher one means a save went out while this page was
  // loading or not listening.
  var shown = Number(config.version);
  var server = null;
  // For tests and tools: the server knows this tab (connected), the version it shows.
  var tab = window.__devreloadTab = {id: tabId, connected: false, version: shown};
  // A save not shown within this many ms (a re-render that hangs) reloads the tab.
  var BOUND_MS = 10000;

  handlers.hello = function (data) {
    var info = JSON.parse(data || "{}");
    if (server !== null && info.server !== server) {
      return reloadPage("the server restarted");
    }
    server = info.server;
    post({op: "hello", tab: tabId, channel: info.channel, version: isNaN(shown) ? null : shown,
          path: location.pathname, title: document.title})
      .then(function () { tab.connected = true; });
    var missed = Number(info.version);
    if (!isNaN(shown) && missed > shown) {
      var message = info.reload || {};
      message.version = missed;
      message.stale = true;
      take(message);
    }
  };
  handlers.error = function (data) {
    if (!data) return;  // a connection error, not a reload error
    var payload;
    try { payload = JSON.parse(data); } catch (e) { payload = data; }
    if (payload && typeof payload === "object") showError(String(payload.text || ""), payload.title);
    else showError(String(payload));  // an older server: the text alone
  };
  handlers.css = function () {
    hideError();
    reloadStylesheets();
  };
  handlers.reload = function (data) {
    var message = {};
    try { message = JSON.parse(data || "{}"); } catch (e) { message = {}; }
    take(message);
  };

  // The page reloads itself, with its state: the adapter's page script saves what
  // it holds on "devreload:beforefullreload" and puts it back when the page is up.
  function reloadPage(why) {
    console.info("devreload: reloading the whole page: " + why);
    window.dispatchEvent(new CustomEvent("devreload:beforefullreload", {detail: {reason: why}}));
    reloading = true;
    location.reload();
  }

  // A save the tab could not show: say why, then reload (at most once in a few
  // seconds: a page that breaks again as soon as it loads shows the error instead).
  function recover(version, why) {
    var key = "devreload-recovered", last = 0;
    try { last = Number(sessionStorage.getItem(key)) || 0; } catch (error) { /* no storage */ }
    post({op: "failed", tab: tabId, version: version, reason: why}, true);
    if (Date.now() - last < 5000) {
      showError(why + "\n\nReload the page (F5) once the cause is fixed.",
                "devreload: this tab could not show the last save.");
      return;
    }
    try { sessionStorage.setItem(key, String(Date.now())); } catch (error) { /* no storage */ }
    reloadPage("it could not show the last save (" + why + ")");
  }

  var taking = null, next = null;

  function take(message) {
    var version = Number(message.version);
    if (!isNaN(shown) && !(version > shown)) return;  // it shows that version already
    hideError();
    if (taking) { next = message; return; }  // one at a time; the newest waits
    taking = message;
    var settled = function () {
      taking = null;
      if (next) { var newer = next; next = null; take(newer); }
    };
    var bound;
    var timeout = new Promise(function (resolve, reject) {
      bound = setTimeout(function () {
        reject(new Error("it did not finish within " + BOUND_MS / 1000 + " s"));
      }, BOUND_MS);
    });
    Promise.race([show(message), timeout]).then(function (outcome) {
      clearTimeout(bound);
      if (outcome === "reloading") return;  // its hello, once loaded, confirms
      shown = tab.version = version;
      post({op: "shown", tab: tabId, version: version});
      settled();
    }, function (error) {
      clearTimeout(bound);
      settled();
      recover(version, String((error && error.message) || error));
    });
  }

  // The save on this page: a promise of "reloading" when it reloads the page.
  function show(message) {
    var waits = [];
    // An adapter's page script may take the save in place (Dash re-fetches its
    // layout; Shiny's patches the page with patchPage, then starts a new session;
    // Gradio's re-renders from the new config): it calls preventDefault(), and
    // waitUntil(promise) for a promise settled once the page shows the save.
    var detail = {
      message: message,
      patchPage: window.__devreloadIdiomorph && window.DOMParser && window.fetch ? patchPage : null,
      waitUntil: function (promise) { waits.push(Promise.resolve(promise)); },
    };
    var update = new CustomEvent("devreload:reload", {cancelable: true, detail: detail});
    if (!window.dispatchEvent(update) || !config.reloadPage) {
      return Promise.all(waits).then(function (results) {
        return results.indexOf("reloading") >= 0 ? "reloading" : "shown";
      });
    }
    // Pages built by the framework's own JavaScript (Dash, Shiny) keep an unchanged
    // HTML shell: the adapter asks for a real reload, patching would change nothing.
    if (message.page === "reload") {
      reloadPage("the page is built by its framework's JavaScript");
      return Promise.resolve("reloading");
    }
    // The adapter updated the page itself (NiceGUI, over its own socket).
    if (message.page === "keep") return Promise.resolve("shown");
    if (!window.__devreloadIdiomorph || !window.DOMParser || !window.fetch) {
      fullReload("this browser cannot patch the page in place");
      return Promise.resolve("reloading");
    }
    return patchPage().then(function (patched) { return patched ? "shown" : "reloading"; });
  }

  window.addEventListener("pagehide", function () {
    if (reloading || !navigator.sendBeacon) return;
    navigator.sendBeacon(TAB_URL, JSON.stringify({op: "bye", tab: tabId}));
  });
  // --- Server-rendered pages: patch the live DOM instead of reloading the tab ---

  function fullReload(why) {
    reloadPage(why);
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


  connect();
})();
