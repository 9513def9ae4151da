// Which announcements this screen has taken on to play, so none is ever played twice: kept in
// memory and in localStorage per zone (a reload or a reconnect does not forget), bounded.

const KEEP = 200; // calls are minutes apart: 200 ids is hours of a busy zone

function storageKey(zone) {
  return `antrean.display.played.${zone}`;
}

export class PlayedIds {
  #zone;
  #ids;

  constructor(zone) {
    this.#zone = zone;
    this.#ids = this.#stored();
  }

  has(id) {
    return this.#ids.includes(id) || this.#stored().includes(id);
  }

  add(id) {
    // Merge with what is stored: another tab of the same zone may have added ids meanwhile.
    const merged = [...new Set([...this.#stored(), ...this.#ids, id])];
    this.#ids = merged.slice(-KEEP);
    try {
      localStorage.setItem(storageKey(this.#zone), JSON.stringify(this.#ids));
    } catch {
      // Storage may be disabled (kiosk profiles): memory still covers this page's life.
    }
  }

  #stored() {
    try {
      const ids = JSON.parse(localStorage.getItem(storageKey(this.#zone)) || "[]");
      return Array.isArray(ids) ? ids.filter((id) => typeof id === "string") : [];
    } catch {
      return [];
    }
  }
}
