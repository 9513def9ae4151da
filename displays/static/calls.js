// Which calls are news: the first view after a page load only sets the baseline (old calls do
// not flash), and ids already shown are never news again, even when a reconnect resends them.

export class CallTracker {
  #seen = new Set();
  #started = false;

  /** The calls of `calls` (newest first) not seen before, oldest first. */
  fresh(calls) {
    const unseen = this.#started ? calls.filter((call) => !this.#seen.has(call.id)) : [];
    this.#started = true;
    // Call ids are unique for good, so the ids still listed are all that must be kept.
    this.#seen = new Set(calls.map((call) => call.id));
    return unseen.reverse();
  }
}
