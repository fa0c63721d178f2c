// reloader/data/gradio_config.js without a browser: which component of a new config
// is which of the old one, and what the page keeps across a save.
// Run by tests/test_gradio_config_js.py (node --test).
const test = require("node:test");
const assert = require("node:assert/strict");
const C = require("../../reloader/data/gradio_config.js");

// A config whose layout lists the components in the order given.
const config = (components, layout) => ({
  components,
  layout: layout || { id: 0, children: components.map((c) => ({ id: c.id })) },
});
const textbox = (id, label, props = {}) => ({ id, type: "textbox", props: { label, ...props } });
const held = (values = [], layout = [], selectedTabs = []) => ({
  values: new Map(values),
  layout: new Map(layout),
  selectedTabs: new Set(selectedTabs),
});
const propsOf = (result, id) => result.patched.components.find((c) => c.id === id).props;

test("a component is known by its key, else by type, label, elem_id and rank", () => {
  const found = C.identities(
    config([
      textbox(1, "Name", { key: "who" }),
      textbox(2, "Note"),
      textbox(3, "Note"),
      textbox(4, "Auto", { key: "__4__" }), // Gradio's own keys are not the app's
    ]),
  );
  assert.deepEqual([...found.keys()], [
    'key:"who"',
    "textbox|Note||0",
    "textbox|Note||1",
    "textbox|Auto||0",
  ]);
});

test("a value typed into a field survives a component inserted above it", () => {
  const old = config([textbox(1, "Name")]);
  const fresh = config([textbox(5, "Title"), textbox(6, "Name")]);
  const result = C.carryOver(old, fresh, held([[1, "Ada"]]));
  assert.equal(propsOf(result, 6).value, "Ada");
  assert.deepEqual([...result.values], [[6, "Ada"]]);
  assert.deepEqual(result.kept, ['Textbox "Name"']);
  // The new field starts afresh (Gradio would otherwise keep the text by position).
  assert.equal(propsOf(result, 5).value, null);
  assert.deepEqual(result.reset, [['Textbox "Title"', "new component"]]);
});

test("a changed default, the reset class and a value no longer a choice reset it", () => {
  const old = config([
    textbox(1, "A", { value: "x" }),
    textbox(2, "B"),
    { id: 3, type: "dropdown", props: { label: "Model", choices: [["a", "a"], ["b", "b"]] } },
  ]);
  const fresh = config([
    textbox(1, "A", { value: "y" }),
    textbox(2, "B", { elem_classes: ["devreload-reset"] }),
    { id: 3, type: "dropdown", props: { label: "Model", choices: [["a", "a"]] } },
  ]);
  const result = C.carryOver(old, fresh, held([[1, "typed"], [2, "typed"], [3, "b"]]));
  assert.deepEqual(result.reset, [
    ['Textbox "A"', "its default changed"],
    ['Textbox "B"', "the devreload-reset class"],
    ['Dropdown "Model"', "its choices no longer contain its value"],
  ]);
  assert.equal(propsOf(result, 1).value, "y");
  assert.deepEqual(result.kept, []);
  assert.equal(result.values.size, 0);
});

test("a field whose label was reworded keeps its value in its place", () => {
  const old = config([textbox(1, "Nmae"), textbox(2, "Other")]);
  const fresh = config([textbox(1, "Name"), textbox(2, "Other")]);
  const result = C.carryOver(old, fresh, held([[1, "Ada"]]));
  assert.equal(propsOf(result, 1).value, "Ada");
});

test("one field removed and another added: the new one does not take the old value", () => {
  const old = config([textbox(1, "Name"), textbox(2, "Gone")]);
  const fresh = config([textbox(1, "Name"), textbox(3, "Added"), textbox(4, "More")]);
  const result = C.carryOver(old, fresh, held([[2, "kept?"]]));
  assert.equal(propsOf(result, 3).value, null);
  assert.equal(propsOf(result, 4).value, null);
});

test("the tab shown and an accordion opened by hand are carried over", () => {
  const components = [
    { id: 10, type: "tabs", props: {} },
    { id: 11, type: "tabitem", props: { label: "One" } },
    { id: 12, type: "tabitem", props: { label: "Two", id: "two" } },
    { id: 13, type: "accordion", props: { label: "More", open: false } },
  ];
  const layout = {
    id: 0,
    children: [{ id: 10, children: [{ id: 11 }, { id: 12 }] }, { id: 13 }],
  };
  const result = C.carryOver(
    config(components, layout),
    config(components, layout),
    held([], [[13, true]], [12]),
  );
  assert.equal(propsOf(result, 10).selected, "two");
  assert.equal(propsOf(result, 13).open, true);
  assert.deepEqual(result.kept, ['Tab "Two" (selected)', 'Accordion "More"']);
});

test("gr.State is carried over but not reported as kept", () => {
  const state = { id: 1, type: "state", props: {} };
  const result = C.carryOver(config([state]), config([state]), held([[1, { n: 2 }]]));
  assert.deepEqual(propsOf(result, 1).value, { n: 2 });
  assert.deepEqual(result.kept, []);
});

test("the new config is not changed; the patched one is a copy", () => {
  const fresh = config([textbox(1, "Name")]);
  const result = C.carryOver(config([textbox(1, "Name")]), fresh, held([[1, "Ada"]]));
  assert.equal(fresh.components[0].props.value, undefined);
  assert.notEqual(result.patched, fresh);
});

test("a props-only save keeps values except where the default changed", () => {
  const current = config([textbox(1, "A", { value: "x" }), textbox(2, "B")]);
  const values = new Map([[1, "typed"], [2, "typed"]]);
  const props = { 1: { value: "y" }, 2: { placeholder: "…" } };
  const result = C.takeProps(current, props, values);
  assert.deepEqual(result.taken, { 1: { value: "y" }, 2: { placeholder: "…" } });
  assert.deepEqual(result.reset, [['Textbox "A"', "its default changed"]]);
  assert.deepEqual(result.kept, ['Textbox "B"']);
  assert.deepEqual([...values], [[2, "typed"]]);
  assert.equal(result.config.components[1].props.placeholder, "…");
  assert.equal(current.components[1].props.placeholder, undefined);
});

test("a /config answer is read when it is a config, else left to Gradio", async () => {
  const json = (body, init) =>
    new Response(JSON.stringify(body), { headers: { "Content-Type": "application/json" }, ...init });
  const answer = json({ components: [], layout: {} });
  assert.deepEqual(await C.configOf(answer), { components: [], layout: {} });
  assert.equal(await answer.json().then(() => "unread"), "unread"); // Gradio can still read it
  assert.equal(await C.configOf(new Response("<html>login</html>")), null);
  assert.equal(await C.configOf(json({ detail: "Not authenticated" }, { status: 401 })), null);
  assert.equal(await C.configOf(json({ error: "no components" })), null);
});

test("a field on the page is matched by elem_id, else by its one label", () => {
  const current = config([
    textbox(1, "Name", { elem_id: "name" }),
    textbox(2, "Note"),
    textbox(3, "Note"),
    textbox(4, ""),
  ]);
  assert.equal(C.byElemId(current, "textbox", "name").id, 1);
  assert.equal(C.only(current, "textbox", "Name").id, 1);
  assert.equal(C.only(current, "textbox", "Note"), null); // two of them: neither
  assert.equal(C.only(current, "textbox", "Textbox").id, 4); // no label: its class name
  const radio = { id: 5, type: "radio", props: { choices: [["One", 1], ["Two", 2]] } };
  assert.equal(C.choiceValue(radio, (choice) => choice[0] === "Two"), 2);
});
