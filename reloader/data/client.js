// devreload browser client: shows reload errors over the page and, for apps
// whose own frontend does not refresh itself, patches the page in place with
// idiomorph (keeping typed values, focus and scroll) or reloads it, and its CSS.
// Each save closes a loop: the tab tells the server the version it now shows, or
// why it could not show it, and then reloads itself with its state carried over.
// Configured by window.__devreload = {events: URL, reloadPage: bool, version: N,
// posted: bool, tab: URL, worker: URL, base: URL} in an inline script, or, where a
// Content-Security-Policy forbids inline scripts, by the data-events,
// data-reload-page, data-version and data-posted attributes of the <script src>
// that loads it. "posted": the page is the answer to a form POST, which is never
// loaded again (that would send the form again). The URLs are relative to "base",
// else to the page: behind a proxy at a sub-path (/app/, /user/NAME/proxy/7860/),
// which the app may not know, they reach the server that served the page.
(function () {
  "use strict";
  var tag = document.currentScript;
  var config = window.__devreload ||
    (tag && tag.dataset.events
      ? {events: tag.dataset.events, reloadPage: "reloadPage" in tag.dataset,
         version: tag.dataset.version, posted: "posted" in tag.dataset}
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

  // --- The connection: one per browser, shared by all the app's tabs ---

  var base = config.base ? new URL(config.base, location.href).href : location.href;
  var events = new URL(config.events, base).href;
  // Beside the stream, unless the page names them (Gradio's stream is under its API).
  var sibling = function (name) {
    return new URL(name, events.replace(/[?#].*$/, "")).href;
  };
  var TAB_URL = config.tab ? new URL(config.tab, base).href : sibling("tab");
  var WORKER_URL = config.worker ? new URL(config.worker, base).href : sibling("worker.js");
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

  // The page reloads itself, with its state (see fullReload); a page that answered a
  // form POST is kept instead.
  function reloadPage(why) {
    return fullReload(why);
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
    fullReload("it could not show the last save (" + why + ")");
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
      if (outcome && outcome.kept) {  // an error over the last good page, a POST answer
        post({op: "failed", tab: tabId, version: version, reason: outcome.kept, reloads: false});
      } else {
        shown = tab.version = version;
        post({op: "shown", tab: tabId, version: version});
      }
      settled();
    }, function (error) {
      clearTimeout(bound);
      settled();
      recover(version, String((error && error.message) || error));
    });
  }

  // What the page patcher did (see refetchAndPatch), as the loop takes it.
  function outcomeOf(result) {
    if (result.shown === "reloading") return "reloading";
    if (result.shown === "morphed") return "shown";
    return {kept: result.why};
  }

  // The save on this page: a promise of "shown", of "reloading" when it reloads the
  // page, or of {kept: why} when it keeps the page as it is (an error over the last
  // good page, a POST answer).
  function show(message) {
    var waits = [];
    // An adapter's page script may take the save in place (Dash re-fetches its
    // layout; Shiny's patches the page with patchPage, then starts a new session;
    // Gradio's re-renders from the new config): it calls preventDefault(), and
    // waitUntil(promise) for a promise settled once the page shows the save.
    // keepPage(why, title, text): the page cannot show the save (the save removed
    // it, say): it stays as it is, under an overlay that says so; reloadPage(why): only
    // a page loaded again shows it. Wait for their answers.
    var detail = {
      message: message,
      patchPage: window.__devreloadIdiomorph && window.DOMParser && window.fetch ? patchPage : null,
      waitUntil: function (promise) { waits.push(Promise.resolve(promise)); },
      keepPage: keepPage,
      reloadPage: function (why) { return outcomeOf(fullReload(why)); },
    };
    var update = new CustomEvent("devreload:reload", {cancelable: true, detail: detail});
    if (!window.dispatchEvent(update) || !config.reloadPage) {
      return Promise.all(waits).then(function (results) {
        for (var i = 0; i < results.length; i++) if (results[i] && results[i].kept) return results[i];
        return results.indexOf("reloading") >= 0 ? "reloading" : "shown";
      });
    }
    // Pages built by the framework's own JavaScript (Dash, Shiny) keep an unchanged
    // HTML shell: the adapter asks for a real reload, patching would change nothing.
    if (message.page === "reload") {
      return Promise.resolve(outcomeOf(fullReload("the page is built by its framework's JavaScript")));
    }
    // The adapter updated the page itself (NiceGUI, over its own socket).
    if (message.page === "keep") return Promise.resolve("shown");
    if (!window.__devreloadIdiomorph || !window.DOMParser || !window.fetch) {
      return Promise.resolve(outcomeOf(fullReload("this browser cannot patch the page in place")));
    }
    return refetchAndPatch().then(outcomeOf);
  }

  // A save this page cannot show: its overlay says why, and the page stays as it is.
  function keepPage(why, title, text) {
    showError(text, title);
    return {kept: why};
  }

  window.addEventListener("pagehide", function () {
    if (reloading || !navigator.sendBeacon) return;
    navigator.sendBeacon(TAB_URL, JSON.stringify({op: "bye", tab: tabId}));
  });
  // --- Server-rendered pages: patch the live DOM instead of reloading the tab ---

  // What refetchAndPatch resolves to, for whoever confirms what the tab shows:
  // {shown: "morphed"}: the page is the new version, patched in place;
  // {shown: "error", why}: the page failed to render; its error is shown over the last
  //   good page, kept as it was (a later save that fixes it patches the page back);
  // {shown: "kept", why}: the page answered a form POST and is left as it is;
  // {shown: "reloading", why}: a full page load is under way.
  var RESUBMIT_TITLE = "devreload: this page is the answer to a form submission (POST); " +
    "it is not refreshed, as that would send the form again.";

  // The answer to a form POST (or any method but GET): loading it again would send the
  // form again, so a save leaves it as it is; the next page opened follows as usual.
  function keepPostedPage(why) {
    var text = "The save is live on the server: the next page you open from here (a link, " +
      "or the form sent again) shows it.";
    console.info(RESUBMIT_TITLE + " " + text + " (" + why + ")");
    showError(text, RESUBMIT_TITLE);
    return {shown: "kept", why: "it answers a form POST, and refreshing it would send the form again"};
  }

  function fullReload(why) {
    if (config.posted) return keepPostedPage(why);
    console.info("devreload: reloading the whole page: " + why);
    // The adapter's page script saves what it holds (Gradio's values, chat, tabs).
    window.dispatchEvent(new CustomEvent("devreload:beforefullreload", {detail: {reason: why}}));
    // Without idiomorph (--no-keep-state) the user asked for a fresh page on each save.
    if (window.__devreloadIdiomorph) stashPageState();
    reloading = true;
    location.reload();
    return {shown: "reloading", why: why};
  }

  // A page that has to be loaded again (a script changed) gets back what the user
  // did: typed values, ticked boxes and chosen options (those whose default the
  // markup kept), the focused field and the scroll position, through sessionStorage.
  var STASH_KEY = "devreload-page-state";
  var STASH_SECONDS = 30;

  function stashableFields() {
    var found = [], seen = {};
    var fields = document.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i], type = (f.type || "").toLowerCase();
      if (type === "file" || type === "password" || type === "hidden") continue;
      // The nth field of its kind and name: the same field in the page loaded again.
      var kind = f.nodeName + " " + type + " " + (f.id || f.name || "");
      seen[kind] = (seen[kind] || 0) + 1;
      found.push({node: f, key: kind + " " + seen[kind]});
    }
    return found;
  }

  function stashPageState() {
    var state = {url: location.href, at: Date.now(), x: window.scrollX, y: window.scrollY,
                 fields: {}, focus: null, selection: null};
    var fields = stashableFields();
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i].node;
      state.fields[fields[i].key] = {value: f.value, checked: f.checked,
                                     chosen: chosenOptions(f), defaults: markupDefaults(f)};
      if (f === document.activeElement) {
        state.focus = fields[i].key;
        try { state.selection = [f.selectionStart, f.selectionEnd, f.selectionDirection]; }
        catch (e) { state.selection = null; }
      }
    }
    try { sessionStorage.setItem(STASH_KEY, JSON.stringify(state)); } catch (e) { /* no storage */ }
  }

  function restorePageState() {
    var state = null;
    try {
      state = JSON.parse(sessionStorage.getItem(STASH_KEY) || "null");
      sessionStorage.removeItem(STASH_KEY);
    } catch (e) { state = null; }
    if (!state || state.url !== location.href || Date.now() - state.at > STASH_SECONDS * 1000) {
      return;
    }
    var fields = stashableFields(), focus = null;
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i].node, saved = state.fields[fields[i].key];
      if (fields[i].key === state.focus) focus = f;
      if (!saved || fieldDefaults(f) !== saved.defaults) continue;
      if (f.nodeName === "SELECT") chooseOptions(f, saved.chosen || []);
      else if (f.type === "checkbox" || f.type === "radio") f.checked = saved.checked;
      else f.value = saved.value;
    }
    if (focus) {
      focus.focus({preventScroll: true});
      if (state.selection) {
        try { focus.setSelectionRange.apply(focus, state.selection); } catch (e) {}
      }
    }
    var scroll = function () { window.scrollTo(state.x, state.y); };
    if (document.readyState === "complete") scroll();
    else window.addEventListener("load", scroll);
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

  // Typed values, ticked boxes and chosen options are live DOM properties the server's
  // markup does not carry: remember them, and put them back unless the markup's own
  // default for that field changed (the developer changed it on purpose).
  // The defaults compared are those of the markup as served. The DOM's own attributes
  // cannot say: idiomorph writes a <select>'s live choice into its options' "selected"
  // attributes, so after one morph they hold the user's choice, not the markup's.
  var servedDefaults = typeof WeakMap === "function" ? new WeakMap() : null;

  function markupDefaults(f) {
    return servedDefaults && servedDefaults.has(f) ? servedDefaults.get(f) : fieldDefaults(f);
  }

  function saveFields() {
    var saved = [];
    var fields = document.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      saved.push({node: f, value: f.value, checked: f.checked, chosen: chosenOptions(f),
                  defaults: markupDefaults(f)});
    }
    return saved;
  }

  function isField(node) {
    return node.nodeType === 1 &&
      (node.nodeName === "INPUT" || node.nodeName === "TEXTAREA" || node.nodeName === "SELECT");
  }

  // A select's default: the options the markup marks "selected" (an option added or
  // removed beside them is no change of default: the user's choice stays).
  function fieldDefaults(f) {
    if (f.nodeName === "SELECT") {
      var flags = "";
      for (var i = 0; i < f.options.length; i++) {
        if (f.options[i].defaultSelected) flags += f.options[i].value + "\u0000";
      }
      return flags;
    }
    return f.defaultValue + "\u0000" + f.defaultChecked;
  }

  function chosenOptions(f) {
    if (f.nodeName !== "SELECT") return null;
    var chosen = [];
    for (var i = 0; i < f.options.length; i++) {
      if (f.options[i].selected) chosen.push(f.options[i].value);
    }
    return chosen;
  }

  function chooseOptions(f, chosen) {
    var options = Array.prototype.slice.call(f.options);
    var isChosen = function (option) { return chosen.indexOf(option.value) >= 0; };
    if (!options.some(isChosen)) return;  // the options chosen are gone: the default stands
    options.forEach(function (option) { option.selected = isChosen(option); });
  }

  // incoming: the served markup's defaults of the fields the morph kept (see morphPage).
  function restoreFields(saved, incoming) {
    for (var i = 0; i < saved.length; i++) {
      var s = saved[i], f = s.node;
      if (!f.isConnected) continue;
      var served = incoming && incoming.has(f) ? incoming.get(f) : fieldDefaults(f);
      if (servedDefaults) servedDefaults.set(f, served);
      if (served !== s.defaults) continue;
      if (f.nodeName === "SELECT") chooseOptions(f, s.chosen);
      else if (f.type === "checkbox" || f.type === "radio") f.checked = s.checked;
      else if (f.type !== "file" && f.value !== s.value) f.value = s.value;
    }
  }

  function isStylesheet(node) {
    return node.nodeName === "LINK" && /(^|\s)stylesheet(\s|$)/i.test(node.rel || "");
  }

  // A stylesheet that reloadStylesheets re-fetched carries a "devreload" query
  // parameter the server's markup does not: the same sheet, kept as it is.
  function matchLiveStylesheets(next) {
    var live = document.querySelectorAll('link[rel~="stylesheet"][href*="devreload="]');
    var incoming = next.querySelectorAll('link[rel~="stylesheet"][href]');
    for (var i = 0; i < live.length; i++) {
      var url = new URL(live[i].href, location.href);
      url.searchParams.delete("devreload");
      for (var k = 0; k < incoming.length; k++) {
        if (new URL(incoming[k].getAttribute("href"), location.href).href === url.href) {
          incoming[k].setAttribute("href", live[i].getAttribute("href"));
        }
      }
    }
  }

  // A stylesheet the new markup no longer has goes once the new ones have loaded:
  // removed at once, it would leave the page unstyled for a moment, and a page that
  // is shorter unstyled loses its scroll position. settled: a promise of that moment.
  function stylesheetSwap() {
    var held = [];
    var swap = {
      settled: Promise.resolve(),
      shouldRemove: function (node) {
        if (!isStylesheet(node)) return true;
        held.push(node);
        return false;
      },
      afterHeadMorphed: function (head, changes) {
        if (!held.length) return;
        var loading = changes.added.filter(isStylesheet).map(function (link) {
          return new Promise(function (resolve) {
            link.addEventListener("load", resolve);
            link.addEventListener("error", resolve);
            setTimeout(resolve, 5000);  // a sheet that never answers: stop waiting for it
          });
        });
        swap.settled = Promise.all(loading).then(function () {
          for (var i = 0; i < held.length; i++) if (held[i].parentNode) held[i].remove();
        });
      },
    };
    return swap;
  }

  // Morph this page into the new html: {shown: "morphed"} once the new markup and its
  // stylesheets are in, or a full reload when a script changed.
  function morphPage(html, ignoreScript, options) {
    var Idiomorph = window.__devreloadIdiomorph;
    var next = new DOMParser().parseFromString(html, "text/html");
    if (scriptsOf(next, ignoreScript) !== scriptsOf(document, ignoreScript)) {
      return Promise.resolve(fullReload("a <script> changed, and a patched page would not run it"));
    }
    var own = next.querySelectorAll("script");
    for (var i = 0; i < own.length; i++) if (isOwnScript(own[i])) own[i].remove();
    matchLiveStylesheets(next);
    var active = document.activeElement;
    var activeId = active && active.id;
    var selection = null;
    try {
      if (active && "selectionStart" in active && active.selectionStart !== null) {
        selection = [active.selectionStart, active.selectionEnd, active.selectionDirection];
      }
    } catch (e) { selection = null; }
    var scrollX = window.scrollX, scrollY = window.scrollY;
    var fields = saveFields();
    var incoming = typeof Map === "function" ? new Map() : null;
    var swap = stylesheetSwap();
    var keep = function (node) { return !isOwnScript(node) && node.id !== OVERLAY_ID; };
    // An adapter's page script may add idiomorph callbacks (options.callbacks) and see
    // the new page before the morph (options.beforeMorph): see keep_built.js.
    var callbacks = Object.assign({}, options && options.callbacks);
    var theirRemoved = callbacks.beforeNodeRemoved;
    callbacks.beforeNodeRemoved = function (node) {
      return keep(node) && (!theirRemoved || theirRemoved(node) !== false);
    };
    // The served markup's defaults of the fields the morph keeps (see restoreFields).
    var theirMorphed = callbacks.beforeNodeMorphed;
    callbacks.beforeNodeMorphed = function (old, served) {
      if (incoming && isField(old) && isField(served)) incoming.set(old, fieldDefaults(served));
      return theirMorphed ? theirMorphed(old, served) : undefined;
    };
    if (options && options.beforeMorph) options.beforeMorph(next);
    Idiomorph.morph(document.documentElement, next.documentElement, {
      morphStyle: "outerHTML",
      // Focus, selection and scroll are put back below, without scrolling to the field.
      restoreFocus: false,
      head: {style: "merge", shouldPreserve: isOwnScript, shouldRemove: swap.shouldRemove,
             afterHeadMorphed: swap.afterHeadMorphed},
      callbacks: callbacks,
    });
    if (next.title !== document.title) document.title = next.title;
    restoreFields(fields, incoming);
    if (active && !active.isConnected && activeId) active = document.getElementById(activeId);
    if (active && active !== document.activeElement && active.isConnected && active.focus) {
      active.focus({preventScroll: true});
      if (selection) {
        try { active.setSelectionRange(selection[0], selection[1], selection[2]); } catch (e) {}
      }
    }
    window.scrollTo(scrollX, scrollY);
    return swap.settled.then(function () { return {shown: "morphed"}; });
  }

  // The client's own refetch of the page: an error answer comes back as JSON that says
  // what failed and where (see reloader/adapters/asgi/page_errors.py).
  var REFRESH_HEADER = "X-Devreload-Refresh";

  function showPageError(response) {
    var marked = response.headers.get("x-devreload-error");
    var read = marked ? response.json() : response.text().then(function (text) {
      return {title: "devreload: this page now answers " + response.status + " " +
                     response.statusText + "; the tab keeps the last good version.",
              text: text.slice(0, 2000)};
    });
    return read.then(function (error) {
      showError(String(error.text || ""), error.title);
      console.warn(error.title + "\n" + (error.text || ""));
      var headline = String(error.text || "").split("\n")[0].slice(0, 200);
      return {shown: "error",
              why: "the page answered " + response.status + (headline ? ": " + headline : "")};
    });
  }

  // Fetch the page again and morph this one into it; see the outcomes above. A page
  // that fails to render is kept with its error shown; a page that cannot be patched
  // (a script changed, a redirect, not HTML) is reloaded.
  // ignoreScript(node): scripts left out of the "did a script change" comparison
  // (a framework's init script that removes itself once it has run); options: for
  // morphPage, from an adapter's page script.
  function refetchAndPatch(ignoreScript, options) {
    if (config.posted) return Promise.resolve(keepPostedPage("a save"));
    var headers = {"Accept": "text/html"};
    headers[REFRESH_HEADER] = "1";
    return fetch(location.href, {credentials: "same-origin", cache: "no-store", headers: headers})
      .then(function (response) {
        if (!response.ok) return showPageError(response);
        var type = response.headers.get("content-type") || "";
        if (response.redirected) return fullReload("the page now redirects to " + response.url);
        if (type.indexOf("html") < 0) return fullReload("the page now answers " + type);
        return response.text().then(function (html) {
          return morphPage(html, ignoreScript, options);
        });
      })
      .catch(function (error) {
        return fullReload("patching the page failed (" + error + ")");
      });
  }

  // For an adapter's page script: true while the tab stays this document (patched, or
  // kept with an error shown), false when it is being reloaded.
  function patchPage(ignoreScript, options) {
    return refetchAndPatch(ignoreScript, options).then(function (outcome) {
      return outcome.shown !== "reloading";
    });
  }

  if (config.reloadPage) restorePageState();

  connect();
})();
