// The complaint form's helpers. Counts the characters of the report as one types, empties
// and locks the contact when the report is anonymous, shrinks a phone camera's photo to fit
// the 2 MB limit (a canvas re-encoding, which also drops its metadata before it leaves the
// phone), and keeps a slow connection from sending the form twice. Without scripts the form
// still works: the server checks everything again and says what to fix.

import { lang, say } from "/static/server/kit/i18n.js";

const form = document.querySelector("[data-complaint-form]");
const MAX_SIDE = 1600;

function countWords(text, low, high) {
  const n = text.trim().length;
  if (n === 0) return say("{low} sampai {high} karakter.", { low, high });
  if (n < low) return say("{n} karakter, kurang {left} lagi.", { n, left: low - n });
  return say("{n} dari {high} karakter.", { n, high });
}

async function shrink(file) {
  // createImageBitmap honours the EXIF orientation, so the copy is upright.
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.85));
  if (!blob) throw new Error("no blob");
  const name = file.name.replace(/\.[^.]*$/, "") || "foto";
  return new File([blob], `${name}.jpg`, { type: "image/jpeg" });
}

function megabytes(bytes) {
  const text = (bytes / (1024 * 1024)).toFixed(1);
  return lang() === "en" ? text : text.replace(".", ",");
}

if (form) {
  const text = form.querySelector("#isi");
  const count = form.querySelector("[data-count]");
  const low = Number(text.minLength) || 10;
  const high = Number(text.maxLength) || 3000;
  const update = () => { count.textContent = countWords(text.value, low, high); };
  text.addEventListener("input", update);
  update();

  const anonymous = form.querySelector("[data-anonymous]");
  const contact = form.querySelector("#kontak");
  const lock = () => {
    contact.disabled = anonymous.checked;
    if (anonymous.checked) contact.value = "";
  };
  anonymous.addEventListener("change", lock);
  lock();

  const photo = form.querySelector("#foto");
  const check = form.querySelector("[data-photo-check]");
  const limit = Number(form.dataset.maxPhoto);
  let working = null;
  photo.addEventListener("change", () => {
    const file = photo.files[0];
    check.textContent = "";
    check.classList.remove("bad");
    if (!file) return;
    if (!/^image\/(jpeg|png)$/.test(file.type)) {
      check.textContent = say("Berkas itu bukan foto JPEG atau PNG. Pilih foto dari galeri atau kamera Anda.");
      check.classList.add("bad");
      photo.value = "";
      return;
    }
    if (file.size <= limit) {
      check.textContent = say("Foto {size} MB ✓", { size: megabytes(file.size) });
      return;
    }
    check.textContent = say("Foto {size} MB: diperkecil…", { size: megabytes(file.size) });
    working = shrink(file).then((small) => {
      if (small.size > limit) throw new Error("still too large");
      const list = new DataTransfer();
      list.items.add(small);
      photo.files = list.files;
      check.textContent = say("Foto diperkecil menjadi {size} MB ✓", { size: megabytes(small.size) });
    }).catch(() => {
      check.textContent = say("Foto terlalu besar. Pilih foto JPEG atau PNG paling besar 2 MB.");
      check.classList.add("bad");
      photo.value = "";
    }).finally(() => { working = null; });
  });

  const send = form.querySelector("[data-send]");
  form.addEventListener("submit", async (event) => {
    if (form.dataset.sent) { event.preventDefault(); return; }
    if (working) {
      // Still shrinking the photo: send when it is ready.
      event.preventDefault();
      await working;
      form.requestSubmit(send);
      return;
    }
    form.dataset.sent = "1";
    send.disabled = true;
    send.textContent = say("Mengirim…");
  });
  window.addEventListener("pageshow", () => {
    delete form.dataset.sent;
    send.disabled = false;
  });
}
