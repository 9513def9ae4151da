// Drawing a zone view onto the hall screen. Data only ever goes in through textContent.

import { el } from "/static/server/kit/dom.js";
import { fill } from "/static/server/kit/i18n.js";

const HIGHLIGHT_MS = 5000;
const TICKER_EM_PER_SECOND = 5; // about nine characters a second: readable while walking by

/** Every `[data-field]` element under `root`, by its field name. */
export function fields(root) {
  const found = {};
  for (const element of root.querySelectorAll("[data-field]")) found[element.dataset.field] = element;
  return found;
}

/** "Loket 3" for a counter labelled "3" or "Loket 3" (venues write labels either way). */
export function counterName(label, text) {
  const word = text.counter;
  return label.toLowerCase().startsWith(`${word.toLowerCase()} `) ? label : `${word} ${label}`;
}

/** What the screen reader says for a call: "Nomor antrean A-007, silakan menuju Loket 3." */
export function announcement(call, text) {
  const template = call.recall ? text.announce_recall : text.announce;
  return fill(template, { label: call.label, counter: counterName(call.counter_label, text) });
}

export function renderView(f, view, text) {
  f.venue.textContent = view.venue;
  f.zone.textContent = view.zone_name;
  f.loading.hidden = true;
  renderCurrent(f, view.calls[0], text);
  renderRecent(f, earlierCalls(view.calls), text);
  renderLanes(f.lanes, view.tenants, text);
  renderTicker(f, view.running_text);
}

/** The calls before the current one, each ticket once (its newest call): a recall of the
 * ticket on screen, or of an older one, must not list the same visitor twice. */
export function earlierCalls(calls) {
  const listed = new Set(calls.slice(0, 1).map((call) => call.ticket));
  return calls.slice(1).filter((call) => !listed.has(call.ticket) && listed.add(call.ticket));
}

function renderCurrent(f, call, text) {
  f.empty.hidden = Boolean(call);
  f.current.hidden = !call;
  if (!call) return;
  f.current.dataset.callId = call.id;
  f.recall.hidden = !call.recall;
  f.label.textContent = call.label;
  f.counter.textContent = counterName(call.counter_label, text);
  f.tenant.textContent = call.tenant_name;
  f.service.textContent = call.service_name;
}

function renderRecent(f, calls, text) {
  f.recent.replaceChildren(...calls.map((call) => recentItem(call, text)));
  f["recent-empty"].hidden = calls.length > 0;
}

function recentItem(call, text) {
  const item = el("li", { class: "recent-item", dataset: { callId: call.id } });
  item.append(
    el("span", { class: "recent-label", text: call.label }),
    el("span", { class: "recent-counter", text: counterName(call.counter_label, text) }),
    el("span", { class: "recent-tenant", text: call.tenant_name }),
  );
  return item;
}

function renderLanes(list, tenants, text) {
  list.replaceChildren(...tenants.map((tenant) => tenantItem(tenant, text)));
}

function tenantItem(tenant, text) {
  const item = el("li", { class: "tenant", dataset: { tenant: tenant.tenant } });
  // Wider cards for tenants with more lanes, so every card wraps its chips alike.
  item.style.setProperty("--lanes", String(Math.max(1, tenant.lanes.length)));
  const [before, after] = text.waiting_total.split("{n}");
  const count = el("p", { class: "tenant-count" });
  count.append(before, el("span", { class: "tenant-number", text: String(tenant.waiting) }), after);
  const lanes = el("ul", { class: "lane-chips" });
  lanes.append(...tenant.lanes.map((lane) => laneChip(lane, text)));
  item.append(el("p", { class: "tenant-name", text: tenant.name }), count, lanes);
  if (tenant.notice) item.append(el("p", { class: "tenant-notice", text: tenant.notice }));
  return item;
}

function laneChip(lane, text) {
  const chip = el("li", {
    class: lane.waiting ? "lane" : "lane lane-empty",
    dataset: { lane: lane.id },
    "aria-label": fill(text.lane, { prefix: lane.prefix, n: lane.waiting }),
    title: lane.name,
  });
  chip.append(
    el("span", { class: "lane-prefix", text: lane.prefix }),
    el("span", { class: "lane-waiting", text: String(lane.waiting) }),
  );
  return chip;
}

function renderTicker(f, runningText) {
  const content = (runningText || "").trim();
  f.ticker.hidden = !content;
  if (!content || f["running-text"].textContent === content) return;
  f["running-text"].textContent = content;
  fitTicker(f);
}

/** A constant reading speed whatever the text's length or the screen's width. */
export function fitTicker(f) {
  const span = f["running-text"];
  if (f.ticker.hidden) return;
  const fontSize = parseFloat(getComputedStyle(span).fontSize) || 16;
  const speed = fontSize * TICKER_EM_PER_SECOND; // px per second
  const seconds = Math.max(8, span.offsetWidth / speed);
  // Skip the stretch where the text only slides in from the right edge, on the first pass.
  const lead = Math.min(seconds, f.ticker.clientWidth / speed);
  span.style.setProperty("--ticker-duration", `${seconds.toFixed(1)}s`);
  span.style.setProperty("--ticker-delay", `${(-lead).toFixed(1)}s`);
}

let highlightTimer = null;

/** Flash the "now calling" panel for a few seconds (restarting if a call is already flashing). */
export function highlight(panel, call) {
  clearTimeout(highlightTimer);
  panel.classList.remove("is-new");
  void panel.offsetWidth; // a reflow, so the animation starts over rather than carrying on
  panel.classList.add("is-new");
  panel.dataset.highlighted = call.id;
  highlightTimer = setTimeout(() => panel.classList.remove("is-new"), HIGHLIGHT_MS);
}
