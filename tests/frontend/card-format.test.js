// The words of the HA AI card, checked without a browser (node --test tests/frontend/).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DEFAULT_CONFIG,
  automationEditorPath,
  devicePagePath,
  automationSummary,
  changeLine,
  doneWords,
  errorMessage,
  formatAgo,
  formatConfidence,
  formatLevel,
  formatNextAnalysis,
  itemsOf,
  normalizeConfig,
  snoozedCount,
  waitingMessage,
} from "../../custom_components/ha_ai/frontend/ha-ai-card-format.js";

const NOW = new Date(2026, 11, 2, 21, 30);

function item(fields) {
  return {
    suggestion_id: "s",
    kind: "routine",
    status: "new",
    level: "established",
    snoozed_until: null,
    ...fields,
  };
}

test("a configuration is completed and bounded", () => {
  assert.deepEqual(normalizeConfig(undefined), DEFAULT_CONFIG);
  const config = normalizeConfig({
    title: "Ideas",
    sections: ["routines", "bogus", "new"],
    max_items: 500,
    snooze_days: "0",
  });
  assert.equal(config.title, "Ideas");
  assert.deepEqual(config.sections, ["new", "routines"]);
  assert.equal(config.max_items, 50);
  assert.equal(config.snooze_days, 1);
  assert.equal(normalizeConfig({ max_items: "many" }).max_items, 5);
});

test("each suggestion falls in its sections, best first as given", () => {
  const items = [
    item({ suggestion_id: "a" }),
    item({ suggestion_id: "b", kind: "feature", level: null }),
    item({ suggestion_id: "c", status: "deployed" }),
    item({ suggestion_id: "d", status: "dismissed" }),
    item({ suggestion_id: "e", kind: "used_together", status: "failed", level: "forming" }),
    item({ suggestion_id: "f", snoozed_until: new Date(2026, 11, 9).toISOString() }),
    item({ suggestion_id: "g", snoozed_until: new Date(2026, 11, 1).toISOString() }),
    item({
      suggestion_id: "h",
      kind: "feature",
      level: null,
      status: "snoozed",
      snoozed_until: new Date(2026, 11, 9).toISOString(),
    }),
  ];
  const ids = (section) => itemsOf(section, items, NOW).map((found) => found.suggestion_id);
  assert.deepEqual(ids("new"), ["a", "e", "g"]);
  assert.deepEqual(ids("unused"), ["b"]);
  assert.deepEqual(ids("deployed"), ["c"]);
  assert.deepEqual(ids("routines"), ["a", "c", "e", "f", "g"]);
  assert.deepEqual(ids("elsewhere"), []);
  assert.equal(snoozedCount("new", items, NOW), 1);
  assert.equal(snoozedCount("unused", items, NOW), 1);
});

test("the level reads in words, with how sure HA AI is", () => {
  assert.equal(formatLevel({ level: "established", confidence: 0.823 }), "Established · 82% sure");
  assert.equal(formatLevel({ level: "forming" }), "Forming");
  assert.equal(formatLevel({ level: null, confidence: 0.5 }), "50% sure");
  assert.equal(formatConfidence(1.7), "100% sure");
  assert.equal(formatConfidence(undefined), "");
});

test("a routine's automation is summed up with the entities' names", () => {
  const routine = item({
    entity_names: { "light.kitchen": "Kitchen light" },
    automation: {
      triggers: [{ trigger: "time", at: "06:59:00" }],
      conditions: [{ condition: "time", weekday: ["mon", "tue"] }],
      actions: [{ action: "light.turn_on", target: { entity_id: "light.kitchen" } }],
    },
  });
  assert.equal(automationSummary(routine), "At 06:59, only on Mon, Tue: turn on: Kitchen light");
});

test("a pair's automation names its trigger; no automation says nothing", () => {
  const pair = item({
    entity_names: { "switch.coffee": "Coffee machine" },
    automation: {
      triggers: [{ trigger: "state", entity_id: "light.kitchen", to: "on" }],
      conditions: [],
      actions: [{ action: "switch.turn_on", target: { entity_id: "switch.coffee" } }],
    },
  });
  assert.equal(automationSummary(pair), "When light.kitchen becomes on: turn on: Coffee machine");
  assert.equal(automationSummary(item({ automation: null })), "");
});

test("the next analysis reads as a person says it", () => {
  assert.equal(formatNextAnalysis(new Date(2026, 11, 3, 3, 0).toISOString(), NOW), "tonight at 03:00");
  assert.equal(formatNextAnalysis(new Date(2026, 11, 3, 9, 5).toISOString(), NOW), "tomorrow at 09:05");
  assert.equal(formatNextAnalysis(new Date(2026, 11, 2, 23, 0).toISOString(), NOW), "today at 23:00");
  assert.equal(formatNextAnalysis(new Date(2026, 11, 7, 3, 0).toISOString(), NOW), "on 2026-12-07 at 03:00");
  assert.equal(formatNextAnalysis("not a date", NOW), "");
});

