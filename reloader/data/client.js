// devreload browser client: shows reload errors over the page and, for apps
// whose own frontend does not refresh itself, patches the page in place with
// idiomorph (keeping typed values, focus and scroll) or reloads it, and its CSS.
// Configured by window.__devreload = {events: URL, reloadPage: bool, version: N,
// posted: bool} in an inline script, or, where a Content-Security-Policy forbids
// inline scripts, by the data-events, data-reload-page, data-version and data-posted
// attributes of the <script src> that loads it. "posted": the page is the answer to
// a form POST, which is never loaded again (that would send the form again).
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
    fullReload("a save reached the server while this page was not listening");
  });
  source.addEventListener("error", function (event) {
    if (!event.data) return;  // a connection error, not a reload error
    var data;
    try { data = JSON.parse(event.data); } catch (e) { data = event.data; }
    if (data && typeof data === "object") showError(String(data.text || ""), data.title);
    else showError(String(data));  // an older server: the text alone
  });
  // --- Server-rendered pages: patch the live DOM instead of reloading the tab ---

  // What refreshPage and patchPage resolve to, for whoever confirms what the tab shows:
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
    return {shown: "kept", why: why};
  }

  function fullReload(why) {
    if (config.posted) return keepPostedPage(why);
    console.info("devreload: reloading the whole page: " + why);
    // Without idiomorph (--no-keep-state) the user asked for a fresh page on each save.
    if (window.__devreloadIdiomorph) stashPageState();
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
  function morphPage(html, ignoreScript) {
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
    Idiomorph.morph(document.documentElement, next.documentElement, {
      morphStyle: "outerHTML",
      // Focus, selection and scroll are put back below, without scrolling to the field.
      restoreFocus: false,
      head: {style: "merge", shouldPreserve: isOwnScript, shouldRemove: swap.shouldRemove,
             afterHeadMorphed: swap.afterHeadMorphed},
      callbacks: {
        beforeNodeRemoved: keep,
        beforeNodeMorphed: function (old, served) {
          if (incoming && isField(old) && isField(served)) incoming.set(old, fieldDefaults(served));
        },
      },
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
      return {shown: "error", why: "the page answered " + response.status};
    });
  }

  // Fetch the page again and morph this one into it; see the outcomes above. A page
  // that fails to render is kept with its error shown; a page that cannot be patched
  // (a script changed, a redirect, not HTML) is reloaded.
  // ignoreScript(node): scripts left out of the "did a script change" comparison
  // (a framework's init script that removes itself once it has run).
  function refetchAndPatch(ignoreScript) {
    if (config.posted) return Promise.resolve(keepPostedPage("a save"));
    var headers = {"Accept": "text/html"};
    headers[REFRESH_HEADER] = "1";
    return fetch(location.href, {credentials: "same-origin", cache: "no-store", headers: headers})
      .then(function (response) {
        if (!response.ok) return showPageError(response);
        var type = response.headers.get("content-type") || "";
        if (response.redirected) return fullReload("the page now redirects to " + response.url);
        if (type.indexOf("html") < 0) return fullReload("the page now answers " + type);
        return response.text().then(function (html) { return morphPage(html, ignoreScript); });
      })
      .catch(function (error) {
        return fullReload("patching the page failed (" + error + ")");
      });
  }

  // For an adapter's page script: true while the tab stays this document (patched, or
  // kept with an error shown), false when it is being reloaded.
  function patchPage(ignoreScript) {
    return refetchAndPatch(ignoreScript).then(function (outcome) {
      return outcome.shown !== "reloading";
    });
  }

  // One refetch at a time; saves that arrive during one are taken by a single next
  // one. The promise: the outcome once the page shows the newest save it was told of.
  var refreshing = null, queued = null;

  function refreshPage() {
    if (!window.__devreloadIdiomorph || !window.DOMParser || !window.fetch) {
      return Promise.resolve(fullReload("this browser cannot patch the page in place"));
    }
    if (refreshing) {
      if (!queued) queued = refreshing.then(function () { queued = null; return refreshPage(); });
      return queued;
    }
    refreshing = refetchAndPatch().then(function (outcome) {
      refreshing = null;
      return outcome;
    });
    return refreshing;
  }

  if (config.reloadPage) restorePageState();

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
