// What the HA AI card says, kept apart from the element so it can be checked
// without a browser: which section a suggestion belongs to, how its level, its
// automation and HA AI's progress read, and how an error is told to the user.

export const SECTIONS = ["new", "unused", "deployed", "routines"];

export const SECTION_LABELS = {
  new: "New",
  deployed: "Deployed",
  unused: "Unused features",
  routines: "Routines",
};

export const DEFAULT_CONFIG = {
  title: "HA AI",
  sections: [...SECTIONS],
  max_items: 5,
  snooze_days: 7,
};

// Suggestions still waiting for an answer (a failed deploy can be tried again).
const OPEN_STATUSES = new Set(["new", "accepted", "failed"]);
const HABIT_KINDS = new Set(["routine", "used_together", "household"]);
// Suggestions that change, turn off or remove one of HA AI's own automations.
export const REVISION_KINDS = new Set(["revise", "remove"]);

/** Return the card's configuration with every option filled and bounded. */
export function normalizeConfig(config) {
  const given = config || {};
  const sections = Array.isArray(given.sections)
    ? SECTIONS.filter((section) => given.sections.includes(section))
    : [...SECTIONS];
  return {
    ...given,
    title: typeof given.title === "string" ? given.title : DEFAULT_CONFIG.title,
    sections,
    max_items: boundedInteger(given.max_items, 1, 50, DEFAULT_CONFIG.max_items),
    snooze_days: boundedInteger(given.snooze_days, 1, 90, DEFAULT_CONFIG.snooze_days),
  };
}

function boundedInteger(value, low, high, fallback) {
  const number = Number(value);
  if (!Number.isFinite(number)) return fallback;
  return Math.min(high, Math.max(low, Math.round(number)));
}

/** Tell whether a suggestion is snoozed at `now` (a Date). */
export function isSnoozed(item, now) {
  if (item.status === "snoozed") return true;
  if (!item.snoozed_until) return false;
  const until = new Date(item.snoozed_until);
  return !Number.isNaN(until.getTime()) && until > now;
}

/** Return the suggestions of one section, in the order given (best first). */
export function itemsOf(section, items, now) {
  const waiting = (item) => OPEN_STATUSES.has(item.status) && !isSnoozed(item, now);
  switch (section) {
    case "new":
      return items.filter((item) => item.kind !== "feature" && waiting(item));
    case "unused":
      return items.filter((item) => item.kind === "feature" && waiting(item));
    case "deployed":
      return items.filter((item) => item.status === "deployed");
    case "routines":
      return items.filter(
        (item) => HABIT_KINDS.has(item.kind) && item.level && item.status !== "dismissed",
      );
    default:
      return [];
  }
}

/** Return how many suggestions of a section ("new" or "unused") are snoozed at `now`. */
export function snoozedCount(section, items, now) {
  const features = section === "unused";
  return items.filter(
    (item) =>
      (item.kind === "feature") === features &&
      (OPEN_STATUSES.has(item.status) || item.status === "snoozed") &&
      isSnoozed(item, now),
  ).length;
}

/** Return the level in words: "Established", "Forming", or how sure HA AI is. */
export function formatLevel(item) {
  const sure = formatConfidence(item.confidence);
  if (item.level === "established") return sure ? `Established · ${sure}` : "Established";
  if (item.level === "forming") return sure ? `Forming · ${sure}` : "Forming";
  return sure;
}

/** Return a confidence between 0 and 1 as "82% sure", or "" without one. */
export function formatConfidence(confidence) {
  if (typeof confidence !== "number" || !Number.isFinite(confidence)) return "";
  const percent = Math.round(Math.min(1, Math.max(0, confidence)) * 100);
  return `${percent}% sure`;
}

/** Return the name of an entity as the suggestion gives it, else its id. */
export function entityName(item, entityId) {
  const names = item.entity_names || {};
  return names[entityId] || entityId;
}

const WEEKDAY_NAMES = {
  mon: "Mon",
  tue: "Tue",
  wed: "Wed",
  thu: "Thu",
  fri: "Fri",
  sat: "Sat",
  sun: "Sun",
};

function triggerWords(trigger, name) {
  const kind = trigger.trigger || trigger.platform;
  if (kind === "time") return `at ${String(trigger.at || "").replace(/:00$/, "")}`;
  if (kind === "state") {
    const ids = [].concat(trigger.entity_id || []);
    const who = ids.map(name).join(", ") || "an entity";
    return trigger.to !== undefined ? `when ${who} becomes ${trigger.to}` : `when ${who} changes`;
  }
  return kind ? `on a ${kind} trigger` : "on its trigger";
}

function conditionWords(condition) {
  if (condition.condition === "time" && Array.isArray(condition.weekday)) {
    return `only on ${condition.weekday.map((day) => WEEKDAY_NAMES[day] || day).join(", ")}`;
  }
  return condition.condition ? `if a ${condition.condition} condition holds` : "";
}

function actionWords(action, name) {
  const service = action.action || action.service || "an action";
  const target = action.target ? [].concat(action.target.entity_id || []) : [];
  const what = service.split(".").pop().replaceAll("_", " ");
  return target.length ? `${what}: ${target.map(name).join(", ")}` : what;
}

/**
 * Return the automation a suggestion would create, in words: when it runs, on
 * which condition, and what it does ("at 06:59, only on Mon, Tue: turn on:
 * Kitchen light"). Empty for a suggestion without an automation.
 */
