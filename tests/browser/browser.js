// Debian's Chromium driven by playwright-core: finding both, logging in to Home
// Assistant as the demo's user, and reading the HA AI card from a page.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./demo_house.js";

export const USERNAME = "dev";
export const PASSWORD = "dev";
export const DESKTOP = { viewport: { width: 1280, height: 900 } };
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
// Where the tests save their screenshots; the README's images are made with
// HA_AI_SCREENSHOTS=docs/images.
export const SCREENSHOTS = join(REPO_ROOT, process.env.HA_AI_SCREENSHOTS || join(".dev", "screenshots"));

/** Return Chromium's executable, or undefined when none is installed. */
export function findChromium() {
  const candidates = [process.env.HA_AI_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  for (const candidate of candidates) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], {
      encoding: "utf8",
    }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Return playwright-core's chromium, or undefined when the package is missing. */
export async function loadPlaywright() {
  try {
    return (await import("playwright-core")).chromium;
  } catch {
    return undefined;
  }
}

/** Why the browser tests cannot run here, or undefined when they can. */
export async function missingBrowser() {
  if (!findChromium()) {
    return "Chromium is not installed (scripts/test installs Debian's chromium when run as root)";
  }
  if (!(await loadPlaywright())) {
    return "playwright-core is not installed (scripts/test runs npm ci)";
  }
  return undefined;
}

export async function launch() {
  const chromium = await loadPlaywright();
  // The sandbox needs user namespaces, which containers (CI) often lack.
  return chromium.launch({ executablePath: findChromium(), args: ["--no-sandbox"] });
}

/**
 * Open a page logged in as the demo's user, with the frontend connected.
 * Errors thrown in the page are collected in `page.errors`.
 */
export async function openPage(browser, baseUrl, options = DESKTOP) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (error) => page.errors.push(String(error)));
  await page.goto(`${baseUrl}/`);
  await page.locator('input[name="username"]').fill(USERNAME);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.keyboard.press("Enter");
  await waitConnected(page);
  return page;
}

export async function waitConnected(page) {
  await page.waitForFunction(() => document.querySelector("home-assistant")?.hass?.connected, null, {
    timeout: 60_000,
  });
}

/** Call Home Assistant's websocket API as the page's user. */
export function callWS(page, message) {
  return page.evaluate((msg) => document.querySelector("home-assistant").hass.callWS(msg), message);
}

/** Save a dashboard with one view holding `cards`. */
export async function saveDashboard(page, cards) {
  await callWS(page, { type: "lovelace/config/save", config: { views: [{ title: "Home", cards }] } });
}

/** Open the dashboard and wait until the card has its suggestions. */
export async function openDashboard(page, baseUrl) {
  await page.goto(`${baseUrl}/lovelace/0`);
  await waitConnected(page);
  await card(page).locator(".items, .message").first().waitFor({ timeout: 30_000 });
}

/** The HA AI card of a page (Playwright's locators pierce shadow roots). */
export function card(page) {
  return page.locator("ha-ai-card").first();
}

/** The card's entry for a suggestion whose title matches `title`. */
export function item(page, title) {
  return card(page).locator("li.item").filter({ has: page.locator("h3", { hasText: title }) });
}

/**
 * Save a picture of the card. Taken from the whole page from its top, so
 * that Home Assistant's fixed toolbar never covers a card taller than the
 * window.
 */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = await card(page).boundingBox();
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, clip: box });
}