test("a past moment reads as how long ago", () => {
  const ago = (minutes) => new Date(NOW - minutes * 60000).toISOString();
  assert.equal(formatAgo(ago(0), NOW), "just now");
  assert.equal(formatAgo(ago(5), NOW), "5 min ago");
  assert.equal(formatAgo(ago(180), NOW), "3 h ago");
  assert.equal(formatAgo(ago(1500), NOW), "1 day ago");
  assert.equal(formatAgo(ago(4000), NOW), "3 days ago");
});

test("an empty section says what HA AI is waiting for", () => {
  const first = {
    last_analysis: null,
    next_analysis: new Date(2026, 11, 3, 3, 0).toISOString(),
    history_days: 4,
    patterns_established: 0,
    patterns_forming: 2,
    unused_capabilities: 0,
  };
  assert.equal(
    waitingMessage("new", first, NOW),
    "Nothing to suggest yet. First analysis tonight at 03:00; 4 days of history so far.",
  );
  assert.equal(
    waitingMessage("routines", first, NOW),
    "No routine learned yet. First analysis tonight at 03:00; 4 days of history so far. 2 forming.",
  );
  const later = { ...first, last_analysis: NOW.toISOString(), next_analysis: null, history_days: 1 };
  assert.equal(waitingMessage("new", later, NOW), "Nothing new to suggest. 1 day of history so far.");
  assert.match(waitingMessage("deployed", later, NOW), /accept a suggestion/);
  assert.match(waitingMessage("unused", later, NOW), /No unused Zigbee features/);
  assert.match(waitingMessage("unused", { ...later, unused_capabilities: 3 }, NOW), /answered or snoozed/);
  assert.equal(waitingMessage("new", null, NOW), "Waiting for HA AI to report.");
});

test("errors of the websocket API read as sentences with their reason", () => {
  assert.match(errorMessage({ code: "not_loaded", message: "x" }), /HA AI is not running/);
  assert.match(errorMessage({ code: "unauthorized", message: "Unauthorized" }), /administrator/);
  assert.equal(
    errorMessage({ code: "refused", message: "lock.front is not allowed" }),
    "The automation was refused: lock.front is not allowed",
  );
  assert.equal(errorMessage({ code: "invalid_state" }), "This suggestion cannot change any more.");
  assert.equal(errorMessage({ code: "home_assistant_error", message: "Boom" }), "Boom");
  assert.match(errorMessage({ code: 3 }), /connection/);
  assert.equal(errorMessage("Plain"), "Plain");
  assert.equal(errorMessage(null), "Something went wrong.");
});

test("an automation opens in Home Assistant's editor", () => {
  assert.equal(automationEditorPath("ha_ai_abc 1"), "/config/automation/edit/ha_ai_abc%201");
});

test("a device opens on its page in Home Assistant's settings", () => {
  assert.equal(devicePagePath("abc 1"), "/config/devices/device/abc%201");
});

test("what accepting does is said for each kind", () => {
  const automation = {
    triggers: [{ trigger: "time", at: "07:32:00" }],
    actions: [{ action: "light.turn_on", target: { entity_id: "light.kitchen" } }],
  };
  const revision = { automation_id: "ha_ai_r1", alias: "Kitchen light on", change: "replace" };
  assert.deepEqual(changeLine(item({ automation })), {
    label: "Creates",
    text: "At 07:32: turn on: light.kitchen",
  });
  assert.equal(changeLine(item({ automation: null })), null);
  assert.deepEqual(changeLine(item({ kind: "revise", automation, revision })), {
    label: "Changes it to",
    text: "At 07:32: turn on: light.kitchen",
  });
  assert.deepEqual(changeLine(item({ kind: "revise", automation: null, revision })), {
    label: "Turns off",
    text: "Kitchen light on",
  });
  assert.deepEqual(
    changeLine(item({ kind: "remove", revision: { ...revision, alias: null } })),
    { label: "Removes", text: "ha_ai_r1" },
  );
  assert.deepEqual(changeLine(item({ kind: "remove" })), {
    label: "Removes",
    text: "the automation",
  });
  assert.equal(doneWords(item({ automation })), "created");
  assert.equal(doneWords(item({ kind: "revise", automation })), "changed");
  assert.equal(doneWords(item({ kind: "revise", automation: null })), "turned off");
  assert.equal(doneWords(item({ kind: "remove" })), "removed");
});

test("revisions wait in the new section, not among the routines", () => {
  const items = [
    item({ suggestion_id: "r", kind: "revise", level: null }),
    item({ suggestion_id: "x", kind: "remove", level: null, status: "deployed" }),
  ];
  assert.deepEqual(
    itemsOf("new", items, NOW).map((found) => found.suggestion_id),
    ["r"],
  );
  assert.deepEqual(itemsOf("routines", items, NOW), []);
  assert.deepEqual(
    itemsOf("deployed", items, NOW).map((found) => found.suggestion_id),
    ["x"],
  );
});
