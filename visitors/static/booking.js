// The booking form's helpers: says as one types whether the number reads as a NIK or a
// phone number, and keeps a slow connection from sending the form twice. The server
// checks everything again; this only saves a round trip.

import { say } from "/static/server/kit/i18n.js";

const input = document.getElementById("holder");
const note = document.querySelector("[data-holder-check]");

function read(text) {
  let n = text.replace(/[\s.\-()]/g, "");
  if (n.startsWith("+62")) n = `0${n.slice(3)}`;
  else if (n.startsWith("628")) n = `0${n.slice(2)}`;
  if (!n) return "";
  if (n.startsWith("08")) {
    return /^08\d{8,11}$/.test(n) ? say("Nomor HP ✓") : say("Nomor HP: 10–13 angka");
  }
  if (/^\d{16}$/.test(n)) return "NIK ✓";
  return say("NIK: {n} dari 16 angka", { n: n.length });
}

if (input && note) {
  input.addEventListener("input", () => {
    const said = read(input.value);
    note.textContent = said;
    note.classList.toggle("bad", Boolean(said) && !said.endsWith("✓"));
  });
}

for (const form of document.querySelectorAll("form")) {
  form.addEventListener("submit", (event) => {
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
}
// Back from the next page (bfcache): the form may be sent again.
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form")) delete form.dataset.sent;
});
