// Save the running text through the command API; the displays update over their sockets.
const form = document.getElementById("running-text-form");
const field = document.getElementById("text");
const result = document.getElementById("result");
const count = document.getElementById("count");
const csrf = document.querySelector('meta[name="csrf"]').content;
const english = document.documentElement.lang === "en";

function showCount() {
  count.textContent = `${field.value.length} / ${field.maxLength}`;
}

async function save(text) {
  result.textContent = english ? "Saving…" : "Menyimpan…";
  try {
    const response = await fetch("/api/commands", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ type: "set_running_text", text, command_id: crypto.randomUUID() }),
    });
    const answer = await response.json();
    result.textContent = answer.ok ? (english ? "Saved: the displays show it now." : "Tersimpan: layar sudah menampilkannya.") : answer.message;
  } catch {
    result.textContent = english ? "No connection to the server; try again." : "Tidak terhubung ke server, coba lagi.";
  }
}

form.addEventListener("submit", (event) => { event.preventDefault(); save(field.value); });
document.getElementById("clear").addEventListener("click", () => { field.value = ""; showCount(); save(""); });
field.addEventListener("input", showCount);
showCount();
