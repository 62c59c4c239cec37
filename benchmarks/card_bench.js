// What a person waits for in the card, measured in a real Chromium on the demo
// house of scripts/develop (a real Home Assistant with HA AI and mosquitto):
//   - from a habit analysis storing a new suggestion (its `created_at`) to the
//     card showing it (the suggestion list pushed over the websocket, and drawn);
//   - from a click on Accept to the new automation entity existing in the
//     page's Home Assistant state.
// Each of the ROUNDS rounds adds four weeks of a new routine (an input_boolean
// switched on every morning) to HA AI's log, runs the analysis (HA AI allows one
// a minute) and waits for its suggestion in the card; then each of these
// suggestions is accepted in turn. One JSON line per figure on stdout
// ({"name", "value", "unit"}), progress on stderr.
// Usage: node benchmarks/card_bench.js [ROUNDS]   (scripts/bench --only card)
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { callWS, launch, missingBrowser, openDashboard, openPage, saveDashboard } from "../tests/browser/browser.js";
import { startDemoHouse } from "../tests/browser/demo_house.js";

const ROUNDS = Number(process.argv[2] || 20);
const HISTORY_DAYS = 28;
// HA AI refuses an analysis within a minute of the last one.
const ANALYSIS_COOLDOWN_MS = 61_000;
const WAIT_MS = 60_000;

const log = (message) => process.stderr.write(`==> ${message}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const name = (round) => `Bench ${String(round).padStart(2, "0")}`;
const entityId = (round) => `input_boolean.bench_${String(round).padStart(2, "0")}`;

function emit(figure) {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

function percentile(samples, share) {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = share * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

function summarise(figure, samples) {
  const values = {
    p50: percentile(samples, 0.5),
    p95: percentile(samples, 0.95),
    max: Math.max(...samples),
    mean: samples.reduce((sum, value) => sum + value, 0) / samples.length,
  };
  for (const [key, value] of Object.entries(values)) {
    emit({ name: `${figure}_${key}`, value: Math.round(value * 1000) / 1000, unit: "ms" });
  }
  emit({ name: `${figure}_samples`, value: samples.length, unit: "count" });
}

// The switches the new routines use, one per round.
function prepare(configDir) {
  mkdirSync(join(configDir, "packages"), { recursive: true });
  const switches = Array.from({ length: ROUNDS }, (_, index) => {
    const round = index + 1;
    return `  bench_${String(round).padStart(2, "0")}:\n    name: ${name(round)}\n`;
  });
  writeFileSync(join(configDir, "packages", "bench.yaml"), `input_boolean:\n${switches.join("")}`);
}

// Four weeks of a person switching the round's input_boolean on at about the
// same time every morning, appended to HA AI's day files (past days only: HA
// AI itself appends today's).
function addRoutine(configDir, round) {
  const directory = join(configDir, ".storage", "ha_ai_habits");
  const today = Math.floor(Date.now() / 86_400_000) * 86_400; // UTC midnight
  for (let day = HISTORY_DAYS; day >= 1; day -= 1) {
    const midnight = today - day * 86_400;
    const jitter = ((day * 7919 + round * 104_729) % 361) - 180; // within ±3 min
    const when = midnight + 4 * 3600 + round * 7 * 60 + jitter;
    const file = join(directory, `${new Date(midnight * 1000).toISOString().slice(0, 10)}.csv`);
    appendFileSync(file, `${when},0,${entityId(round)},on\n`);
  }
}

// Resolves with the wall-clock time the card first shows `text`.
async function watchCard(page, text) {
  await page.evaluate((wanted) => {
    const find = (root) => {
      const direct = root.querySelector("ha-ai-card");
      if (direct) return direct;
      for (const node of root.querySelectorAll("*")) {
        const found = node.shadowRoot && find(node.shadowRoot);
        if (found) return found;
      }
      return null;
    };
    window.__benchCard = find(document);
    const root = window.__benchCard.shadowRoot;
    window.__benchSeen = undefined;
    const observer = new MutationObserver(() => {
      if (window.__benchSeen === undefined && root.textContent.includes(wanted)) {
        window.__benchSeen = Date.now();
        observer.disconnect();
      }
    });
    observer.observe(root, { childList: true, subtree: true, characterData: true });
  }, text);
}

// When the card draws the round's suggestion, and when HA AI created it: the
// moment the analysis stored what it found (`created_at`, from HA AI's clock;
// the browser runs on the same machine).
async function analysisToCard(page, house) {
  const samples = [];
  let lastRun = Date.now();
  for (let round = 1; round <= ROUNDS; round += 1) {
    addRoutine(house.configDir, round);
    const title = `Turn on ${name(round)} at`;
    await watchCard(page, title);
    await sleep(Math.max(0, lastRun + ANALYSIS_COOLDOWN_MS - Date.now()));
    lastRun = Date.now();
    await callWS(page, { type: "call_service", domain: "ha_ai", service: "run_analysis", return_response: true });
    const handle = await page.waitForFunction(
      (wanted) => {
        if (window.__benchSeen === undefined) return false;
        const item = window.__benchCard._items.find((each) => each.title.startsWith(wanted));
        return item && [window.__benchSeen, item.created_at];
      },
      title,
      { timeout: WAIT_MS },
    );
    const [seen, created] = await handle.jsonValue();
    samples.push(seen - Date.parse(created));
    log(`round ${round}: suggestion created -> drawn in the card in ${samples.at(-1)} ms`);
  }
  return samples;
}

async function acceptToEntity(page) {
  const samples = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const elapsed = await page.evaluate(
      async ([wanted, timeout]) => {
        const hass = () => document.querySelector("home-assistant").hass;
        const find = (root) => {
          const direct = root.querySelector("ha-ai-card");
          if (direct) return direct;
          for (const node of root.querySelectorAll("*")) {
            const found = node.shadowRoot && find(node.shadowRoot);
            if (found) return found;
          }
          return null;
        };
        const item = [...find(document).shadowRoot.querySelectorAll("li.item")].find((li) =>
          li.querySelector("h3").textContent.startsWith(wanted),
        );
        if (!item) throw new Error(`no suggestion "${wanted}" in the card`);
        const known = new Set(Object.keys(hass().states));
        const started = performance.now();
        item.querySelector('[data-action="accept"]').click();
        for (;;) {
          await new Promise((resolve) => requestAnimationFrame(resolve));
          const created = Object.keys(hass().states).find((id) => id.startsWith("automation.") && !known.has(id));
          if (created) return performance.now() - started;
          if (performance.now() - started > timeout) throw new Error(`no automation for "${wanted}"`);
        }
      },
      [`Turn on ${name(round)} at`, WAIT_MS],
    );
    samples.push(elapsed);
    log(`accept ${round}: automation entity after ${Math.round(elapsed)} ms`);
  }
  return samples;
}

const skip = await missingBrowser();
if (skip) {
  log(`Card bench skipped: ${skip}`);
  process.exit(0);
}
log(`Card: ${ROUNDS} analyses -> suggestion drawn, then ${ROUNDS} accepts -> automation entity`);
const house = await startDemoHouse({ prepare });
let browser;
try {
  browser = await launch();
  const page = await openPage(browser, house.url);
  await saveDashboard(page, [{ type: "custom:ha-ai-card", sections: ["new"], max_items: 100 }]);
  await openDashboard(page, house.url);
  summarise("card_analysis_to_suggestion_shown", await analysisToCard(page, house));
  summarise("card_accept_to_automation_entity", await acceptToEntity(page));
} finally {
  await browser?.close();
  await house.stop();
}
