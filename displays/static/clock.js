// The hall clock: the VENUE's time and date (the server's clock, in the venue's timezone),
// whatever the screen's own clock and timezone say.

import { now } from "/static/server/kit/clock.js";
// Indonesia has no DST; its three zones are written WIB, WITA and WIT.

const ABBREVIATIONS = {
  "Asia/Jakarta": "WIB",
  "Asia/Pontianak": "WIB",
  "Asia/Makassar": "WITA",
  "Asia/Jayapura": "WIT",
};

/** "WIB" / "WITA" / "WIT" for Indonesian zones, else what Intl calls the zone (e.g. "GMT+8"). */
export function zoneAbbreviation(timeZone, locale = "id-ID") {
  if (ABBREVIATIONS[timeZone]) return ABBREVIATIONS[timeZone];
  const parts = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "short" }).formatToParts();
  return parts.find((part) => part.type === "timeZoneName")?.value ?? timeZone;
}

function formatters(timeZone, locale) {
  return {
    time: new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
    date: new Intl.DateTimeFormat(locale, { timeZone, weekday: "long", day: "numeric", month: "long", year: "numeric" }),
  };
}

/**
 * Keep `time`, `date` and `zone` elements showing now in `timeZone`.
 * Returns {setTimeZone(tz)} for when the view names another zone than the page did.
 */
export function startClock({ time, date, zone, timeZone, locale }) {
  let format = null;

  function setTimeZone(next) {
    try {
      format = formatters(next, locale);
    } catch {
      return; // an unknown zone name: keep the last good one rather than a broken clock
    }
    timeZone = next;
    zone.textContent = zoneAbbreviation(timeZone, locale);
    tick();
  }

  function tick() {
    if (!format) return;
    const at = new Date(now());
    time.textContent = format.time.format(at);
    date.textContent = format.date.format(at);
  }

  setTimeZone(timeZone);
  // Once a second is cheap, and the minute turns over on time however the timer drifts.
  setInterval(tick, 1000);
  return {
    setTimeZone(next) {
      if (next && next !== timeZone) setTimeZone(next);
    },
  };
}
