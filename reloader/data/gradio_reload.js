/* devreload: Gradio's frontend takes each save in place, over devreload's connection.
 *
 * Gradio's frontend re-renders the app from a new config when its EventSource on
 * {api_prefix}/dev/reload says "reload". That stream would be one more connection
 * held by every tab (a browser allows 6 per host): here it is a stand-in, and
 * devreload's client, which shares one connection among all the tabs of a browser,
 * drives it. Each save is a promise the client waits for (it then tells the server
 * the tab shows the new version; a re-render that throws reloads the tab).
 *
 * Gradio reuses the components it has mounted when it re-renders: Gradio 6 by their
 * position among their siblings (an unkeyed {#each} in MountComponents), Gradio 5 by
 * their id (a keyed {#each} in Render, ids that a re-execution numbers from 0). A
 * component inserted above others moves them: the mounted Chatbot is handed the
 * props of the Markdown that now sits where it was, before its slot loads the
 * Markdown component, and normalise_messages("# Title") throws ("e.flatMap is not a
 * function"), leaving Svelte's tree dead. So where a re-render would hand a mounted
 * component another type's props, it goes in two steps: first a config without the
 * components from there on (their mounted instances are dropped), then the whole new
 * config (they mount afresh, with the values the state script carried over).
 */
(() => {
  if (window.__devreloadGradio) return;
  const NativeEventSource = window.EventSource;
  // window.fetch as it was: the state script's, which carries values over, if it runs.
  const originalFetch = window.fetch.bind(window);
  const page = {
    streams: [], // Gradio's stand-in streams on dev/reload
    listening: false, // Gradio listens for reloads (it subscribes 200 ms after mounting)
    shown: null, // the config Gradio shows
    plan: null, // during a re-render: {final: config for the second step}
  };
  window.__devreloadGradio = page;
  let listeningNow = null;
  const listened = new Promise((resolve) => {
    listeningNow = resolve;
  });

  const isGradioReloadStream = (url) => {
    try {
      const parsed = new URL(String(url), location.href);
      return /\/dev\/reload$/.test(parsed.pathname) && !parsed.searchParams.has("client");
    } catch (error) {
      return false;
    }
  };

  // What Gradio's frontend gets for new EventSource(".../dev/reload"): it never
  // connects; its "reload" listeners are called by rerender() below.
  class GradioReloadStream {
    constructor(url) {
      this.url = String(url);
      this.withCredentials = false;
      this.readyState = 1;
      this.listeners = new Map();
      this.onopen = this.onmessage = this.onerror = null;
      page.streams.push(this);
    }
    addEventListener(type, listener) {
      if (typeof listener !== "function") return;
      this.listeners.set(type, [...(this.listeners.get(type) || []), listener]);
      if (type === "reload") {
        page.listening = true;
        listeningNow(this);
      }
    }
    removeEventListener(type, listener) {
      this.listeners.set(type, (this.listeners.get(type) || []).filter((l) => l !== listener));
    }
    dispatchEvent() {
      return true;
    }
    close() {
      this.readyState = 2;
    }
    reload() {
      const event = new MessageEvent("reload", { data: "{}" });
      return Promise.all((this.listeners.get("reload") || []).map((listener) => listener(event)));
    }
  }
  GradioReloadStream.CONNECTING = 0;
  GradioReloadStream.OPEN = 1;
  GradioReloadStream.CLOSED = 2;

  function EventSource(url, options) {
    if (isGradioReloadStream(url)) return new GradioReloadStream(url);
    return new NativeEventSource(url, options);
  }
  EventSource.prototype = NativeEventSource.prototype;
  EventSource.CONNECTING = 0;
  EventSource.OPEN = 1;
  EventSource.CLOSED = 2;
  window.EventSource = EventSource;

  const components = (config) => new Map((config.components || []).map((c) => [c.id, c]));

  // The new config as a first step, or null when Gradio may take it at once: each
  // layout (the app's, and each page's of a multipage app) cut, in each list of
  // children, at the first component that a mounted component of another type would
  // be reused for (by position or by id).
  const firstStep = (old, fresh) => {
    if (!old || !old.layout || !fresh.layout) return null;
    const before = components(old);
    const after = components(fresh);
    const typeOf = (map, id) => (map.get(id) || {}).type;
    let cut = false;
    const prune = (previous, node) => {
      const children = node.children || [];
      const previousChildren = (previous && previous.children) || [];
      const kept = [];
      for (let i = 0; i < children.length; i++) {
        const child = children[i];
        const atPosition = previousChildren[i];
        const type = typeOf(after, child.id);
        const byPosition = !atPosition || typeOf(before, atPosition.id) === type;
        const byId = !before.has(child.id) || typeOf(before, child.id) === type;
        if (!byPosition || !byId) {
          cut = true;
          break;
        }
        kept.push(child.children ? { ...child, children: prune(atPosition, child).children } : child);
      }
      return { ...node, children: kept };
    };
    const ids = new Set();
    const walk = (node) => {
      ids.add(node.id);
      (node.children || []).forEach(walk);
    };
    const layout = prune(old.layout, fresh.layout);
    walk(layout);
    const pages = {};
    Object.entries(fresh.page || {}).forEach(([name, entry]) => {
      const previous = (old.page || {})[name];
      const pruned = prune(previous ? previous.layout : null, entry.layout || { children: [] });
      const own = new Set();
      (pruned.children || []).forEach(function mark(node) {
        own.add(node.id);
        ids.add(node.id);
        (node.children || []).forEach(mark);
      });
      pages[name] = {
        ...entry,
        layout: pruned,
        components: (entry.components || []).filter((id) => own.has(id)),
        dependencies: [],
      };
    });
    if (!cut) return null;
    return {
      ...fresh,
      layout,
      page: fresh.page ? pages : fresh.page,
      components: (fresh.components || []).filter((c) => ids.has(c.id)),
      // No events in the first step: Gradio 5 runs the load events of each config.
      dependencies: [],
    };
  };

  const jsonResponse = (config, like) => {
    const headers = new Headers(like ? like.headers : { "Content-Type": "application/json" });
    headers.delete("content-length");
    return new Response(JSON.stringify(config), {
      status: 200,
      statusText: "OK",
      headers,
    });
  };

  const pathOf = (input) => {
    try {
      const url = input instanceof Request ? input.url : String(input);
      return new URL(url, location.href).pathname;
    } catch (error) {
      return "";
    }
  };

  window.fetch = async (input, init) => {
    const plan = page.plan;
    if (!plan || !pathOf(input).endsWith("/config")) return originalFetch(input, init);
    if (plan.final) {
      const config = plan.final;
      plan.final = null;
      return jsonResponse(config);
    }
    const response = await originalFetch(input, init);
    if (!response.ok) return response;
    let fresh;
    try {
      fresh = await response.clone().json();
    } catch (error) {
      return response;
    }
    if (!fresh || !Array.isArray(fresh.components)) return response;
    const first = firstStep(page.shown, fresh);
    page.shown = fresh;
    if (!first) return response;
    plan.final = fresh;
    plan.steps = 2;
    return jsonResponse(first, response);
  };
  page.shown =
    window.gradio_config && Array.isArray(window.gradio_config.components) ? window.gradio_config : null;

  // A macrotask later (not throttled in a background tab as timers are): Svelte has
  // flushed what the new config changed.
  const flushed = () =>
    new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    });

  const within = (promise, ms, what) =>
    Promise.race([
      promise,
      new Promise((resolve, reject) =>
        setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms),
      ),
    ]);

  let running = Promise.resolve();

  // One re-render from the server's config: resolves once Gradio shows it, rejects
  // with what went wrong (an exception while rendering, an error Gradio caught).
  const rerender = () => {
    const run = running.then(async () => {
      const stream = await within(listened, 8000, "Gradio did not listen for reloads");
      const problems = [];
      const onError = (event) => problems.push(String(event.error || event.message));
      const onRejection = (event) => problems.push(String(event.reason));
      const consoleError = console.error;
      // Gradio catches a failed reload itself and only logs it.
      console.error = (...args) => {
        if (typeof args[0] === "string" && args[0].startsWith("Error reloading app")) {
          problems.push(args.map(String).join(" "));
        }
        return consoleError.apply(console, args);
      };
      window.addEventListener("error", onError);
      window.addEventListener("unhandledrejection", onRejection);
      page.plan = { final: null, steps: 1 };
      try {
        await stream.reload();
        await flushed();
        if (page.plan.steps === 2 && !problems.length) {
          await stream.reload();
          await flushed();
        }
      } finally {
        page.plan = null;
        console.error = consoleError;
        window.removeEventListener("error", onError);
        window.removeEventListener("unhandledrejection", onRejection);
      }
      if (problems.length) throw new Error(`re-rendering threw ${problems[0]}`);
      return "shown";
    });
    running = run.catch(() => {});
    return run;
  };
  page.rerender = rerender;

  window.addEventListener("devreload:reload", (event) => {
    event.preventDefault();
    event.detail.waitUntil(rerender());
  });

  // A tab that reloaded itself to recover: the state script kept what it showed,
  // and the first re-render puts it back.
  const state = window.__devreloadGradioState;
  if (state && state.restoring) {
    rerender()
      .catch((error) => console.warn(`devreload: the page state could not be put back: ${error}`))
      .finally(() => {
        state.restoring = false;
      });
  }
})();
