// The managers' live dashboard: one socket topic (manager:all or manager:<tenant>), figures,
// alerts and charts redrawn from each view the server pushes. No polling.

import { fill } from "/static/server/kit/i18n.js";
import { connect } from "/static/server/socket.js";
import { AlertList } from "./alerts.js";
import { TenantChart } from "./charts.js";
import { FiguresTable } from "./table.js";

const CLOSE_FORBIDDEN = 4403;
const root = document.getElementById("dashboard");
const text = JSON.parse(document.getElementById("dashboard-text").textContent);
const columns = JSON.parse(document.getElementById("dashboard-columns").textContent);
const csrf = document.querySelector('meta[name="csrf"]').content;
const timeZone = root.dataset.timezone;
const numbers = new Intl.NumberFormat(text.locale, { maximumFractionDigits: 1 });
const monthName = new Intl.DateTimeFormat(text.locale, { month: "long", year: "numeric", timeZone: "UTC" });
const ikmNumbers = new Intl.NumberFormat(text.locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const clock = new Intl.DateTimeFormat(text.locale, { hour: "2-digit", minute: "2-digit", timeZone });
const $ = (id) => document.getElementById(id);

function time(iso) {
  return iso ? clock.format(new Date(iso)) : text.none;
}

function format(kind, value) {
  if (value === null || value === undefined || value === "") return text.none;
  if (kind === "int") return numbers.format(value);
  if (kind === "min") return fill(text.minutes, { n: numbers.format(value) });
  if (kind === "pct") return `${numbers.format(value)} %`;
  if (kind === "ikm") return ikmNumbers.format(value);
  if (kind === "sla") return `${numbers.format(value[0])} · ${numbers.format(value[1])}`;
  return String(value);
}

const overSla = (row) => (row.sla && row.sla[0] > 0 ? "is-over" : "");
const tables = {
  tenants: new FiguresTable($("tenants"), columns.tenants, { format, locale: text.locale, sortKey: "longest_wait", rowClass: overSla }),
  services: new FiguresTable($("services"), columns.services, { format, locale: text.locale, sortKey: "longest_wait", rowClass: overSla }),
  counters: new FiguresTable($("counters"), columns.counters, { format, locale: text.locale, sortKey: "idle_minutes" }),
  zones: new FiguresTable($("zones"), columns.zones, { format, locale: text.locale, sortKey: "name", descending: false }),
  ikm: new FiguresTable($("ikm-tenants"), columns.ikm, { format, locale: text.locale, sortKey: "ikm_value", descending: false }),
};
const charts = {
  waiting: new TenantChart($("chart-waiting"), { label: text.chart_waiting, timeZone, field: "waiting", locale: text.locale }),
  wait: new TenantChart($("chart-wait"), { label: text.chart_wait, timeZone, field: "avg_wait", locale: text.locale }),
};
const alerts = new AlertList({
  list: $("alerts"), empty: $("alerts-empty"), count: $("alert-count"), text, time, csrf,
});
const filter = $("tenant-filter");
let latest = null;

function figureRow(id, name, figures) {
  return {
    id,
    name,
    ...figures,
    counters: `${figures.counters_open} · ${figures.counters_break} · ${figures.counters_closed}`,
    sla: [figures.sla_over, figures.sla_breaches],
  };
}

function serviceRows(tenants) {
  const chosen = filter.value;
  return tenants
    .filter((tenant) => !chosen || tenant.id === chosen)
    .flatMap((tenant) => tenant.services.map((service) => ({
      ...figureRow(service.id, service.name, service.figures),
      tenant_name: tenant.name,
      sla_minutes: service.sla_minutes,
      last_servable: service.quota_enough ? text.quota_enough : (service.last_servable ?? text.nothing_more),
    })));
}

function counterRows(tenants) {
  return tenants.flatMap((tenant) => tenant.counters.map((counter) => ({
    ...counter,
    tenant_name: tenant.name,
    status_text: text[`status_${counter.status}`] || counter.status,
  })));
}

function zoneRows(zones) {
  return zones.map((zone) => ({
    id: zone.id,
    name: zone.name,
    screens: `${zone.connected} / ${zone.displays}`,
    audio_text: text[`audio_${zone.audio || "none"}`] || zone.audio,
  }));
}

function renderKpis(figures) {
  for (const cell of document.querySelectorAll("[data-kpi]")) {
    const key = cell.dataset.kpi;
    let shown;
    if (key === "counters") shown = `${figures.counters_open} · ${figures.counters_break} · ${figures.counters_closed}`;
    else if (key === "sla") shown = format("sla", [figures.sla_over, figures.sla_breaches]);
    else if (["longest_wait", "avg_wait", "p90_wait"].includes(key)) shown = format("min", figures[key]);
    else if (key === "no_show_rate") shown = format("pct", figures[key]);
    else shown = format("int", figures[key]);
    cell.textContent = shown;
  }
  document.querySelector(".kpi-sla").classList.toggle("is-over", figures.sla_over > 0);
}

// "IKM bulan ini": the month-to-date index of the scope, and per tenant in the venue's view.
function renderIkm(view) {
  const ikm = view.ikm;
  const answered = Boolean(ikm && ikm.respondents > 0);
  const [year, month] = ikm ? ikm.month.split("-").map(Number) : [0, 0];
  $("ikm-month").textContent = ikm ? `· ${monthName.format(new Date(Date.UTC(year, month - 1, 15)))}` : "";
  $("ikm-empty").hidden = answered;
  $("ikm-kpis").hidden = !answered;
  if (answered) {
    const cell = (key) => document.querySelector(`[data-ikm="${key}"]`);
    cell("value").textContent = format("ikm", ikm.value);
    cell("grade").textContent = fill(text.ikm_grade, { mutu: ikm.mutu, kinerja: text.kinerja[ikm.kinerja] || ikm.kinerja });
    cell("respondents").textContent = format("int", ikm.respondents);
    cell("weakest").textContent = text.unsur[ikm.weakest] || ikm.weakest;
  }
  const several = view.scope === "all" && view.tenants.length > 1;
  $("ikm-tenants-wrap").hidden = !several || !answered;
  if (several) {
    tables.ikm.render(view.tenants.map((tenant) => {
      const own = tenant.ikm && tenant.ikm.respondents > 0 ? tenant.ikm : null;
      return {
        id: tenant.id,
        name: tenant.name,
        ikm_value: own ? own.value : null,
        mutu: own ? own.mutu : "",
        kinerja_text: own ? text.kinerja[own.kinerja] || own.kinerja : "",
        ikm_respondents: own ? own.respondents : 0,
        weakest_text: own ? text.unsur[own.weakest] || own.weakest : "",
      };
    }));
  }
}

function renderFilter(tenants) {
  const wanted = tenants.map((tenant) => tenant.id).join("|");
  $("tenant-filter-wrap").hidden = tenants.length < 2;
  if (filter.dataset.tenants === wanted) return;
  filter.dataset.tenants = wanted;
  const chosen = filter.value;
  const all = new Option(text.all_tenants, "");
  filter.replaceChildren(all, ...tenants.map((tenant) => new Option(tenant.name, tenant.id)));
  filter.value = tenants.some((tenant) => tenant.id === chosen) ? chosen : "";
}

function show(view) {
  latest = view;
  $("loading").hidden = true;
  root.dataset.ready = "true";
  $("scope").textContent = view.scope === "all" ? "" : ` · ${view.tenants[0]?.name ?? ""}`;
  $("updated").textContent = view.day ? fill(text.updated, { time: view.updated }) : text.no_day;
  renderKpis(view.figures);
  renderIkm(view);
  alerts.render(view.alerts);
  renderFilter(view.tenants);
  tables.tenants.render(view.tenants.map((tenant) => figureRow(tenant.id, tenant.name, tenant.figures)));
  tables.services.render(serviceRows(view.tenants));
  tables.counters.render(counterRows(view.tenants));
  $("zones-panel").hidden = view.zones.length === 0;
  tables.zones.render(zoneRows(view.zones));
  const sampled = view.tenants.some((tenant) => tenant.series.times.length > 0);
  $("charts-empty").hidden = sampled;
  $("charts-empty").textContent = text.chart_empty;
  charts.waiting.update(view.tenants);
  charts.wait.update(view.tenants);
}

function setStatus(status) {
  const marker = $("status");
  marker.dataset.status = status;
  marker.textContent = text[status] || status;
}

// Each connection starts from a fresh snapshot: the figures move with the clock between log
// events, so a resumed position would say "nothing missed" while waits kept growing.
let attempt = 0;
function open() {
  const handle = connect({
    topics: [root.dataset.topic],
    onMessage: ({ data }) => { attempt = 0; show(data); },
    onStatus: (status, code) => {
      setStatus(status);
      if (status !== "offline") return;
      handle.close();
      if (code === CLOSE_FORBIDDEN) return;
      attempt += 1;
      setTimeout(open, Math.min(15000, 500 * 2 ** attempt) * (0.75 + Math.random() / 2));
    },
  });
}

filter.addEventListener("change", () => { if (latest) tables.services.render(serviceRows(latest.tenants)); });
const soundButton = $("sound");
soundButton.addEventListener("click", () => {
  alerts.sound = !alerts.sound;
  if (alerts.sound) alerts.unlockAudio();
  soundButton.setAttribute("aria-pressed", String(alerts.sound));
  soundButton.textContent = alerts.sound ? text.sound_on : text.sound_off;
});
document.addEventListener("click", () => alerts.unlockAudio(), { once: true });
open();
