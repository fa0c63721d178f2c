/* devreload: Gradio's page config as devreload's page scripts read it. No DOM here
 * (tests/js runs it in Node); gradio_state.js and gradio_reload.js, loaded after it,
 * use it as window.__devreloadGradioConfig.
 *
 * Identity across a save: the component's key= when the app gives one, else
 * (type, label or elem_id, rank among components with the same type and
 * label in layout order), which survives inserting components elsewhere.
 * A component whose own value= changed in the code takes the new value; one
 * with the elem_classes "devreload-reset" always starts from its default.
 */
((root) => {
  const RESET_CLASS = "devreload-reset";

  const pathOf = (input) => {
    try {
      const url = input instanceof Request ? input.url : String(input);
      return new URL(url, location.href).pathname;
    } catch (error) {
      return "";
    }
  };

  // The config in a /config answer, or null when the answer is not one (an error
  // page, a login form): then the page scripts hand Gradio the answer untouched.
  const configOf = async (response) => {
    if (!response.ok) return null;
    let fresh;
    try {
      fresh = await response.clone().json();
    } catch (error) {
      return null;
    }
    return fresh && Array.isArray(fresh.components) ? fresh : null;
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

  // Components whose own label or elem_id changed (a typo fixed, a label reworded):
  // no identity matches them, but they keep their place. Between the same two
  // components found in both versions, the unmatched ones of a type are paired in
  // order when the old and the new version have as many of them; otherwise (one
  // removed here, another added there) none is: a new component starts afresh.
  const renamed = (before, after) => {
    const present = new Set([...after.keys()].filter((identity) => {
      const previous = before.get(identity);
      return previous && previous.type === after.get(identity).type;
    }));
    const gaps = (components) => {
      const result = new Map(); // "anchor|type" -> unmatched components, in order
      let anchor = "";
      components.forEach((component, identity) => {
        if (present.has(identity)) {
          anchor = identity;
          return;
        }
        const gap = `${anchor}|${component.type}`;
        result.set(gap, [...(result.get(gap) || []), component]);
      });
      return result;
    };
    const oldGaps = gaps(before);
    const pairs = new Map(); // new component id -> old component
    gaps(after).forEach((fresh, gap) => {
      const old = oldGaps.get(gap) || [];
      if (old.length === fresh.length) fresh.forEach((component, i) => pairs.set(component.id, old[i]));
    });
    return pairs;
  };

  const allowedChoice = (component, value) => {
    const choices = component.props && component.props.choices;
    if (!Array.isArray(choices) || component.props.allow_custom_value) return true;
    const allowed = choices.map((choice) => (Array.isArray(choice) ? choice[1] : choice));
    const wanted = Array.isArray(value) ? value : [value];
    return wanted.every((v) => v === null || allowed.some((a) => sameValue(a, v)));
  };

  // Gradio's class name for a config type, for the -v report.
  const NAMES = {
    multimodaltextbox: "MultimodalTextbox",
    checkboxgroup: "CheckboxGroup",
    tabitem: "Tab",
    uploadbutton: "UploadButton",
    colorpicker: "ColorPicker",
    datetime: "DateTime",
  };
  const className = (type) => NAMES[type] || type.charAt(0).toUpperCase() + type.slice(1);
  const describe = (component) => {
    const props = component.props || {};
    const label = props.label ?? props.elem_id;
    const name = className(component.type);
    return label ? `${name} ${JSON.stringify(String(label))}` : name;
  };
  // Components whose value is the page's, not the user's: a new one is not news.
  const STATIC = new Set(["markdown", "html", "button", "state", "browserstate", "timer"]);
  const LAYOUT = new Set(["row", "column", "group", "form", "tabs", "tabitem", "accordion", "sidebar"]);
  // gr.State lives on the server; the page's copy is not news.
  const SERVER_SIDE = ["state", "browserstate"];

  const tabId = (tabitem) => {
    const id = (tabitem.props || {}).id;
    return id === undefined || id === null ? tabitem.id : id;
  };

  const parents = (config) => {
    const result = new Map();
    const walk = (node) => {
      (node && node.children ? node.children : []).forEach((child) => {
        result.set(child.id, node.id);
        walk(child);
      });
    };
    walk(config.layout);
    return result;
  };

  const isFirstTab = (config, tabs, tabitem) => {
    const find = (node) => {
      if (!node) return null;
      if (node.id === tabs.id) return node;
      for (const child of node.children || []) {
        const found = find(child);
        if (found) return found;
      }
      return null;
    };
    const node = find(config.layout);
    return Boolean(node && node.children && node.children[0] && node.children[0].id === tabitem.id);
  };

  const optsOut = (props) => {
    const classes = props.elem_classes || [];
    return Array.isArray(classes) && classes.includes(RESET_CLASS);
  };

  // What the page held in the old config (`held`: values by component id, accordions'
  // open state by id, the ids of the tab items shown), written into the new config
  // `fresh`. Returns the config to render (`patched`), the values now held by the new
  // components' ids, and what was kept and reset (for the -v report).
  const carryOver = (old, fresh, held) => {
    const values = new Map();
    const props = new Map(); // new component id -> {prop: value} to write
    const kept = [];
    const reset = [];
    const afresh = new Set(); // ids of the components that start from their default
    const resetting = (component, why) => {
      reset.push([describe(component), why]);
      afresh.add(component.id);
    };
    const setProp = (id, name, value) => {
      props.set(id, { ...(props.get(id) || {}), [name]: value });
    };
    if (old) {
      const before = identities(old);
      const freshParents = parents(fresh);
      const byId = new Map((fresh.components || []).map((c) => [c.id, c]));
      const after = identities(fresh);
      const moved = renamed(before, after);
      after.forEach((component, identity) => {
        const same = before.get(identity);
        const previous = same && same.type === component.type ? same : moved.get(component.id);
        if (!previous || previous.type !== component.type) {
          if (!STATIC.has(component.type) && !LAYOUT.has(component.type)) {
            resetting(component, "new component");
          }
          return;
        }
        const oldProps = previous.props || {};
        const newProps = component.props || {};
        const optedOut = optsOut(newProps);
        // What the page holds for this component: its value, an accordion's
        // open state, the tab a Tabs shows.
        let holds = null;
        if (held.values.has(previous.id)) {
          holds = { prop: "value", value: held.values.get(previous.id) };
        } else if (component.type === "accordion" && held.layout.has(previous.id)) {
          const open = held.layout.get(previous.id);
          if (open !== Boolean(oldProps.open)) holds = { prop: "open", value: open };
        }
        if (component.type === "tabitem" && held.selectedTabs.has(previous.id)) {
          const tabs = byId.get(freshParents.get(component.id));
          const wasFirst = tabs && (tabs.props || {}).selected == null;
          if (tabs && tabs.type === "tabs" && !(wasFirst && isFirstTab(fresh, tabs, component))) {
            if (optedOut) {
              resetting(component, `the ${RESET_CLASS} class`);
            } else {
              setProp(tabs.id, "selected", tabId(component));
              kept.push(`${describe(component)} (selected)`);
            }
          }
          return;
        }
        if (!holds) return;
        if (optedOut) {
          resetting(component, `the ${RESET_CLASS} class`);
          return;
        }
        // The developer changed this component's default: it takes the new value.
        if (!sameValue(oldProps[holds.prop], newProps[holds.prop])) {
          resetting(component, "its default changed");
          return;
        }
        if (holds.prop === "value" && !allowedChoice(component, holds.value)) {
          resetting(component, "its choices no longer contain its value");
          return;
        }
        if (holds.prop === "value") values.set(component.id, holds.value);
        else setProp(component.id, holds.prop, holds.value);
        if (!SERVER_SIDE.includes(component.type)) kept.push(describe(component));
      });
    }
    const patched = JSON.parse(JSON.stringify(fresh));
    (patched.components || []).forEach((component) => {
      if (values.has(component.id) || props.has(component.id)) {
        component.props = component.props || {};
        if (values.has(component.id)) component.props.value = values.get(component.id);
        Object.assign(component.props, props.get(component.id) || {});
      } else if (
        afresh.has(component.id) &&
        !LAYOUT.has(component.type) &&
        !("value" in (component.props || {}))
      ) {
        // Gradio reuses the mounted components by position and keeps what one was
        // typed into unless the config names a value: a component that starts
        // afresh (a Textbox added above one that holds text, say) must say so.
        component.props = component.props || {};
        component.props.value = null;
      }
    });
    return { patched, values, kept, reset };
  };

  // A props-only save, taken in place (gradio_reload.js): the props to apply. The page
  // keeps every value it holds (`values`, by component id), except where the developer
  // changed the default and where a component has the reset class (it takes its
  // default; its value is dropped from `values`). Returns the props to apply (`taken`),
  // the config with the new props (the defaults the next save compares with), and what
  // was kept and reset.
  const takeProps = (config, props, values) => {
    const kept = [];
    const reset = [];
    const taken = { ...props };
    const next = {
      ...config,
      components: (config.components || []).map((component) => {
        const changed = props[component.id];
        const now = changed ? { ...(component.props || {}), ...changed } : component.props || {};
        const optedOut = optsOut(now);
        if (optedOut && "value" in now) {
          taken[component.id] = { ...(changed || {}), value: now.value };
        }
        if (values.has(component.id)) {
          const why = optedOut
            ? `the ${RESET_CLASS} class`
            : changed && "value" in changed
              ? "its default changed"
              : changed &&
                  "choices" in changed &&
                  !allowedChoice({ ...component, props: now }, values.get(component.id))
                ? "its choices no longer contain its value"
                : null;
          if (why) {
            values.delete(component.id);
            reset.push([describe(component), why]);
            if ("value" in now) taken[component.id] = { ...(changed || {}), value: now.value };
          } else if (!SERVER_SIDE.includes(component.type)) {
            kept.push(describe(component));
          }
        }
        return changed ? { ...component, props: now } : component;
      }),
    };
    return { config: next, taken, kept, reset };
  };

  // The component of this type whose elem_id is `id` (ids are unique), if one.
  const byElemId = (config, type, id) => {
    if (!id) return null;
    const matches = ((config && config.components) || []).filter(
      (c) => c.type === type && (c.props || {}).elem_id === id,
    );
    return matches.length === 1 ? matches[0] : null;
  };

  // The one component of this type with this label in the config, if one. A
  // component without a label shows its class name in its (hidden) label instead.
  const only = (config, type, label) => {
    const shownLabel = (c) => String((c.props || {}).label ?? "").trim() || className(type);
    const matches = ((config && config.components) || []).filter(
      (c) =>
        c.type === type &&
        (String((c.props || {}).label ?? "").trim() === label || shownLabel(c) === label),
    );
    return matches.length === 1 ? matches[0] : null;
  };

  // The value of the first of a component's choices, as [name, value], that passes `test`.
  const choiceValue = (component, test) => {
    const choices = ((component.props || {}).choices || []).map((choice) =>
      Array.isArray(choice) ? choice : [choice, choice],
    );
    const found = choices.find(test);
    return found ? found[1] : undefined;
  };

  const api = {
    RESET_CLASS,
    allowedChoice,
    byElemId,
    carryOver,
    choiceValue,
    configOf,
    describe,
    identities,
    only,
    pathOf,
    renamed,
    tabId,
    takeProps,
  };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  if (root) root.__devreloadGradioConfig = api;
})(typeof window !== "undefined" ? window : null);
