// The dashboard in Debian's headless Chromium, driven by Playwright: sign in with password and TOTP, build a
// funnel and check its numbers against the API, reveal an identity as a privacy officer (and be refused as an
// analyst), check labels and keyboard access, and screenshot every page into tests/output/browser/screenshots.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as OTPAuth from "otpauth";
import { Privet, browser, screenshot, OUTPUT } from "./privet.mjs";

const PASSWORD = "a long browser test passphrase";
let privet;
let chromium;
const timings = {};

before(async () => {
  privet = await Privet.start(["--demo", "--demo-events", "4000"]);
  privet.user("admin@example.com", "admin", PASSWORD);
  privet.user("officer@example.com", "privacy-officer", PASSWORD);
  privet.user("analyst@example.com", "analyst", PASSWORD);
  chromium = await browser();
});

after(async () => {
  await chromium?.close();
  await privet?.stop();
  writeFileSync(join(OUTPUT, "timings.json"), JSON.stringify(timings, null, 2));
});

async function signIn(page, email, password = PASSWORD) {
  await page.goto(`${privet.url}/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("main button[type=submit]");
}

function totp(secret, offsetSeconds = 0) {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" })
    .generate({ timestamp: Date.now() + offsetSeconds * 1000 });
}

async function ready(page) {
  await page.waitForSelector("#app[data-ready=true], #app .error", { timeout: 30_000 });
}

test("an admin enrols TOTP, then signs in with password and code", async () => {
  const context = await chromium.newContext();
  const page = await context.newPage();
  await signIn(page, "admin@example.com");
  await page.waitForURL(/\/funnels|\/insights/);
  await page.goto(`${privet.url}/account`);
  await screenshot(page, "account");
  await page.click("#setup-mfa");
  const secret = (await page.textContent("#totp-secret")).trim();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.ok(await page.locator(".qr svg").count(), "a QR code is shown");
  await screenshot(page, "mfa-enrol");
  await page.fill("#code", totp(secret));
  await page.click("main button[type=submit]");
  const codes = await page.locator("#recovery-codes code").allTextContents();
  assert.equal(codes.length, 10);
  await screenshot(page, "mfa-recovery-codes");

  // Sign out, then in again: the password alone is not enough.
  await page.goto(`${privet.url}/account`);
  await page.click("text=Sign out");
  await page.waitForURL(/\/login/);
  await signIn(page, "admin@example.com");
  await page.waitForURL(/\/login\/code/);
  await screenshot(page, "sign-in-code");
  await page.goto(`${privet.url}/insights`);
  assert.match(page.url(), /\/login/, "half signed in is not signed in");
  await signIn(page, "admin@example.com");
  await page.fill("#code", "000000");
  await page.click("main button[type=submit]");
  assert.match(await page.textContent(".error"), /wrong|used/);
  await page.fill("#code", totp(secret, 30)); // the enrolment spent this step's code
  await page.click("main button[type=submit]");
  await page.waitForURL(/\/funnels|\/insights/);
  await ready(page);
  assert.equal(await page.textContent("header .who a"), "admin@example.com");
  await context.storageState({ path: join(OUTPUT, "admin-state.json") });
  await context.close();
});

test("a funnel built in the page matches the API", async () => {
  const context = await chromium.newContext({ storageState: join(OUTPUT, "admin-state.json") });
  const page = await context.newPage();
  await page.goto(`${privet.url}/funnels`);
  await ready(page);
  const steps = page.locator(".row.step select");
  while ((await steps.count()) < 3) await page.click("#add-step");
  await steps.nth(0).selectOption("Signed up");
  await steps.nth(1).selectOption("Created API key");
  await steps.nth(2).selectOption("Made API call");
  const from = new Date(Date.now() - 89 * 86400000).toISOString().slice(0, 10);
  await page.locator("input[type=date]").first().fill(from);
  await page.click("#run");
  await page.waitForSelector("section.results[data-state=done]");
  await screenshot(page, "funnels");
  const counts = await page.$$eval("section.results table.data tbody tr", (rows) => rows.map((r) => Number(r.cells[2].textContent.replace(/,/g, ""))));
  assert.equal(counts.length, 3);
  assert.ok(counts[0] > 0, "people signed up in the demo data");
  assert.ok(counts[0] >= counts[1] && counts[1] >= counts[2], `a funnel narrows: ${counts}`);

  // The URL holds the exact request: the same request through the API gives the same numbers.
  const q = new URL(page.url()).searchParams.get("q");
  const request = JSON.parse(Buffer.from(q.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8"));
  assert.deepEqual(request.steps.map((s) => s.event), ["Signed up", "Created API key", "Made API call"]);
  const answer = await privet.api("/api/funnels", request);
  assert.deepEqual(counts, answer.steps.map((s) => s.count));

  // And the shared link reproduces it in a new tab.
  const again = await context.newPage();
  await again.goto(page.url());
  await again.waitForSelector("section.results[data-state=done]");
  const counts2 = await again.$$eval("section.results table.data tbody tr", (rows) => rows.map((r) => Number(r.cells[2].textContent.replace(/,/g, ""))));
  assert.deepEqual(counts2, counts);
  await context.close();
});

test("every page draws, with labelled controls, and is screenshotted", async () => {
  const context = await chromium.newContext({ storageState: join(OUTPUT, "admin-state.json") });
  const page = await context.newPage();
  const [person] = (await privet.sql("SELECT person_id FROM events WHERE event = 'Signed up' ORDER BY person_id LIMIT 1"))[0];
  const org = (await privet.sql("SELECT group_key, group_id FROM groups ORDER BY group_id LIMIT 1"))[0];
  const pages = {
    insights: "/insights", retention: "/retention", flows: "/flows", events: "/events", people: "/people",
    person: `/people/${person}`, organisation: org ? `/organisations/${org[0]}/${org[1]}` : null,
    privacy: "/privacy", incidents: "/incidents", audit: "/audit", users: "/users", keys: "/keys",
  };
  for (const [name, path] of Object.entries(pages)) {
    if (!path) continue;
    await page.goto(`${privet.url}${path}`);
    await ready(page);
    if (["insights", "retention", "flows"].includes(name)) {
      await page.click("#run");
      await page.waitForSelector("section.results[data-state]");
      assert.equal(await page.getAttribute("section.results", "data-state"), "done", `${name}: ${await page.textContent("section.results")}`);
    }
    assert.equal(await page.locator("#app .error").count(), 0, `${name}: ${await page.textContent("#app")}`);
    const unlabelled = await page.$$eval("input:not([type=hidden]), select, textarea", (els) =>
      els.filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label")).map((e) => e.outerHTML));
    assert.deepEqual(unlabelled, [], `${name}: every control has a label`);
    await screenshot(page, name);
  }
  // First paint of the insights page on the demo data (reported, not asserted: speed is benchmarked, not tested).
  await page.goto(`${privet.url}/insights`);
  timings.insights_first_contentful_paint_ms = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime);
  // The keyboard reaches the skip link first, and it moves focus to the content.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip");
  await context.close();
});

test("a privacy officer reveals an identity with a reason; an analyst cannot", async () => {
  const [person] = (await privet.sql("SELECT person_id FROM events WHERE event = 'Signed up' ORDER BY person_id LIMIT 1"))[0];
  const expected = await privet.api(`/api/people/${person}/reveal`, { reason: "browser test: expected value" });

  const officer = await (await chromium.newContext()).newPage();
  await signIn(officer, "officer@example.com");
  await officer.waitForURL(/\/funnels|\/insights/);
  await officer.goto(`${privet.url}/people/${person}`);
  await ready(officer);
  await officer.fill("#reveal-reason", "DSR-7 access request");
  await officer.click("#reveal");
  await officer.waitForSelector("#identity");
  const shown = await officer.textContent("#identity");
  assert.ok(shown.includes(expected.personal_fields.$email), shown);
  await screenshot(officer, "person-revealed");

  const analyst = await (await chromium.newContext()).newPage();
  await signIn(analyst, "analyst@example.com");
  await analyst.waitForURL(/\/funnels|\/insights/);
  await analyst.goto(`${privet.url}/people/${person}`);
  await ready(analyst);
  assert.equal(await analyst.locator("#reveal").count(), 0, "no reveal button for analysts");
  assert.ok(!(await analyst.textContent("body")).includes(expected.personal_fields.$email));
  const refused = await analyst.evaluate(async (path) => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify({ reason: "curious analyst" }) });
    return r.status;
  }, `/api/people/${person}/reveal`);
  assert.equal(refused, 403);
  await analyst.goto(`${privet.url}/incidents`);
  assert.match(await analyst.textContent("h1"), /Not for your role/);

  // The audit log has both, with the reason, the pseudonym and no identity.
  const { entries } = await privet.api("/api/audit?action=identity.reveal");
  assert.ok(entries.some((e) => e.reason === "DSR-7 access request" && e.target === `person:${person}`));
  const denied = await privet.api("/api/audit?action=access.denied");
  assert.ok(denied.entries.length >= 1);
  const audit = await officer.context().newPage();
  await audit.goto(`${privet.url}/audit`);
  await ready(audit);
  await audit.click("#verify");
  await audit.waitForSelector("#app .notice");
  assert.match(await audit.textContent("#app .notice"), /Intact/);
  await screenshot(audit, "audit-verified");
});
