// Charts drawn as SVG with the DOM (no library, no innerHTML): line, horizontal bar, funnel bars, the retention
// triangle (an HTML table) and a Sankey diagram. Every chart has a text label for screen readers; every page
// also shows the numbers as a table.

const SVG = "http://www.w3.org/2000/svg";
// Okabe–Ito, readable by people with colour-vision deficiencies.
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999", "#7f3c8d"];

export function colour(i) {
  return PALETTE[i % PALETTE.length];
}

function el(name, attrs = {}, children = []) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const child of children) node.appendChild(child);
  return node;
}

function text(x, y, content, attrs = {}) {
  const node = el("text", { x, y, ...attrs });
  node.textContent = content;
  return node;
}

function titled(node, title) {
  const t = document.createElementNS(SVG, "title");
  t.textContent = title;
  node.appendChild(t);
  return node;
}

export function formatNumber(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (typeof v !== "number") return String(v);
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(v % 1e6 === 0 ? 0 : 1) + "M";
  if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(0) + "k";
  if (Number.isInteger(v)) return v.toLocaleString("en");
  return v.toLocaleString("en", { maximumFractionDigits: 2 });
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function root(width, height, label) {
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label });
  return svg;
}

/** A line chart: `labels` on x, one line per series `{name, values}`. */
export function lineChart(labels, series, { height = 300, label = "Line chart" } = {}) {
  const width = Math.max(640, Math.min(1300, labels.length * 28));
  const m = { l: 56, r: 16, t: 12, b: 44 };
  const w = width - m.l - m.r, h = height - m.t - m.b;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null))));
  const svg = root(width, height, label);
  const x = (i) => m.l + (labels.length <= 1 ? w / 2 : (i * w) / (labels.length - 1));
  const y = (v) => m.t + h - (v / max) * h;
  const grid = el("g", { class: "grid" });
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    grid.appendChild(el("line", { x1: m.l, x2: m.l + w, y1: y(v), y2: y(v) }));
    grid.appendChild(text(m.l - 6, y(v) + 4, formatNumber(v), { "text-anchor": "end" }));
  }
  svg.appendChild(grid);
  const every = Math.max(1, Math.ceil(labels.length / 12));
  labels.forEach((l, i) => {
    if (i % every === 0) svg.appendChild(text(x(i), height - m.b + 18, l, { "text-anchor": "middle" }));
  });
  series.forEach((s, si) => {
    const points = s.values.map((v, i) => (v === null ? null : `${x(i)},${y(v)}`)).filter(Boolean);
    svg.appendChild(el("polyline", { points: points.join(" "), fill: "none", stroke: colour(si), "stroke-width": 2 }));
    s.values.forEach((v, i) => {
      if (v === null) return;
      svg.appendChild(titled(el("circle", { cx: x(i), cy: y(v), r: 3, fill: colour(si) }), `${s.name} · ${labels[i]}: ${formatNumber(v)}`));
    });
  });
  return svg;
}

/** Horizontal bars: `[{label, value}]`. */
export function barChart(items, { label = "Bar chart", format = formatNumber } = {}) {
  const rowH = 24, width = 760, m = { l: 220, r: 80 };
  const height = items.length * rowH + 8;
  const max = Math.max(1, ...items.map((i) => i.value || 0));
  const svg = root(width, height, label);
  items.forEach((item, i) => {
    const y = 4 + i * rowH;
    const w = ((item.value || 0) / max) * (width - m.l - m.r);
    svg.appendChild(text(m.l - 8, y + 16, String(item.label).slice(0, 34), { "text-anchor": "end" }));
    svg.appendChild(titled(el("rect", { x: m.l, y: y + 3, width: Math.max(1, w), height: rowH - 8, fill: colour(item.colour ?? 0), rx: 2 }), `${item.label}: ${format(item.value)}`));
    svg.appendChild(text(m.l + w + 6, y + 16, format(item.value)));
  });
  return svg;
}

/** Funnel bars: one group per step, one bar per series (overall or per breakdown value), with conversion. */
export function funnelChart(stepNames, series, { label = "Funnel" } = {}) {
  const height = 320, m = { l: 56, r: 16, t: 24, b: 64 };
  const width = Math.max(640, stepNames.length * (series.length * 36 + 48) + m.l + m.r);
  const w = width - m.l - m.r, h = height - m.t - m.b;
  const max = niceMax(Math.max(1, ...series.flatMap((s) => s.counts)));
  const svg = root(width, height, label);
  const groupW = w / stepNames.length;
  const barW = Math.min(64, (groupW - 24) / series.length);
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4, yy = m.t + h - (v / max) * h;
    svg.appendChild(el("line", { x1: m.l, x2: m.l + w, y1: yy, y2: yy, stroke: "#d1d5db" }));
    svg.appendChild(text(m.l - 6, yy + 4, formatNumber(v), { "text-anchor": "end" }));
  }
  stepNames.forEach((name, i) => {
    const gx = m.l + i * groupW + 12;
    series.forEach((s, si) => {
      const c = s.counts[i] || 0, bh = (c / max) * h;
      const x = gx + si * barW;
      const conv = s.counts[0] ? ((100 * c) / s.counts[0]).toFixed(1) + "%" : "–";
      svg.appendChild(titled(el("rect", { x, y: m.t + h - bh, width: barW - 4, height: Math.max(0, bh), fill: colour(si), rx: 2 }), `${s.name} · step ${i + 1} ${name}: ${formatNumber(c)} (${conv})`));
      if (series.length === 1) svg.appendChild(text(x + (barW - 4) / 2, m.t + h - bh - 6, conv, { "text-anchor": "middle" }));
    });
    svg.appendChild(text(gx + (series.length * barW) / 2, height - m.b + 18, `${i + 1}. ${name}`.slice(0, 28), { "text-anchor": "middle" }));
  });
  return svg;
}

