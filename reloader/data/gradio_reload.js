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
 *
 * A save that changed only properties (a label, a Markdown's text; the server compares
 * the two configs) comes with those properties: they go to the mounted components the
 * way Gradio 6 applies an event's outputs (AppTree.update_state, key by key, visible
 * last), with no config fetched and nothing re-rendered. Gradio keeps its AppTree in a
 * closure; its constructor binds AppTree.register_component for every component, which
 * is where this script finds it (it runs from the head, before Gradio creates the
 * tree). Gradio 5 has no such tree, and a tab that shows another version than the one
 * the properties apply to, or where applying them throws, re-renders as before.
 */
(() => {
  // gradio_config.js, loaded before this script.
  const C = window.__devreloadGradioConfig;
  if (window.__devreloadGradio || !C) return;
  const NativeEventSource = window.EventSource;
  // window.fetch as it was: the state script's, which carries values over, if it runs.
  const originalFetch = window.fetch.bind(window);
  const page = {
    streams: [], // Gradio's stand-in streams on dev/reload
    listening: false, // Gradio listens for reloads (it subscribes 200 ms after mounting)
    shown: null, // the config Gradio shows
    plan: null, // during a re-render: {final: config for the second step}
    tree: null, // Gradio 6's AppTree, once found (see findTree)
    rerenders: 0, // re-renders from a fetched config (for tests and tools)
    propsUpdates: 0, // saves applied as property updates (for tests and tools)
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
        // Gradio built its tree before it listens: no need to look for it any longer
        // (under Gradio 5 there is none to find).
        if (Function.prototype.bind === findTree) Function.prototype.bind = nativeBind;
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

  // Gradio 6's AppTree binds its register_component for each component it creates:
  // the first time, and at each re-render (a new tree replaces the one found).
  const nativeBind = Function.prototype.bind;
  const findTree = function (self, ...rest) {
    if (
      this.name === "register_component" &&
      self &&
      typeof self.update_state === "function" &&
      self.root
    ) {
      page.tree = self;
      Function.prototype.bind = nativeBind;
    }
    return nativeBind.call(this, self, ...rest);
  };
  Function.prototype.bind = findTree;

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

  window.fetch = async (input, init) => {
    const plan = page.plan;
    if (!plan || !C.pathOf(input).endsWith("/config")) return originalFetch(input, init);
    if (plan.final) {
      const config = plan.final;
      plan.final = null;
      return jsonResponse(config);
    }
    const response = await originalFetch(input, init);
    const fresh = await C.configOf(response);
    if (!fresh) return response;
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
      page.rerenders += 1;
      Function.prototype.bind = findTree;
      try {
        await stream.reload();
        await flushed();
        if (page.plan.steps === 2 && !problems.length) {
          await stream.reload();
          await flushed();
        }
      } finally {
        if (Function.prototype.bind === findTree) Function.prototype.bind = nativeBind;
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

  // The props of a props-only save onto a config: the page's record of what it shows.
  const withProps = (config, props) => {
    if (!config || !Array.isArray(config.components)) return config;
    return {
      ...config,
      components: config.components.map((c) =>
        props[c.id] ? { ...c, props: { ...(c.props || {}), ...props[c.id] } } : c,
      ),
    };
  };

  // A props-only save, applied as Gradio applies an event's outputs: each prop on its
  // own (check_visibility off), then visible with the check that mounts what appears.
  const applyProps = (changed) => {
    const run = running.then(async () => {
      const tree = page.tree;
      const state = window.__devreloadGradioState;
      const props = state && typeof state.takeProps === "function" ? state.takeProps(changed) : changed;
      // Only what this tab mounted (a multipage app's tab has its page's components).
      const mounted = new Set();
      (function walk(node) {
        mounted.add(node.id);
        (node.children || []).forEach(walk);
      })(tree.root);
      for (const [key, update] of Object.entries(props)) {
        const id = Number(key);
        if (!mounted.has(id)) continue;
        const { visible, ...rest } = update;
        for (const [name, value] of Object.entries(rest)) {
          await tree.update_state(id, { [name]: value }, false);
        }
        if ("visible" in update) await tree.update_state(id, { visible }, true);
      }
      await flushed();
      page.shown = withProps(page.shown, changed);
      page.propsUpdates += 1;
      return "shown";
    });
    running = run.catch(() => {});
    return run;
  };

  // Whether this save can be taken as property updates: it says which version they
  // apply to, and this tab shows that one, with Gradio's tree at hand.
  const takesProps = (message) => {
    const tab = window.__devreloadTab;
    return Boolean(
      message &&
        message.props &&
        typeof message.props === "object" &&
        !message.stale &&
        page.tree &&
        tab &&
        Number(tab.version) === Number(message.from),
    );
  };

  // The page of a multipage app this tab shows, when the save removed it (or renamed
  // it): a fresh run of the app answers 404 at this URL. Gradio would render the main
  // page here instead; the tab keeps what it shows and says so.
  const removedPage = (message) => {
    const current = window.gradio_config && window.gradio_config.current_page;
    const pages = message && Array.isArray(message.pages) ? message.pages : null;
    return current && pages && !pages.some((entry) => entry[0] === current) ? current : null;
  };
  // Gradio's frontend reads the pages (its navigation bar) once, when the page loads:
  // a save that adds, renames or removes one needs the tab loaded again to show it.
  const pagesChanged = (message) => {
    const served = window.gradio_config && window.gradio_config.pages;
    return (
      Array.isArray(served) &&
      Array.isArray(message && message.pages) &&
      JSON.stringify(served) !== JSON.stringify(message.pages)
    );
  };

  window.addEventListener("devreload:reload", (event) => {
    event.preventDefault();
    const message = event.detail.message;
    const removed = removedPage(message);
    if (removed && event.detail.keepPage) {
      event.detail.waitUntil(
        event.detail.keepPage(
          `the save removed its page /${removed}`,
          `devreload: the last save removed this page (/${removed}); the tab keeps what it showed.`,
          `The app no longer has a page at /${removed}: a fresh run answers 404 here. ` +
            "Open the app's main page, or save a version with this page back.",
        ),
      );
      return;
    }
    if (pagesChanged(message) && event.detail.reloadPage) {
      event.detail.waitUntil(event.detail.reloadPage("the save changed the app's pages"));
      return;
    }
    if (!takesProps(message)) {
      event.detail.waitUntil(rerender());
      return;
    }
    event.detail.waitUntil(
      applyProps(message.props).catch((error) => {
        console.warn(`devreload: applying the changed properties failed (${error}); re-rendering`);
        return rerender();
      }),
    );
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
