// The pages: this month, receipts, one receipt, add, export. Each renders into the <main>.
import { uploadToS3 } from "./api.js";
import { categoryBars, dayBars } from "./charts.js";
import { fill, h, money, monthName, shiftMonth, thisMonth } from "./dom.js";
import { t } from "./i18n.js";
import { confirmDialog } from "./tg.js";

const DOUBT = 0.6; // below it the bot marks a field ❓ (docs/api.md)
// The list's status filter (the API's ?status=): failed ones to try again, those still on the way.
const STATUSES = [["", "Every status"], ["done", "Read"], ["failed", "Failed"],
  ["queued", "In the queue"], ["processing", "Being read"], ["awaiting_upload", "Not uploaded"]];
const statusName = (status) => t(status.replace("_", " "));
const TYPES = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp",
  heic: "image/heic", heif: "image/heic", pdf: "application/pdf" };

function monthBar(app, month, go) {
  return h("div", { class: "monthbar" },
    h("button", { class: "plain", "aria-label": t("previous month"), onclick: () => go(shiftMonth(month, -1)) }, "‹"),
    h("strong", { "data-testid": "month" }, monthName(month)),
    h("button", {
      class: "plain", "aria-label": t("next month"), disabled: month >= thisMonth(),
      onclick: () => go(shiftMonth(month, 1)),
    }, "›"));
}

function failure(error) {
  return h("p", { class: "error" }, error.message || String(error));
}

export async function monthView(app, el) {
  const month = app.month;
  const [summary, budgets] = await Promise.all([
    app.api.get(`/summary?month=${month}`),
    app.api.get(`/budgets?month=${month}`).catch(() => ({ data: [] })),
  ]);
  const main = summary.totals[0]?.currency ?? null;
  const home = summary.home_currency;
  const headline = home && summary.home_total !== null ? money(summary.home_total, home)
    : main ? money(summary.totals[0].total, main) : money(0, home);
  fill(el,
    monthBar(app, month, (m) => { app.month = m; app.show("month"); }),
    h("div", { class: "card" },
      h("div", { class: "hint" }, home ? t("Total in {currency}", { currency: home }) : t("Total")),
      h("div", { class: "big amount", "data-testid": "month-total" }, headline),
      h("div", { class: "hint" }, summary.receipts === 1 ? t("1 receipt") : t("{n} receipts", { n: summary.receipts })),
      summary.totals.length > 1 || (home && main && main !== home)
        ? summary.totals.map((t) => h("div", { class: "row" },
          h("span", { class: "grow" }, t.currency ?? t("no currency")),
          h("span", { class: "amount", "data-testid": "currency-total" }, money(t.total, t.currency))))
        : null),
    summary.receipts === 0 ? h("div", { class: "card center hint" },
      t("No receipts this month yet. "),
      h("a", { href: "#", onclick: (e) => { e.preventDefault(); app.show("add"); } }, t("Add one"))) : null,
    summary.by_category.length ? [
      h("h2", {}, t("By category")),
      h("div", { class: "card" }, categoryBars(
        summary.by_category.filter((c) => c.currency === main), main)),
    ] : null,
    summary.daily.length ? [
      h("h2", {}, t("By day")),
      h("div", { class: "card" }, dayBars(summary.daily.filter((d) => d.currency === main), month)),
    ] : null,
    budgets.data.length ? [
      h("h2", {}, t("Budgets")),
      h("div", { class: "card" }, budgets.data.map((b) => h("div", { class: "budget" },
        h("div", { class: "row bar-label" },
          h("span", { class: "grow title" }, b.category),
          h("span", { class: "amount" }, `${money(b.spent, b.currency)} / ${money(b.amount, b.currency)}`)),
        h("div", { class: "progress" },
          h("div", { class: b.percent > 100 ? "over" : "", style: `width:${Math.min(b.percent, 100)}%` }))))),
    ] : null,
  );
}

function thumb(r) {
  if (r.image_url) {  // the list links only what a browser draws
    return h("img", { class: "thumb", src: r.image_url, alt: "", loading: "lazy" });
  }
  return h("div", { class: "thumb", "aria-hidden": "true" }, (r.content_type || "").includes("pdf") ? "📄" : "🧾");
}

function receiptItem(app, r) {
  const when = r.purchase_date ?? r.created_at.slice(0, 10);
  return h("div", { class: "item", "data-testid": "receipt", "data-id": r.id, onclick: () => app.open(r.id) },
    thumb(r),
    h("div", { class: "grow" },
      h("div", { class: "title" }, r.merchant ?? (r.status === "done" ? t("Unknown shop") : t("Receipt"))),
      h("div", { class: "sub" }, [when, r.category].filter(Boolean).join(" · "))),
    r.status === "done"
      ? h("div", { class: "amount", "data-testid": "receipt-total" }, money(r.total, r.currency))
      : h("span", { class: `badge ${r.status}` }, statusName(r.status)));
}

