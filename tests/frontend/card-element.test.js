// The HA AI card element on a minimal stand-in for the browser: what it renders
// from the subscription, and what its buttons ask Home Assistant.
import assert from "node:assert/strict";
import { test } from "node:test";

class FakeShadowRoot {
  constructor() {
    this.innerHTML = "";
    this.activeElement = null;
    this.listeners = {};
  }

  addEventListener(type, listener) {
    this.listeners[type] = listener;
  }

  querySelector() {
    return null;
  }

  querySelectorAll() {
    return [];
  }
}

class FakeElement {
  constructor() {
    this.isConnected = false;
    this.events = [];
  }

  attachShadow() {
    this.shadowRoot = new FakeShadowRoot();
    return this.shadowRoot;
  }

  dispatchEvent(event) {
    this.events.push(event);
    return true;
  }
}

const defined = new Map();
globalThis.HTMLElement = FakeElement;
globalThis.HTMLDetailsElement = class {};
globalThis.CustomEvent = class {
  constructor(type, init) {
    this.type = type;
    this.detail = init?.detail;
    this.bubbles = init?.bubbles;
    this.composed = init?.composed;
  }
};
globalThis.customElements = {
  get: (name) => defined.get(name),
  define: (name, element) => defined.set(name, element),
};
globalThis.window = globalThis;
globalThis.document = { createElement: (name) => new (defined.get(name))() };

await import("../../custom_components/ha_ai/frontend/ha-ai-card.js");

const ROUTINE = {
  suggestion_id: "r1",
  kind: "routine",
  status: "new",
  title: "Turn on the kitchen light at 06:59 on weekdays",
  confidence: 0.86,
  entities: ["light.kitchen"],
  entity_names: { "light.kitchen": "Kitchen <light>" },
  area: "Kitchen",
  level: "established",
  evidence: "on 18 of 21 weekdays around 06:59",
  automation: {
    triggers: [{ trigger: "time", at: "06:59:00" }],
    conditions: [],
    actions: [{ action: "light.turn_on", target: { entity_id: "light.kitchen" } }],
  },
  automation_yaml: "alias: Kitchen light on\n",
  snoozed_until: null,
  deployed_entity_id: null,
};
const SUMMARY = {
  last_analysis: null,
  next_analysis: null,
  history_days: 4,
  patterns_established: 1,
  patterns_forming: 0,
  unused_capabilities: 0,
};

function fakeHass({ subscribeError, answer } = {}) {
  const hass = { states: {}, calls: [], unsubscribed: 0, subscriptions: 0 };
  hass.connection = {
    subscribeMessage: async (callback, message) => {
      hass.subscriptions += 1;
      hass.subscribed = message;
      hass.push = callback;
      if (subscribeError) throw subscribeError;
      return () => {
        hass.unsubscribed += 1;
      };
    },
  };
  hass.callWS = async (message) => {
    hass.calls.push(message);
    return answer ? answer(message) : {};
  };
  return hass;
}

async function connectedCard(hass, config = {}) {
  const Card = customElements.get("ha-ai-card");
  const card = new Card();
  card.setConfig({ title: "HA AI", ...config });
  card.isConnected = true;
  card.connectedCallback();
  card.hass = hass;
  await new Promise((resolve) => setImmediate(resolve));
  return card;
}

