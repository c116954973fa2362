// Privet's dashboard pages. The server renders a shell (`templates/app.html`) naming the page; this module
// draws it from the JSON APIs, the same ones API keys use. Every call carries the session's CSRF token.
// Query pages keep their whole request in the URL (`?q=…`), so a link reproduces the chart exactly, and every
// table can be downloaded as CSV.

import { lineChart, barChart, funnelChart, retentionTable, sankey, legend, formatNumber } from "./charts.js";

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const app = document.getElementById("app");
const page = app?.dataset.page;
const args = JSON.parse(app?.dataset.args || "{}");
const params = new URLSearchParams(location.search);
let me = null;
let schema = null;

// ---------------------------------------------------------------------------------------------- helpers

/** Builds an element: h("button", {class: "x", onclick: f}, "text", child…). Text is never parsed as HTML. */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

let uid = 0;
/** A labelled form field: returns [wrapper, control]. */
function field(labelText, control, extra = "") {
  control.id ||= `f${++uid}`;
  const wrap = h("div", { class: `field ${extra}` }, h("label", { for: control.id }, labelText), control);
  return [wrap, control];
}

function select(options, value) {
  const s = h("select");
  for (const o of options) {
    const [v, label] = Array.isArray(o) ? o : [o, o];
    s.append(h("option", { value: v, selected: v === value }, label));
  }
  return s;
}

function project() {
  return document.getElementById("project")?.value || params.get("project") || "";
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error || `HTTP ${status}`);
    this.status = status;
    this.field = body?.field;
  }
}

/** Calls the JSON API with the session cookie and CSRF token; throws ApiError with the server's message. */
async function api(path, { method = "GET", body, withProject = true } = {}) {
  const url = new URL(path, location.origin);
  if (withProject && project()) url.searchParams.set("project", project());
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrf, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    throw new ApiError(401, { error: "signed out" });
  }
  const data = parseJson(await response.text());
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** JSON with 64-bit integers kept exact: pseudonyms (`person_id`, group ids) exceed JavaScript's 2^53, so
 * integers that would lose digits are kept as their text. */
function parseJson(text) {
  try {
    return JSON.parse(text, (key, value, context) =>
      typeof value === "number" && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source) ? context.source : value);
  } catch {
    return {};
  }
}

function showError(target, error) {
  target.replaceChildren(h("p", { class: "error", role: "alert" }, error.field ? `${error.message} (field: ${error.field})` : error.message));
}

