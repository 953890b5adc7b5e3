// The page's words in the user's language, picked as the bot picks its own (bot/i18n.py): the
// primary subtag of Telegram's language_code, "ms" for Malay, English otherwise. The English
// text is the key; {name} marks a value put in. What the API says (its errors) stays as sent.

const MS = {
  "Month": "Bulan",
  "Receipts": "Resit",
  "Add": "Tambah",
  "Export": "Eksport",
  "Open this from Telegram": "Buka ini dari Telegram",
  "ReceiptSnap opens inside Telegram: tap the menu button or “Open” in your chat with the bot.":
    "ReceiptSnap dibuka di dalam Telegram: tekan butang menu atau “Buka” dalam sembang anda dengan bot.",
  "Add a receipt": "Tambah resit",
  "previous month": "bulan sebelumnya",
  "next month": "bulan seterusnya",
  "Total in {currency}": "Jumlah dalam {currency}",
  "Total": "Jumlah",
  "1 receipt": "1 resit",
  "{n} receipts": "{n} resit",
  "no currency": "tiada mata wang",
  "No receipts this month yet. ": "Belum ada resit bulan ini. ",
  "Add one": "Tambah satu",
  "By category": "Mengikut kategori",
  "By day": "Mengikut hari",
  "Budgets": "Bajet",
  "Unknown shop": "Kedai tidak diketahui",
  "Receipt": "Resit",
  "More": "Lagi",
  "🔍 Shop, category, note": "🔍 Kedai, kategori, nota",
  "search": "cari",
  "month": "bulan",
  "status": "status",
  "No receipts found.": "Tiada resit dijumpai.",
  "Every status": "Semua status",
  "Read": "Dibaca",
  "Failed": "Gagal",
  "In the queue": "Dalam giliran",
  "Being read": "Sedang dibaca",
  "Not uploaded": "Belum dimuat naik",
  "done": "dibaca",
  "failed": "gagal",
  "queued": "dalam giliran",
  "processing": "sedang dibaca",
  "awaiting upload": "belum dimuat naik",
  "Saving…": "Menyimpan…",
  "Saved": "Disimpan",
  "📄 Open the PDF": "📄 Buka PDF",
  "the receipt": "resit",
  "No file yet": "Belum ada fail",
  "↻ Try again": "↻ Cuba lagi",
  "Delete this receipt and its file?": "Padam resit ini dan failnya?",
  "Delete": "Padam",
  "Status: {status}": "Status: {status}",
  "Shop": "Kedai",
  "Date": "Tarikh",
  "Currency": "Mata wang",
  "Category": "Kategori",
  "Note": "Nota",
  "Preparing…": "Menyediakan…",
  "Uploading…": "Memuat naik…",
  "Uploading… {percent}%": "Memuat naik… {percent}%",
  "Waiting to be read…": "Menunggu untuk dibaca…",
  "Reading the receipt…": "Membaca resit…",
  "Read ✓": "Dibaca ✓",
  "Could not read it": "Tidak dapat dibaca",
  "A photo or a PDF (up to {mb} MB). It goes straight to storage, then it is read.":
    "Gambar atau PDF (sehingga {mb} MB). Ia terus ke storan, kemudian dibaca.",
  "📷 Take a photo": "📷 Ambil gambar",
  "📁 Choose a file": "📁 Pilih fail",
  "Receipts (CSV)": "Resit (CSV)",
  "Line items (CSV)": "Butiran (CSV)",
  "{name} ({size} bytes)": "{name} ({size} bait)",
  "spending per day": "perbelanjaan sehari",
  "the server cannot be reached; try again": "pelayan tidak dapat dihubungi; cuba lagi",
};

const CATALOGUES = { ms: MS };

let words = null;
// The locale amounts and month names are written in (undefined: the browser's own, as before).
export let locale;

export function setLanguage(code) {
  const primary = String(code || "").split(/[-_]/)[0].toLowerCase();
  words = CATALOGUES[primary] ?? null;
  locale = words ? `${primary}-MY` : undefined;
  document.documentElement.lang = words ? primary : "en";
}

export function t(text, values = {}) {
  const chosen = (words && words[text]) || text;
  return chosen.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// The language_code of the user in a signed initData string (Telegram's, or the dev one).
export function languageOf(initData) {
  try {
    return JSON.parse(new URLSearchParams(initData).get("user") || "{}").language_code ?? "";
  } catch {
    return "";
  }
}
