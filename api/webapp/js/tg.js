// Telegram's WebApp object when the page runs inside Telegram (its script loaded), else a
// stand-in that does nothing: the page works in a plain browser (tests, ?dev) all the same.
// https://core.telegram.org/bots/webapps#initializing-mini-apps

const real = window.Telegram?.WebApp;

const noButton = {
  show() {}, hide() {}, setText() {}, onClick() {}, offClick() {}, enable() {}, disable() {},
  showProgress() {}, hideProgress() {}, setParams() {},
};

export const tg = real ?? {
  initData: "",
  colorScheme: matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light",
  themeParams: {},
  platform: "unknown",
  ready() {}, expand() {}, onEvent() {},
  BackButton: noButton,
  MainButton: noButton,
  showConfirm: null,
  showAlert: null,
};

export const insideTelegram = Boolean(real?.initData);

// The initData Telegram signed: from its script, else from the URL's fragment, where Telegram
// passes it (#tgWebAppData=...) and `receiptsnap app-link` puts it; the server checks it.
export function initData() {
  if (real?.initData) return real.initData;
  return new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") ?? "";
}

// themeParams keys (bg_color, ...) as the CSS variables Telegram documents (--tg-theme-bg-color).
export function applyTheme() {
  const root = document.documentElement;
  root.dataset.scheme = tg.colorScheme === "dark" ? "dark" : "light";
  for (const [key, value] of Object.entries(tg.themeParams || {})) {
    if (typeof value === "string" && /^#[0-9a-f]{3,8}$/i.test(value)) {
      root.style.setProperty(`--tg-theme-${key.replaceAll("_", "-")}`, value);
    }
  }
}

export function applyViewport() {
  const h = tg.viewportStableHeight;
  if (typeof h === "number" && h > 0) {
    document.documentElement.style.setProperty("--tg-viewport-stable-height", `${h}px`);
  }
}

// Telegram's dialogs when there, the browser's otherwise.
export function confirmDialog(text) {
  if (typeof tg.showConfirm === "function" && insideTelegram) {
    return new Promise((resolve) => tg.showConfirm(text, (ok) => resolve(Boolean(ok))));
  }
  return Promise.resolve(window.confirm(text));
}

// The single Back / Main button handler each (Telegram keeps every handler given to onClick).
let backHandler = null;
let mainHandler = null;
tg.BackButton.onClick(() => backHandler?.());
tg.MainButton.onClick(() => mainHandler?.());

export function setBack(handler) {
  backHandler = handler;
  if (handler) tg.BackButton.show(); else tg.BackButton.hide();
}

export function setMain(text, handler) {
  mainHandler = handler;
  if (handler) {
    tg.MainButton.setText(text);
    tg.MainButton.show();
  } else {
    tg.MainButton.hide();
  }
}