function csvCell(v) {
  const s = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A data table with a caption and a "Download CSV" button. `rows` are arrays; `cells` may format them. */
function dataTable(caption, columns, rows, { numeric = [], cells, filename = "privet.csv", links } = {}) {
  const table = h("table", { class: "data" }, h("caption", {}, caption));
  const head = h("tr", {}, columns.map((c, i) => h("th", { scope: "col", class: numeric.includes(i) ? "num" : "" }, c)));
  table.append(h("thead", {}, head));
  const body = h("tbody");
  for (const row of rows) {
    body.append(
      h("tr", {}, row.map((v, i) => {
        const shown = cells ? cells(v, i, row) : typeof v === "number" ? formatNumber(v) : v ?? "";
        const link = links?.(v, i, row);
        return h("td", { class: numeric.includes(i) ? "num" : "" }, link ? h("a", { href: link }, shown) : shown);
      })),
    );
  }
  table.append(body);
  const download = h("button", {
    type: "button",
    class: "secondary small",
    onclick: () => {
      const text = [columns, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
      const a = h("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: filename });
      document.body.append(a);
      a.click();
      a.remove();
    },
  }, "Download CSV");
  return h("div", { class: "table-block" }, h("div", { class: "actions" }, download), h("div", { class: "scroll" }, table));
}

/** Seconds as people read them: "45 s", "12 min", "4.7 h", "3.2 d". */
function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

function today(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  return d.toISOString().slice(0, 10);
}

function timezone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** The query saved in the URL (`?q=` base64url JSON), or null. */
function savedQuery() {
  const q = params.get("q");
  if (!q) return null;
  try {
    return JSON.parse(decodeURIComponent(escape(atob(q.replace(/-/g, "+").replace(/_/g, "/")))));
  } catch {
    return null;
  }
}

function saveQuery(request) {
  const encoded = btoa(unescape(encodeURIComponent(JSON.stringify(request)))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const url = new URL(location.href);
  url.searchParams.set("q", encoded);
  if (project()) url.searchParams.set("project", project());
  history.replaceState(null, "", url);
  return url.toString();
}

function shareButton() {
  return h("button", {
    type: "button",
    class: "secondary small",
    onclick: async (e) => {
      try {
        await navigator.clipboard.writeText(location.href);
        e.target.textContent = "Link copied";
      } catch {
        e.target.textContent = "Copy the address bar to share";
      }
    },
  }, "Copy link");
}

function eventOptions(includeAny = false) {
  const names = (schema?.events || []).map((e) => e.event);
  return includeAny ? [["", "Any event"], ...names.map((n) => [n, n])] : names;
}

function propertyList() {
  const id = "properties-list";
  if (!document.getElementById(id)) {
    const list = h("datalist", { id });
    for (const p of [...(schema?.columns || []), ...(schema?.properties || [])]) list.append(h("option", { value: p }));
    document.body.append(list);
  }
  return id;
}

const OPS = ["=", "!=", "contains", "not contains", "in", "not in", ">", ">=", "<", "<=", "is set", "is not set"];

/** Editable filter rows; `get()` returns the API's `filters` list. */
function filterEditor(initial = [], legendText = "Filters") {
  const rows = h("div");
  const box = h("fieldset", {}, h("legend", {}, legendText), rows);
  const add = (f = {}) => {
    const prop = h("input", { list: propertyList(), placeholder: "property", value: f.property || "", "aria-label": "Filter property", size: 14 });
    const op = select(OPS, f.op || "=");
    op.setAttribute("aria-label", "Operator");
    const value = h("input", { placeholder: "value", value: Array.isArray(f.value) ? f.value.join(", ") : f.value ?? "", "aria-label": "Filter value", size: 14 });
    const row = h("div", { class: "row filter" }, prop, op, value, h("button", { type: "button", class: "secondary small", "aria-label": "Remove filter", onclick: () => row.remove() }, "×"));
    row._get = () => {
      if (!prop.value.trim()) return null;
      const o = op.value;
      const f = { property: prop.value.trim(), op: o };
      if (!o.startsWith("is")) {
        const raw = value.value.trim();
        if (o === "in" || o === "not in") f.value = raw.split(",").map((s) => s.trim()).filter(Boolean);
        else if ([">", ">=", "<", "<="].includes(o)) f.value = Number(raw);
        else f.value = raw;
      }
      return f;
    };
    rows.append(row);
  };
  initial.forEach(add);
  box.append(h("button", { type: "button", class: "secondary small", onclick: () => add() }, "+ Filter"));
  return { node: box, get: () => [...rows.children].map((r) => r._get()).filter(Boolean) };
}

function rangeFields(q) {
  const [fromWrap, from] = field("From", h("input", { type: "date", value: q.from || today(-29), required: true }));
  const [toWrap, to] = field("To", h("input", { type: "date", value: q.to || today(0), required: true }));
  const [tzWrap, tz] = field("Time zone", h("input", { value: q.timezone || timezone(), size: 16 }));
  return { nodes: [fromWrap, toWrap, tzWrap], get: () => ({ from: from.value, to: to.value, timezone: tz.value || "UTC" }) };
}

/** A query page: a builder form, a Run button, and a results area; runs at once when the URL holds a query. */
function queryPage(buildForm, endpoint, render) {
  const q = savedQuery() || {};
  const form = h("form", { class: "builder", novalidate: true });
  const results = h("section", { class: "results", "aria-label": "Results" });
  const getRequest = buildForm(form, q);
  const run = async () => {
    const request = getRequest();
    saveQuery(request);
    results.replaceChildren(h("p", { class: "loading" }, "Running…"));
    try {
      const t0 = performance.now();
      const answer = await api(endpoint, { method: "POST", body: request });
      results.replaceChildren(
        h("div", { class: "actions" }, shareButton(), h("span", { class: "hint" }, `answered in ${Math.round(performance.now() - t0)} ms`)),
        ...render(answer, request),
      );
      results.dataset.state = "done";
    } catch (e) {
      showError(results, e);
      results.dataset.state = "error";
    }
  };
  form.append(h("div", { class: "field" }, h("button", { type: "submit", id: "run" }, "Run")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    run();
  });
  app.replaceChildren(form, results);
  if (savedQuery()) run();
}

// ---------------------------------------------------------------------------------------------- analytics

function insights() {
  queryPage((form, q) => {
    const [evWrap, events] = field("Events", select(eventOptions(), null), "wide");
    events.multiple = true;
    events.size = 4;
    for (const o of events.options) o.selected = (q.events || []).includes(o.value);
    const [mWrap, measure] = field("Measure", select([["total", "Total events"], ["unique", "Unique people"], ["per_person", "Per person"], "sum", "avg", "min", "max", "median", "p90", "p99"], q.measure || "total"));
    const [pWrap, property] = field("Numeric property", h("input", { list: propertyList(), value: q.property || "", size: 12 }));
    const [bWrap, bucket] = field("Per", select(["hour", "day", "week", "month", "all"], q.bucket || "day"));
    const range = rangeFields(q);
    const filters = filterEditor(q.filters || []);
    const [byWrap, by] = field("Breakdown", h("input", { list: propertyList(), value: (q.breakdown || [])[0] || "", size: 12 }));
    const [by2Wrap, by2] = field("and by", h("input", { list: propertyList(), value: (q.breakdown || [])[1] || "", size: 12 }));
    const [limWrap, limit] = field("Top", h("input", { type: "number", min: 1, max: 100, value: q.limit || 10, size: 4 }));
    form.append(evWrap, mWrap, pWrap, bWrap, ...range.nodes, byWrap, by2Wrap, limWrap, filters.node);
    return () => {
      const r = { events: [...events.selectedOptions].map((o) => o.value), measure: measure.value, bucket: bucket.value, ...range.get(), filters: filters.get(), limit: Number(limit.value) || 10 };
      if (property.value.trim()) r.property = property.value.trim();
      const breakdown = [by.value.trim(), by2.value.trim()].filter(Boolean);
      if (breakdown.length) r.breakdown = breakdown;
      return r;
    };
  }, "/api/insights", (answer) => {
    const labels = answer.buckets.map((b) => String(b).slice(0, answer.buckets.length > 48 ? 13 : 10));
    const name = (s) => [s.event === "$any" ? "All events" : s.event, ...(s.breakdown || [])].map((x) => x ?? "(none)").join(" · ");
    const series = answer.series.slice(0, 10).map((s) => ({ name: name(s), values: s.values }));
    const chart = labels.length > 1 ? lineChart(labels, series, { label: "Insights over time" }) : barChart(answer.series.map((s) => ({ label: name(s), value: s.total })), { label: "Insights totals" });
    // One row per bucket, one column per series, and the totals last.
    const columns = ["Bucket", ...answer.series.map(name)];
    const rows = [...answer.buckets.map((b, i) => [b, ...answer.series.map((s) => s.values[i])]), ["Total", ...answer.series.map((s) => s.total)]];
    return [
      legend(series.map((s) => s.name)),
      h("div", { class: "chart" }, chart),
      dataTable("Insights", columns, rows, { numeric: columns.map((_, i) => i).slice(1), filename: "insights.csv" }),
    ];
  });
}

function funnels() {
  queryPage((form, q) => {
    const steps = h("div", { class: "steps" });
    const box = h("fieldset", { class: "wide" }, h("legend", {}, "Steps, in order"), steps);
    const addStep = (event = "") => {
      const s = select(eventOptions(), event);
      s.setAttribute("aria-label", `Step ${steps.children.length + 1} event`);
      const row = h("div", { class: "row step" }, h("span", { class: "n" }, `${steps.children.length + 1}.`), s, h("button", { type: "button", class: "secondary small", "aria-label": "Remove step", onclick: () => row.remove() }, "×"));
      row._get = () => ({ event: s.value });
      steps.append(row);
    };
    const initial = (q.steps || []).map((s) => s.event);
    (initial.length ? initial : eventOptions().slice(0, 2)).forEach(addStep);
    box.append(h("button", { type: "button", class: "secondary small", id: "add-step", onclick: () => addStep() }, "+ Step"));
    const [wWrap, windowInput] = field("Within", h("input", { value: q.window || "7d", size: 5 }));
    const [cWrap, countBy] = field("Count", h("input", { value: q.count_by || "person", size: 8, list: propertyList() }));
    const [byWrap, by] = field("Breakdown", h("input", { list: propertyList(), value: q.breakdown || "", size: 12 }));
    const range = rangeFields(q);
    form.append(box, wWrap, cWrap, byWrap, ...range.nodes);
    return () => {
      const r = { steps: [...steps.children].map((row) => row._get()), window: windowInput.value.trim() || "7d", ...range.get() };
      if (countBy.value.trim() && countBy.value.trim() !== "person") r.count_by = countBy.value.trim();
      if (by.value.trim()) r.breakdown = by.value.trim();
      return r;
    };
  }, "/api/funnels", (answer, request) => {
    const names = answer.steps.map((s) => s.event);
    const groups = answer.breakdown || [];
    const series = [{ name: "All", counts: answer.steps.map((s) => s.count) }, ...groups.slice(0, 6).map((b) => ({ name: String(b.value ?? "(none)"), counts: b.steps.map((s) => s.count) }))];
    const rows = answer.steps.map((s, i) => [i + 1, s.event, s.count, s.conversion === null ? null : +(100 * s.conversion).toFixed(2), s.step_conversion === null ? null : +(100 * s.step_conversion).toFixed(2), s.median_seconds, s.p90_seconds]);
    const out = [
      legend(series.map((s) => s.name)),
      h("div", { class: "chart" }, funnelChart(names, series, { label: `Funnel of ${names.length} steps` })),
      dataTable("Funnel steps", ["Step", "Event", "Count", "Conversion %", "From previous %", "Median seconds", "p90 seconds"], rows, {
        numeric: [0, 2, 3, 4, 5, 6], filename: "funnel.csv",
        cells: (v, i) => (i >= 5 ? duration(v) : typeof v === "number" ? formatNumber(v) : v ?? ""),
      }),
    ];
    if (groups.length) {
      const byRows = groups.map((b) => [b.value ?? null, ...b.steps.map((s) => s.count)]);
      out.push(dataTable(`By ${request.breakdown}`, [request.breakdown, ...names], byRows, { numeric: names.map((_, i) => i + 1), filename: "funnel-breakdown.csv" }));
    }
    return out;
  });
}

function retention() {
  queryPage((form, q) => {
    const [bWrap, birth] = field("People who did", select(eventOptions(), q.birth_event));
    const [rWrap, ret] = field("and came back to", select(eventOptions(true), q.return_event || ""));
    const [mWrap, mode] = field("Cohorts", select([["first_time", "First time"], ["recurring", "Recurring"]], q.mode || "first_time"));
    const [uWrap, bucket] = field("Per", select(["day", "week", "month"], q.bucket || "week"));
    const [pWrap, periods] = field("Periods", h("input", { type: "number", min: 1, max: 60, value: q.periods || 8, size: 4 }));
    const range = rangeFields({ from: today(-7 * 8), ...q });
    form.append(bWrap, rWrap, mWrap, uWrap, pWrap, ...range.nodes);
    return () => {
      const r = { birth_event: birth.value, mode: mode.value, bucket: bucket.value, periods: Number(periods.value) || 8, ...range.get() };
      if (ret.value) r.return_event = ret.value;
      return r;
    };
  }, "/api/retention", (answer, request) => {
    const rows = answer.cohorts.map((c) => [String(c.start).slice(0, 10), c.size, ...c.retained]);
    const periods = Math.max(0, ...answer.cohorts.map((c) => c.retained.length));
    return [
      retentionTable(answer.cohorts, request.bucket),
      dataTable("Retention (people)", ["Cohort", "People", ...Array.from({ length: periods }, (_, i) => `${request.bucket} ${i}`)], rows, { numeric: rows[0] ? rows[0].map((_, i) => i).slice(1) : [], filename: "retention.csv" }),
    ];
  });
}

function flows() {
  queryPage((form, q) => {
    const [eWrap, event] = field("Starting from", select(eventOptions(), q.event));
    const [dWrap, direction] = field("Direction", select([["after", "Next steps after"], ["before", "Steps before"]], q.direction || "after"));
    const [sWrap, steps] = field("Steps", h("input", { type: "number", min: 1, max: 10, value: q.steps || 3, size: 3 }));
    const range = rangeFields(q);
    form.append(eWrap, dWrap, sWrap, ...range.nodes);
    return () => ({ event: event.value, direction: direction.value, steps: Number(steps.value) || 3, ...range.get() });
  }, "/api/flows", (answer) => [
    h("div", { class: "chart" }, sankey(answer.nodes, answer.edges, { label: "Flows between events" })),
    dataTable("Flows", ["Step", "From", "To", "People"], answer.edges.map((e) => [e.step, e.from, e.to, e.count]), { numeric: [0, 3], filename: "flows.csv" }),
  ]);
}

// ---------------------------------------------------------------------------------------------- people & events

async function sql(text) {
  return api("/api/sql", { method: "POST", body: { sql: text, project: project() || undefined } });
}

function resultTable(caption, result, opts = {}) {
  return dataTable(caption, result.columns.map((c) => c.name), result.rows, {
    numeric: result.columns.map((c, i) => (/Int|Float|Decimal/.test(c.type) && c.name !== "person_id" ? i : -1)).filter((i) => i >= 0),
    ...opts,
  });
}

function personLink(result) {
  const at = result.columns.findIndex((c) => c.name === "person_id");
  return (v, i) => (i === at && v !== null ? `/people/${v}?project=${encodeURIComponent(project())}` : null);
}

async function liveEvents() {
  const status = h("p", { class: "hint", role: "status" });
  const area = h("div");
  const pause = h("button", { type: "button", class: "secondary small" }, "Pause");
  let paused = false;
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
  });
  app.replaceChildren(h("div", { class: "actions" }, pause, status), area);
  const tick = async () => {
    if (!paused) {
      try {
        const result = await sql("SELECT time, event, person_id, country, region, city, os, browser, device_type, referrer_domain, url_path, lib FROM events ORDER BY time DESC LIMIT 50");
        area.replaceChildren(resultTable("The 50 most recent events (pseudonymous)", result, { links: personLink(result), filename: "events.csv" }));
        status.textContent = `updated ${new Date().toLocaleTimeString()}`;
      } catch (e) {
        showError(area, e);
      }
    }
    setTimeout(tick, 3000);
  };
  tick();
}

async function people() {
  const input = h("input", { id: "person-id", inputmode: "numeric", placeholder: "person_id", size: 24 });
  const go = h("form", { class: "builder" }, ...field("Open a person by pseudonym", input), h("div", { class: "field" }, h("button", { type: "submit" }, "Open")));
  go.addEventListener("submit", (e) => {
    e.preventDefault();
    if (input.value.trim()) location.href = `/people/${encodeURIComponent(input.value.trim())}?project=${encodeURIComponent(project())}`;
  });
  const active = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const orgs = h("div");
  app.replaceChildren(go, h("h2", {}, "Most active people, last 7 days"), active, h("h2", {}, "Organisations"), orgs);
  try {
    const since = new Date(Date.now() - 7 * 86400000).toISOString();
    const result = await sql(`SELECT person_id, COUNT(*) AS events, MAX(time) AS last_seen, MIN(country) AS country FROM events WHERE time >= TIMESTAMP '${since}' AND person_id IS NOT NULL GROUP BY person_id ORDER BY events DESC LIMIT 25`);
    active.replaceChildren(resultTable("People by events", result, { links: personLink(result), filename: "people.csv" }));
  } catch (e) {
    showError(active, e);
  }
  try {
    const result = await sql("SELECT group_key, group_id, properties FROM groups ORDER BY group_key, group_id LIMIT 50");
    orgs.replaceChildren(resultTable("Organisations (group profiles)", result, {
      links: (v, i, row) => (i === 1 ? `/organisations/${encodeURIComponent(row[0])}/${v}?project=${encodeURIComponent(project())}` : null),
      filename: "organisations.csv",
    }));
  } catch (e) {
    showError(orgs, e);
  }
}

function properties(obj) {
  const entries = Object.entries(obj || {});
  if (!entries.length) return h("p", { class: "hint" }, "No properties.");
  return h("dl", { class: "facts" }, entries.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v))]));
}

