// The demo house of `scripts/develop` (a real Home Assistant with HA AI, a real
// mosquitto, the simulated Zigbee2MQTT and four weeks of habits), started in a
// directory of its own for the browser tests and stopped after them.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const START_TIMEOUT_MS = 240_000;
const STOP_TIMEOUT_MS = 60_000;

// What the banner of scripts/develop says, line by line ("Label:   value").
function bannerValue(output, label) {
  const match = output.match(new RegExp(`^${label}:\\s+(\\S+)`, "m"));
  return match ? match[1] : undefined;
}

/**
 * Start `scripts/develop` and resolve once its banner says where everything is.
 * Rejects with the end of its output when it exits first or takes too long.
 * `prepare(configDir)` may add files before Home Assistant starts (YAML of its
 * own goes into `packages/`, which scripts/develop keeps).
 */
export async function startDemoHouse({ prepare } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "ha-ai-browser-"));
  if (prepare) prepare(join(dir, "config"));
  // A port of its own, out of the way of a developer's scripts/develop (8123).
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const child = spawn(join(REPO_ROOT, "scripts", "develop"), ["--dir", dir, "--port", port], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`scripts/develop not ready:\n${output.slice(-3000)}`)), START_TIMEOUT_MS);
    const check = () => {
      if (output.includes("Ctrl-C stops everything.")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", check);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`scripts/develop exited with ${code}:\n${output.slice(-3000)}`));
    });
  });
  try {
    await ready;
  } catch (err) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  if (output.includes("PROBLEM:")) {
    await stopChild(child, exited);
    throw new Error(`HA AI did not load in the demo house:\n${output.slice(-3000)}`);
  }
  return {
    url: bannerValue(output, "Home Assistant"),
    configDir: bannerValue(output, "Config dir"),
    output: () => output,
    async stop() {
      await stopChild(child, exited);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// SIGINT stops scripts/develop in order (Home Assistant, then mosquitto); a
// second signal kills what is left.
async function stopChild(child, exited) {
  if (child.exitCode !== null) return;
  child.kill("SIGINT");
  const timeout = new Promise((resolve) => setTimeout(() => resolve("timeout"), STOP_TIMEOUT_MS));
  if ((await Promise.race([exited, timeout])) === "timeout") {
    child.kill("SIGINT");
    child.kill("SIGKILL");
  }
}
