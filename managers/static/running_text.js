// Save the running text through the command API; the displays update over their sockets.
import { command } from "/static/server/kit/api.js";
import { say } from "/static/server/kit/i18n.js";

const form = document.getElementById("running-text-form");
const field = document.getElementById("text");
const result = document.getElementById("result");
const count = document.getElementById("count");
const csrf = document.querySelector('meta[name="csrf"]').content;
const SAVING = say("Menyimpan…");
const SAVED = say("Tersimpan: layar sudah menampilkannya.");
const OFFLINE = say("Tidak terhubung ke server, coba lagi.");
// A manager waits at the form: resend through a short outage, then say so.
const GIVE_UP_AFTER = 15000; // ms

function showCount() {
  count.textContent = `${field.value.length} / ${field.maxLength}`;
}

async function save(text) {
  result.textContent = SAVING;
  const answer = await command(
    { type: "set_running_text", text },
    { csrf, giveUpAfter: GIVE_UP_AFTER, words: { network: OFFLINE } },
  );
  result.textContent = answer.ok ? SAVED : answer.message;
}

form.addEventListener("submit", (event) => { event.preventDefault(); save(field.value); });
document.getElementById("clear").addEventListener("click", () => { field.value = ""; showCount(); save(""); });
field.addEventListener("input", showCount);
showCount();
