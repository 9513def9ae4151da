// The console's sentences by key, from the catalogue in the page's language (the msgid is
// the Indonesian; {placeholders} are filled when said). Also the console's sentence for each
// refusal code the counter view names.

import { fill, psay, say } from "/static/server/kit/i18n.js";

const WORDS = {
  open: say("Buka"),
  break: psay("console", "Istirahat"),
  closed: say("Tutup"),
  called: say("Dipanggil"),
  serving: psay("console", "Dilayani"),
  sinceCalled: say("sejak dipanggil"),
  sinceStarted: say("sejak mulai dilayani"),
  recalls: say("Panggilan ulang {n}/{max}"),
  priority: say("Prioritas"),
  waitedMinutes: say("{n} mnt"),
  waitedLabel: say("menunggu {n} menit"),
  nextIs: say("Berikutnya: {label}"),
  nobodyNext: say("Belum ada antrean"),
  laneWaiting: say("{n} menunggu"),
  lanePriority: say("{n} prioritas"),
  waitingMore: say("Menampilkan 50 pertama dari {n}."),
  call: say("Panggil"),
  callTicket: say("Panggil {label}"),
  resume: say("Lanjutkan"),
  resumeTicket: say("Lanjutkan {label}"),
  giveBack: say("Kembalikan ke antrean"),
  giveBackTicket: say("Kembalikan {label} ke antrean"),
  emptyClosed: say("Loket tutup. Tekan Buka loket untuk mulai melayani."),
  emptyBreak: say("Loket sedang istirahat. Tekan Buka loket untuk melayani lagi."),
  emptyReady: say("Tidak ada tiket di tangan. Tekan Panggil berikutnya (Spasi atau N) untuk memanggil {label}."),
  emptyNobody: say("Tidak ada tiket di tangan dan belum ada antrean. Pengunjung mengambil nomor di anjungan; nomor baru muncul di sini."),
  online: say("Terhubung"),
  offline: say("Terputus — menyambung ulang…"),
  connecting: say("Menyambung…"),
  reconnecting: say("Menyambung ulang…"),
  networkDown: say("Koneksi terputus, coba lagi."),
  offlineRetrying: say("Offline, mencoba lagi… Perintah dikirim ulang sendiri dan dijalankan sekali saja."),
  serverTrouble: say("Server tidak dapat menjawab (HTTP {status}). Coba lagi sebentar lagi."),
  // Why an action does not apply now (shown as its tooltip and description).
  whyClosed: say("Loket belum dibuka. Tekan Buka loket dulu."),
  whyBusy: say("Masih menangani {label}. Selesaikan, tahan, atau tandai tidak hadir dulu."),
  whyIdle: say("Tidak ada tiket di tangan."),
  whyServing: say("{label} sudah dilayani."),
  whyRecallLimit: say("Sudah dipanggil ulang {max} kali. Tandai tidak hadir."),
  whyAlreadyOpen: say("Loket sudah buka."),
  whyAlreadyClosed: say("Loket sudah tutup."),
  whyNotOpen: say("Loket tidak sedang buka."),
  whyHeld: say("Masih ada {n} tiket ditahan. Lanjutkan dulu."),
  whyPending: say("Sedang dikirim…"),
  // Confirmations, in the polite live region.
  didCall: say("{label} dipanggil ke {counter}"),
  didRecall: say("{label} dipanggil ulang ({n}/{max})"),
  didNoShow: say("{label} ditandai tidak hadir"),
  didStart: say("Mulai melayani {label}"),
  didDone: say("{label} selesai dilayani"),
  didTransfer: say("{label} dialihkan ke {target}"),
  didHold: say("{label} ditahan"),
  didResume: say("{label} dilanjutkan"),
  didReturn: say("{label} dikembalikan ke antrean"),
  didOpen: say("Loket dibuka"),
  didPause: say("Loket istirahat"),
  didClose: say("Loket ditutup"),
  needTicket: say("Ketik nomor antrean atau pilih dari daftar."),
  needReason: say("Tulis alasan memanggil di luar urutan."),
  needService: say("Pilih layanan tujuan."),
  needCounter: say("Pilih loket tujuan."),
};

/** The sentence `key` in the page's language, with {placeholders} filled from `params`. */
export function word(key, params = {}) {
  const sentence = WORDS[key];
  if (sentence === undefined) throw new Error(`no sentence "${key}" in the console's table`);
  return fill(sentence, params);
}

// The domain's refusal codes (server/domain/refusals.py) -> the console's sentences.
const WHY = {
  counter_closed: "whyClosed",
  counter_on_break: "whyClosed",
  counter_busy: "whyBusy",
  counter_idle: "whyIdle",
  ticket_not_called: "whyServing",
  recall_limit: "whyRecallLimit",
  counter_already_open: "whyAlreadyOpen",
  counter_already_closed: "whyAlreadyClosed",
  counter_has_held: "whyHeld",
};

/** Why `action` does not apply to `view` ("" when it does): the server's counter view says. */
export function refusal(action, view) {
  const code = view.refusals[action];
  if (!code) return "";
  let key = WHY[code];
  if (!key) return code; // a code newer than this page: still not a reason to press
  // Pausing a closed counter or one on a break: "not open" reads better than "open it first".
  if (action === "pause_counter" && key === "whyClosed") key = "whyNotOpen";
  return word(key, { label: view.current?.label ?? "", max: view.max_recalls, n: view.held.length });
}