export function automationSummary(item) {
  const automation = item.automation;
  if (!automation) return "";
  const name = (entityId) => entityName(item, entityId);
  const triggers = [].concat(automation.triggers || automation.trigger || []);
  const conditions = [].concat(automation.conditions || automation.condition || []);
  const actions = [].concat(automation.actions || automation.action || []);
  const when = triggers.map((trigger) => triggerWords(trigger, name)).join(" or ");
  const only = conditions.map(conditionWords).filter(Boolean).join(", ");
  const does = actions.map((action) => actionWords(action, name)).join("; then ");
  const head = [when, only].filter(Boolean).join(", ");
  const sentence = head ? `${head}: ${does}` : does;
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

function revisedName(item) {
  const revision = item.revision || {};
  return revision.alias || revision.automation_id || "the automation";
}

/**
 * Return what accepting a suggestion does, as a label and words: "Creates" an
 * automation, "Changes it to" a revised one, "Turns off" or "Removes" one of HA
 * AI's automations. Null when accepting does nothing to an automation.
 */
export function changeLine(item) {
  if (item.kind === "remove") return { label: "Removes", text: revisedName(item) };
  if (item.kind === "revise") {
    return item.automation
      ? { label: "Changes it to", text: automationSummary(item) }
      : { label: "Turns off", text: revisedName(item) };
  }
  const summary = automationSummary(item);
  return summary ? { label: "Creates", text: summary } : null;
}

/** Return what accepting did to the automation: "created", "changed", "turned off", "removed". */
export function doneWords(item) {
  if (item.kind === "remove") return "removed";
  if (item.kind === "revise") return item.automation ? "changed" : "turned off";
  return "created";
}

function twoDigits(number) {
  return String(number).padStart(2, "0");
}

/** Return a time as "today at 14:00", "tonight at 03:00", "tomorrow at 03:00" or a date. */
export function formatNextAnalysis(iso, now) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "";
  const clock = `${twoDigits(when.getHours())}:${twoDigits(when.getMinutes())}`;
  const startOfDay = (date) => new Date(date.getFullYear(), date.getMonth(), date.getDate());
  const days = Math.round((startOfDay(when) - startOfDay(now)) / 86400000);
  // A time in the small hours, today or tomorrow, is "tonight" to a person.
  if (days <= 1 && when.getHours() < 6) return `tonight at ${clock}`;
  if (days <= 0) return `today at ${clock}`;
  if (days === 1) return `tomorrow at ${clock}`;
  return `on ${when.getFullYear()}-${twoDigits(when.getMonth() + 1)}-${twoDigits(when.getDate())} at ${clock}`;
}

/** Return a past moment as "just now", "5 min ago", "3 h ago" or "2 days ago". */
export function formatAgo(iso, now) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "";
  const minutes = Math.round((now - when) / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return days === 1 ? "1 day ago" : `${days} days ago`;
}

function daysOfHistory(summary) {
  const days = summary.history_days || 0;
  return days === 1 ? "1 day of history so far" : `${days} days of history so far`;
}

/**
 * Return what HA AI is waiting for, for a section with nothing to show
 * ("First analysis tonight at 03:00; 4 days of history so far.").
 */
export function waitingMessage(section, summary, now) {
  if (!summary) return "Waiting for HA AI to report.";
  const next = summary.next_analysis ? formatNextAnalysis(summary.next_analysis, now) : "";
  const first = !summary.last_analysis;
  const analysis = next
    ? `${first ? "First" : "Next"} analysis ${next}`
    : first
      ? "No analysis yet"
      : "";
  const progress = [analysis, daysOfHistory(summary)].filter(Boolean).join("; ");
  switch (section) {
    case "deployed":
      return "No automation deployed yet: accept a suggestion to create one.";
    case "unused":
      return summary.unused_capabilities
        ? "Every unused feature has been answered or snoozed."
        : "No unused Zigbee features found; HA AI checks whenever the device list changes.";
    case "routines": {
      const forming = summary.patterns_forming
        ? ` ${summary.patterns_forming} forming.`
        : "";
      return `No routine learned yet. ${progress}.${forming}`;
    }
    default:
      return first
        ? `Nothing to suggest yet. ${progress}.`
        : `Nothing new to suggest. ${progress}.`;
  }
}

const ERROR_WORDS = {
  not_loaded: "HA AI is not running: check its entry under Settings > Devices & services.",
  unauthorized: "Only an administrator can accept, dismiss or snooze suggestions.",
  not_found: "This suggestion no longer exists.",
  invalid_state: "This suggestion cannot change any more",
  refused: "The automation was refused",
  invalid_format: "The request was not understood",
};

/** Return an error of the websocket API as a sentence a user understands. */
export function errorMessage(error) {
  if (!error) return "Something went wrong.";
  if (typeof error === "string") return error;
  const code = error.code;
  const reason = typeof error.message === "string" ? error.message.trim() : "";
  const words = ERROR_WORDS[code];
  if (code === "not_loaded" || code === "unauthorized" || code === "not_found") return words;
  if (words) return reason ? `${words}: ${reason}` : `${words}.`;
  if (code === 3 || code === "connection_lost") return "The connection to Home Assistant was lost.";
  return reason || "Something went wrong.";
}

/** Return the address of an automation in Home Assistant's automation editor. */
export function automationEditorPath(automationId) {
  return `/config/automation/edit/${encodeURIComponent(automationId)}`;
}

// The device page of Home Assistant's settings, where a capability without an
// entity (or with a disabled one) is switched on.
export function devicePagePath(deviceId) {
  return `/config/devices/device/${encodeURIComponent(deviceId)}`;
}