/** The privacy officer's "who is this?" box: asks for a reason, which the audit log keeps. */
function revealBox(path) {
  if (!me?.permissions.includes("reveal")) return h("p", { class: "hint" }, "Identities are hidden. A privacy officer can reveal who this is, giving a reason that is audited.");
  const reason = h("input", { id: "reveal-reason", size: 40, placeholder: "ticket or request number, and why", required: true, minlength: 8 });
  const out = h("div", { role: "status" });
  const form = h("form", { class: "builder" }, ...field("Reason for revealing this identity (kept in the audit log)", reason, "wide"), h("div", { class: "field" }, h("button", { type: "submit", id: "reveal" }, "Reveal identity")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const identity = await api(path, { method: "POST", body: { reason: reason.value } });
      out.replaceChildren(h("div", { class: "revealed", id: "identity" },
        h("h3", {}, "Identity (do not copy it anywhere else)"),
        properties({ identifiers: identity.identifiers.join(", "), ...identity.personal_fields })));
    } catch (err) {
      showError(out, err);
    }
  });
  return h("div", {}, form, out);
}

async function person() {
  try {
    const p = await api(`/api/people/${encodeURIComponent(args.person_id)}`);
    const rows = p.events.map((e) => [e.time, e.event, e.country ?? null, e.os ?? null, e.browser ?? null, e.url_path ?? null]);
    app.replaceChildren(
      h("div", { class: "cards" },
        h("div", { class: "stat" }, h("div", { class: "n" }, String(p.person_id)), h("div", { class: "l" }, "person_id (pseudonym)")),
        h("div", { class: "stat" }, h("div", { class: "n" }, formatNumber(p.event_count)), h("div", { class: "l" }, "events")),
        h("div", { class: "stat" }, h("div", { class: "n" }, String(p.first_seen ?? "–").slice(0, 10)), h("div", { class: "l" }, "first seen")),
        h("div", { class: "stat" }, h("div", { class: "n" }, String(p.last_seen ?? "–").slice(0, 10)), h("div", { class: "l" }, "last seen"))),
      h("h2", {}, "Identity"), revealBox(`/api/people/${encodeURIComponent(args.person_id)}/reveal`),
      h("h2", {}, "Profile properties"), properties(p.properties),
      h("h2", {}, "Recent events"),
      dataTable("The 100 most recent events", ["Time", "Event", "Country", "OS", "Browser", "Page"], rows, { filename: `person-${p.person_id}.csv` }),
    );
  } catch (e) {
    showError(app, e);
  }
}

