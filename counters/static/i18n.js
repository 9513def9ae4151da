// The console's sentences, Indonesian first and English second; the kit picks the page's
// language. Also the console's sentence for each refusal code the counter view names.

import { phrases } from "/static/server/kit/i18n.js";

const WORDS = {
  open: ["Buka", "Open"],
  break: ["Istirahat", "On break"],
  closed: ["Tutup", "Closed"],
  called: ["Dipanggil", "Called"],
  serving: ["Dilayani", "Serving"],
  sinceCalled: ["sejak dipanggil", "since called"],
  sinceStarted: ["sejak mulai dilayani", "since started"],
  recalls: ["Panggilan ulang {n}/{max}", "Recalls {n}/{max}"],
  priority: ["Prioritas", "Priority"],
  waitedMinutes: ["{n} mnt", "{n} min"],
  waitedLabel: ["menunggu {n} menit", "waiting {n} minutes"],
  nextIs: ["Berikutnya: {label}", "Next: {label}"],
  nobodyNext: ["Belum ada antrean", "Nobody waiting"],
  laneWaiting: ["{n} menunggu", "{n} waiting"],
  lanePriority: ["{n} prioritas", "{n} priority"],
  waitingMore: ["Menampilkan 50 pertama dari {n}.", "Showing the first 50 of {n}."],
  call: ["Panggil", "Call"],
  callTicket: ["Panggil {label}", "Call {label}"],
  resume: ["Lanjutkan", "Resume"],
  resumeTicket: ["Lanjutkan {label}", "Resume {label}"],
  giveBack: ["Kembalikan ke antrean", "Return to the queue"],
  giveBackTicket: ["Kembalikan {label} ke antrean", "Return {label} to the queue"],
  emptyClosed: [
    "Loket tutup. Tekan Buka loket untuk mulai melayani.",
    "The counter is closed. Press Open counter to start serving.",
  ],
  emptyBreak: [
    "Loket sedang istirahat. Tekan Buka loket untuk melayani lagi.",
    "The counter is on a break. Press Open counter to serve again.",
  ],
  emptyReady: [
    "Tidak ada tiket di tangan. Tekan Panggil berikutnya (Spasi atau N) untuk memanggil {label}.",
    "No ticket in hand. Press Call next (Space or N) to call {label}.",
  ],
  emptyNobody: [
    "Tidak ada tiket di tangan dan belum ada antrean. Pengunjung mengambil nomor di anjungan; nomor baru muncul di sini.",
    "No ticket in hand and nobody waiting. Visitors take a number at the kiosk; new numbers appear here.",
  ],
  online: ["Terhubung", "Online"],
  offline: ["Terputus — menyambung ulang…", "Offline — reconnecting…"],
  connecting: ["Menyambung…", "Connecting…"],
  reconnecting: ["Menyambung ulang…", "Reconnecting…"],
  networkDown: ["Koneksi terputus, coba lagi.", "The connection dropped; please try again."],
  offlineRetrying: [
    "Offline, mencoba lagi… Perintah dikirim ulang sendiri dan dijalankan sekali saja.",
    "Offline, retrying… The command is resent by itself and carried out only once.",
  ],
  serverTrouble: [
    "Server tidak dapat menjawab (HTTP {status}). Coba lagi sebentar lagi.",
    "The server could not answer (HTTP {status}). Try again in a moment.",
  ],
  // Why an action does not apply now (shown as its tooltip and description).
  whyClosed: ["Loket belum dibuka. Tekan Buka loket dulu.", "The counter is not open. Open it first."],
  whyBusy: [
    "Masih menangani {label}. Selesaikan, tahan, atau tandai tidak hadir dulu.",
    "Still handling {label}. Finish, hold or mark it a no-show first.",
  ],
  whyIdle: ["Tidak ada tiket di tangan.", "No ticket in hand."],
  whyServing: ["{label} sudah dilayani.", "{label} is already being served."],
  whyRecallLimit: [
    "Sudah dipanggil ulang {max} kali. Tandai tidak hadir.",
    "Recalled {max} times already. Mark it a no-show.",
  ],
  whyAlreadyOpen: ["Loket sudah buka.", "The counter is already open."],
  whyAlreadyClosed: ["Loket sudah tutup.", "The counter is already closed."],
  whyNotOpen: ["Loket tidak sedang buka.", "The counter is not open."],
  whyHeld: [
    "Masih ada {n} tiket ditahan. Lanjutkan dulu.",
    "{n} ticket(s) still on hold. Resume them first.",
  ],
  whyPending: ["Sedang dikirim…", "Sending…"],
  // Confirmations, in the polite live region.
  didCall: ["{label} dipanggil ke {counter}", "{label} called to {counter}"],
  didRecall: ["{label} dipanggil ulang ({n}/{max})", "{label} recalled ({n}/{max})"],
  didNoShow: ["{label} ditandai tidak hadir", "{label} marked as a no-show"],
  didStart: ["Mulai melayani {label}", "Serving {label}"],
  didDone: ["{label} selesai dilayani", "{label} done"],
  didTransfer: ["{label} dialihkan ke {target}", "{label} transferred to {target}"],
  didHold: ["{label} ditahan", "{label} put on hold"],
  didResume: ["{label} dilanjutkan", "{label} resumed"],
  didReturn: ["{label} dikembalikan ke antrean", "{label} returned to the queue"],
  didOpen: ["Loket dibuka", "Counter opened"],
  didPause: ["Loket istirahat", "Counter on a break"],
  didClose: ["Loket ditutup", "Counter closed"],
  needTicket: ["Ketik nomor antrean atau pilih dari daftar.", "Type a ticket number or pick one."],
  needReason: ["Tulis alasan memanggil di luar urutan.", "Write why you call out of order."],
  needService: ["Pilih layanan tujuan.", "Choose a service."],
  needCounter: ["Pilih loket tujuan.", "Choose a counter."],
};

/** The sentence `key` in the page's language, with {placeholders} filled from `params`. */
export const say = phrases(WORDS);

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
  return say(key, { label: view.current?.label ?? "", max: view.max_recalls, n: view.held.length });
}
