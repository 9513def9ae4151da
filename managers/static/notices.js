// Save a tenant's notice through the command API; the hall displays update over their sockets.
const csrf = document.querySelector('meta[name="csrf"]').content;
const text = JSON.parse(document.getElementById("notice-text").textContent);

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function save(form, notice) {
  const result = form.querySelector(".notice-result");
  result.textContent = text.saving;
  try {
    const response = await fetch("/api/commands", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      credentials: "same-origin",
      body: JSON.stringify({ type: "set_tenant_notice", tenant: form.dataset.tenant, text: notice, command_id: newId() }),
    });
    const answer = await response.json();
    result.textContent = answer.ok ? (notice ? text.saved : text.cleared) : answer.message;
  } catch {
    result.textContent = text.offline;
  }
}

for (const form of document.querySelectorAll(".notice-form")) {
  const field = form.elements.text;
  form.addEventListener("submit", (event) => { event.preventDefault(); save(form, field.value.trim()); });
  form.querySelector("[data-clear]").addEventListener("click", () => { field.value = ""; save(form, ""); });
}
