
// devreload, Shiny adapter: a save patches the page in place and starts a new Shiny
// session on the new app, instead of reloading the page and Shiny's JavaScript.
// A Shiny page is bound to its server session, which runs the old server function:
// the page is unbound, morphed into the new HTML (typed values kept), its socket
// replaced by a new one that opens a session with the inputs' current values
// (Shiny's own reconnect), and bound again; the new session renders the outputs.
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

  window.addEventListener("devreload:reload", function (event) {
    var Shiny = window.Shiny, app = Shiny && Shiny.shinyapp;
    var patchPage = event.detail && event.detail.patchPage;
    if (!patchPage || !app || !app.isConnected || !app.isConnected() ||
        !app.reconnect || !Shiny.bindAll || !Shiny.unbindAll) {
      return;  // not up, or another Shiny: the client reloads the page
    }
    event.preventDefault();
    Shiny.unbindAll(document.body);
    var shown = patchPage(isBslibInit)
      .then(function (patched) {
        if (!patched) return "reloading";  // the client is reloading the page
        runBslibInits();
        var socket = app.$socket;
        if (socket) {
          socket.onclose = null;  // a planned close: no "disconnected" greying
          socket.close();
          app.$removeSocket();
        }
        app.reconnect();
        return Shiny.bindAll(document.body);
      });
    // The client tells the server the tab shows the save once this settles; when it
    // fails, it reloads the page (with a line in the terminal saying why).
    if (event.detail.waitUntil) event.detail.waitUntil(shown);
    else shown.catch(function (error) {
      console.info("devreload: reloading the whole page: " + error);
      location.reload();
    });
  });
})();