export async function receiptsView(app, el) {
  const state = app.list;
  const list = h("div", { class: "card list" });
  const more = h("button", { class: "plain", hidden: true }, t("More"));
  const search = h("input", {
    type: "search", placeholder: t("🔍 Shop, category, note"), value: state.q,
    "aria-label": t("search"), enterkeyhint: "search",
  });
  const month = h("input", { type: "month", value: state.month, "aria-label": t("month"), max: thisMonth() });
  const status = h("select", { "aria-label": t("status"), "data-testid": "status-filter" },
    STATUSES.map(([value, label]) => h("option", { value, selected: state.status === value }, t(label))));
  let cursor = null;
  async function load(reset) {
    const params = new URLSearchParams({ limit: "30" });
    if (state.q) params.set("q", state.q);
    if (state.month) params.set("month", state.month);
    if (state.status) params.set("status", state.status);
    if (!reset && cursor) params.set("cursor", cursor);
    const page = await app.api.get(`/receipts?${params}`);
    if (reset) list.replaceChildren();
    for (const r of page.data) list.append(receiptItem(app, r));
    if (reset && page.data.length === 0) list.append(h("p", { class: "center hint" }, t("No receipts found.")));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }
  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { state.q = search.value.trim(); load(true).catch(app.fail); }, 250);
  });
  month.addEventListener("change", () => { state.month = month.value; load(true).catch(app.fail); });
  status.addEventListener("change", () => { state.status = status.value; load(true).catch(app.fail); });
  more.addEventListener("click", () => load(false).catch(app.fail));
  fill(el,
    h("h1", {}, t("Receipts")),
    h("div", { class: "row", style: "margin-bottom:10px" }, h("div", { class: "grow" }, search), h("div", { style: "width:140px" }, month)),
    h("div", { class: "row", style: "margin-bottom:10px" }, h("div", { class: "grow" }, status)),
    list, h("div", { class: "center" }, more));
  await load(true);
}

function field(receipt, name, label, input, save) {
  const doubt = (receipt.confidence?.[name] ?? 1) < DOUBT && receipt.status === "done";
  const msg = h("div", { class: "msg" });
  const wrap = h("div", { class: `field${doubt ? " doubt" : ""}`, "data-field": name },
    h("label", {}, label), input, msg);
  input.addEventListener("change", async () => {
    msg.className = "msg"; msg.textContent = t("Saving…");
    try {
      await save(input.value);
      wrap.classList.remove("doubt");
      msg.className = "msg saved"; msg.textContent = t("Saved");
    } catch (error) {
      msg.className = "msg error"; msg.textContent = error.message;
    }
  });
  return wrap;
}

export async function receiptView(app, el, id) {
  const [r, categories] = await Promise.all([
    app.api.get(`/receipts/${id}`),
    app.api.get("/categories").catch(() => ({ data: [] })),
  ]);
  const done = r.status === "done";
  const patch = async (body) => {
    const fresh = await app.api.patch(`/receipts/${id}`, body);
    total.textContent = money(fresh.total, fresh.currency);
    return fresh;
  };
  const text = (name, value, attrs = {}) => h("input", { name, value: value ?? "", disabled: !done, ...attrs });
  const names = [...new Set([...(r.category ? [r.category] : []), ...categories.data])];
  const category = h("select", { name: "category", disabled: !done },
    names.map((n) => h("option", { value: n, selected: n === r.category }, n)));
  const total = h("div", { class: "big amount", "data-testid": "detail-total" }, money(r.total, r.currency));
  const photo = r.image_url
    ? (r.content_type.includes("pdf")
      ? h("a", { class: "button plain", href: r.image_url, target: "_blank", rel: "noopener" }, t("📄 Open the PDF"))
      : h("img", { class: "photo", src: r.image_url, alt: t("the receipt") }))
    : h("div", { class: "photo center hint", style: "padding:40px" }, t("No file yet"));
  const actions = h("div", { class: "actions" });
  if (r.status === "failed") {
    actions.append(h("button", {
      onclick: async () => {
        try { await app.api.post(`/receipts/${id}/retry`); app.open(id, { replace: true }); } catch (e) { actions.append(failure(e)); }
      },
    }, t("↻ Try again")));
  }
  actions.append(h("button", {
    class: "danger", "data-testid": "delete",
    onclick: async () => {
      if (!(await confirmDialog(t("Delete this receipt and its file?")))) return;
      try { await app.api.del(`/receipts/${id}`); app.back(); } catch (e) { actions.append(failure(e)); }
    },
  }, t("Delete")));
  fill(el,
    h("div", { class: "detail" },
      h("div", {}, photo),
      h("div", {},
        h("div", { class: "card" },
          total,
          h("div", { class: "hint" }, r.status === "done" ? (r.summary ?? "") : t("Status: {status}", { status: statusName(r.status) })),
          r.error_message ? h("p", { class: "error" }, r.error_message) : null),
        h("div", { class: "card" },
          field(r, "merchant", t("Shop"), text("merchant", r.merchant), (v) => patch({ merchant: v })),
          field(r, "date", t("Date"), text("date", r.purchase_date, { type: "date" }), (v) => patch({ date: v })),
          h("div", { class: "row" },
            h("div", { class: "grow" }, field(r, "total", t("Total"), text("total", r.total, { inputmode: "decimal" }), (v) => patch({ total: v }))),
            h("div", { style: "width:96px" }, field(r, "currency", t("Currency"), text("currency", r.currency, { maxlength: 3 }), (v) => patch({ currency: v })))),
          field(r, "category", t("Category"), category, (v) => patch({ category: v })),
          field(r, "note", t("Note"), h("input", { name: "note", value: r.note ?? "" }), (v) => patch({ note: v || null }))),
        r.line_items.length ? h("div", { class: "card" },
          r.line_items.map((i) => h("div", { class: "row" },
            h("span", { class: "grow title" }, i.quantity && Number(i.quantity) !== 1 ? `${Number(i.quantity)} × ${i.description}` : i.description),
            h("span", { class: "amount" }, money(i.amount, r.currency))))) : null,
        actions)));
}

