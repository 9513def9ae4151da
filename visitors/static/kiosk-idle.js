// Back to the start when nobody touches the kiosk: the next visitor never finds the last
// one's choices (or ticket) on screen. The last seconds are counted down visibly, with a
// button to stay.

const WARN_SECONDS = 15;

export class IdleTimer {
  /** `onIdle()` runs after `seconds` without a touch, key or scan; `show(n|null)` draws. */
  constructor(onIdle, show) {
    this.onIdle = onIdle;
    this.show = show;
    this.limit = 0;
    this.left = 0;
    this.ticker = null;
    const touched = () => this.touch();
    for (const type of ["pointerdown", "keydown", "input", "wheel"]) {
      document.addEventListener(type, touched, { capture: true, passive: true });
    }
  }

  /** Count `seconds` from now (0 stops the timer: the start screen waits forever). */
  start(seconds) {
    this.limit = seconds;
    this.touch();
  }

  touch() {
    clearInterval(this.ticker);
    this.ticker = null;
    this.show(null);
    if (!this.limit) return;
    this.left = this.limit;
    this.ticker = setInterval(() => this.tick(), 1000);
  }

  tick() {
    this.left -= 1;
    if (this.left <= 0) {
      clearInterval(this.ticker);
      this.ticker = null;
      this.show(null);
      this.onIdle();
      return;
    }
    this.show(this.left <= WARN_SECONDS ? this.left : null);
  }
}