/** The retention triangle as a table: rows are cohorts, columns periods, cells shaded by the share retained. */
export function retentionTable(cohorts, bucket, caption = "Retention by cohort") {
  const table = document.createElement("table");
  table.className = "data retention";
  const cap = table.createCaption();
  cap.textContent = caption;
  const periods = Math.max(0, ...cohorts.map((c) => c.retained.length));
  const head = table.createTHead().insertRow();
  for (const h of ["Cohort", "People", ...Array.from({ length: periods }, (_, i) => `${bucket} ${i}`)]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    if (h !== "Cohort") th.className = "num";
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const c of cohorts) {
    const row = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = String(c.start).slice(0, 10);
    row.appendChild(th);
    const size = row.insertCell();
    size.className = "num";
    size.textContent = formatNumber(c.size);
    for (let i = 0; i < periods; i++) {
      const cell = row.insertCell();
      cell.className = "heat";
      const v = c.retained[i];
      if (v === null || v === undefined) {
        cell.textContent = "";
        continue;
      }
      const share = c.size ? v / c.size : 0;
      cell.textContent = `${(100 * share).toFixed(1)}%`;
      cell.title = `${formatNumber(v)} of ${formatNumber(c.size)}`;
      // Lightness from 97% (none) to 45% (all); text turns white on dark cells for contrast.
      const light = 97 - 52 * share;
      cell.style.background = `hsl(215 80% ${light}%)`;
      if (light < 62) cell.style.color = "#fff";
    }
  }
  return table;
}

/** A Sankey diagram of flows: `nodes` `{step, event, count}`, `edges` `{step, from, to, count}` (from step-1 to step). */
export function sankey(nodes, edges, { label = "Flows" } = {}) {
  const steps = Math.max(0, ...nodes.map((n) => n.step)) + 1;
  const colW = 200, nodeW = 14, gap = 10, height = 440, m = 20;
  const width = Math.max(640, steps * colW + 140);
  const svg = root(width, height, label);
  const byStep = Array.from({ length: steps }, (_, s) => nodes.filter((n) => n.step === s));
  const totals = byStep.map((col) => col.reduce((a, n) => a + n.count, 0));
  const scale = Math.min(...totals.map((t, s) => (t ? (height - 2 * m - gap * (byStep[s].length - 1)) / t : Infinity)));
  // One colour per event, the same in every column.
  const events = [...new Set(nodes.map((n) => n.event))];
  const pos = new Map();
  byStep.forEach((col, s) => {
    let y = m;
    const x = m + s * colW;
    col.forEach((n) => {
      const h = Math.max(2, n.count * scale);
      pos.set(`${s}|${n.event}`, { x, y, h, outY: y, inY: y });
      svg.appendChild(titled(el("rect", { x, y, width: nodeW, height: h, fill: colour(events.indexOf(n.event)), rx: 2 }), `step ${s}: ${n.event} — ${formatNumber(n.count)}`));
      svg.appendChild(text(x + nodeW + 6, y + Math.min(h / 2 + 4, h + 12), `${n.event} (${formatNumber(n.count)})`.slice(0, 30)));
      y += h + gap;
    });
  });
  for (const e of [...edges].sort((a, b) => b.count - a.count)) {
    const from = pos.get(`${e.step - 1}|${e.from}`), to = pos.get(`${e.step}|${e.to}`);
    if (!from || !to) continue;
    const t = Math.max(1, e.count * scale);
    const x0 = from.x + nodeW, x1 = to.x, y0 = from.outY + t / 2, y1 = to.inY + t / 2, mid = (x0 + x1) / 2;
    from.outY += t;
    to.inY += t;
    svg.insertBefore(titled(el("path", { d: `M${x0},${y0} C${mid},${y0} ${mid},${y1} ${x1},${y1}`, fill: "none", stroke: "#94a3b8", "stroke-opacity": 0.45, "stroke-width": t }), `${e.from} → ${e.to}: ${formatNumber(e.count)}`), svg.firstChild);
  }
  return svg;
}

/** A legend list for series names. */
export function legend(names) {
  const ul = document.createElement("ul");
  ul.className = "legend";
  names.forEach((name, i) => {
    const li = document.createElement("li");
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = colour(i);
    li.append(sw, String(name));
    ul.appendChild(li);
  });
  return ul;
}