async function group() {
  try {
    const g = await api(`/api/groups/${encodeURIComponent(args.group_key)}/${encodeURIComponent(args.group_id)}`);
    const activity = g.activity || [];
    app.replaceChildren(
      h("p", {}, `${args.group_key} ${args.group_id} (pseudonym)`),
      h("h2", {}, "Identity"), revealBox(`/api/groups/${encodeURIComponent(args.group_key)}/${encodeURIComponent(args.group_id)}/reveal`),
      h("h2", {}, "Properties"), properties(g.properties),
      h("h2", {}, "Activity, last 30 days"),
      activity.length ? h("div", { class: "chart" }, lineChart(activity.map((a) => String(a.day).slice(5, 10)), [{ name: "events", values: activity.map((a) => a.events) }, { name: "people", values: activity.map((a) => a.people) }], { label: "Organisation activity" })) : h("p", { class: "hint" }, "No activity in the last 30 days."),
      legend(["events", "people"]),
      dataTable("Members", ["person_id", "Events", "Last seen"], (g.members || []).map((m) => [m.person_id, m.events, m.last_seen]), {
        numeric: [1], links: (v, i) => (i === 0 ? `/people/${v}?project=${encodeURIComponent(project())}` : null), filename: "members.csv",
      }),
      dataTable("Top events", ["Event", "Count"], (g.top_events || []).map((t) => [t.event, t.count]), { numeric: [1], filename: "top-events.csv" }),
    );
  } catch (e) {
    showError(app, e);
  }
}

