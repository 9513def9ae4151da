// Resending one request until it lands: what consoles and kiosks do while the server, or the
// store behind it, is away. The caller builds the request once, with one command_id, so every
// try is the same command: the server applies it once and answers later tries with the first
// outcome. 502/503/504 and network errors are tried again, with a growing, jittered pause.

export const RETRY_STATUS = new Set([502, 503, 504]);
const FIRST_PAUSE = 500; // ms
const LONGEST_PAUSE = 5000; // the server's Retry-After for a store outage

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Thrown by an attempt whose answer says "try again later". */
export class Retryable extends Error {
  constructor(status) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}

/**
 * resend(attempt, {giveUpAfter, onOffline}) -> {answer} | {failure}; never throws.
 * `attempt()` resolves to the answer, or throws Retryable / fetch's TypeError to be tried
 * again. onOffline(true) is called before the first pause, onOffline(false) once it is over.
 */
export async function resend(attempt, { giveUpAfter, onOffline = () => {} }) {
  const started = Date.now();
  let pause = FIRST_PAUSE;
  let offline = false;
  const over = (result) => {
    if (offline) onOffline(false);
    return result;
  };
  for (;;) {
    try {
      return over({ answer: await attempt() });
    } catch (error) {
      // Anything else (a body that is not JSON after all) is not worth a second try.
      const retryable = error instanceof Retryable || error instanceof TypeError;
      if (!retryable || Date.now() - started + pause > giveUpAfter) return over({ failure: error });
      if (!offline) {
        offline = true;
        onOffline(true);
      }
      await sleep(pause * (0.75 + Math.random() / 2));
      pause = Math.min(LONGEST_PAUSE, pause * 2);
    }
  }
}
