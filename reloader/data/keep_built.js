// devreload: keep what a page's own JavaScript built when a save morphs the page.
//
// A framework's JavaScript changes the server's markup once it is on the page:
// ion.rangeSlider wraps a slider's <input>, selectize hides a <select> behind its own
// control, bslib lays out cards, htmx swaps answers into the page, a Shiny output
// shows what the session rendered. The server's new HTML has none of that, and a
// plain morph puts the server's markup back: the widgets fall apart and the content
// is wiped. So the morph is told, per node, what the server sent for it last time:
//
// - a node whose markup from the server did not change is left as it is, with all
//   that JavaScript built in and around it;
// - a node the server never sent (JavaScript made it) stays where it is;
// - a node whose markup changed is morphed, or, when `replace(node, served, incoming)` says
//   the framework must build it afresh (a widget its JavaScript initialised), replaced
//   by a fresh copy of the new markup for the framework to initialise;
// - an attribute the server did not change keeps what JavaScript made of it (bslib's
//   grid sets a layout's style and its items' classes); a class the server changed
//   gets the server's change, and keeps the classes JavaScript added.
//
// window.__devreloadKeepBuilt(replace) returns a keeper: keeper.options is for the
// client's patchPage(ignoreScript, options); keeper.done() after the patch resolved.
(function () {
  "use strict";
  if (window.__devreloadKeepBuilt) return;

  // live node -> the node as the server sent it (a detached copy, its subtree included)
  var served = new WeakMap();

  function record(live, copy) {
    served.set(live, copy);
    var a = live.childNodes, b = copy.childNodes;
    for (var i = 0; i < a.length && i < b.length; i++) record(a[i], b[i]);
  }

  // This script runs where it is injected, before </body>, while the page is still
  // being parsed: the frameworks build their widgets later (on DOMContentLoaded).
  record(document.documentElement, document.documentElement.cloneNode(true));

  // The page's classes, with the server's change from `before` to `after` applied.
  function mergeClasses(before, live, after) {
    var split = function (text) { return text.split(/\s+/).filter(Boolean); };
    var was = split(before), now = split(after);
    var gone = was.filter(function (name) { return now.indexOf(name) < 0; });
    var added = now.filter(function (name) { return was.indexOf(name) < 0; });
    var kept = split(live).filter(function (name) { return gone.indexOf(name) < 0; });
    added.forEach(function (name) { if (kept.indexOf(name) < 0) kept.push(name); });
    return kept.join(" ");
  }

  window.__devreloadKeepBuilt = function (replace) {
    var copies = new Map();  // node of the new page -> its copy (what the server sent)
    var incomingFor = new WeakMap();  // live node being morphed -> the new page's node for it
    var stale = [];  // replaced nodes, removed once the morph is over
    // The new page's node idiomorph is adding: for one holding ids, it makes an empty
    // element of its kind and morphs it into the node (so the ids' elements move in).
    var adding = null;

    function pair(node, copy) {
      copies.set(node, copy);
      var a = node.childNodes, b = copy.childNodes;
      for (var i = 0; i < a.length && i < b.length; i++) pair(a[i], b[i]);
    }

    function insertFresh(live, incoming) {
      var fresh = document.importNode(incoming, true);
      live.parentNode.insertBefore(fresh, live);
      record(fresh, fresh.cloneNode(true));
      return fresh;
    }

    var options = {
      beforeMorph: function (page) { pair(page.documentElement, page.documentElement.cloneNode(true)); },
      callbacks: {
        beforeNodeMorphed: function (live, incoming) {
          var was = served.get(live);
          if (live === document.documentElement || !live.parentNode) {
            if (was) incomingFor.set(live, incoming);
            return true;
          }
          if (!was) {
            if (incoming === adding || live.nodeType !== 1) {
              // idiomorph's own new element; or text JavaScript wrote: the server's text wins
              incomingFor.set(live, incoming);
              return true;
            }
            insertFresh(live, incoming);  // JavaScript made this element: it stays, the server's goes in too
            return false;
          }
          if (was.isEqualNode(incoming)) return false;  // unchanged on the server: keep it as built
          if (replace && live.nodeType === 1 && replace(live, was, incoming)) {
            insertFresh(live, incoming);
            stale.push(live);
            return false;
          }
          incomingFor.set(live, incoming);
          return true;
        },
        beforeAttributeUpdated: function (name, live) {
          var was = served.get(live), incoming = incomingFor.get(live);
          if (!was || !incoming || was.nodeType !== 1) return true;
          var before = was.getAttribute(name), after = incoming.getAttribute(name);
          if (before === after) return false;
          if (name === "class" && before !== null && after !== null) {
            live.setAttribute("class", mergeClasses(before, live.getAttribute("class") || "", after));
            return false;
          }
          return true;
        },
        afterNodeMorphed: function (live, incoming) {
          var copy = copies.get(incoming);
          if (copy) served.set(live, copy);
        },
        beforeNodeAdded: function (node) { adding = node; return true; },
        afterNodeAdded: function (node) {
          if (!served.has(node)) record(node, node.cloneNode(true));
        },
        // Only what the server sent goes when the server no longer sends it.
        beforeNodeRemoved: function (node) { return served.has(node); },
      },
    };
    return {
      options: options,
      // The nodes replaced by fresh copies leave the page.
      done: function () {
        stale.forEach(function (node) { if (node.parentNode) node.parentNode.removeChild(node); });
        stale = [];
        copies = new Map();
      },
    };
  };
})();
