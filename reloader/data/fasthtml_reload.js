// devreload, FastHTML adapter: a save patches the page in place, keeping what htmx
// swapped into it (keep_built.js), then has htmx process the patched page, so that
// elements the save added or changed (hx-post, hx-trigger, ws-connect ...) work.
// An open WebSocket of a replaced app is closed by the server ("service restart"):
// htmx's ws extension reconnects it, to the new app.
(function () {
  var patching = false, again = null;

  function patch(patchPage) {
    if (patching) { again = patchPage; return; }
    patching = true;
    var keeper = window.__devreloadKeepBuilt();
    patchPage(null, keeper.options)
      .then(function (patched) {
        if (!patched) return;  // the client is reloading the page
        keeper.done();
        if (window.htmx && window.htmx.process) window.htmx.process(document.body);
      })
      .catch(function (error) { console.error("devreload:", error); })
      .then(function () {
        patching = false;
        if (again) { var next = again; again = null; patch(next); }
      });
  }

  window.addEventListener("devreload:reload", function (event) {
    var detail = event.detail || {};
    var message = detail.message || {};
    if (!detail.patchPage || !window.__devreloadKeepBuilt || message.page) return;
    event.preventDefault();
    patch(detail.patchPage);
  });
})();
