// devreload, Shiny adapter: a save patches the page in place and starts a new Shiny
// session on the new app, instead of reloading the page and Shiny's JavaScript.
// A Shiny page is bound to its server session, which runs the old server function:
// the page is unbound, morphed into the new HTML, its socket replaced by a new one
// that opens a session with the inputs' current values (Shiny's own reconnect), and
// bound again; the new session renders the outputs.
//
// The morph keeps what Shiny's JavaScript built (keep_built.js): sliders, selectize
// and date pickers, bslib's layouts, rendered outputs and typed values stay as they
// are wherever the server's markup for them did not change. An input whose markup
// changed is built afresh, as Shiny builds an input it renders, unless it is a plain
// field that JavaScript never touched (it is morphed: its typed value is kept).
(function () {
  // bslib's set-up scripts (data-bslib-card-init, data-bslib-sidebar-init, ...)
  // remove themselves once they have run, so the page's scripts differ from the
  // served HTML's by these alone; a script patched into the page does not run.
  function isBslibInit(script) {
    for (var i = 0; i < script.attributes.length; i++) {
      if (/^data-bslib-.*-init$/.test(script.attributes[i].name)) return true;
    }
    return false;
  }

  function runBslibInits() {
    var scripts = document.querySelectorAll("script");
    for (var i = 0; i < scripts.length; i++) {
      if (!isBslibInit(scripts[i])) continue;
      try { new Function(scripts[i].textContent)(); } catch (e) { console.error(e); }
      scripts[i].remove();
    }
  }

  // An input JavaScript built on (a slider, a select, a date) is built afresh when its
  // markup changed beyond its label (a new label alone is morphed in, the widget kept).
  function rebuild(node, served, incoming) {
    if (!node.classList.contains("shiny-input-container") || node.outerHTML === served.outerHTML) {
      return false;
    }
    return !withoutLabels(served).isEqualNode(withoutLabels(incoming));
  }

  function withoutLabels(node) {
    var copy = node.cloneNode(true);
    var labels = copy.querySelectorAll(".control-label");
    for (var i = 0; i < labels.length; i++) labels[i].remove();
    return copy;
  }

  // The client hands over one save at a time (the next waits until this one shows).
  // The new session is up once Shiny says it is connected.
  function connected(app) {
    return new Promise(function (resolve) {
      if (app.isConnected()) { resolve(true); return; }
      var timer = setTimeout(function () { resolve(false); }, 10000);
      window.jQuery(document).one("shiny:connected", function () {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  // A promise of "reloading" when the client reloads the page instead, else settled
  // once the page shows the save with its new session up; rejected (the client then
  // reloads the page, saying why in the terminal) when that session never comes up.
  function patch(Shiny, app, patchPage) {
    var keeper = window.__devreloadKeepBuilt(rebuild);
    Shiny.unbindAll(document.body);
    return patchPage(isBslibInit, keeper.options)
      .then(function (patched) {
        if (!patched) return "reloading";  // the client is reloading the page
        keeper.done();
        runBslibInits();
        if (Shiny.initializeInputs) Shiny.initializeInputs(document.body);
        var socket = app.$socket;
        if (socket) {
          socket.onclose = null;  // a planned close: no "disconnected" greying
          socket.close();
          app.$removeSocket();
        }
        app.reconnect();
        return Promise.resolve(Shiny.bindAll(document.body))
          .then(function () { return connected(app); })
          .then(function (up) {
            if (!up) throw new Error("the new Shiny session did not connect within 10 s");
            return "shown";
          });
      });
  }

  window.addEventListener("devreload:reload", function (event) {
    var Shiny = window.Shiny, app = Shiny && Shiny.shinyapp;
    var detail = event.detail || {};
    var patchPage = detail.patchPage;
    if (!patchPage || !detail.waitUntil || !app || !app.isConnected || !app.isConnected() ||
        !app.reconnect || !Shiny.bindAll || !Shiny.unbindAll || !window.__devreloadKeepBuilt ||
        !window.jQuery) {
      return;  // not up, or another Shiny: the client reloads the page
    }
    event.preventDefault();
    detail.waitUntil(patch(Shiny, app, patchPage));
  });
})();
