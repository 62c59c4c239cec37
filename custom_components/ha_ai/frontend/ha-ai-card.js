// The HA AI card: the suggestions HA AI made, live, with Accept, Dismiss and
// Snooze. A plain web component, served by the integration; it fetches nothing
// from the internet and follows Home Assistant's theme.

// The words module is loaded with this module's own query (the integration's
// version), so a new release is not served from a browser's cache.
const format = await import(
  new URL(`./ha-ai-card-format.js${new URL(import.meta.url).search}`, import.meta.url).href
);
const {
  DEFAULT_CONFIG,
  SECTIONS,
  SECTION_LABELS,
  REVISION_KINDS,
  automationEditorPath,
  changeLine,
  devicePagePath,
  doneWords,
  entityName,
  errorMessage,
  formatAgo,
  formatLevel,
  itemsOf,
  normalizeConfig,
  snoozedCount,
  waitingMessage,
} = format;

const CARD_TYPE = "ha-ai-card";
// A subscription refused (HA AI not loaded, say) is asked again no sooner than this.
const RETRY_MS = 30000;
const EDITOR_TYPE = "ha-ai-card-editor";

function escapeHtml(value) {
  return String(value ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function fire(node, type, detail) {
  node.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

// Open a page of Home Assistant without reloading it, as its own links do.
function navigate(path) {
  window.history.pushState(null, "", path);
  window.dispatchEvent(new CustomEvent("location-changed", { detail: { replace: false } }));
}

const STYLES = `
  :host { display: block; }
  ha-card { overflow: hidden; }
  .header { display: flex; align-items: baseline; justify-content: space-between;
    gap: 8px; padding: 16px 16px 0; }
  .title { font-size: 1.25rem; font-weight: 500; color: var(--primary-text-color);
    margin: 0; }
  .meta { color: var(--secondary-text-color); font-size: 0.85rem; }
  .tabs { display: flex; flex-wrap: wrap; gap: 6px; padding: 12px 16px 4px; }
  .tab { font: inherit; font-size: 0.9rem; cursor: pointer; border-radius: 16px;
    padding: 4px 12px; border: 1px solid var(--divider-color);
    background: transparent; color: var(--primary-text-color); }
  .tab[aria-selected="true"] { background: var(--primary-color);
    border-color: var(--primary-color); color: var(--text-primary-color, #fff); }
  .body { padding: 8px 16px 16px; }
  .message { color: var(--secondary-text-color); margin: 8px 0; }
  .error { color: var(--error-color); margin: 8px 0; }
  .banner { border-left: 4px solid var(--error-color); padding: 8px 12px; margin: 8px 0;
    color: var(--primary-text-color); background: var(--secondary-background-color); }
  ul.items { list-style: none; margin: 0; padding: 0; }
  li.item { border-top: 1px solid var(--divider-color); padding: 12px 0; }
  li.item:first-child { border-top: none; }
  .item-title { font-weight: 500; color: var(--primary-text-color); margin: 0 0 4px;
    font-size: 1rem; overflow-wrap: anywhere; }
  .evidence::first-letter { text-transform: uppercase; }
  .evidence, .line { color: var(--secondary-text-color); margin: 2px 0;
    overflow-wrap: anywhere; }
  .level { display: inline-block; font-size: 0.8rem; padding: 1px 8px;
    border-radius: 10px; background: var(--secondary-background-color);
    color: var(--primary-text-color); }
  .entities { display: flex; flex-wrap: wrap; gap: 4px; margin: 6px 0; }
  .chip { font: inherit; font-size: 0.85rem; cursor: pointer; border-radius: 12px;
    padding: 2px 10px; border: 1px solid var(--divider-color);
    background: var(--card-background-color); color: var(--primary-color); }
  details { margin: 6px 0; }
  summary { cursor: pointer; color: var(--primary-color); }
  pre { overflow-x: auto; font-size: 0.8rem; padding: 8px; margin: 6px 0 0;
    background: var(--secondary-background-color); color: var(--primary-text-color);
    border-radius: 4px; }
  .actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
  .action { font: inherit; cursor: pointer; border-radius: 4px; padding: 6px 14px;
    min-height: 36px; border: 1px solid var(--primary-color);
    background: transparent; color: var(--primary-color); }
  .action.primary { background: var(--primary-color);
    color: var(--text-primary-color, #fff); }
  .action[disabled] { opacity: 0.5; cursor: default; }
  .done { color: var(--primary-text-color); margin: 6px 0; }
  a { color: var(--primary-color); }
  button:focus-visible, a:focus-visible, summary:focus-visible {
    outline: 2px solid var(--primary-color); outline-offset: 2px; }
`;

class HaAiCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = normalizeConfig({});
    this._items = [];
    this._summary = null;
    this._loaded = false;
    this._error = null;
    this._section = null;
    this._busy = new Set();
    this._itemErrors = new Map();
    this._created = new Map();
    this._openYaml = new Set();
    this._unsubscribe = null;
    this._subscribing = false;
    this._retryAt = 0;
    this._statesKey = "";
    this.shadowRoot.addEventListener("click", (event) => this._onClick(event));
    this.shadowRoot.addEventListener("toggle", (event) => this._onToggle(event), true);
    this.shadowRoot.addEventListener("keydown", (event) => this._onKeyDown(event));
  }

  static getConfigElement() {
    return document.createElement(EDITOR_TYPE);
  }

  static getStubConfig() {
    return { title: DEFAULT_CONFIG.title, max_items: 3 };
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    this._config = normalizeConfig(config);
    if (!this._config.sections.includes(this._section)) this._section = null;
    this._render();
  }

  getCardSize() {
    return 2 + Math.min(this._items.length, this._config.max_items) * 2;
  }

  set hass(hass) {
    this._hass = hass;
    this._subscribe();
    // The house changes all the time; only the deployed automations' states are shown.
    const key = this._deployedStatesKey();
    if (key !== this._statesKey) {
      this._statesKey = key;
      this._render();
    }
  }

  get hass() {
    return this._hass;
  }

  connectedCallback() {
    this._retryAt = 0;
    this._subscribe();
    this._render();
  }

  disconnectedCallback() {
    const unsubscribe = this._unsubscribe;
    this._unsubscribe = null;
    if (unsubscribe) {
      Promise.resolve(unsubscribe()).catch(() => {});
    }
  }

  async _subscribe() {
    if (!this._hass || !this.isConnected || this._unsubscribe || this._subscribing) return;
    if (Date.now() < this._retryAt) return;
    this._subscribing = true;
    try {
      const unsubscribe = await this._hass.connection.subscribeMessage(
        (message) => this._onMessage(message),
        { type: "ha_ai/suggestions/subscribe" },
      );
      if (this.isConnected) {
        this._unsubscribe = unsubscribe;
      } else {
        Promise.resolve(unsubscribe()).catch(() => {});
      }
    } catch (err) {
      this._error = errorMessage(err);
      this._retryAt = Date.now() + RETRY_MS;
      this._render();
    } finally {
      this._subscribing = false;
    }
  }

  _onMessage(message) {
    this._items = Array.isArray(message?.suggestions) ? message.suggestions : [];
    this._summary = message?.summary ?? null;
    this._loaded = true;
    this._error = null;
    this._statesKey = this._deployedStatesKey();
    this._render();
  }

  _deployedStatesKey() {
    if (!this._hass) return "";
    return this._items
      .filter((item) => item.deployed_entity_id)
      .map((item) => {
        const state = this._hass.states[item.deployed_entity_id];
        return `${item.deployed_entity_id}=${state?.state}@${state?.attributes?.last_triggered}`;
      })
      .join("|");
  }

  async _act(itemId, request, onDone) {
    if (this._busy.has(itemId)) return;
    this._busy.add(itemId);
    this._itemErrors.delete(itemId);
    this._render();
    try {
      const result = await this._hass.callWS({ ...request, suggestion_id: itemId });
      if (onDone) onDone(result);
    } catch (err) {
      this._itemErrors.set(itemId, errorMessage(err));
    } finally {
      this._busy.delete(itemId);
      this._render();
    }
  }

  _onClick(event) {
    const target = event.target.closest("[data-action]");
    if (!target) return;
    const { action, id, entity, path, section } = target.dataset;
    switch (action) {
      case "section":
        this._selectSection(section);
        break;
      case "more-info":
        fire(this, "hass-more-info", { entityId: entity });
        break;
      case "navigate":
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.button) return;
        event.preventDefault();
        navigate(path);
        break;
      case "accept":
        this._act(id, { type: "ha_ai/suggestions/accept" }, (result) => {
          const item = this._items.find((found) => found.suggestion_id === id);
          this._created.set(id, {
            ...result,
            title: item?.title ?? "",
            done: item ? doneWords(item) : "created",
          });
        });
        break;
      case "forget":
        this._created.delete(id);
        this._render();
        break;
      case "dismiss":
        this._act(id, { type: "ha_ai/suggestions/dismiss" });
        break;
      case "snooze":
        this._act(id, { type: "ha_ai/suggestions/snooze", days: this._config.snooze_days });
        break;
      default:
        break;
    }
  }

  // The tabs are one stop for the Tab key; the arrow keys, Home and End move
  // between them, as in every tab list.
  _onKeyDown(event) {
    const section = event.target?.dataset?.section;
    if (!section) return;
    const sections = this._config.sections;
    const index = sections.indexOf(section);
    const moves = {
      ArrowRight: index + 1,
      ArrowLeft: index - 1,
      Home: 0,
      End: sections.length - 1,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = sections[(moves[event.key] + sections.length) % sections.length];
    this._selectSection(next);
  }

  _selectSection(section) {
    this._section = section;
    this._render();
    this.shadowRoot.querySelector(`[data-section="${section}"]`)?.focus();
  }

  _onToggle(event) {
    const details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.dataset.id) return;
    if (details.open) this._openYaml.add(details.dataset.id);
    else this._openYaml.delete(details.dataset.id);
  }

  _currentSection() {
    const sections = this._config.sections;
    return sections.includes(this._section) ? this._section : sections[0];
  }

  _render() {
    if (!this.shadowRoot) return;
    const focusKey = this.shadowRoot.activeElement?.dataset?.focus;
    const now = new Date();
    const section = this._currentSection();
    const sections = this._config.sections;
    const tabs =
      sections.length > 1
        ? `<div class="tabs" role="tablist" aria-label="Sections">${sections
            .map((name) => {
              const count = itemsOf(name, this._items, now).length;
              const selected = name === section;
              return `<button class="tab" role="tab" aria-selected="${selected}"
                data-action="section" data-section="${name}" data-focus="tab-${name}"
                tabindex="${selected ? 0 : -1}">${escapeHtml(SECTION_LABELS[name])}${
                  this._loaded ? ` (${count})` : ""
                }</button>`;
            })
            .join("")}</div>`
        : "";
    const title = this._config.title
      ? `<h2 class="title">${escapeHtml(this._config.title)}</h2>`
      : "<span></span>";
    const meta = this._summary?.last_analysis
      ? `<span class="meta">Analysed ${escapeHtml(formatAgo(this._summary.last_analysis, now))}</span>`
      : "";
    this.shadowRoot.innerHTML = `<style>${STYLES}</style>
      <ha-card>
        <div class="header">${title}${meta}</div>
        ${tabs}
        <div class="body" role="tabpanel">${this._renderBody(section, now)}</div>
      </ha-card>`;
    if (focusKey) {
      const key = globalThis.CSS?.escape ? CSS.escape(focusKey) : focusKey;
      this.shadowRoot.querySelector(`[data-focus="${key}"]`)?.focus();
    }
  }

  _renderBody(section, now) {
    if (this._error) return `<p class="banner" role="alert">${escapeHtml(this._error)}</p>`;
    if (!this._loaded) return `<p class="message">Loading suggestions…</p>`;
    if (!section) return `<p class="message">No section chosen in the card's options.</p>`;
    const all = itemsOf(section, this._items, now);
    const shown = all.slice(0, this._config.max_items);
    const parts = [this._renderCreated(shown)];
    if (!shown.length) {
      parts.push(`<p class="message">${escapeHtml(waitingMessage(section, this._summary, now))}</p>`);
    } else {
      const render = section === "routines" ? (item) => this._renderRoutine(item) : (item) => this._renderItem(item, section);
      parts.push(`<ul class="items">${shown.map(render).join("")}</ul>`);
    }
    if (all.length > shown.length) {
      parts.push(`<p class="message">${all.length - shown.length} more not shown.</p>`);
    }
    const snoozed = snoozedCount(section, this._items, now);
    if (snoozed && (section === "new" || section === "unused")) {
      parts.push(`<p class="message">${snoozed} snoozed.</p>`);
    }
    return parts.join("");
  }

  // An accepted suggestion leaves its section when its automation is deployed;
  // what was created stays in view, with its link, until the user hides it.
  _renderCreated(shown) {
    const visible = new Set(shown.map((item) => item.suggestion_id));
    return [...this._created.entries()]
      .filter(([id, created]) => !visible.has(id) && created.automation_id)
      .map(([id, created]) => {
        const path = automationEditorPath(created.automation_id);
        const done = created.done || "created";
        // A removed automation has no editor page any more.
        const link =
          done === "removed"
            ? ""
            : `: <a href="${escapeHtml(path)}" data-action="navigate" data-path="${escapeHtml(path)}"
            data-focus="created-${escapeHtml(id)}">open it in the editor</a>`;
        return `<p class="done" role="status">Automation ${escapeHtml(done)} from
          “${escapeHtml(created.title)}”${link}
          <button class="action" data-action="forget" data-id="${escapeHtml(id)}"
            data-focus="forget-${escapeHtml(id)}"
            aria-label="Hide this message">Hide</button></p>`;
      })
      .join("");
  }

  _renderEntities(item) {
    const ids = Array.isArray(item.entities) ? item.entities : [];
    if (!ids.length && !item.area) return "";
    const area = item.area ? `<span class="line">${escapeHtml(item.area)}</span>` : "";
    const chips = ids
      .map((entityId) => {
        const name = entityName(item, entityId);
        return `<button class="chip" data-action="more-info" data-entity="${escapeHtml(entityId)}"
          data-focus="entity-${escapeHtml(item.suggestion_id)}-${escapeHtml(entityId)}"
          aria-label="Show ${escapeHtml(name)}">${escapeHtml(name)}</button>`;
      })
      .join("");
    return `<div class="entities">${area}${chips}</div>`;
  }

  _renderRoutine(item) {
    return `<li class="item">
      <h3 class="item-title">${escapeHtml(item.title)}</h3>
      ${item.evidence ? `<p class="evidence">${escapeHtml(item.evidence)}</p>` : ""}
      <span class="level">${escapeHtml(formatLevel(item))}</span>
      <span class="line">· ${escapeHtml(item.status)}</span>
      ${this._renderEntities(item)}
    </li>`;
  }

  _renderItem(item, section) {
    const id = item.suggestion_id;
    const busy = this._busy.has(id);
    const error = this._itemErrors.get(id) || (item.status === "failed" && item.error);
    const level = formatLevel(item);
    const change = changeLine(item);
    const yaml = item.automation_yaml
      ? `<details data-id="${escapeHtml(id)}" ${this._openYaml.has(id) ? "open" : ""}>
          <summary data-focus="yaml-${escapeHtml(id)}">Show the automation's YAML</summary>
          <pre>${escapeHtml(item.automation_yaml)}</pre></details>`
      : "";
    const firstStep =
      item.kind === "feature" && item.how_to_start
        ? `<p class="line"><strong>First step:</strong> ${escapeHtml(item.how_to_start)}</p>`
        : "";
    const devicePath = item.kind === "feature" && item.device_id ? devicePagePath(item.device_id) : "";
    const deviceLink = devicePath
      ? `<p class="line"><a href="${escapeHtml(devicePath)}" data-action="navigate"
          data-path="${escapeHtml(devicePath)}" data-focus="device-${escapeHtml(id)}">Open the device</a></p>`
      : "";
    const created = this._created.get(id);
    const automationId = created?.automation_id || item.automation_id;
    const deployed =
      (created || item.status === "deployed") && automationId
        ? this._renderDeployed(item, automationId, created?.entity_id || item.deployed_entity_id)
        : "";
    const label = escapeHtml(item.title);
    const canAnswer = section === "new" || section === "unused";
    const accept =
      canAnswer &&
      (item.automation || REVISION_KINDS.has(item.kind)) &&
      !created &&
      item.status !== "accepted"
        ? `<button class="action primary" data-action="accept" data-id="${escapeHtml(id)}"
            data-focus="accept-${escapeHtml(id)}" aria-label="Accept: ${label}"
            ${busy ? "disabled" : ""}>${item.status === "failed" ? "Try again" : "Accept"}</button>`
        : "";
    const answers = canAnswer && !created
      ? `<button class="action" data-action="snooze" data-id="${escapeHtml(id)}"
          data-focus="snooze-${escapeHtml(id)}"
          aria-label="Snooze for ${this._config.snooze_days} days: ${label}"
          ${busy ? "disabled" : ""}>Snooze ${this._config.snooze_days} d</button>
        <button class="action" data-action="dismiss" data-id="${escapeHtml(id)}"
          data-focus="dismiss-${escapeHtml(id)}" aria-label="Dismiss: ${label}"
          ${busy ? "disabled" : ""}>Dismiss</button>`
      : "";
    return `<li class="item">
      <h3 class="item-title">${label}</h3>
      ${item.evidence ? `<p class="evidence">${escapeHtml(item.evidence)}</p>` : ""}
      ${level ? `<span class="level">${escapeHtml(level)}</span>` : ""}
      ${this._renderEntities(item)}
      ${change ? `<p class="line"><strong>${escapeHtml(change.label)}:</strong> ${escapeHtml(change.text)}</p>` : ""}
      ${firstStep}
      ${deviceLink}
      ${yaml}
      ${item.status === "accepted" && !created ? `<p class="line">Deploying…</p>` : ""}
      ${deployed}
      ${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}
      ${accept || answers ? `<div class="actions">${accept}${answers}</div>` : ""}
    </li>`;
  }

  _renderDeployed(item, automationId, entityId) {
    const done = doneWords(item);
    if (done === "removed") return `<p class="done">Automation removed.</p>`;
    const path = automationEditorPath(automationId);
    const state = entityId ? this._hass?.states?.[entityId] : undefined;
    const facts = [];
    if (state) {
      facts.push(state.state === "on" ? "enabled" : state.state === "off" ? "disabled" : state.state);
      const last = state.attributes?.last_triggered;
      facts.push(last ? `last ran ${formatAgo(last, new Date())}` : "not run yet");
    }
    return `<p class="done">Automation ${done}${facts.length ? ` (${escapeHtml(facts.join(", "))})` : ""}:
      <a href="${escapeHtml(path)}" data-action="navigate" data-path="${escapeHtml(path)}"
        data-focus="open-${escapeHtml(item.suggestion_id)}">open it in the editor</a></p>`;
  }
}

