// One live connection to the server's hub, shared by every screen.
// It reconnects with backoff and resumes from the last (epoch, seq) it saw, so after a
// network blip the server sends exactly what was missed, or a fresh view of each topic.

const PING = "{}";

/**
 * connect({topics, device, onMessage, onStatus}) -> {close()}
 * onMessage({topic, epoch, seq, data}) is called for every view update, in order.
 * onStatus("online" | "offline" | "connecting") reports the connection state.
 * onNotice(message) gets what is not a view: {"type": "role", "speaker": bool}, errors.
 */
export function connect({ topics, device = "", onMessage, onStatus = () => {}, onNotice = () => {} }) {
  let position = null; // {epoch, seq} of the newest message applied
  let socket = null;
  let attempt = 0;
  let timer = null;
  let closed = false;
  const decoder = new TextDecoder();

  function url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const query = new URLSearchParams({ topics: topics.join(",") });
    if (position) query.set("since", `${position.epoch}:${position.seq}`);
    if (device) query.set("device", device);
    return `${scheme}//${location.host}/ws?${query}`;
  }

  function open() {
    onStatus("connecting");
    socket = new WebSocket(url());
    socket.binaryType = "arraybuffer";
    const tries = attempt;
    socket.onopen = () => { attempt = 0; onStatus("online"); };
    socket.onmessage = (frame) => {
      const text = typeof frame.data === "string" ? frame.data : decoder.decode(frame.data);
      if (text === PING) return;
      const message = JSON.parse(text);
      if (!message.topic) { onNotice(message); return; } // roles, errors: not views
      if (position && message.epoch === position.epoch && message.seq < position.seq) return;
      position = { epoch: message.epoch, seq: message.seq };
      onMessage(message);
    };
    socket.onclose = (event) => {
      // 1013 "try again later" (the store is away): accepted, yet no better than a failed try.
      if (event.code === 1013) attempt = tries;
      onStatus("offline", event.code, event.reason);
      if (!closed) schedule();
    };
  }

  function schedule() {
    // 0.5 s, 1 s, 2 s ... capped at 15 s, with jitter so a hall of screens does not stampede.
    const delay = Math.min(15000, 500 * 2 ** attempt) * (0.75 + Math.random() / 2);
    attempt += 1;
    timer = setTimeout(open, delay);
  }

  open();
  return {
    send(payload) { if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload)); },
    close() { closed = true; clearTimeout(timer); if (socket) socket.close(1000); },
  };
}