function click(card, dataset) {
  const target = { dataset };
  card._onClick({ target: { closest: () => target }, preventDefault() {} });
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("the card is in the card picker, with an editor and a stub configuration", () => {
  const entry = window.customCards.find((card) => card.type === "ha-ai-card");
  assert.equal(entry.preview, true);
  const Card = customElements.get("ha-ai-card");
  assert.ok(Card.getStubConfig().title);
  const editor = Card.getConfigElement();
  editor.setConfig(Card.getStubConfig());
  assert.match(editor.shadowRoot.innerHTML, /Sections to show/);
});

test("the subscription's suggestions are shown, escaped, best first", async () => {
  const hass = fakeHass();
  const card = await connectedCard(hass);
  assert.deepEqual(hass.subscribed, { type: "ha_ai/suggestions/subscribe" });
  assert.match(card.shadowRoot.innerHTML, /Loading suggestions/);
  hass.push({ suggestions: [ROUTINE], summary: SUMMARY });
  const html = card.shadowRoot.innerHTML;
  assert.match(html, /Turn on the kitchen light/);
  assert.match(html, /on 18 of 21 weekdays around 06:59/);
  assert.match(html, /Kitchen &lt;light&gt;/);
  assert.match(html, /Established · 86% sure/);
  assert.match(html, /At 06:59: turn on: Kitchen &lt;light&gt;/);
  assert.match(html, /alias: Kitchen light on/);
  assert.match(html, /data-action="accept"/);
  card.isConnected = false;
  card.disconnectedCallback();
  await settle();
  assert.equal(hass.unsubscribed, 1);
});

test("an unused feature shows its first step and opens its device page", async () => {
  const hass = fakeHass();
  const card = await connectedCard(hass, { sections: ["unused"] });
  const feature = {
    ...ROUTINE,
    suggestion_id: "f1",
    kind: "feature",
    title: "Your Aqara DJT11LM can detect vibration",
    how_to_start: "Enable the entity <vibration>",
    entities: [],
    automation: null,
    automation_yaml: null,
    device_id: "dev 1",
  };
  hass.push({ suggestions: [feature], summary: SUMMARY });
  const html = card.shadowRoot.innerHTML;
  assert.match(html, /First step:<\/strong> Enable the entity &lt;vibration&gt;/);
  assert.match(html, /data-path="\/config\/devices\/device\/dev%201"/);
  assert.doesNotMatch(html, /data-action="accept"/);
  hass.push({ suggestions: [{ ...feature, device_id: null }], summary: SUMMARY });
  assert.doesNotMatch(card.shadowRoot.innerHTML, /Open the device/);
});

test("an empty section says what HA AI is waiting for", async () => {
  const hass = fakeHass();
  const card = await connectedCard(hass);
  hass.push({ suggestions: [], summary: SUMMARY });
  assert.match(card.shadowRoot.innerHTML, /Nothing to suggest yet. No analysis yet; 4 days/);
});

test("accepting shows the new automation with a link to its editor", async () => {
  const hass = fakeHass({ answer: () => ({ automation_id: "ha_ai_r1", entity_id: null }) });
  const card = await connectedCard(hass);
  hass.push({ suggestions: [ROUTINE], summary: SUMMARY });
  click(card, { action: "accept", id: "r1" });
  await settle();
  assert.deepEqual(hass.calls, [{ type: "ha_ai/suggestions/accept", suggestion_id: "r1" }]);
  assert.match(card.shadowRoot.innerHTML, /href="\/config\/automation\/edit\/ha_ai_r1"/);
  hass.push({
    suggestions: [{ ...ROUTINE, status: "deployed", automation_id: "ha_ai_r1" }],
    summary: SUMMARY,
  });
  const html = card.shadowRoot.innerHTML;
  assert.match(html, /Automation created from\s+“Turn on the kitchen light/);
  assert.match(html, /href="\/config\/automation\/edit\/ha_ai_r1"/);
  click(card, { action: "forget", id: "r1" });
  assert.doesNotMatch(card.shadowRoot.innerHTML, /Automation created/);
});

test("snooze and dismiss ask Home Assistant; a refusal is shown with its reason", async () => {
  const hass = fakeHass({
    answer: (message) => {
      if (message.type.endsWith("dismiss")) {
        throw { code: "unauthorized", message: "Unauthorized" };
      }
      return { snoozed_until: "2026-12-09T00:00:00+00:00" };
    },
  });
  const card = await connectedCard(hass, { snooze_days: 3 });
  hass.push({ suggestions: [ROUTINE], summary: SUMMARY });
  click(card, { action: "snooze", id: "r1" });
  click(card, { action: "more-info", entity: "light.kitchen" });
  await settle();
  click(card, { action: "dismiss", id: "r1" });
  await settle();
  assert.deepEqual(hass.calls, [
    { type: "ha_ai/suggestions/snooze", suggestion_id: "r1", days: 3 },
    { type: "ha_ai/suggestions/dismiss", suggestion_id: "r1" },
  ]);
  assert.match(card.shadowRoot.innerHTML, /Only an administrator/);
  const moreInfo = card.events.find((event) => event.type === "hass-more-info");
  assert.deepEqual(moreInfo.detail, { entityId: "light.kitchen" });
});

test("HA AI not loaded is said in the card", async () => {
  const hass = fakeHass({ subscribeError: { code: "not_loaded", message: "Not loaded" } });
  const card = await connectedCard(hass);
  await settle();
  assert.match(card.shadowRoot.innerHTML, /HA AI is not running/);
  card.hass = hass;
  await settle();
  assert.equal(hass.subscriptions, 1);
});

test("a deployed automation shows its state and last run", async () => {
  const hass = fakeHass();
  hass.states["automation.kitchen"] = {
    state: "on",
    attributes: { last_triggered: null },
  };
  const card = await connectedCard(hass, { sections: ["deployed"] });
  hass.push({
    suggestions: [
      { ...ROUTINE, status: "deployed", automation_id: "ha_ai_r1", deployed_entity_id: "automation.kitchen" },
    ],
    summary: SUMMARY,
  });
  const html = card.shadowRoot.innerHTML;
  assert.match(html, /Automation created \(enabled, not run yet\)/);
  assert.doesNotMatch(html, /data-action="accept"/);
});

test("the arrow keys move between the sections", async () => {
  const hass = fakeHass();
  const card = await connectedCard(hass, { sections: ["new", "routines"] });
  hass.push({ suggestions: [ROUTINE], summary: SUMMARY });
  const key = (name, section) => {
    let prevented = false;
    card.shadowRoot.listeners.keydown({
      key: name,
      target: { dataset: { section } },
      preventDefault: () => {
        prevented = true;
      },
    });
    return prevented;
  };
  assert.equal(key("ArrowRight", "new"), true);
  assert.match(card.shadowRoot.innerHTML, /data-section="routines"[^>]*\n?[^>]*tabindex="0"/);
  assert.match(card.shadowRoot.innerHTML, /class="level">Established/);
  assert.equal(key("ArrowRight", "routines"), true);
  assert.match(card.shadowRoot.innerHTML, /aria-label="Accept:/);
  assert.equal(key("Enter", "new"), false);
});

test("the editor tells the dashboard each change of the options", () => {
  const Editor = customElements.get("ha-ai-card-editor");
  const editor = new Editor();
  editor.setConfig({ title: "HA AI", sections: ["new"] });
  assert.match(editor.shadowRoot.innerHTML, /value="new"\s+checked/);
  assert.doesNotMatch(editor.shadowRoot.innerHTML, /value="routines"\s+checked/);
  editor.shadowRoot.listeners.change({ target: { name: "title", value: "Ideas" } });
  editor.shadowRoot.listeners.change({ target: { name: "max_items", value: "3" } });
  editor.shadowRoot.listeners.change({ target: { name: "section", value: "new" } });
  editor.shadowRoot.listeners.change({ target: { name: "other", value: "x" } });
  const changes = editor.events.map((event) => event.detail.config);
  assert.equal(changes.length, 3);
  assert.equal(changes[0].title, "Ideas");
  assert.equal(changes[1].max_items, 3);
  assert.deepEqual(changes[2].sections, []);
});

test("the editor keeps its form when the dashboard hands its change back", () => {
  const Editor = customElements.get("ha-ai-card-editor");
  const editor = new Editor();
  editor.setConfig({ title: "HA AI" });
  editor.shadowRoot.listeners.change({ target: { name: "title", value: "Ideas" } });
  editor.shadowRoot.innerHTML += "<!-- kept -->";
  editor.setConfig(editor.events[0].detail.config);
  assert.match(editor.shadowRoot.innerHTML, /kept/);
  editor.setConfig({ title: "Other" });
  assert.doesNotMatch(editor.shadowRoot.innerHTML, /kept/);
});

const REVISION = {
  ...ROUTINE,
  suggestion_id: "v1",
  kind: "revise",
  title: "The 06:59 Kitchen light automation: move it to 07:32",
  level: null,
  evidence: "The 06:59 Kitchen light automation was switched off by hand on 6 of its last 8 runs.",
  automation: { ...ROUTINE.automation, triggers: [{ trigger: "time", at: "07:32:00" }] },
  revision: { automation_id: "ha_ai_r1", alias: "Kitchen <light> on", change: "replace" },
};

test("a revision says what it changes, turns off or removes, and can be accepted", async () => {
  const hass = fakeHass();
  const card = await connectedCard(hass);
  const off = { ...REVISION, suggestion_id: "v2", automation: null, automation_yaml: null };
  const remove = { ...off, suggestion_id: "v3", kind: "remove" };
  hass.push({ suggestions: [REVISION, off, remove], summary: SUMMARY });
  const html = card.shadowRoot.innerHTML;
  assert.match(html, /switched off by hand on 6 of its last 8 runs/);
  assert.match(html, /Changes it to:<\/strong> At 07:32: turn on: Kitchen &lt;light&gt;/);
  assert.match(html, /Turns off:<\/strong> Kitchen &lt;light&gt; on/);
  assert.match(html, /Removes:<\/strong> Kitchen &lt;light&gt; on/);
  assert.doesNotMatch(html, /Creates:/);
  assert.equal(html.match(/data-action="accept"/g).length, 3);
});

test("accepting a removal says it is done, without a link to a gone automation", async () => {
  const hass = fakeHass({ answer: () => ({ automation_id: "ha_ai_r1", entity_id: null }) });
  const card = await connectedCard(hass);
  const remove = { ...REVISION, kind: "remove", automation: null, automation_yaml: null };
  hass.push({ suggestions: [remove], summary: SUMMARY });
  click(card, { action: "accept", id: "v1" });
  await settle();
  assert.deepEqual(hass.calls, [{ type: "ha_ai/suggestions/accept", suggestion_id: "v1" }]);
  hass.push({ suggestions: [], summary: SUMMARY });
  const html = card.shadowRoot.innerHTML;
  assert.match(html, /Automation removed from\s+“The 06:59 Kitchen light automation/);
  assert.doesNotMatch(html, /\/config\/automation\/edit/);
});

test("deployed revisions say what was done to the automation", async () => {
  const hass = fakeHass();
  hass.states["automation.kitchen"] = { state: "on", attributes: { last_triggered: null } };
  const card = await connectedCard(hass, { sections: ["deployed"] });
  const done = {
    ...REVISION,
    status: "deployed",
    automation_id: "ha_ai_r1",
    deployed_entity_id: "automation.kitchen",
  };
  hass.push({
    suggestions: [
      done,
      { ...done, suggestion_id: "v2", automation: null },
      { ...done, suggestion_id: "v3", kind: "remove", automation: null, deployed_entity_id: null },
    ],
    summary: SUMMARY,
  });
  const html = card.shadowRoot.innerHTML;
  assert.match(html, /Automation changed \(enabled, not run yet\)/);
  assert.match(html, /Automation turned off \(enabled, not run yet\)/);
  assert.match(html, /Automation removed\./);
});
