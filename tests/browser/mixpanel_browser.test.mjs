// The official mixpanel-browser SDK (from npm, unchanged) in Debian's headless Chromium, loaded in a page that
// this test serves on its own port, configured with `api_host` pointing at Privet. It tracks a page view and
// events, identifies a user and sets their profile; the events must arrive in Privet minimised: no IP, no
// email, no query string, the user agent reduced to families, the free text redacted, one person_id.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Privet, browser, screenshot, freePort, eventually } from "./privet.mjs";

const require = createRequire(import.meta.url);
const SDK = readFileSync(require.resolve("mixpanel-browser/dist/mixpanel.umd.js"));
let privet;
let chromium;
let site;
let siteUrl;

function page(token, api) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pricing · Example</title>
<script src="/mixpanel.umd.js"></script></head><body><h1>Pricing</h1><button id="buy">Buy</button>
<script>
  mixpanel.init(${JSON.stringify(token)}, { api_host: ${JSON.stringify(api)}, track_pageview: true, persistence: "localStorage",
    batch_requests: false, loaded: () => { window.mixpanelLoaded = true; } });
  document.getElementById("buy").addEventListener("click", () => {
    mixpanel.track("Clicked buy", { plan: "pro", note: "call me at +44 20 7946 0958 or bob.example@example.org" });
    mixpanel.identify("user-77");
    mixpanel.people.set({ $email: "bob.example@example.org", $name: "Bob Example", plan: "pro" });
    mixpanel.track("Upgraded plan", { plan: "pro" });
    window.done = true;
  });
</script></body></html>`;
}

before(async () => {
  // k = 1: one browser is one person, and with the default k = 10 its OS and browser (shared by fewer than ten
  // people) would be stored only coarsely; this test checks how the real user agent is reduced.
  privet = await Privet.start([], { PRIVET_PRIVACY__POLICY__K: "1" });
  const port = await freePort();
  siteUrl = `http://127.0.0.1:${port}`;
  site = createServer((req, res) => {
    if (req.url.startsWith("/mixpanel.umd.js")) {
      res.writeHead(200, { "Content-Type": "text/javascript" });
      res.end(SDK);
    } else {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.end(page(privet.token, privet.url));
    }
  });
  await new Promise((resolve) => site.listen(port, "127.0.0.1", resolve));
  chromium = await browser();
});

after(async () => {
  await chromium?.close();
  site?.close();
  await privet?.stop();
});

test("mixpanel-browser's events arrive in Privet, minimised", async () => {
  const context = await chromium.newContext();
  const tab = await context.newPage();
  const requests = [];
  tab.on("request", (r) => r.url().startsWith(privet.url) && requests.push(r.url()));
  await tab.goto(`${siteUrl}/pricing/plan-123?utm_source=newsletter&utm_campaign=winter&email=bob.example@example.org#top`);
  await tab.waitForFunction(() => window.mixpanelLoaded === true);
  await tab.click("#buy");
  await tab.waitForFunction(() => window.done === true);

  const rows = await eventually(async () => {
    const r = await privet.sql("SELECT event, person_id, url_path, utm_source, utm_campaign, os, browser, device_type, lib, properties FROM events ORDER BY time");
    return r.length >= 3 && r.some((x) => x[0] === "Upgraded plan") ? r : null;
  }, 30_000, "the SDK's events");
  await screenshot(tab, "mixpanel-browser-page");
  assert.ok(requests.some((u) => u.includes("/track")), `the SDK posted to Privet's /track: ${requests}`);

  const byEvent = Object.fromEntries(rows.map((r) => [r[0], r]));
  assert.ok(byEvent["$mp_web_page_view"], `a page view: ${rows.map((r) => r[0])}`);
  const [, , urlPath, utmSource, utmCampaign, os, browserName, device, lib, props] = byEvent["Clicked buy"];
  assert.equal(urlPath, "/pricing/:id", "the path is kept, its id-like segment and the query string are not");
  assert.equal(utmSource, "newsletter");
  assert.equal(utmCampaign, "winter");
  assert.equal(os, "Linux");
  assert.match(browserName, /Chrom/);
  assert.equal(device, "desktop", `device type from the user agent: ${JSON.stringify(byEvent["Clicked buy"])}`);
  assert.equal(lib, "web");
  assert.ok(props.includes("[phone]") && props.includes("[email]"), props);

  // identify() joined the anonymous device to the user: the events after it share one person with the page view.
  const persons = new Set(rows.map((r) => r[1]));
  assert.equal(persons.size, 1, `one person: ${[...persons]}`);

  // Nothing identifying anywhere in the analytics tables.
  const everything = JSON.stringify([
    await privet.sql("SELECT * FROM events"),
    await privet.sql("SELECT * FROM people"),
  ]);
  for (const secret of ["bob.example@example.org", "Bob Example", "7946 0958", "127.0.0.1", "user-77", "plan-123", "HeadlessChrome/"]) {
    assert.ok(!everything.includes(secret), `${secret} must not be stored: ${everything.slice(Math.max(0, everything.indexOf(secret) - 300), everything.indexOf(secret) + 100)}`);
  }
  // The vault has Bob, sealed: a privacy export finds him by email.
  const exported = await privet.api("/api/privacy/export", { id: "bob.example@example.org" });
  assert.equal(exported.people[0].personal_fields.$name, "Bob Example");
  await context.close();
});
