// The staff PIN pad for priority tickets: six digits by touch or by the number keys,
// shown only as dots. The PIN is never stored; it goes once with the issue request.

import { fill } from "/static/server/kit/i18n.js";

const LENGTH = 6;

export class PinPad {
  constructor(root, text) {
    this.root = root;
    this.text = text;
    this.digits = "";
    this.onSubmit = null;
    this.onCancel = null;
    this.dots = root.querySelector("[data-field=pin-dots]");
    this.error = root.querySelector("[data-field=pin-error]");
    root.addEventListener("click", (event) => this.clicked(event));
    root.addEventListener("keydown", (event) => this.key(event));
  }

  get open() {
    return !this.root.hidden;
  }

  show(onSubmit, onCancel) {
    this.onSubmit = onSubmit;
    this.onCancel = onCancel;
    this.digits = "";
    this.fail("");
    this.draw();
    this.root.hidden = false;
    this.root.querySelector("[data-digit='1']").focus();
  }

  hide() {
    this.root.hidden = true;
    this.digits = "";
    this.draw();
  }

  /** Show why the PIN was refused, and start over. */
  fail(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
    this.digits = "";
    this.draw();
  }

  draw() {
    const filled = "●".repeat(this.digits.length) + "○".repeat(LENGTH - this.digits.length);
    this.dots.textContent = filled;
    this.dots.setAttribute("aria-label", fill(this.text.pin_digits, { n: this.digits.length }));
  }

  add(digit) {
    if (this.digits.length >= LENGTH) return;
    this.digits += digit;
    this.draw();
    if (this.digits.length === LENGTH) this.submit();
  }

  submit() {
    if (this.digits.length !== LENGTH) {
      this.fail(this.text.pin_short);
      return;
    }
    const pin = this.digits;
    this.digits = "";
    this.draw();
    this.onSubmit(pin);
  }

  clicked(event) {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.digit !== undefined) this.add(button.dataset.digit);
    else if (button.dataset.action === "pin-clear") {
      this.digits = this.digits.slice(0, -1);
      this.draw();
    } else if (button.dataset.action === "pin-ok") this.submit();
    else if (button.dataset.action === "pin-cancel") this.onCancel();
  }

  key(event) {
    if (/^[0-9]$/.test(event.key)) {
      event.preventDefault();
      this.add(event.key);
    } else if (event.key === "Backspace") {
      event.preventDefault();
      this.digits = this.digits.slice(0, -1);
      this.draw();
    }
  }
}
