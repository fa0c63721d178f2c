/* devreload: Gradio component values survive a save.
 *
 * On a reload event Gradio's frontend fetches /config again and re-mounts the
 * whole app from it, so every value not in the config is lost. This script
 * wraps window.fetch: it records the values the page sends with each event
 * (queue/join carries the inputs) and the values events set (the queue/data
 * stream carries the outputs), and when the config is fetched again it writes
 * those values into the new config before Gradio renders it.
 *
 * Which old component a new one is, and what it keeps, is gradio_config.js's
 * (loaded before this script, without the DOM): this script reads the page.
 *
 * What no event carries is read from the page: values typed or picked by hand
 * (input/change events), files uploaded (a file input's change, then the
 * /upload answer), and, at the save itself, the tab shown, open accordions,
 * Dropdowns (single and multiselect) and the scroll position.
 */
(() => {
  const C = window.__devreloadGradioConfig;
  if (window.__devreloadGradioState || !C) return;
  const originalFetch = window.fetch.bind(window);
  const state = {
    // The last config as the server sent it (the developer's defaults). This script
    // runs after Gradio fetched the first one, which Gradio keeps here.
    // A copy: Gradio 5 binds its components' values to this very object, so that it
    // soon holds what the user typed, not the developer's defaults.
    config: window.gradio_config && Array.isArray(window.gradio_config.components)
      ? JSON.parse(JSON.stringify(window.gradio_config))
      : null,
    values: new Map(), // component id -> value set in the page
    eventFn: new Map(), // event_id -> fn_index, from queue/join answers
    layout: new Map(), // accordion id -> open, read from the page at a save
    selectedTabs: new Set(), // ids of the tab items shown, read from the page at a save
    scroll: null, // {x, y} at a save
    pendingUpload: null, // {component, files} between a file input's change and its /upload
  };
  // A tab that reloads itself (it could not take a save in place) keeps its state
  // here until the new page is up; the page script then re-renders with it.
  const SAVED = "devreload-gradio-state";
  try {
    const saved = JSON.parse(sessionStorage.getItem(SAVED) || "null");
    sessionStorage.removeItem(SAVED);
    if (saved && saved.config && Date.now() - saved.at < 60000) {
      state.config = saved.config;
      state.values = new Map(saved.values);
      state.layout = new Map(saved.layout);
      state.selectedTabs = new Set(saved.selectedTabs);
      state.scroll = saved.scroll;
      state.restoring = true;
    }
  } catch (error) {
    // no storage, or what it held is not ours: the page starts afresh
  }
  // window.__devreload.stateReport (devreload -v): the page says what it kept.
  const settings = window.__devreload || {};
  window.__devreloadGradioState = state;

  const unwrap = (value) => {
    // An output may be gr.update(...): only its value, if it has one, counts.
    if (value && typeof value === "object" && value.__type__ === "update") {
      return "value" in value ? { value: value.value } : null;
    }
    return { value };
  };

  const dependency = (fnIndex) => {
    const deps = (state.config && state.config.dependencies) || [];
    return deps.find((dep) => dep.id === fnIndex) || deps[fnIndex];
  };

  const record = (ids, data) => {
    if (!Array.isArray(ids) || !Array.isArray(data)) return;
    ids.forEach((id, i) => {
      if (i >= data.length) return;
      const kept = unwrap(data[i]);
      if (kept) state.values.set(id, kept.value);
    });
  };

  const carryOver = (fresh) => {
    const { patched, values, kept, reset } = C.carryOver(state.config, fresh, state);
    state.config = fresh;
    state.values = values;
    state.layout = new Map();
    state.selectedTabs = new Set();
    state.eventFn.clear();
    if (settings.stateReport) report(kept, reset);
    return patched;
  };

  // A props-only save, taken in place (gradio_reload.js): the props to apply
  // (see takeProps in gradio_config.js).
  state.takeProps = (props) => {
    if (!state.config) return props;
    // A Dropdown's choice is read from the page (no event carries one picked by hand).
    if (Object.values(props).some((changed) => "choices" in changed)) {
      document.querySelectorAll('input[role="combobox"]').forEach(readDropdown);
    }
    const { config, taken, kept, reset } = C.takeProps(state.config, props, state.values);
    state.config = config;
    if (settings.stateReport) report(kept, reset);
    return taken;
  };

  // devreload -v: one small POST after the new config is in the page's hands,
  // never awaited, so it costs the reload nothing.
  const report = (kept, reset) => {
    // Beside devreload's other routes: the app's root as the page finds it (see
    // _app_base in reloader/adapters/gradio/_page_scripts.py), not the config's
    // root, whose host may lack the port of the proxy in front.
    const base = new URL(settings.base || "/", location.href);
    setTimeout(() => {
      originalFetch(new URL("__devreload__/page-state", base), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ kept, reset }),
      }).catch(() => {});
    }, 0);
  };

  const watchStream = (response) => {
    if (!response.body || typeof response.body.tee !== "function") return response;
    const [mine, theirs] = response.body.tee();
    (async () => {
      const reader = mine.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        const lines = buffer.split("\n");
        buffer = lines.pop();
        lines.forEach((line) => {
          if (!line.startsWith("data:")) return;
          let message;
          try {
            message = JSON.parse(line.slice(5));
          } catch (error) {
            return;
          }
          if (message.msg !== "process_completed" || !message.success) return;
          const fnIndex = state.eventFn.get(message.event_id);
          const dep = fnIndex === undefined ? null : dependency(fnIndex);
          if (dep && message.output) record(dep.outputs, message.output.data);
        });
      }
    })().catch(() => {});
    return new Response(theirs, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };

  // Values changed by hand after the last event: Gradio 6 gives its DOM no
  // component ids, so a field is matched by its type and label, when only one
  // component of that type has that label.
  const fromDom = (event) => {
    const element = event.target;
    if (!state.config || !(element instanceof HTMLElement)) return;
    const block = element.closest(".block");
    if (!block) return;
    let type;
    let value;
    let label;
    const info = block.querySelector('[data-testid="block-info"]');
    if (element instanceof HTMLTextAreaElement && block.classList.contains("multimodal-textbox")) {
      type = "multimodaltextbox";
      value = { text: element.value, files: undefined }; // files: filled in below
    } else if (element instanceof HTMLTextAreaElement) {
      type = "textbox";
      value = element.value;
    } else if (element instanceof HTMLInputElement && element.closest('[data-testid="checkbox-group"]')) {
      // A CheckboxGroup: its boxes' names are its choices' values, as strings.
      type = "checkboxgroup";
      const boxes = [...element.closest('[data-testid="checkbox-group"]').querySelectorAll("input")];
      value = boxes.filter((box) => box.checked).map((box) => box.name);
    } else if (element instanceof HTMLInputElement && element.type === "checkbox") {
      type = "checkbox";
      value = element.checked;
      const text = block.querySelector(".label-text");
      label = text ? text.textContent.trim() : undefined;
    } else if (element instanceof HTMLInputElement && element.type === "radio") {
      type = "radio";
      value = element.value;
    } else if (element instanceof HTMLInputElement && ["range", "number"].includes(element.type)) {
      type = block.querySelector('input[type="range"]') ? "slider" : "number";
      value = element.value === "" ? null : Number(element.value);
    } else {
      return;
    }
    if (label === undefined) label = info ? info.textContent.trim() : "";
    const match = byElemId(type, block.id) || only(type, label);
    if (!match) return;
    // A radio button's value attribute is the choice's value as a string.
    if (type === "radio") value = choiceValue(match, (choice) => String(choice[1]) === value);
    if (type === "checkboxgroup") {
      value = value.map((name) => choiceValue(match, (choice) => String(choice[1]) === name));
      if (value.includes(undefined)) return;
    }
    if (type === "multimodaltextbox") value = { ...value, files: multimodalFiles(match) };
    if (value !== undefined) state.values.set(match.id, value);
  };

  const byElemId = (type, id) => C.byElemId(state.config, type, id);
  const only = (type, label) => C.only(state.config, type, label);
  const choiceValue = C.choiceValue;

  const multimodalFiles = (component) => {
    const held = state.values.has(component.id)
      ? state.values.get(component.id)
      : (component.props || {}).value;
    return (held && Array.isArray(held.files) && held.files) || [];
  };

  // Uploads: the file input's change event names the component, the
  // /upload answer that follows gives the files' paths on the server.
  const UPLOADS = ["file", "image", "video", "audio", "model3d", "multimodaltextbox", "uploadbutton"];
  const onFileChosen = (event) => {
    const input = event.target;
    if (!state.config || !(input instanceof HTMLInputElement) || input.type !== "file") return;
    const block = input.closest(".block");
    const tag = block && block.querySelector('[data-testid="block-info"], [data-testid="block-label"]');
    const label = tag ? tag.textContent.trim() : "";
    const matches = (state.config.components || []).filter(
      (c) => UPLOADS.includes(c.type) && String((c.props || {}).label ?? "").trim() === label,
    );
    state.pendingUpload =
      matches.length === 1 ? { component: matches[0], files: [...(input.files || [])] } : null;
  };
  document.addEventListener("change", onFileChosen, true);

  const uploaded = (pending, uploadUrl, paths) => {
    const { component, files } = pending;
    const base = uploadUrl.replace(/\/upload(\?.*)?$/, "/file=");
    const data = paths.map((path, i) => ({
      path,
      url: base + path,
      orig_name: files[i] ? files[i].name : String(path).split("/").pop(),
      size: files[i] ? files[i].size : null,
      mime_type: files[i] ? files[i].type || null : null,
      is_stream: false,
      meta: { _type: "gradio.FileData" },
    }));
    if (!data.length) return;
    const props = component.props || {};
    let value;
    if (component.type === "multimodaltextbox") {
      const held = state.values.get(component.id) || props.value || {};
      value = { text: held.text || "", files: [...multimodalFiles(component), ...data] };
    } else if (component.type === "file" && props.file_count && props.file_count !== "single") {
      value = data;
    } else {
      value = data[0];
    }
    state.values.set(component.id, value);
  };

  // A file removed from a component: what the page shows is what counts.
  const onRemove = (event) => {
    const button = event.target instanceof Element && event.target.closest("button");
    if (!state.config || !button) return;
    const name = button.getAttribute("aria-label") || "";
    if (!["Remove file", "Clear"].includes(name)) return;
    const block = button.closest(".block");
    const tag = block && block.querySelector('[data-testid="block-info"], [data-testid="block-label"]');
    const label = tag ? tag.textContent.trim() : "";
    const component = (state.config.components || []).find(
      (c) => UPLOADS.includes(c.type) && String((c.props || {}).label ?? "").trim() === label,
    );
    if (!component) return;
    if (component.type !== "multimodaltextbox") {
      state.values.set(component.id, null);
      return;
    }
    // Read before Gradio removes it: which thumbnail, in the order of the files.
    const thumbnails = [...block.querySelectorAll('[aria-label="File thumbnail"]')];
    const index = thumbnails.findIndex((thumbnail) => thumbnail.contains(button));
    const held = state.values.get(component.id) || (component.props || {}).value || {};
    const files = multimodalFiles(component).filter((file, i) => i !== index);
    state.values.set(component.id, { text: held.text || "", files });
  };
  document.addEventListener("click", onRemove, true);

  // At a save, before Gradio drops the old page: what the page shows that no
  // event carried (a Dropdown option picked by hand, the tab shown, accordions
  // opened or closed, the scroll position). Reading the DOM here costs well
  // under a millisecond and overlaps the /config request.
  const snapshotDom = () => {
    state.scroll = { x: window.scrollX, y: window.scrollY };
    document.querySelectorAll('button[role="tab"][aria-selected="true"]').forEach((button) => {
      const wanted = button.getAttribute("data-tab-id");
      const tab = (state.config.components || []).find(
        (c) => c.type === "tabitem" && String(C.tabId(c)) === wanted,
      );
      if (tab) state.selectedTabs.add(tab.id);
    });
    document.querySelectorAll(".gr-accordion button.label-wrap").forEach((button) => {
      const text = button.querySelector("span");
      const accordion = only("accordion", text ? text.textContent.trim() : "");
      if (accordion) state.layout.set(accordion.id, button.classList.contains("open"));
    });
    document.querySelectorAll('input[role="combobox"]').forEach(readDropdown);
  };

  const readDropdown = (input) => {
    const dropdown = only("dropdown", String(input.getAttribute("aria-label") || "").trim());
    if (!dropdown) return;
    const props = dropdown.props || {};
    const byName = (name) => {
      const value = choiceValue(dropdown, (choice) => String(choice[0]).trim() === name);
      return value === undefined && props.allow_custom_value ? name : value;
    };
    if (props.multiselect) {
      // A multiselect shows each chosen option as a token beside its input.
      const wrap = input.closest(".wrap-inner");
      if (!wrap) return;
      const names = [...wrap.querySelectorAll(":scope > .token > span")].map((span) =>
        span.textContent.trim(),
      );
      const values = names.map(byName);
      if (!values.includes(undefined)) state.values.set(dropdown.id, values);
      return;
    }
    if (input.value === "") return;
    const value = byName(input.value.trim());
    if (value !== undefined) state.values.set(dropdown.id, value);
  };
  const readDropdownSoon = (input) =>
    requestAnimationFrame(() => requestAnimationFrame(() => readDropdown(input)));
  // Picking an option fires no input event: read the Dropdown once the page shows
  // the choice (by the save it may be on a hidden tab), when its field loses focus
  // and, for a multiselect, whose field keeps it, after a click or key in it.
  const dropdownInput = (target) => {
    if (!state.config || !(target instanceof Element)) return null;
    if (target instanceof HTMLInputElement && target.getAttribute("role") === "combobox") {
      return target;
    }
    const block = target.closest(".block");
    return block && block.querySelector('input[role="combobox"]');
  };
  document.addEventListener(
    "focusout",
    (event) => {
      const input = event.target;
      if (input instanceof HTMLInputElement && input.getAttribute("role") === "combobox") {
        if (state.config) readDropdownSoon(input);
      }
    },
    true,
  );
  ["click", "keydown"].forEach((name) =>
    document.addEventListener(
      name,
      (event) => {
        const input = dropdownInput(event.target);
        if (input) readDropdownSoon(input);
      },
      true,
    ),
  );

  // Gradio re-mounts the app from the new config: while it does, the page is
  // short and the browser clamps the scroll to the top. Put it back as soon as
  // the page is tall enough, for a moment, unless the user scrolls meanwhile.
  const restoreScroll = (where) => {
    if (!where || (where.x === 0 && where.y === 0)) return;
    let stop = false;
    const userScrolls = () => {
      stop = true;
    };
    const events = ["wheel", "touchstart", "keydown", "mousedown"];
    events.forEach((name) => window.addEventListener(name, userScrolls, { once: true, passive: true }));
    const until = performance.now() + 3000;
    const step = () => {
      if (stop || performance.now() > until) {
        events.forEach((name) => window.removeEventListener(name, userScrolls));
        return;
      }
      if (Math.abs(window.scrollY - where.y) > 1 || Math.abs(window.scrollX - where.x) > 1) {
        window.scrollTo(where.x, where.y);
      }
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  };
  document.addEventListener("input", fromDom, true);
  document.addEventListener("change", fromDom, true);

  window.addEventListener("devreload:beforefullreload", () => {
    if (!state.config) return;
    try {
      snapshotDom();
      const saved = {
        config: state.config,
        values: [...state.values],
        layout: [...state.layout],
        selectedTabs: [...state.selectedTabs],
        scroll: state.scroll,
        at: Date.now(),
      };
      sessionStorage.setItem(SAVED, JSON.stringify(saved));
    } catch (error) {
      // more than sessionStorage holds (about 5 MB): the page starts afresh
    }
  });

  window.fetch = async (input, init) => {
    const path = C.pathOf(input);
    if (path.endsWith("/queue/join")) {
      let body = null;
      try {
        body = JSON.parse(init && typeof init.body === "string" ? init.body : "null");
      } catch (error) {
        body = null;
      }
      const response = await originalFetch(input, init);
      if (body && response.ok) {
        const dep = dependency(body.fn_index);
        if (dep) record(dep.inputs, body.data);
        response
          .clone()
          .json()
          .then((answer) => {
            if (answer && answer.event_id) state.eventFn.set(answer.event_id, body.fn_index);
          })
          .catch(() => {});
      }
      return response;
    }
    if (path.endsWith("/run/predict")) {
      // Events with queue=False: inputs in the request, outputs in the answer.
      let body = null;
      try {
        body = JSON.parse(init && typeof init.body === "string" ? init.body : "null");
      } catch (error) {
        body = null;
      }
      const response = await originalFetch(input, init);
      const dep = body && response.ok ? dependency(body.fn_index) : null;
      if (dep) {
        record(dep.inputs, body.data);
        response
          .clone()
          .json()
          .then((answer) => answer && record(dep.outputs, answer.data))
          .catch(() => {});
      }
      return response;
    }
    if (path.endsWith("/upload") && state.pendingUpload) {
      const pending = state.pendingUpload;
      state.pendingUpload = null;
      const response = await originalFetch(input, init);
      if (response.ok) {
        const url = input instanceof Request ? input.url : String(input);
        response
          .clone()
          .json()
          .then((paths) => Array.isArray(paths) && uploaded(pending, url, paths))
          .catch(() => {});
      }
      return response;
    }
    if (path.endsWith("/queue/data")) {
      return watchStream(await originalFetch(input, init));
    }
    if (path.endsWith("/config")) {
      // Restoring, the page shows its defaults: what it held was read before it reloaded.
      if (state.config && !state.restoring) snapshotDom();
      const response = await originalFetch(input, init);
      const fresh = await C.configOf(response);
      if (!fresh) return response;
      const reload = Boolean(state.config);
      const patched = reload ? carryOver(fresh) : ((state.config = fresh), fresh);
      if (reload) restoreScroll(state.scroll);
      const headers = new Headers(response.headers);
      headers.delete("content-length");
      return new Response(JSON.stringify(patched), {
        status: response.status,
        statusText: response.statusText,
        headers,
      });
    }
    return originalFetch(input, init);
  };
})();