// ---------------------------------------------------------------------------------------------- privacy

async function privacy() {
  try {
    const o = await api("/api/privacy/overview", { withProject: false });
    const t = o.activity.total;
    const stat = (n, l) => h("div", { class: "stat" }, h("div", { class: "n" }, formatNumber(n)), h("div", { class: "l" }, l));
    const hours = o.activity.hours;
    app.replaceChildren(
      h("h2", {}, "What the privacy pipeline did in the last 24 hours"),
      h("div", { class: "cards", id: "activity" },
        stat(t.fields_vaulted, "personal fields moved to the vault"),
        stat(t.spans_redacted, "spans of free text redacted"),
        stat(t.locations_looked_up, "IP addresses located, then discarded"),
        stat(t.locations_coarsened, "locations coarsened (fewer than k people)"),
        stat(t.clients_coarsened, "OS/browser combinations coarsened")),
      hours.length ? h("div", { class: "chart" }, barChart(hours.map((x) => ({ label: new Date(x.hour * 1000).toISOString().slice(11, 16) + " UTC", value: x.fields_vaulted + x.spans_redacted + x.locations_coarsened + x.clients_coarsened })), { label: "Minimisations per hour" })) : h("p", { class: "hint" }, "Nothing yet in the last 24 hours."),
      h("h2", {}, "The identity vault"),
      h("div", { class: "cards" }, stat(o.vault.subjects, "people and organisations"), stat(o.vault.identifiers, "identifiers (sealed)"), stat(o.vault.fields, "personal fields (sealed)")),
      h("p", { class: "hint" }, o.geoip ? "A GeoIP database is configured: addresses become coarse locations and are discarded." : "No GeoIP database is configured: addresses are discarded without a location."),
      h("h2", {}, "Active policy"),
      ...o.policies.map((p) => h("div", { class: "card" },
        h("h3", {}, `Project ${p.project}`),
        properties({
          "location precision": p.policy.location_precision,
          "k (people sharing a value before it is stored)": p.policy.k,
          "personal fields": p.policy.personal_fields,
          "group keys (organisations)": (p.policy.group_keys || []).join(", "),
          "identifier properties": (p.policy.identifier_properties || []).join(", ") || "–",
          "identifier patterns": (p.policy.identifier_patterns || []).join(", ") || "–",
          "per-property rules": Object.entries(p.policy.properties || {}).map(([k, v]) => `${k}: ${v}`).join(", ") || "–",
          retention: p.policy.retention_days ? `${p.policy.retention_days} days` : "kept until deleted",
        }))),
      h("h2", {}, "API keys and their roles"),
      dataTable("API keys", ["Id", "Role", "Project", "Label", "Created", "Revoked"], o.keys.map((k) => [k.id, k.role, k.project, k.label, k.created_at, k.revoked_at]), { filename: "keys.csv" }),
    );
  } catch (e) {
    showError(app, e);
  }
}

