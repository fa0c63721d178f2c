/* devreload: Gradio component values survive a save.
 *
 * On a reload event Gradio's frontend fetches /config again and re-mounts the
 * whole app from it, so every value not in the config is lost. This script
 * wraps window.fetch: it records the values the page sends with each event
 * (queue/join carries the inputs) and the values events set (the queue/data
 * stream carries the outputs), and when the config is fetched again it writes
 * those values into the new config before Gradio renders it.
 *
 * Identity across a save: the component's key= when the app gives one, else
 * (type, label or elem_id, rank among components with the same type and
 * label in layout order), which survives inserting components elsewhere.
 * A component whose own value= changed in the code takes the new value; one
 * with the elem_classes "devreload-reset" always starts from its default.
 */
(() => {
  if (window.__devreloadGradioState) return;
  const RESET_CLASS = "devreload-reset";
  const originalFetch = window.fetch.bind(window);
  const state = {
    // The last config as the server sent it (the developer's defaults). This script
    // runs after Gradio fetched the first one, which Gradio keeps here.
    config: window.gradio_config && Array.isArray(window.gradio_config.components)
      ? window.gradio_config
      : null,
    values: new Map(), // component id -> value set in the page
    eventFn: new Map(), // event_id -> fn_index, from queue/join answers
  };
  window.__devreloadGradioState = state;

  const pathOf = (input) => {
    try {
      const url = input instanceof Request ? input.url : String(input);
      return new URL(url, location.href).pathname;
    } catch (error) {
      return "";
    }
  };

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

  const identities = (config) => {
    const byId = new Map((config.components || []).map((c) => [c.id, c]));
    const order = [];
    const walk = (node) => {
      if (!node) return;
      order.push(node.id);
      (node.children || []).forEach(walk);
    };
    walk(config.layout);
    (config.components || []).forEach((c) => {
      if (!order.includes(c.id)) order.push(c.id);
    });
    const counts = new Map();
    const result = new Map(); // identity -> component
    order.forEach((id) => {
      const c = byId.get(id);
      if (!c) return;
      const props = c.props || {};
      const key = props.key;
      let identity;
      if (key !== undefined && key !== null && !/^__\d+__$/.test(String(key))) {
        identity = `key:${JSON.stringify(key)}`;
      } else {
        const base = `${c.type}|${props.label ?? ""}|${props.elem_id ?? ""}`;
        const n = counts.get(base) || 0;
        counts.set(base, n + 1);
        identity = `${base}|${n}`;
      }
      result.set(identity, c);
    });
    return result;
  };

  const sameValue = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  const allowedChoice = (component, value) => {
    const choices = component.props && component.props.choices;
    if (!Array.isArray(choices) || component.props.allow_custom_value) return true;
    const allowed = choices.map((choice) => (Array.isArray(choice) ? choice[1] : choice));
    const wanted = Array.isArray(value) ? value : [value];
    return wanted.every((v) => v === null || allowed.some((a) => sameValue(a, v)));
  };

  const carryOver = (fresh) => {
    const old = state.config;
    const values = new Map();
    if (old) {
      const before = identities(old);
      identities(fresh).forEach((component, identity) => {
        const previous = before.get(identity);
        if (!previous || previous.type !== component.type) return;
        if (!state.values.has(previous.id)) return;
        const props = component.props || {};
        const classes = props.elem_classes || [];
        if (Array.isArray(classes) && classes.includes(RESET_CLASS)) return;
        // The developer changed this component's default: it takes the new value.
        if (!sameValue((previous.props || {}).value, props.value)) return;
        const value = state.values.get(previous.id);
        if (!allowedChoice(component, value)) return;
        values.set(component.id, value);
      });
    }
    const patched = JSON.parse(JSON.stringify(fresh));
    (patched.components || []).forEach((component) => {
      if (values.has(component.id)) {
        component.props = component.props || {};
        component.props.value = values.get(component.id);
      }
    });
    state.config = fresh;
    state.values = values;
    state.eventFn.clear();
    return patched;
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
    if (element instanceof HTMLTextAreaElement) {
      type = "textbox";
      value = element.value;
    } else if (element instanceof HTMLInputElement && element.type === "checkbox") {
      type = "checkbox";
      value = element.checked;
      const text = block.querySelector(".label-text");
      label = text ? text.textContent.trim() : undefined;
    } else if (element instanceof HTMLInputElement && ["range", "number"].includes(element.type)) {
      type = block.querySelector('input[type="range"]') ? "slider" : "number";
      value = element.value === "" ? null : Number(element.value);
    } else {
      return;
    }
    if (label === undefined) label = info ? info.textContent.trim() : "";
    const matches = (state.config.components || []).filter(
      (c) => c.type === type && String((c.props || {}).label ?? "").trim() === label,
    );
    if (matches.length === 1) state.values.set(matches[0].id, value);
  };
  document.addEventListener("input", fromDom, true);
  document.addEventListener("change", fromDom, true);

  window.fetch = async (input, init) => {
    const path = pathOf(input);
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
    if (path.endsWith("/queue/data")) {
      return watchStream(await originalFetch(input, init));
    }
    if (path.endsWith("/config")) {
      const response = await originalFetch(input, init);
      if (!response.ok) return response;
      let fresh;
      try {
        fresh = await response.clone().json();
      } catch (error) {
        return response;
      }
      if (!fresh || !Array.isArray(fresh.components)) return response;
      const patched = state.config ? carryOver(fresh) : ((state.config = fresh), fresh);
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
