// Test helpers: start the real `privet` binary on 127.0.0.1 with a fresh data directory, run its CLI, call its
// API with the admin key, and launch Debian's Chromium through Playwright (no browser download).

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

// The binary under test: TEST_PRIVET_BIN (scripts/test sets it), else the debug build in CARGO_TARGET_DIR.
export const BIN = process.env.TEST_PRIVET_BIN ||
  join(process.env.CARGO_TARGET_DIR || join(homedir(), ".cache", "privet", "target"), "debug", "privet");
export const CHROMIUM = process.env.TEST_CHROMIUM || "/usr/bin/chromium";
export const OUTPUT = process.env.TEST_OUTPUT || join(dirname(fileURLToPath(import.meta.url)), "..", "output", "browser");
mkdirSync(join(OUTPUT, "screenshots"), { recursive: true });

export async function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A running `privet serve`. */
export class Privet {
  static async start(args = [], env = {}) {
    const root = mkdtempSync(join(tmpdir(), "privet-browser-"));
    const dataDir = join(root, "data");
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = spawn(BIN, ["serve", "--data-dir", dataDir, "--listen", `127.0.0.1:${port}`, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PRIVET_LOG: "warn", ...env },
    });
    let out = "";
    let err = "";
    proc.stderr.on("data", (d) => (err += d));
    await new Promise((resolve, rejectNow) => {
      const reject = (e) => {
        clearTimeout(timer);
        rejectNow(e);
      };
      const timer = setTimeout(() => reject(new Error(`privet did not start:\n${out}\n${err}`)), 120_000);
      proc.stdout.on("data", (d) => {
        out += d;
        if (out.includes("listening on")) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.on("exit", (code) => reject(new Error(`privet exited (${code}):\n${out}\n${err}`)));
      proc.on("error", (e) => reject(new Error(`cannot run ${BIN} (set TEST_PRIVET_BIN): ${e.message}`)));
    });
    const token = out.match(/project token .*:\s+(\S+)/)[1];
    const adminKey = out.match(/admin API key .*:\s+(\S+)/)[1];
    const p = new Privet();
    Object.assign(p, { root, dataDir, port, url, proc, token, adminKey, stdout: out });
    return p;
  }

  /** Runs a CLI command on the data directory; returns its standard output. */
  cli(args, input) {
    return execFileSync(BIN, [...args, "--data-dir", this.dataDir], { input, encoding: "utf8" });
  }

  /** Creates a dashboard user with a known password. */
  user(email, role, password) {
    this.cli(["user", "create", email, "--role", role, "--password-stdin"], password);
  }

  /** Calls the API with the admin key. */
  async api(path, body) {
    const response = await fetch(`${this.url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { Authorization: `Bearer ${this.adminKey}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = parseJson(await response.text());
    if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(data)}`);
    return data;
  }

  async sql(sql) {
    return (await this.api("/api/sql", { sql })).rows;
  }

  async stop() {
    this.proc.kill("SIGTERM");
    await new Promise((resolve) => this.proc.on("exit", resolve));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** JSON with integers beyond 2^53 (pseudonyms) kept exact, as text. */
export function parseJson(text) {
  return JSON.parse(text.replace(/([[:,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
}

/** Debian's Chromium, headless, with the flags that keep it off the (closed) network. */
export async function browser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(OUTPUT, "screenshots", `${name}.png`), fullPage: true });
}

/** Waits until `check()` returns a truthy value (polling), or fails after `ms`. */
export async function eventually(check, ms = 20_000, what = "condition") {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}: ${last}`);
}