async function incidents() {
  try {
    const { incidents } = await api("/api/incidents", { withProject: false });
    if (!incidents.length) {
      app.replaceChildren(h("p", {}, "No incidents. When one happens: "), h("pre", { class: "report" }, 'privet incident open --title "Vendor breach" --aware-at 2026-11-27T09:00:00Z --reason "the vendor\'s notice"'));
      return;
    }
    app.replaceChildren(dataTable("Incidents", ["Id", "Title", "Aware at", "72-hour clock", "Authority notified"], incidents.map((x) => [x.incident.id, x.incident.title, x.incident.aware_at, x.clock.text, x.incident.authority_notified_at]), {
      cells: (v, i, row) => (i === 1 ? h("a", { href: `/incidents/${row[0]}` }, v) : v ?? "–"),
      filename: "incidents.csv",
    }));
  } catch (e) {
    showError(app, e);
  }
}

async function incident() {
  try {
    const d = await api(`/api/incidents/${encodeURIComponent(args.incident)}`, { withProject: false });
    const i = d.incident, a = d.assessment, n = d.notices;
    const stat = (v, l) => h("div", { class: "stat" }, h("div", { class: "n" }, formatNumber(v)), h("div", { class: "l" }, l));
    const timeline = [["Occurred", i.occurred_at], ["Detected", i.detected_at], ["Aware", i.aware_at], ["Processor notified", i.processor_notified_at], ["Authority notified", i.authority_notified_at], ["People notified", i.people_notified_at]];
    const progress = h("progress", { max: Math.max(1, n.total), value: n.sent, "aria-label": "Notices sent" });
    app.replaceChildren(
      h("h2", {}, i.title),
      h("p", { class: `clock${d.clock.late ? " late" : ""}`, id: "clock" }, d.clock.text),
      h("p", { class: "hint" }, `Deadline (aware + 72 h): ${d.clock.deadline}. Aware because: ${i.aware_reason}`),
      dataTable("Timeline", ["Step", "When"], timeline.map(([k, v]) => [k, v ?? "–"]), { filename: "timeline.csv" }),
      h("h2", {}, "Assessment"),
      a ? h("div", {},
        h("div", { class: "cards" }, stat(a.records, "leaked records"), stat(a.people, "affected people"), stat(a.organisations, "affected organisations"), stat(a.risk.high, "at high phishing risk"), stat(a.unmatched_records, "records matching nobody"), stat(a.canary_records, "canary records")),
        a.canaries.length ? h("p", { class: "error" }, `Canaries found: the leak came through ${a.canaries.map((c) => `${c.planted_for} (planted ${String(c.planted_at).slice(0, 10)})`).join(", ")}.`) : null,
        dataTable("People affected per category", ["Category", "People"], Object.entries(a.people_by_category), { numeric: [1], filename: "categories.csv" }),
        dataTable("People affected per country", ["Country", "People"], Object.entries(a.people_by_country), { numeric: [1], filename: "countries.csv" }))
        : h("pre", { class: "report" }, `Not assessed yet:\nprivet breach assess --incident ${i.id} LEAKED_FILE --accounts ACCOUNTS.csv`),
      h("h2", {}, "Notices"),
      h("p", {}, progress, ` ${formatNumber(n.sent)} of ${formatNumber(n.total)} sent · ${formatNumber(n.pending)} waiting · ${formatNumber(n.sending)} in doubt · ${formatNumber(n.failed)} failed`),
      h("h2", {}, "Report to the supervisory authority (Art. 33)"),
      d.report.missing.length ? h("div", { class: "error" }, h("p", {}, "Before sending, fill in:"), h("ul", {}, d.report.missing.map((m) => h("li", {}, m)))) : h("p", { class: "ok" }, "Every required item is filled in."),
      dataTable("Affected people per EU/EEA member state", ["Country", "Code", "People", "Authority"], d.report.member_states.map((s) => [s.country, s.code, s.people, s.authority]), { numeric: [2], filename: "member-states.csv" }),
      h("p", {}, h("a", { href: `/api/incidents/${i.id}/report.html`, target: "_blank", rel: "noopener" }, "Open the print-ready report (HTML, print to PDF)")),
      h("pre", { class: "report" }, d.report.markdown),
    );
  } catch (e) {
    showError(app, e);
  }
}

