// The report form: daily or monthly, then a download with a visible "being built" state.
import { el } from "/static/server/kit/dom.js";
import { say } from "/static/server/kit/i18n.js";

const form = document.getElementById("report-form");
const result = document.getElementById("result");
const button = document.getElementById("download");

for (const radio of form.querySelectorAll('input[name="kind"]')) {
  radio.addEventListener("change", () => {
    const monthly = form.kind.value === "month";
    form.date.disabled = monthly;
    form.month.disabled = !monthly;
  });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const query = new URLSearchParams(new FormData(form));
  query.delete("kind");
  button.disabled = true;
  result.textContent = say("Menyusun laporan… (laporan bulanan bisa beberapa detik)");
  try {
    const answer = await fetch(`${form.action}?${query}`);
    if (!answer.ok) throw new Error(await answer.text());
    const name = /filename="([^"]+)"/.exec(answer.headers.get("content-disposition") || "");
    const link = el("a", { href: URL.createObjectURL(await answer.blob()), download: name ? name[1] : "laporan" });
    link.click();
    URL.revokeObjectURL(link.href);
    result.textContent = say("Laporan diunduh: {file}", { file: link.download });
  } catch (error) {
    result.textContent = error.message || say("Gagal menyusun laporan. Coba lagi.");
  } finally {
    button.disabled = false;
  }
});
