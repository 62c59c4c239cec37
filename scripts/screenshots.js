// The README's pictures, taken from the demo house of scripts/develop in
// headless Chromium, in Home Assistant's light theme: the HA AI card, the
// device page of an AI camera, HA AI's own device page and its integration page. Run through
// scripts/screenshots, which sets HA_AI_SCREENSHOTS (the folder, docs/images).
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

process.env.HA_AI_SCREENSHOTS ||= join("docs", "images");
// Imported after the folder is set: browser.js reads it when it loads.
const { DESKTOP, SCREENSHOTS, callWS, launch, missingBrowser, openDashboard, openPage, saveDashboard, screenshot } =
  await import("../tests/browser/browser.js");
const { startDemoHouse } = await import("../tests/browser/demo_house.js");

// Light theme, one pixel per CSS pixel: pictures that read well and stay small.
const LIGHT = { ...DESKTOP, viewport: { width: 1280, height: 800 }, colorScheme: "light", deviceScaleFactor: 1 };
const CAMERA_MODEL = "AI camera";
const HA_AI_MODEL = "Home automation insights";
const DEFAULT_CAMERA_PREFIX = "liveobject";
const WAIT_MS = 30_000;

function log(message) {
  console.log(`==> ${message}`);
}

// The broker of the demo house, from the banner of scripts/develop ("MQTT broker:    127.0.0.1:PORT").
function brokerPort(output) {
  const match = output.match(/^MQTT broker:\s+[\d.]+:(\d+)/m);
  if (!match) throw new Error(`no MQTT broker in the banner of scripts/develop:\n${output.slice(-2000)}`);
  return match[1];
}

async function devicesOfModel(page, model) {
  const devices = await callWS(page, { type: "config/device_registry/list" });
  return devices.filter((device) => device.model === model).sort((a, b) => a.name.localeCompare(b.name));
}

const cameraDevices = (page) => devicesOfModel(page, CAMERA_MODEL);

async function poll(read, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

// The camera topic prefix HA AI listens to, from its diagnostics (the demo may
// have set its own); the default when they cannot say.
async function cameraPrefix(page) {
  try {
    const [entry] = await callWS(page, { type: "config_entries/get", domain: "ha_ai" });
    const diagnostics = await page.evaluate(async (entryId) => {
      const { auth } = document.querySelector("home-assistant").hass;
      const response = await fetch(`/api/diagnostics/config_entry/${entryId}`, {
        headers: { Authorization: `Bearer ${auth.data.access_token}` },
      });
      return response.ok ? response.json() : undefined;
    }, entry.entry_id);
    return diagnostics?.data?.data?.camera_topic_prefix || DEFAULT_CAMERA_PREFIX;
  } catch {
    return DEFAULT_CAMERA_PREFIX;
  }
}

// A camera event as an AI camera classifier publishes it (see the README's MQTT contract).
function publishCameraEvent(port, prefix) {
  const publish = (topic, message) =>
    execFileSync("mosquitto_pub", ["-h", "127.0.0.1", "-p", port, "-q", "1", "-t", topic, "-m", message]);
  publish(`${prefix}/status`, "online");
  publish(
    `${prefix}/camera/front_door/status`,
    JSON.stringify({ camera_id: "front_door", camera_name: "Front Door", status: "online" }),
  );
  publish(
    `${prefix}/camera/front_door/event`,
    JSON.stringify({
      event_id: `screenshot-${Date.now()}`,
      camera_id: "front_door",
      camera_name: "Front Door",
      description: "A person with a parcel at the door",
      objects_detected: ["person"],
      confidence: 92,
      source_type: "rtsp",
      timestamp: new Date().toISOString(),
      is_doorbell_ring: true,
    }),
  );
}

// The demo's own camera when it has one, else one made by publishing an event.
async function cameraDevice(page, port) {
  const found = await poll(async () => (await cameraDevices(page))[0], 5_000);
  if (found) return found;
  const prefix = await cameraPrefix(page);
  log(`The demo house has no AI camera yet: publishing a camera event under ${prefix}/`);
  publishCameraEvent(port, prefix);
  const made = await poll(async () => (await cameraDevices(page))[0], WAIT_MS);
  if (!made) throw new Error("no AI camera device appeared after a camera event");
  return made;
}

// The page as a person sees it, once Home Assistant has drawn it. Home
// Assistant scrolls inside its own layout, so a long page needs a tall window
// (`height`) rather than a full-page picture; `width` keeps the left part of a
// page whose cards leave the right empty.
async function savePage(page, name, { height = LIGHT.viewport.height, width = LIGHT.viewport.width } = {}) {
  await page.setViewportSize({ width: LIGHT.viewport.width, height });
  await page.waitForTimeout(1_500);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), clip: { x: 0, y: 0, width, height } });
  log(`Saved ${join(SCREENSHOTS, `${name}.png`)}`);
}

const skip = await missingBrowser();
if (skip) {
  console.error(`Cannot take the pictures: ${skip}`);
  process.exit(1);
}
mkdirSync(SCREENSHOTS, { recursive: true });
log("Starting the demo house (scripts/develop)");
const house = await startDemoHouse();
let browser;
try {
  const port = brokerPort(house.output());
  browser = await launch();
  const page = await openPage(browser, house.url, LIGHT);

  await saveDashboard(page, [{ type: "custom:ha-ai-card" }]);
  await openDashboard(page, house.url);
  await page.waitForTimeout(1_000);
  await screenshot(page, "card");
  log(`Saved ${join(SCREENSHOTS, "card.png")}`);

  const camera = await cameraDevice(page, port);
  await page.goto(`${house.url}/config/devices/device/${camera.id}`);
  await page.getByText(camera.name_by_user || camera.name).first().waitFor({ timeout: WAIT_MS });
  await page.getByText(/Events today/).first().waitFor({ timeout: WAIT_MS });
  await savePage(page, "camera-device", { width: 950 });

  // HA AI judges the Zigbee devices a few seconds after their list arrives.
  await poll(async () => {
    const states = await callWS(page, { type: "get_states" });
    const unused = states.find((state) => state.entity_id === "sensor.ha_ai_unused_capabilities");
    return Number(unused?.state) > 0 ? unused : undefined;
  }, WAIT_MS);
  const [haAi] = await devicesOfModel(page, HA_AI_MODEL);
  await page.goto(`${house.url}/config/devices/device/${haAi.id}`);
  await page.getByText(/Suggestions pending/).first().waitFor({ timeout: WAIT_MS });
  await savePage(page, "ha-ai-device", { width: 950, height: 1350 });

  await page.goto(`${house.url}/config/integrations/integration/ha_ai`);
  await page.locator("ha-config-integration-page").waitFor({ timeout: WAIT_MS });
  await page.getByText(/HA AI/).first().waitFor({ timeout: WAIT_MS });
  await savePage(page, "integration", { height: 470 });
} finally {
  await browser?.close();
  await house.stop();
}