function typeOf(file) {
  if (file.type) return file.type === "image/heif" ? "image/heic" : file.type;
  return TYPES[(file.name.split(".").pop() || "").toLowerCase()] ?? "application/octet-stream";
}

export async function addView(app, el) {
  const status = h("p", { class: "hint", "data-testid": "add-status" });
  const bar = h("div");
  const progress = h("div", { class: "progress", hidden: true }, bar);
  const result = h("div");
  const camera = h("input", { type: "file", accept: "image/*", capture: "environment", hidden: true });
  const chooser = h("input", { type: "file", accept: "image/*,application/pdf", hidden: true, "data-testid": "file" });
  async function send(file) {
    fill(result);
    progress.hidden = false;
    bar.style.width = "0";
    try {
      status.textContent = t("Preparing…");
      const created = await app.api.post("/uploads", { content_type: typeOf(file), size: file.size, file_name: file.name });
      status.textContent = t("Uploading…");
      await uploadToS3(created.upload, file, (p) => {
        bar.style.width = `${Math.round(p * 100)}%`;
        status.textContent = t("Uploading… {percent}%", { percent: Math.round(p * 100) });
      });
      bar.style.width = "100%";
      let event = await app.api.post(`/receipts/${created.receipt_id}/submit`);
      // The status live: a long poll answers as soon as it moves on (docs/api.md).
      while (!["done", "failed"].includes(event.status)) {
        status.textContent = event.status === "queued" ? t("Waiting to be read…") : t("Reading the receipt…");
        event = await app.api.get(`/receipts/${created.receipt_id}/events?after=${event.status}&wait=25`);
      }
      const r = await app.api.get(`/receipts/${created.receipt_id}`);
      status.textContent = r.status === "done" ? t("Read ✓") : t("Could not read it");
      fill(result, h("div", { class: "card list" }, receiptItem(app, r)),
        r.error_message ? h("p", { class: "error" }, r.error_message) : null);
    } catch (error) {
      status.textContent = "";
      fill(result, failure(error));
    } finally {
      camera.value = ""; chooser.value = "";
    }
  }
  for (const input of [camera, chooser]) {
    input.addEventListener("change", () => { if (input.files[0]) send(input.files[0]); });
  }
  fill(el,
    h("h1", {}, t("Add a receipt")),
    h("div", { class: "card" },
      h("p", { class: "hint" }, t("A photo or a PDF (up to {mb} MB). It goes straight to storage, then it is read.", { mb: Math.round(app.maxBytes / 1048576) })),
      h("div", { class: "actions" },
        h("button", { onclick: () => camera.click() }, t("📷 Take a photo")),
        h("button", { class: "plain", onclick: () => chooser.click() }, t("📁 Choose a file"))),
      camera, chooser, progress, status),
    result);
}

export async function exportView(app, el) {
  const month = h("input", { type: "month", value: app.month, max: thisMonth(), "aria-label": t("month") });
  const msg = h("p", { class: "hint" });
  async function download(what) {
    msg.className = "hint"; msg.textContent = t("Preparing…");
    try {
      const blob = await app.api.get(`/export?month=${month.value}&format=csv&what=${what}`);
      const url = URL.createObjectURL(blob);
      const name = `receipts-${month.value}${what === "items" ? "-items" : ""}.csv`;
      h("a", { href: url, download: name }).click();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      msg.textContent = t("{name} ({size} bytes)", { name, size: blob.size });
    } catch (error) {
      msg.className = "error"; msg.textContent = error.message;
    }
  }
  fill(el,
    h("h1", {}, t("Export")),
    h("div", { class: "card" },
      h("div", { class: "field" }, h("label", {}, t("Month")), month),
      h("div", { class: "actions" },
        h("button", { onclick: () => download("receipts") }, t("Receipts (CSV)")),
        h("button", { class: "plain", onclick: () => download("items") }, t("Line items (CSV)"))),
      msg));
}
