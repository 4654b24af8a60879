// bilateral-monitor ops dashboard: plain JS, no dependencies, talks only to the worker serving it.
// Polls /ready, /cluster/metrics (every worker's /metrics, added up), /relationships
// (+ /relationships/{dyad}) and /alerts every POLL_MS.
"use strict";

const POLL_MS = 3000;
const STATUSES = ["proposed", "under_discussion", "agreed", "in_progress", "fulfilled",
  "paused", "postponed", "reversed", "lapsed"];
const SVG = "http://www.w3.org/2000/svg";
let previous = null; // last metrics sample, for throughput

function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

async function getJson(url) {
  const response = await fetch(url, { cache: "no-store" });
  return { status: response.status, body: await response.json() };
}

// -- Prometheus text ------------------------------------------------------------------------

function parseMetrics(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    if (m[2]) for (const part of m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[part[1]] = part[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

function sum(samples, name, filter = () => true) {
  return samples.filter(s => s.name === name && filter(s.labels)).reduce((a, s) => a + s.value, 0);
}

function group(samples, name, label) {
  const out = {};
  for (const s of samples.filter(x => x.name === name)) {
    out[s.labels[label]] = (out[s.labels[label]] || 0) + s.value;
  }
  return out;
}

function card(label, value, detail, extra) {
  return el("div", { class: "card", "data-card": label },
    el("div", { class: "label", text: label }),
    (() => { const v = el("div", { class: "value" }); v.innerHTML = value; return v; })(),
    detail ? el("div", { class: "detail", text: detail }) : null, extra || null);
}

function shortTopic(topic) { return topic.replace(/^.*bilateral\./, ""); }

function renderOps(cluster) {
  const samples = cluster.workers.flatMap(w => parseMetrics(w.metrics));
  const workers = `${cluster.workers.length} worker${cluster.workers.length === 1 ? "" : "s"}` +
    (cluster.partial ? " (some did not answer)" : "");
  const now = Date.now();
  const consumed = sum(samples, "bilateral_events_consumed_total");
  const produced = sum(samples, "bilateral_events_produced_total");
  let rate = "–";
  if (previous) {
    const secs = (now - previous.at) / 1000;
    rate = ((consumed - previous.consumed) / secs).toFixed(1);
  }
  previous = { at: now, consumed };
  const lagSamples = samples.filter(s => s.name === "bilateral_consumer_lag_messages")
    .sort((a, b) => (a.labels.topic + a.labels.partition).localeCompare(b.labels.topic + b.labels.partition));
  const lag = lagSamples.reduce((a, s) => a + s.value, 0);
  const maxLag = Math.max(1, ...lagSamples.map(s => s.value));
  const bars = el("div", { class: "bars", title: "lag per partition" },
    ...lagSamples.map(s => el("span", {
      style: `height:${Math.max(2, 22 * s.value / maxLag)}px`,
      title: `${shortTopic(s.labels.topic)}[${s.labels.partition}]: ${s.value}`,
    })));
  const inbound = group(samples, "bilateral_events_consumed_total", "topic");
  const inText = Object.entries(inbound).map(([t, v]) => `${shortTopic(t)} ${v}`).join(" · ");
  const dead = group(samples, "bilateral_deadletters_total", "reason");
  const deadTotal = Object.values(dead).reduce((a, b) => a + b, 0);
  const bySeverity = group(samples, "bilateral_alerts_total", "severity");
  const alerts = Object.values(bySeverity).reduce((a, b) => a + b, 0);
  const latCount = sum(samples, "bilateral_processing_latency_seconds_count");
  const latSum = sum(samples, "bilateral_processing_latency_seconds_sum");
  const recovered = sum(samples, "bilateral_tables_recovered");
  const ops = document.getElementById("ops");
  ops.replaceChildren(
    card("consumer lag", `${lag} <small>messages</small>`,
      `${workers} · ${lagSamples.length} partitions` +
      (recovered < cluster.workers.length ? " · tables recovering" : ""), bars),
    card("throughput", `${rate} <small>msg/s in</small>`, `${consumed} in · ${produced} out · ${inText}`),
    card("dead letters", `${deadTotal}`,
      Object.entries(dead).map(([r, v]) => `${r}: ${v}`).join(" · ") || "none"),
    card("alerts sent", `${alerts}`,
      ["info", "warning", "critical"].map(s => `${s} ${bySeverity[s] || 0}`).join(" · ")),
    card("event → alert latency",
      latCount ? `${(1000 * latSum / latCount).toFixed(0)} <small>ms mean</small>` : "–",
      `${latCount} observations with alerts`),
  );
}

// -- timelines --------------------------------------------------------------------------------

function fmtDate(iso) { return iso ? iso.slice(0, 10) : "–"; }

// What needs attention (as service/domain/attention.py): a cooperative commitment paused,
// postponed, lapsed, reversed or contested; a restrictive measure announced or in effect.
const ATTENTION = {
  cooperative: ["reversed", "lapsed", "paused", "postponed"],
  restrictive: ["in_progress", "agreed"],
};

function needsAttention(c) {
  return Boolean(c.contested) || ATTENTION[c.direction || "cooperative"].includes(c.status);
}

function attentionRank(c) {
  const list = ATTENTION[c.direction || "cooperative"];
  if (list.includes(c.status)) return list.indexOf(c.status);
  return needsAttention(c) ? list.length : list.length + 1;
}

function statusText(c) {
  return c.status.replace("_", " ") + (c.contested ? " (contested)" : "");
}

function timeline(state) {
  // Those that need attention first (reversed, lapsed, paused, postponed, contested), then by
  // first appearance.
  const commitments = [...state.commitments].sort((a, b) =>
    attentionRank(a) - attentionRank(b) ||
    a.first_seen.localeCompare(b.first_seen) || a.title.localeCompare(b.title));
  const times = commitments.flatMap(c => c.status_history.map(h => Date.parse(h.at)));
  const end = Math.max(...times, state.as_of ? Date.parse(state.as_of) : 0);
  const start = Math.min(...times);
  const span = Math.max(end - start, 86400000);
  // The current status of each commitment always gets the last `tail` units of its row, labelled,
  // so a status set by the latest event (a reversal, say) reads at a glance instead of as a dot.
  const width = 1000, labelW = 380, rowH = 26, top = 24, right = 16, tail = 110;
  const height = top + rowH * commitments.length + 8;
  const x = t => labelW + (width - labelW - right - tail) * (t - start) / span;
  const svg = el("svg:svg", { class: "timeline", viewBox: `0 0 ${width} ${height}`,
    role: "img", "aria-label": `commitment timeline of ${state.dyad}` });
  const axis = el("svg:g", { class: "axis" });
  const first = new Date(start);
  for (let d = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1)); d.getTime() <= end;
    d.setUTCMonth(d.getUTCMonth() + 1)) {
    if (d.getTime() < start) continue;
    const px = x(d.getTime());
    if (px > width - right - tail - 48) break;
    axis.append(el("svg:line", { x1: px, x2: px, y1: top - 6, y2: height - 4 }),
      el("svg:text", { x: px + 3, y: 12, text: d.toISOString().slice(0, 7) }));
  }
  axis.append(el("svg:text", { x: width - right - tail + 8, y: 12, text: "now" }));
  svg.append(axis);
  commitments.forEach((c, i) => {
    const y = top + i * rowH;
    const attention = needsAttention(c);
    const row = el("svg:g", { class: `commitment${attention ? " attention" : ""}`,
      "data-commitment-id": c.id, "data-status": c.status });
    const label = c.title.length > 34 ? c.title.slice(0, 33) + "…" : c.title;
    row.append(el("svg:text", { x: 0, y: y + 16, class: "commitment-title" },
      document.createTextNode(label), el("svg:title", { text: c.title })));
    row.append(el("svg:text", { x: labelW - 12, y: y + 16, "text-anchor": "end",
      class: "current-status", style: `fill:var(--${c.status})`, "data-status": c.status,
      text: (attention ? "⚠ " : "") + statusText(c) }));
    row.append(el("svg:rect", { class: "track", x: labelW, y: y + 4, width: width - labelW - right,
      height: rowH - 8, rx: 3 }));
    c.status_history.forEach((h, k) => {
      const last = k + 1 === c.status_history.length;
      const from = Date.parse(h.at);
      const x0 = x(from);
      const x1 = last ? width - right : x(Date.parse(c.status_history[k + 1].at));
      const w = Math.max(3, x1 - x0);
      const seg = el("svg:rect", { x: x0, y: y + 4, width: w, height: rowH - 8, rx: 3,
        fill: `var(--${h.status})`, class: last ? "segment current" : "segment past",
        "data-status": h.status });
      const source = h.evidence ? ` · ${h.evidence.source}: “${h.evidence.sentence}”` : " · by the clock";
      seg.append(el("svg:title", { text: `${c.title}: ${h.status} from ${fmtDate(h.at)}${source}` }));
      row.append(seg);
      if (w > 70) row.append(el("svg:text", { x: x0 + 8, y: y + 17,
        class: last ? "seg-label current" : "seg-label past", text: h.status.replace("_", " ") }));
      row.append(el("svg:circle", { cx: x0, cy: y + rowH / 2, r: 4, class: "change",
        fill: `var(--${h.status})` }));
    });
    svg.append(row);
  });
  if (state.as_of) {
    const px = x(Date.parse(state.as_of));
    svg.append(el("svg:line", { class: "clock", x1: px, x2: px, y1: top - 6, y2: height - 4 }));
  }
  return svg;
}

function legend() {
  return el("div", { class: "legend" }, ...STATUSES.map(s =>
    el("span", {}, el("i", { style: `background:var(--${s})` }), s.replace("_", " "))));
}

async function renderRelationships() {
  const { body } = await getJson("/relationships");
  const target = document.getElementById("relationships");
  const sections = [];
  for (const summary of body.relationships) {
    const { status, body: state } = await getJson(`/relationships/${summary.dyad}`);
    if (status !== 200) continue;
    const counts = Object.entries(summary.by_status).map(([s, n]) => `${n} ${s.replace("_", " ")}`).join(", ");
    sections.push(el("section", { class: "dyad", "data-dyad": state.dyad },
      el("div", { class: "dyad-head" },
        el("h2", { text: state.dyad }),
        el("span", { class: "muted",
          text: `${state.commitments.length} commitment${state.commitments.length === 1 ? "" : "s"} (${counts}) · ${state.engagements.length} engagements · clock ${fmtDate(state.as_of)}` })),
      legend(),
      state.commitments.length ? timeline(state) : el("p", { class: "empty", text: "no commitments yet" })));
  }
  if (!sections.length) sections.push(el("p", { class: "empty", text: "no relationships yet" }));
  if (body.partial) sections.push(el("p", { class: "muted", text: "some workers did not answer" }));
  target.replaceChildren(...sections);
}

async function renderAlerts() {
  const { body } = await getJson("/alerts?limit=60");
  document.getElementById("alert-count").textContent = `(${body.count} most recent)`;
  const items = body.alerts.map(a => el("li", { class: `alert ${a.severity}`, "data-alert-id": a.alert_id,
    "data-kind": a.kind, "data-dyad": a.dyad },
    el("div", { class: "top" },
      el("span", { class: "kind", text: a.kind.replace("commitment.", "").replace("_", " ") }),
      el("span", { class: "badge", text: `${a.dyad} · ${a.severity}` })),
    el("div", { class: "reason", text: a.reason }),
    el("div", { class: "meta", text: `event ${fmtDate(a.event_time)} · sent ${a.emitted_at.slice(11, 19)} UTC` })));
  const list = document.getElementById("alerts");
  list.replaceChildren(...(items.length ? items : [el("li", { class: "empty", text: "no alerts yet" })]));
}

async function renderReady() {
  const pill = document.getElementById("ready");
  try {
    const { body } = await getJson("/ready");
    const failing = Object.entries(body.checks).filter(([, ok]) => !ok).map(([k]) => k.replace("_", " "));
    pill.textContent = body.ready ? "ready" : `not ready: ${failing.join(", ")}`;
    pill.className = `pill ${body.ready ? "pill-ok" : "pill-bad"}`;
  } catch (e) {
    pill.textContent = "worker unreachable";
    pill.className = "pill pill-bad";
  }
}

async function refresh() {
  const jobs = [
    renderReady(),
    fetch("/cluster/metrics", { cache: "no-store" }).then(r => r.json()).then(renderOps),
    renderRelationships(),
    renderAlerts(),
  ];
  const results = await Promise.allSettled(jobs);
  for (const r of results) if (r.status === "rejected") console.error(r.reason);
  document.getElementById("updated").textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC`;
  document.body.dataset.loaded = "true";
}

refresh();
setInterval(refresh, POLL_MS);