async function audit() {
  const action = h("input", { size: 16, placeholder: "e.g. identity." });
  const outcome = select([["", "any"], "ok", "denied", "failed"], "");
  const area = h("div");
  const verify = h("button", { type: "button", class: "secondary", id: "verify" }, "Verify the chain");
  const verdict = h("div", { role: "status" });
  const load = async () => {
    try {
      const q = new URLSearchParams({ action: action.value, outcome: outcome.value });
      const { entries } = await api(`/api/audit?${q}`, { withProject: false });
      area.replaceChildren(dataTable("Audit log (newest first)", ["#", "When", "Who", "Action", "Outcome", "On", "Reason"], entries.map((e) => [e.seq, e.at, e.actor, e.action, e.outcome, e.target, e.reason]), {
        numeric: [0], cells: (v, i) => (i === 4 ? h("span", { class: `pill ${v}` }, v) : v ?? "–"), filename: "audit.csv",
      }));
    } catch (e) {
      showError(area, e);
    }
  };
  verify.addEventListener("click", async () => {
    try {
      const v = await api("/api/audit/verify", { withProject: false });
      verdict.replaceChildren(v.ok
        ? h("p", { class: "notice" }, `Intact: ${formatNumber(v.entries)} entries, every seal and link checks out. Head ${v.head ?? "–"}.`)
        : h("div", { class: "error" }, h("p", {}, "The audit log was tampered with:"), h("ul", {}, v.problems.map((p) => h("li", {}, p)))));
    } catch (e) {
      showError(verdict, e);
    }
  });
  const form = h("form", { class: "builder" }, ...field("Action starts with", action), ...field("Outcome", outcome), h("div", { class: "field" }, h("button", { type: "submit" }, "Filter")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    load();
  });
  app.replaceChildren(form, h("div", { class: "actions" }, verify), verdict, area);
  load();
}

// ---------------------------------------------------------------------------------------------- admin

async function users() {
  const area = h("div");
  const created = h("div", { role: "status" });
  const email = h("input", { type: "email", size: 28, required: true, id: "new-user-email" });
  const role = select(["analyst", "privacy-officer", "admin"], "analyst");
  role.id = "new-user-role";
  const mfa = h("input", { type: "checkbox", id: "require-mfa" });
  const form = h("form", { class: "builder" }, ...field("Email", email), ...field("Role", role), h("div", { class: "field" }, h("button", { type: "submit" }, "Create user")));
  const load = async () => {
    try {
      const { users, require_mfa } = await api("/api/admin/users", { withProject: false });
      mfa.checked = require_mfa;
      area.replaceChildren(dataTable("Users", ["Id", "Email", "Role", "Two-step", "Status", "Actions"], users.map((u) => [u.id, u.email, u.role, u.mfa_enrolled ? "on" : "off", u.disabled_at ? "disabled" : u.locked_until && new Date(u.locked_until) > new Date() ? "locked" : "active", u]), {
        cells: (v, i) => {
          if (i !== 5) return v ?? "–";
          const u = v;
          const change = (body) => async () => {
            try {
              await api(`/api/admin/users/${u.id}`, { method: "POST", body, withProject: false });
              load();
            } catch (e) {
              showError(created, e);
            }
          };
          const roleSel = select(["analyst", "privacy-officer", "admin"], u.role);
          roleSel.setAttribute("aria-label", `Role of ${u.email}`);
          roleSel.addEventListener("change", () => change({ role: roleSel.value })());
          return h("div", { class: "row" }, roleSel,
            h("button", { type: "button", class: "secondary small", onclick: change({ disabled: !u.disabled_at }) }, u.disabled_at ? "Enable" : "Disable"),
            h("button", { type: "button", class: "secondary small", onclick: change({ unlock: true }) }, "Unlock"),
            u.mfa_enrolled ? h("button", { type: "button", class: "secondary small", onclick: change({ reset_mfa: true }) }, "Reset two-step") : null);
        },
        filename: "users.csv",
      }));
    } catch (e) {
      showError(area, e);
    }
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const r = await api("/api/admin/users", { method: "POST", body: { email: email.value, role: role.value }, withProject: false });
      created.replaceChildren(h("p", { class: "notice" }, `Created ${r.user.email}. Their one-time password (shown only now; they choose their own at first sign-in): `, h("code", { class: "secret", id: "new-password" }, r.password)));
      email.value = "";
      load();
    } catch (err) {
      showError(created, err);
    }
  });
  mfa.addEventListener("change", async () => {
    try {
      await api("/api/admin/settings", { method: "POST", body: { require_mfa: mfa.checked }, withProject: false });
    } catch (err) {
      showError(created, err);
    }
  });
  app.replaceChildren(h("div", { class: "row" }, mfa, h("label", { for: "require-mfa" }, "Require two-step verification for everyone")), form, created, area);
  load();
}

