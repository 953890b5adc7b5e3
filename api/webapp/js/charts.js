// Charts drawn in the page as SVG (no library): bars per category and per day.
import { t } from "./i18n.js";
import { h, s, money } from "./dom.js";

export function categoryBars(rows, currency) {
  const max = Math.max(...rows.map((r) => Number(r.total)), 0) || 1;
  return h("div", { class: "bars" }, rows.map((r) => h("div", { class: "budget" },
    h("div", { class: "row bar-label" },
      h("span", { class: "grow title" }, r.category),
      h("span", { class: "amount" }, money(r.total, currency))),
    h("div", { class: "progress" },
      h("div", { style: `width:${(100 * Number(r.total)) / max}%` })))));
}

export function dayBars(rows, month) {
  const [y, m] = month.split("-").map(Number);
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const totals = new Array(days).fill(0);
  for (const r of rows) totals[Number(r.day.slice(8, 10)) - 1] += Number(r.total);
  const max = Math.max(...totals) || 1;
  const width = 320, height = 110, top = 6, bottom = 16, step = width / days;
  const svg = s("svg", {
    viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img",
    "aria-label": t("spending per day"),
  });
  totals.forEach((value, i) => {
    const barHeight = ((height - top - bottom) * value) / max;
    if (value > 0) {
      svg.append(s("rect", {
        class: "bar", x: i * step + 1, y: height - bottom - barHeight,
        width: Math.max(step - 2, 1), height: barHeight, rx: 1.5,
      }, s("title", {}, `${i + 1}: ${value.toFixed(2)}`)));
    }
    if (i === 0 || (i + 1) % 5 === 0) {
      svg.append(s("text", { x: i * step + step / 2, y: height - 3, "text-anchor": "middle" }, i + 1));
    }
  });
  svg.append(s("line", {
    x1: 0, x2: width, y1: height - bottom, y2: height - bottom, stroke: "currentColor", opacity: 0.2,
  }));
  return svg;
}
