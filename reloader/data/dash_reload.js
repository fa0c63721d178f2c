// devreload, Dash adapter: a save re-fetches the layout and the callbacks in place,
// with the Dash renderer's own RELOAD action (what Dash's hot reload does for a
// backend change), instead of reloading the page and Dash's JavaScript with it.
//
// RELOAD alone would start the page afresh from the new layout (as Dash's own hot
// reload does): typed inputs, clicks and what callbacks put on the page would be
// gone. Through the renderer's layout_post hook (Dash's documented extension point,
// called with each fetched layout before it is rendered), the page's values go into
// the new layout where they still fit: a property of a component (found by its id)
// that changed on the page since it was served is carried over, unless the developer
// changed that property in the new layout. The initial callbacks then run on the
// kept values, with the new code.
(function () {
  "use strict";

  function isComponent(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value) &&
      typeof value.type === "string" && value.props !== null && typeof value.props === "object";
  }

  // Dash ids are strings or objects (pattern-matching ids): compare objects by sorted keys.
  function idKey(id) {
    if (id === undefined || id === null) return null;
    if (typeof id !== "object") return String(id);
    var keys = Object.keys(id).sort();
    return JSON.stringify(keys.map(function (key) { return [key, id[key]]; }));
  }

  // Every component in a layout (a component, or an array of them), by id; a
  // component's props may hold components too (children, and others such as labels).
  function byId(layout, found) {
    found = found || {};
    (function walk(value) {
      if (Array.isArray(value)) { value.forEach(walk); return; }
      if (!isComponent(value)) return;
      var key = idKey(value.props.id);
      if (key !== null && !(key in found)) found[key] = value;
      Object.keys(value.props).forEach(function (name) { walk(value.props[name]); });
    })(layout);
    return found;
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function copy(value) { return value === undefined ? undefined : JSON.parse(JSON.stringify(value)); }

  // Dash's own bookkeeping, which the renderer sets again for the new layout.
  var NOT_KEPT = {id: true, loading_state: true};

  // dcc.Location mirrors the address bar, which stays as it is: left to set itself
  // on mount, as on a page load, it runs the callbacks that follow the URL (Dash
  // Pages' router, which renders the current page with the new code).
  function followsTheBrowser(component) {
    return component.type === "Location" && component.namespace === "dash_core_components";
  }

  // Put into `fresh` (the new layout, as the server sent it) what the page changed
  // since `served` (the layout it was served) in `live` (what it holds now).
  function keepValues(fresh, served, live) {
    var before = byId(served), now = byId(live);
    (function walk(value) {
      if (Array.isArray(value)) { value.forEach(walk); return; }
      if (!isComponent(value)) return;
      var key = idKey(value.props.id);
      var old = key !== null && before[key], current = key !== null && now[key];
      var taken = {};
      if (old && current && !followsTheBrowser(value)) {
        Object.keys(current.props).forEach(function (name) {
          if (NOT_KEPT[name]) return;
          var mine = current.props[name];
          if (same(mine, old.props[name])) return;  // unchanged on the page
          if (!same(value.props[name], old.props[name])) return;  // changed in the code
          value.props[name] = copy(mine);
          taken[name] = true;
        });
      }
      Object.keys(value.props).forEach(function (name) {
        if (!taken[name]) walk(value.props[name]);  // kept props hold the page's own components
      });
    })(fresh);
  }

  // One hook per store, installed at the first save; the user's own layout_post runs first.
  function prepare(store) {
    var state = store.getState();
    var layoutRequest = state.layoutRequest || {};
    var hooks = state.hooks || {};
    var keeper = store.__devreload;
    if (!keeper) {
      keeper = store.__devreload = {served: copy(layoutRequest.content), pending: null};
      var own = hooks.layout_post;
      var next = Object.assign({}, hooks, {
        layout_post: function (content) {
          if (typeof own === "function") own(content);
          var pending = keeper.pending;
          keeper.pending = null;
          var served = copy(content);
          if (pending && pending.served && pending.live) {
            try { keepValues(content, pending.served, pending.live); } catch (error) {
              console.error("devreload: could not keep the page's values", error);
            }
          }
          keeper.served = served;
        },
      });
      store.dispatch({type: "SET_HOOKS", payload: next});
    }
    var layout = state.layout && state.layout.components;
    keeper.pending = {served: keeper.served, live: copy(layout)};
  }

  window.addEventListener("devreload:reload", function (event) {
    var stores = window.dash_stores;
    if (!stores || !stores.length) return;  // the renderer is not up: reload the page
    stores.forEach(function (store) {
      try { prepare(store); } catch (error) { console.error("devreload:", error); }
      store.dispatch({type: "RELOAD"});
    });
    event.preventDefault();
  });
})();
