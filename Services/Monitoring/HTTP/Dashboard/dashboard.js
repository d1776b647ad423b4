// IntelliCore monitoring dashboard: the initial state from the monitoring API, then live
// updates from GET /v1/monitoring/stream (Server-Sent Events read with fetch, so that the API key
// travels in the Authorization header). No build step, no dependencies.
"use strict";
window.__dashboardLoadedAt = Date.now(); // a reload would reset this: the browser test checks it
const state = { key: null, versions: new Map(), selected: null, updates: 0, health: new Map(), jobs: new Map() };
const $ = (id) => document.getElementById(id);
const text = (value) => document.createTextNode(value);
const fmt = (value, digits = 2) => (value === null || value === undefined ? "—" : Number(value).toFixed(digits));

async function api(path) {
  const answer = await fetch(path, { headers: { Authorization: `Bearer ${state.key}` } });
  if (!answer.ok) throw new Error(`${path}: ${answer.status} ${await answer.text()}`);
  return answer.json();
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    if (cell instanceof Node) td.appendChild(cell); else td.appendChild(text(cell));
    tr.appendChild(td);
  }
  return tr;
}

function chart(canvas, series, colors, unit) {
  const context = canvas.getContext("2d"), width = canvas.width, height = canvas.height;
  context.clearRect(0, 0, width, height);
  const values = series.flat().filter((v) => Number.isFinite(v));
  const top = Math.max(1e-9, ...values) * 1.1;
  context.strokeStyle = "#eceef2"; context.fillStyle = "#6b7380"; context.font = "11px system-ui";
  for (let i = 0; i <= 4; i++) {
    const y = 10 + ((height - 20) * i) / 4;
    context.beginPath(); context.moveTo(40, y); context.lineTo(width, y); context.stroke();
    context.fillText(`${fmt(top * (1 - i / 4), top < 1 ? 3 : 0)}${unit}`, 0, y + 4);
  }
  series.forEach((points, index) => {
    context.strokeStyle = colors[index]; context.lineWidth = 2; context.beginPath();
    points.forEach((value, i) => {
      const x = 40 + ((width - 40) * i) / Math.max(1, 119), y = 10 + (height - 20) * (1 - (value || 0) / top);
      if (i === 0) context.moveTo(x, y); else context.lineTo(x, y);
    });
    context.stroke();
  });
}

function versionKey(model, version) { return `${model}/${version}`; }

function seriesOf(key) {
  if (!state.versions.has(key)) state.versions.set(key, { throughput: [], p50: [], p95: [], p99: [], errors: [], last: null });
  return state.versions.get(key);
}

function push(list, value) { list.push(value); if (list.length > 120) list.shift(); }

function onMetrics(summaries) {
  for (const summary of summaries) {
    const key = versionKey(summary.model_name, summary.model_version), series = seriesOf(key);
    push(series.throughput, summary.throughput_per_second);
    const latency = summary.latency_seconds || {};
    push(series.p50, latency.p50 || 0); push(series.p95, latency.p95 || 0); push(series.p99, latency.p99 || 0);
    push(series.errors, summary.error_rate || 0);
    series.last = summary;
    if (!state.selected || (state.versions.get(state.selected).last || {}).answers === 0) state.selected = key;
  }
  render();
}

function render() {
  if (!state.selected) return;
  const series = state.versions.get(state.selected), last = series.last;
  chart($("throughput-chart"), [series.throughput], ["#2460c8"], "/s");
  chart($("latency-chart"), [series.p50, series.p95, series.p99], ["#2e9b57", "#c98a00", "#c33"], "s");
  chart($("error-chart"), [series.errors.map((v) => v * 100)], ["#c33"], "%");
  $("throughput-value").textContent = `${state.selected}: ${fmt(last.throughput_per_second, 1)} answers/s`;
  const latency = last.latency_seconds;
  $("latency-value").textContent = latency ? `${fmt(latency.p50 * 1000, 1)} / ${fmt(latency.p95 * 1000, 1)} / ${fmt(latency.p99 * 1000, 1)} ms` : "—";
  $("error-value").textContent = last.error_rate === null || last.error_rate === undefined ? "—" : `${fmt(last.error_rate * 100, 2)} %`;
  const quality = last.live_accuracy !== null && last.live_accuracy !== undefined ? `accuracy ${fmt(last.live_accuracy, 3)}`
    : last.live_mae !== null && last.live_mae !== undefined ? `MAE ${fmt(last.live_mae, 4)}` : "no feedback";
  $("quality-value").textContent = `${quality} (${last.feedback} feedback)`;
  const predictions = last.predictions || {};
  $("predictions").textContent = predictions.class_counts
    ? `predicted classes (1 min): ${predictions.class_counts.map((count, index) => `${index}: ${count}`).join(" · ")}`
    : predictions.mean !== undefined && predictions.mean !== null
      ? `predicted values (1 min): mean ${fmt(predictions.mean, 3)}, sd ${fmt(predictions.standard_deviation, 3)}, min ${fmt(predictions.minimum, 3)}, max ${fmt(predictions.maximum, 3)}`
      : "no answers yet";
}

