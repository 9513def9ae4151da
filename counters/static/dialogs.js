// The two dialogs of the console (native <dialog>): call a specific number, and transfer.
// Each validates its form, hands the command to `run` and stays open with the server's
// message when it is refused. Escape closes them (the browser's own "cancel").

import { el } from "/static/server/kit/dom.js";
import { word } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let run = null; // (action, command, context) -> Promise<{ok, message}>
let returnFocus = null;

export function setupDialogs(runCommand) {
  run = runCommand;
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("close", () => {
      showError(dialog, "");
      if (returnFocus && returnFocus.isConnected) returnFocus.focus();
      returnFocus = null;
    });
    for (const button of dialog.querySelectorAll("[data-close]")) {
      button.addEventListener("click", () => dialog.close());
    }
  }
  $("specific-form").addEventListener("submit", submitSpecific);
  $("specific-choices").addEventListener("change", (event) => {
    $("specific-label").value = event.target.dataset.label;
  });
  $("transfer-form").addEventListener("submit", submitTransfer);
  $("transfer-form").addEventListener("change", showTransferTarget);
}

export function dialogOpen() {
  return document.querySelector("dialog[open]") !== null;
}

function open(dialog, focus) {
  returnFocus = document.activeElement;
  showError(dialog, "");
  dialog.showModal();
  focus.focus();
}

function showError(dialog, message) {
  const box = dialog.querySelector(".dialog-error");
  box.textContent = message;
  box.hidden = !message;
}

// --- call a specific number --------------------------------------------------------------

export function openSpecific(view, ticketId = "") {
  const choices = $("specific-choices");
  choices.replaceChildren(...view.waiting.map((t) => choice(t, t.id === ticketId)));
  $("specific-none").hidden = view.waiting.length > 0;
  const chosen = view.waiting.find((t) => t.id === ticketId);
  $("specific-label").value = chosen ? chosen.label : "";
  $("specific-reason").value = "";
  open($("specific-dialog"), chosen ? $("specific-reason") : $("specific-label"));
}

function choice(ticket, checked) {
  const waited = ticket.priority ? ` · ★ ${word("priority")}` : "";
  return el(
    "label",
    { class: "choice" },
    el("input", { type: "radio", name: "pick", value: ticket.id, checked, dataset: { label: ticket.label } }),
    el("span", { class: "row-label", text: ticket.label }),
    el("span", { class: "row-service", text: `${ticket.service_name}${waited}` }),
  );
}

async function submitSpecific(event) {
  event.preventDefault();
  const dialog = $("specific-dialog");
  const typed = $("specific-label").value.trim();
  const reason = $("specific-reason").value.trim();
  const picked = dialog.querySelector("input[name=pick]:checked");
  if (!typed) return invalid(dialog, $("specific-label"), word("needTicket"));
  if (!reason) return invalid(dialog, $("specific-reason"), word("needReason"));
  // A picked row is sent by id; a typed number by its label (the server reads "a12" too).
  const ticket = picked && picked.dataset.label === typed ? picked.value : typed;
  await submit(dialog, "call_specific", { ticket, reason });
}

function invalid(dialog, field, message) {
  field.setAttribute("aria-invalid", "true");
  field.addEventListener("input", () => field.removeAttribute("aria-invalid"), { once: true });
  showError(dialog, message);
  field.focus();
}

async function submit(dialog, action, command) {
  const button = dialog.querySelector("button[type=submit]");
  if (button.getAttribute("aria-disabled") === "true") return;
  button.setAttribute("aria-disabled", "true");
  try {
    const result = await run(action, command);
    if (result.ok) dialog.close();
    else showError(dialog, result.message);
  } finally {
    button.setAttribute("aria-disabled", "false");
  }
}

// --- transfer ----------------------------------------------------------------------------

export function openTransfer(view) {
  $("transfer-ticket").textContent = view.current ? view.current.label : "";
  $("transfer-form").reset();
  showTransferTarget();
  open($("transfer-dialog"), $("transfer-service"));
}

function showTransferTarget() {
  const toCounter = $("transfer-form").elements.target.value === "counter";
  $("transfer-service-field").hidden = toCounter;
  $("transfer-counter-field").hidden = !toCounter;
}

async function submitTransfer(event) {
  event.preventDefault();
  const form = $("transfer-form");
  const dialog = $("transfer-dialog");
  const front = form.elements.front.value === "1";
  if (form.elements.target.value === "counter") {
    const select = $("transfer-counter");
    if (!select.value) return invalid(dialog, select, word("needCounter"));
    const target = select.selectedOptions[0].textContent;
    return submit(dialog, "transfer", { to_counter: select.value, front, target });
  }
  const select = $("transfer-service");
  if (!select.value) return invalid(dialog, select, word("needService"));
  const target = select.selectedOptions[0].textContent;
  return submit(dialog, "transfer", { service: select.value, front, target });
}