const EDITOR_STYLES = `
  .editor { display: grid; gap: 12px; }
  label { display: grid; gap: 4px; color: var(--primary-text-color); }
  input[type="text"], input[type="number"] { font: inherit; padding: 6px 8px;
    border: 1px solid var(--divider-color); border-radius: 4px;
    background: var(--card-background-color); color: var(--primary-text-color); }
  fieldset { border: 1px solid var(--divider-color); border-radius: 4px; }
  legend { color: var(--secondary-text-color); }
  .check { display: flex; gap: 8px; align-items: center; }
  input:focus-visible { outline: 2px solid var(--primary-color); outline-offset: 1px; }
`;

class HaAiCardEditor extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = normalizeConfig({});
    this.shadowRoot.addEventListener("change", (event) => this._onChange(event));
  }

  set hass(hass) {
    this._hass = hass;
  }

  setConfig(config) {
    const normalized = normalizeConfig(config);
    // The dashboard hands back each change the editor made; drawing the form again
    // then would take the focus from the field the user is in.
    if (this.shadowRoot.innerHTML && JSON.stringify(normalized) === JSON.stringify(this._config)) {
      return;
    }
    this._config = normalized;
    this._render();
  }

  _onChange(event) {
    const field = event.target.name;
    const config = { ...this._config };
    if (field === "title") config.title = event.target.value;
    else if (field === "max_items" || field === "snooze_days") {
      config[field] = Number(event.target.value);
    } else if (field === "section") {
      const chosen = [...this.shadowRoot.querySelectorAll('input[name="section"]:checked')];
      config.sections = chosen.map((input) => input.value);
    } else return;
    this._config = normalizeConfig(config);
    fire(this, "config-changed", { config: this._config });
  }

  _render() {
    const config = this._config;
    const checks = SECTIONS.map(
      (name) => `<label class="check"><input type="checkbox" name="section" value="${name}"
        ${config.sections.includes(name) ? "checked" : ""}>${escapeHtml(SECTION_LABELS[name])}</label>`,
    ).join("");
    this.shadowRoot.innerHTML = `<style>${EDITOR_STYLES}</style>
      <div class="editor">
        <label>Title<input type="text" name="title" value="${escapeHtml(config.title)}"></label>
        <fieldset><legend>Sections to show</legend>${checks}</fieldset>
        <label>Suggestions per section
          <input type="number" name="max_items" min="1" max="50" value="${config.max_items}"></label>
        <label>Snooze for (days)
          <input type="number" name="snooze_days" min="1" max="90" value="${config.snooze_days}"></label>
      </div>`;
  }
}

if (!customElements.get(EDITOR_TYPE)) customElements.define(EDITOR_TYPE, HaAiCardEditor);
if (!customElements.get(CARD_TYPE)) {
  customElements.define(CARD_TYPE, HaAiCard);
  window.customCards = window.customCards || [];
  window.customCards.push({
    type: CARD_TYPE,
    name: "HA AI",
    description: "The suggestions HA AI learned from your home: accept, dismiss or snooze them.",
    preview: true,
    documentationURL: "https://github.com/ha-ai/ha-ai#the-card",
  });
}