async function keys() {
  const area = h("div");
  const created = h("div", { role: "status" });
  const role = select(["analyst", "ingest", "privacy-officer", "admin"], "analyst");
  const label = h("input", { size: 20, placeholder: "what it is for" });
  const form = h("form", { class: "builder" }, ...field("Role", role), ...field("Label", label), h("div", { class: "field" }, h("button", { type: "submit" }, "Create key")));
  const projectsArea = h("div");
  const projectName = h("input", { size: 20, placeholder: "lowercase-name", pattern: "[a-z0-9][a-z0-9_-]{0,62}", id: "new-project" });
  const projectForm = h("form", { class: "builder" }, ...field("New project", projectName), h("div", { class: "field" }, h("button", { type: "submit" }, "Create project")));
  const shown = (what, secret) => created.replaceChildren(h("p", { class: "notice" }, `${what}, shown only now: `, h("code", { class: "secret" }, secret)));
  const load = async () => {
    try {
      const { keys, projects } = await api("/api/admin/keys", { withProject: false });
      const names = Object.fromEntries(projects.map((p) => [p.id, p.name]));
      area.replaceChildren(dataTable("API keys", ["Id", "Role", "Project", "Label", "Created", "Revoked", ""], keys.map((k) => [k.id, k.role, k.project ? names[k.project] : "all", k.label, k.created_at, k.revoked_at, k]), {
        cells: (v, i) => (i === 6 ? (v.revoked_at ? "" : h("button", { type: "button", class: "danger small", onclick: async () => {
          if (!confirm(`Revoke ${v.id}? Anything using it stops working at once.`)) return;
          await api(`/api/admin/keys/${v.id}/revoke`, { method: "POST", withProject: false });
          load();
        } }, "Revoke")) : v ?? "–"),
        filename: "keys.csv",
      }));
      projectsArea.replaceChildren(dataTable("Projects", ["Id", "Name", "Created", ""], projects.map((p) => [p.id, p.name, p.created_at, p]), {
        cells: (v, i) => (i === 3 ? h("button", { type: "button", class: "secondary small", onclick: async () => {
          if (!confirm(`Replace the ingestion token of ${v.name}? SDKs using the old one are refused at once.`)) return;
          try {
            const r = await api(`/api/admin/projects/${encodeURIComponent(v.name)}/rotate-token`, { method: "POST", withProject: false });
            shown(`The new ingestion token of ${v.name}`, r.token);
          } catch (e) {
            showError(created, e);
          }
        } }, "Rotate token") : v ?? "–"),
        filename: "projects.csv",
      }));
    } catch (e) {
      showError(area, e);
    }
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const body = { role: role.value, label: label.value || undefined };
      if (role.value !== "admin") body.project = project();
      const r = await api("/api/admin/keys", { method: "POST", body, withProject: false });
      shown(`Created ${r.key.id}. Its secret`, r.secret);
      load();
    } catch (err) {
      showError(created, err);
    }
  });
  projectForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const r = await api("/api/admin/projects", { method: "POST", body: { name: projectName.value.trim() }, withProject: false });
      shown(`Created project ${r.project.name}. Its ingestion token (for SDKs)`, r.token);
      projectName.value = "";
      load();
    } catch (err) {
      showError(created, err);
    }
  });
  app.replaceChildren(h("h2", {}, "API keys"), form, created, area, h("h2", {}, "Projects"), projectForm, projectsArea);
  load();
}

// ---------------------------------------------------------------------------------------------- start

const PAGES = { insights, funnels, retention, flows, events: liveEvents, people, person, group, privacy, incidents, incident, audit, users, keys };
const NEEDS_SCHEMA = new Set(["insights", "funnels", "retention", "flows"]);

async function start() {
  try {
    me = await api("/api/me", { withProject: false });
    const picker = document.getElementById("project");
    const wanted = params.get("project") || localStorage.getItem("privet.project") || "default";
    for (const p of me.projects) picker?.append(h("option", { value: p.name, selected: p.name === wanted }, p.name));
    picker?.addEventListener("change", () => {
      localStorage.setItem("privet.project", picker.value);
      const url = new URL(location.href);
      url.searchParams.set("project", picker.value);
      url.searchParams.delete("q");
      location.href = url.toString();
    });
    if (NEEDS_SCHEMA.has(page)) schema = await api("/api/schema");
    await PAGES[page]?.();
    app.dataset.ready = "true";
  } catch (e) {
    showError(app, e);
  }
}

start();
