// Save a tenant's notice through the command API; the hall displays update over their sockets.
import { command } from "/static/server/kit/api.js";
import { phrases } from "/static/server/kit/i18n.js";

const csrf = document.querySelector('meta[name="csrf"]').content;
const phrase = phrases(JSON.parse(document.getElementById("notice-text").textContent));
// A manager waits at the form: resend through a short outage, then say so.
const GIVE_UP_AFTER = 15000; // ms

async function save(form, notice) {
  const result = form.querySelector(".notice-result");
  result.textContent = phrase("saving");
  const answer = await command(
    { type: "set_tenant_notice", tenant: form.dataset.tenant, text: notice },
    { csrf, giveUpAfter: GIVE_UP_AFTER, words: { network: phrase("offline") } },
  );
  result.textContent = answer.ok ? phrase(notice ? "saved" : "cleared") : answer.message;
}

for (const form of document.querySelectorAll(".notice-form")) {
  const field = form.elements.text;
  form.addEventListener("submit", (event) => { event.preventDefault(); save(form, field.value.trim()); });
  form.querySelector("[data-clear]").addEventListener("click", () => { field.value = ""; save(form, ""); });
}