function onDrift(drift) {
  const key = versionKey(drift.model_name, drift.model_version);
  if (state.selected && key !== state.selected) return;
  $("drift-version").textContent = `${key} · ${drift.report.rows} sampled rows · ${fmt(drift.report.drifted_share * 100, 0)} % drifted${drift.report.dataset_drift ? " · dataset drift" : ""}`;
  const body = $("drift").tBodies[0];
  body.replaceChildren(...drift.report.scores.map((score) => {
    const bar = document.createElement("div");
    bar.className = score.drifted ? "bar drifted" : "bar";
    bar.style.width = `${Math.min(300, score.psi * 300)}px`;
    return row([score.feature, fmt(score.psi, 3), fmt(score.ks, 3), fmt(score.js, 3), bar]);
  }));
}

function onAlert(alert) {
  const item = document.createElement("li");
  item.className = alert.state === "raised" ? "failing" : "healthy";
  item.textContent = `${new Date(alert.at).toLocaleTimeString()} ${alert.model_name}/${alert.model_version} ${alert.condition} ${alert.state} (${fmt(alert.value, 3)} vs ${fmt(alert.threshold, 3)})`;
  $("alerts").prepend(item);
}

function onJob(job) {
  state.jobs.set(job.job_id, job);
  const items = [...state.jobs.values()].sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1)).slice(0, 20).map((entry) => {
    const item = document.createElement("li"), bar = document.createElement("progress");
    bar.max = entry.epochs || 1; bar.value = entry.status === "completed" ? bar.max : entry.epoch || 0;
    const loss = entry.metrics && entry.metrics.loss !== undefined ? ` loss ${fmt(entry.metrics.loss, 4)}` : "";
    item.append(text(`${entry.model_name} ${entry.status} ${entry.epoch || 0}/${entry.epochs || "?"}${loss} `), bar);
    return item;
  });
  $("jobs").replaceChildren(...items);
}

async function loadModels() {
  const page = await api("/v1/monitoring/models?limit=100");
  const body = $("models").tBodies[0];
  const rows = [];
  for (const model of page.items) {
    const health = document.createElement("span");
    health.id = `health-${model.model_name}`;
    try {
      const found = await api(`/v1/monitoring/models/${encodeURIComponent(model.model_name)}/health`);
      health.textContent = found.items.map((entry) => `v${entry.model_version} ${entry.health} (${fmt(entry.score, 2)})`).join(", ") || "no traffic judged yet";
    } catch (error) { health.textContent = "—"; }
    const aliases = model.aliases.map((alias) => `${alias.alias}: ${alias.traffic_policy.routes.map((r) => `v${r.version} ${fmt(r.weight * 100, 0)} %`).join(" + ")}`);
    rows.push(row([model.model_name, model.versions.map((v) => `v${v.version}`).join(" "), aliases.join("; ") || "not deployed", health]));
  }
  body.replaceChildren(...rows);
}

async function stream() {
  while (true) {
    try {
      const answer = await fetch("/v1/monitoring/stream", { headers: { Authorization: `Bearer ${state.key}` } });
      if (!answer.ok) throw new Error(`stream: ${answer.status}`);
      $("connection").textContent = "live"; $("connection").className = "badge on";
      const reader = answer.body.getReader(), decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end); buffer = buffer.slice(end + 2);
          let name = "message", data = "";
          for (const line of frame.split("\n")) {
            if (line.startsWith("event: ")) name = line.slice(7); else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (!data) continue;
          const payload = JSON.parse(data);
          state.updates += 1; $("updates").textContent = String(state.updates);
          if (name === "metrics") onMetrics(payload);
          else if (name === "drift") onDrift(payload);
          else if (name === "alert") onAlert(payload);
          else if (name === "training") onJob(payload);
          else if (name === "deployment" || name === "health") loadModels().catch(() => {});
        }
      }
    } catch (error) { console.warn(error); }
    $("connection").textContent = "reconnecting"; $("connection").className = "badge off";
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function start() {
  $("login").hidden = true; $("board").hidden = false;
  try {
    const who = await api("/v1/monitoring/alerts?limit=50");
    for (const alert of who.items.reverse()) onAlert(alert);
    const jobs = await api("/v1/monitoring/training-jobs?limit=20");
    for (const job of jobs.items) onJob(job);
    await loadModels();
  } catch (error) {
    $("connection").textContent = String(error.message || error); return;
  }
  stream();
}

const fromHash = new URLSearchParams(location.hash.slice(1)).get("key");
if (fromHash) { sessionStorage.setItem("intellicore.key", fromHash); history.replaceState(null, "", location.pathname); }
state.key = sessionStorage.getItem("intellicore.key");
$("login").addEventListener("submit", (event) => {
  event.preventDefault(); state.key = $("key").value.trim(); sessionStorage.setItem("intellicore.key", state.key); start();
});
if (state.key) start(); else $("login").hidden = false;
