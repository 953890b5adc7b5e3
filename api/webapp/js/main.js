// The Mini App: authenticated by Telegram's initData, pages rendered from the client API.
import { ApiError, makeApi } from "./api.js";
import { fill, h, thisMonth } from "./dom.js";
import { languageOf, setLanguage, t } from "./i18n.js";
import { applyTheme, applyViewport, initData as signedInitData, setBack, setMain, tg } from "./tg.js";
import { addView, exportView, monthView, receiptView, receiptsView } from "./views.js";

const view = document.getElementById("view");
const tabs = document.getElementById("tabs");
const params = new URLSearchParams(location.search);
const TABS = { month: monthView, receipts: receiptsView, add: addView, export: exportView };

function outside(reason) {
  tabs.hidden = true;
  setBack(null); setMain(null);
  document.body.dataset.page = "outside";
  fill(view, h("div", { class: "outside", "data-testid": "outside" },
    h("div", { class: "big", "aria-hidden": "true" }, "🧾"),
    h("h1", {}, t("Open this from Telegram")),
    h("p", { class: "hint" }, t("ReceiptSnap opens inside Telegram: tap the menu button or “Open” in your chat with the bot.")),
    reason ? h("p", { class: "hint", style: "font-size:12px" }, reason) : null));
}

// ?dev (ENVIRONMENT=development only): an initData the server signs for a dev user; the route
// does not exist outside development, so this finds nothing there.
async function devInitData() {
  const user = params.get("user");
  const response = await fetch(`dev/init-data${user ? `?user=${encodeURIComponent(user)}` : ""}`);
  if (!response.ok) return "";
  return (await response.json()).init_data ?? "";
}

const app = {
  api: null,
  me: null,
  month: /^\d{4}-\d{2}$/.test(params.get("month") ?? "") ? params.get("month") : thisMonth(),
  maxBytes: 20 * 1024 * 1024,
  list: { q: "", month: "", status: "" },
  tab: "month",
  stack: [], // receipt ids opened over the tab (Telegram's BackButton goes back)

  async render() {
    const top = this.stack.at(-1);
    document.body.dataset.page = top ? "receipt" : this.tab;
    for (const b of tabs.querySelectorAll("button")) {
      b.setAttribute("aria-current", !top && b.dataset.tab === this.tab ? "page" : "false");
    }
    setBack(top ? () => this.back() : null);
    setMain(!top && (this.tab === "month" || this.tab === "receipts") ? t("Add a receipt") : null,
      () => this.show("add"));
    const el = h("div");
    fill(view, el);
    window.scrollTo(0, 0);
    try {
      if (top) await receiptView(this, el, top);
      else await TABS[this.tab](this, el);
    } catch (error) {
      this.fail(error);
    }
  },
  show(tab) { this.tab = tab; this.stack = []; return this.render(); },
  open(id, { replace = false } = {}) {
    if (replace) this.stack.pop();
    this.stack.push(id);
    return this.render();
  },
  back() { this.stack.pop(); return this.render(); },
  fail(error) {
    if (error instanceof ApiError && error.status === 401) { outside(error.message); return; }
    view.append(h("p", { class: "error card" }, error.message || String(error)));
  },
};

async function boot() {
  setLanguage(navigator.language);  // until the user's own (initData) is known
  applyTheme();
  applyViewport();
  tg.onEvent("themeChanged", applyTheme);
  tg.onEvent("viewportChanged", applyViewport);
  let initData = signedInitData();
  if (!initData && params.has("dev")) initData = await devInitData();
  if (!initData) { outside(); tg.ready(); return; }
  setLanguage(languageOf(initData));
  for (const b of tabs.querySelectorAll("button")) b.lastChild.textContent = t(b.lastChild.textContent);
  app.api = makeApi(initData);
  try {
    app.me = await app.api.get("/me");
  } catch (error) {
    outside(error instanceof ApiError && error.status === 401 ? error.message : `${error.message}`);
    tg.ready();
    return;
  }
  if (app.me.max_file_bytes) app.maxBytes = app.me.max_file_bytes;
  for (const b of tabs.querySelectorAll("button")) b.addEventListener("click", () => app.show(b.dataset.tab));
  tabs.hidden = false;
  const receipt = params.get("receipt");
  if (receipt && /^[0-9a-f-]{36}$/i.test(receipt)) app.stack.push(receipt);
  const tab = params.get("tab");
  if (tab in TABS) app.tab = tab;
  await app.render();
  tg.ready();
  tg.expand();
}

boot();
