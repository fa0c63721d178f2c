// devreload's shared connection: one event stream per browser for all the open tabs
// of an app, whatever their number. A browser opens at most 6 connections to a host
// over HTTP/1.1; a stream held by each tab would leave none for the app's own
// requests from the third or fourth tab on. Every tab's client connects here (a
// SharedWorker named after the stream) and gets each event as {event, data}.
"use strict";

var ports = new Map();  // port -> the tab's id
var source = null;
var events = "";
var tabUrl = "";
var hello = null;  // the stream's last hello, its version moved on by each reload
var standingError = null;  // replayed to a tab that connects while it stands
var retry = null;
var NAMES = ["hello", "reload", "css", "error"];

function broadcast(message) {
  ports.forEach(function (tab, port) { port.postMessage(message); });
}

function open() {
  source = new EventSource(events);
  NAMES.forEach(function (name) {
    source.addEventListener(name, function (event) {
      if (name === "error" && !event.data) {
        // A lost connection: EventSource reconnects by itself, unless the server
        // answered something else than a stream (it closed it for good).
        if (source && source.readyState === 2) again();
        return;
      }
      var message = {event: name, data: event.data};
      if (name === "hello") {
        hello = message;
        standingError = null;  // the server replays its standing error after the hello
      } else if (name === "error") {
        standingError = message;
      } else if (name === "reload") {
        standingError = null;
        var version = JSON.parse(event.data || "{}").version;
        if (hello && version !== undefined) {
          var info = JSON.parse(hello.data);
          info.version = version;
          info.reload = JSON.parse(event.data);
          hello = {event: "hello", data: JSON.stringify(info)};
        }
      }
      broadcast(message);
    });
  });
}

function again() {
  if (source) source.close();
  source = null;
  if (retry === null && ports.size) {
    retry = setTimeout(function () { retry = null; if (ports.size && !source) open(); }, 2000);
  }
}

function leave(port) {
  if (!ports.has(port)) return;
  ports.delete(port);
  if (!ports.size && source) {  // the last tab is gone: so is the connection
    source.close();
    source = null;
    hello = null;
  }
}

function bye(tab) {
  // A tab that ended without saying so (it crashed, or its process was killed).
  fetch(tabUrl, {method: "POST", body: JSON.stringify({op: "bye", tab: tab}),
                 keepalive: true, credentials: "same-origin"}).catch(function () {});
}

self.onconnect = function (connection) {
  var port = connection.ports[0];
  port.onmessage = function (message) {
    var data = message.data || {};
    if (data.type === "open") {
      events = events || data.events;
      tabUrl = tabUrl || data.tabUrl;
      ports.set(port, data.tab);
      if (!source) open();
      if (hello) port.postMessage(hello);
      if (standingError) port.postMessage(standingError);
      // Each tab holds a lock named after it while it lives: once it is released the
      // tab is gone, whether it said bye or not.
      if (data.tab && self.navigator.locks) {
        self.navigator.locks.request("devreload-tab:" + data.tab, function () {
          // A tab that closes or reloads says so on its way out; that word may come
          // a moment after its lock is released.
          setTimeout(function () {
            if (ports.get(port) !== data.tab) return;
            leave(port);
            bye(data.tab);
          }, 1000);
        });
      }
    } else if (data.type === "close") {
      leave(port);
    }
  };
  port.start();
};
