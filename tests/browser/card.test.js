// The HA AI card in a real Chromium on a real Home Assistant: the demo house of
// scripts/develop, whose four weeks of habits give HA AI routines to suggest.
// The tests run in order on one house: what one accepts or dismisses, the next
// no longer sees.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  PHONE,
  callWS,
  card,
  item,
  launch,
  missingBrowser,
  openDashboard,
  openPage,
  saveDashboard,
  screenshot,
} from "./browser.js";
import { startDemoHouse } from "./demo_house.js";

const skip = await missingBrowser();
if (skip) console.log(`# Browser tests skipped: ${skip}`);

const STEP_TIMEOUT = 30_000;
const ACCEPTED = /^Turn on Living room\/TV light at \d\d:\d\d every day$/;
const DISMISSED = /^Turn off Living room\/TV light at \d\d:\d\d every day$/;
const REFUSED = /^Turn on Kitchen plug at \d\d:\d\d on weekdays$/;

let house;
let browser;
let page;

before(
  async () => {
    if (skip) return;
    house = await startDemoHouse();
    browser = await launch();
    page = await openPage(browser, house.url);
    await saveDashboard(page, []);
  },
  { timeout: 300_000 },
);

after(async () => {
  await browser?.close();
  await house?.stop();
});

// Poll `read` until it returns something, as a user waits for a page to update.
async function eventually(read, timeout = STEP_TIMEOUT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function assertNoPageErrors(...pages) {
  for (const each of pages) {
    const ours = each.errors.filter((error) => /ha-ai/i.test(error));
    assert.deepEqual(ours, [], "the card threw in the page");
  }
}

test("the card is in the card picker, with a preview and its visual editor", { skip, timeout: 120_000 }, async () => {
  await page.goto(`${house.url}/lovelace/0?edit=1`);
  await page.getByRole("button", { name: /add card/i }).click();
  const picker = page.locator("hui-card-picker");
  await picker.locator("input").first().fill("HA AI");
  const choice = picker.locator(".card").filter({ hasText: "HA AI" }).first();
  // The preview is the card itself, on the demo's suggestions.
  await choice.locator("ha-ai-card li.item").first().waitFor({ timeout: STEP_TIMEOUT });
  await choice.click();
  const editor = page.locator("ha-ai-card-editor");
  await editor.waitFor({ timeout: STEP_TIMEOUT });
  assert.equal(await editor.getByRole("checkbox").count(), 4, "one checkbox per section");
  await page.getByRole("button", { name: /^save$/i }).click();
  const saved = await eventually(async () => {
    const config = await callWS(page, { type: "lovelace/config" });
    return config.views[0].cards?.length ? config : undefined;
  });
  assert.equal(saved.views[0].cards[0].type, "custom:ha-ai-card");
});

test("the dashboard shows the demo's suggestions with their evidence and what they create", { skip, timeout: 120_000 }, async () => {
  await openDashboard(page, house.url);
  const titles = await card(page).locator("li.item h3").allInnerTexts();
  assert.ok(titles.length >= 3, `suggestions shown: ${titles.join(" | ")}`);
  const routine = item(page, ACCEPTED);
  assert.match(await routine.locator(".evidence").innerText(), /^On \d+ of \d+ days around \d\d:\d\d$/);
  assert.match(await routine.innerText(), /Creates: At \d\d:\d\d: turn on: Living room\/TV light/);
  await routine.getByText("Show the automation's YAML").click();
  assert.match(await routine.locator("pre").innerText(), /trigger: time/);
  await screenshot(page, "card-new");
  await card(page).getByRole("tab", { name: /Unused features/ }).click();
  // HA AI judges the devices 10 s after they settle; the card shows it when it comes.
  await card(page).getByText("First step:").first().waitFor({ timeout: STEP_TIMEOUT });
  await card(page).getByRole("link", { name: "Open the device" }).first().waitFor({ timeout: STEP_TIMEOUT });
  await screenshot(page, "card-unused");
  assertNoPageErrors(page);
});

test("the sections can be chosen from the keyboard", { skip, timeout: 60_000 }, async () => {
  await openDashboard(page, house.url);
  const tabs = card(page).getByRole("tab");
  await tabs.first().focus();
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("Enter");
  assert.equal(await tabs.nth(1).getAttribute("aria-selected"), "true");
  assert.equal(await tabs.first().getAttribute("aria-selected"), "false");
});

test("Accept deploys the automation: it is in Settings > Automations and it runs", { skip, timeout: 120_000 }, async () => {
  await openDashboard(page, house.url);
  await item(page, ACCEPTED).getByRole("button", { name: /^Accept/ }).click();
  const created = card(page).locator(".done").filter({ hasText: "Automation created from" });
  await created.waitFor({ timeout: STEP_TIMEOUT });
  const path = await created.getByRole("link").getAttribute("href");
  const automationId = path.split("/").pop();
  assert.match(automationId, /^ha_ai_/);
  // The automation is loaded in Home Assistant, and it runs.
  const states = await callWS(page, { type: "get_states" });
  const automation = states.find((state) => state.attributes.id === automationId);
  assert.ok(automation, `no automation entity with id ${automationId}`);
  await callWS(page, {
    type: "call_service",
    domain: "automation",
    service: "trigger",
    target: { entity_id: automation.entity_id },
  });
  await card(page).getByRole("tab", { name: /Deployed/ }).click();
  await card(page).getByText(/Automation created \(enabled, last ran/).waitFor({ timeout: STEP_TIMEOUT });
  await screenshot(page, "card-deployed");
  // The card's link opens it in the automation editor.
  await card(page).getByRole("link", { name: "open it in the editor" }).first().click();
  await page.waitForURL(`**/config/automation/edit/${automationId}`, { timeout: STEP_TIMEOUT });
  await page.goto(`${house.url}/config/automation/dashboard`);
  await page.getByText(automation.attributes.friendly_name).first().waitFor({ timeout: STEP_TIMEOUT });
  assertNoPageErrors(page);
});

test("Dismiss in one page removes the suggestion in another open page", { skip, timeout: 120_000 }, async () => {
  const other = await openPage(browser, house.url);
  await openDashboard(other, house.url);
  await openDashboard(page, house.url);
  await item(other, DISMISSED).waitFor({ timeout: STEP_TIMEOUT });
  await item(page, DISMISSED).getByRole("button", { name: /^Dismiss/ }).click();
  await item(other, DISMISSED).waitFor({ state: "detached", timeout: STEP_TIMEOUT });
  assert.equal(await item(page, DISMISSED).count(), 0);
  assertNoPageErrors(page, other);
  await other.context().close();
});

test("a refused automation shows its reason in the card", { skip, timeout: 120_000 }, async () => {
  const file = join(house.configDir, "automations.yaml");
  const kept = readFileSync(file, "utf8");
  // A hand edit gone wrong: HA AI never rewrites a file it cannot read.
  writeFileSync(file, `${kept}\n- id: [not closed\n`);
  try {
    await openDashboard(page, house.url);
    await item(page, REFUSED).getByRole("button", { name: /^Accept/ }).click();
    const alert = item(page, REFUSED).getByRole("alert");
    await alert.waitFor({ timeout: STEP_TIMEOUT });
    assert.match(await alert.innerText(), /automations\.yaml|configuration/);
    assert.equal(await item(page, REFUSED).getByRole("button", { name: /^Accept/ }).innerText(), "Try again");
    await screenshot(page, "card-refused");
  } finally {
    writeFileSync(file, kept);
  }
});

test("the card fits a phone's width and follows the dark theme", { skip, timeout: 120_000 }, async () => {
  const phone = await openPage(browser, house.url, { ...PHONE, colorScheme: "dark" });
  await openDashboard(phone, house.url);
  const looks = await card(phone).evaluate((element) => {
    const haCard = element.shadowRoot.querySelector("ha-card");
    const [r, g, b] = getComputedStyle(haCard).backgroundColor.match(/\d+/g).map(Number);
    return {
      luminance: (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255,
      overflow: haCard.scrollWidth - haCard.clientWidth,
      width: haCard.getBoundingClientRect().width,
    };
  });
  assert.ok(looks.luminance < 0.3, `card background is not dark: ${looks.luminance}`);
  assert.ok(looks.overflow <= 0, `the card overflows by ${looks.overflow} px`);
  assert.ok(looks.width <= PHONE.viewport.width, `card is ${looks.width} px wide`);
  await screenshot(phone, "card-phone-dark");
  assertNoPageErrors(phone);
  await phone.context().close();
});
