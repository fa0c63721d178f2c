
// devreload, Dash adapter: a save re-fetches the layout and the callbacks in place,
// with the Dash renderer's own RELOAD action (what Dash's hot reload does for a
// backend change), instead of reloading the page and Dash's JavaScript with it.
window.addEventListener("devreload:reload", function (event) {
  var stores = window.dash_stores;
  if (!stores || !stores.length) return;  // the renderer is not up: reload the page
  stores.forEach(function (store) { store.dispatch({type: "RELOAD"}); });
  event.preventDefault();
});
