// Live charts (uPlot, vendored): tickets waiting and average wait through the day, one line
// per tenant, in the venue's time zone.

const COLOURS = [
  "#ffd23f", "#7cc4ff", "#3ddc84", "#ff6b6b", "#c792ea", "#ffb020", "#5ee7df",
  "#ff8fd8", "#b5e853", "#f78c6c", "#82aaff", "#e6e6e6", "#ffcb6b", "#89ddff",
];
const AXIS = { stroke: "#c3cfdf", grid: { stroke: "#2a3f60", width: 1 }, ticks: { stroke: "#2a3f60" } };

export class TenantChart {
  constructor(box, { label, timeZone, field, locale }) {
    this.box = box;
    this.locale = locale;
    this.label = label;
    this.timeZone = timeZone;
    this.field = field; // "waiting" | "avg_wait"
    this.plot = null;
    this.names = "";
    new ResizeObserver(() => this.resize()).observe(box);
  }

  size() {
    return { width: Math.max(200, this.box.clientWidth), height: 260 };
  }

  resize() {
    if (this.plot) this.plot.setSize(this.size());
  }

  update(tenants) {
    const times = tenants.length ? tenants[0].series.times : [];
    const data = [times, ...tenants.map((tenant) => tenant.series[this.field])];
    const names = tenants.map((tenant) => tenant.name).join("|");
    if (this.plot && names === this.names) {
      this.plot.setData(data);
      return;
    }
    if (this.plot) this.plot.destroy();
    this.names = names;
    this.plot = new uPlot(this.options(tenants), data, this.box);
  }

  options(tenants) {
    const timeZone = this.timeZone;
    // 24-hour venue time ("09.15"), as the rest of the page writes it.
    const clock = new Intl.DateTimeFormat(this.locale, { hour: "2-digit", minute: "2-digit", timeZone });
    const at = (seconds) => clock.format(new Date(seconds * 1000));
    return {
      ...this.size(),
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), timeZone),
      scales: { x: { time: true }, y: { range: (_, min, max) => [0, Math.max(5, max * 1.1)] } },
      axes: [
        { ...AXIS, values: (_, splits) => splits.map(at) },
        { ...AXIS, label: this.label, labelSize: 24, size: 56 },
      ],
      series: [
        { label: "", value: (_, v) => (v === null ? "" : at(v)) },
        ...tenants.map((tenant, index) => ({
          label: tenant.name,
          stroke: COLOURS[index % COLOURS.length],
          width: 2.5,
          spanGaps: this.field === "avg_wait",
          points: { size: 5 },
        })),
      ],
      legend: { live: false },
    };
  }
}
