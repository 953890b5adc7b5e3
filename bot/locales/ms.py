"""Malay (Bahasa Melayu, as written in Malaysia): every text of ``bot/texts.py``, by the same
name, with the same placeholders and HTML tags (tests/unit/test_catalogues.py).

Commands and what they take stay as the bot reads them (/summary, /budget groceries 300,
/settings currency MYR); periods may be Malay (/summary mac 2018, /summary bulan lepas), as
``core/summaries/months.py`` reads them. Questions in plain words are read in English only, so
the example questions stay English.
"""

from __future__ import annotations

START = (
    "👋 <b>Hai{name}! Saya ReceiptSnap.</b>\n\n"
    "Hantar gambar resit kepada saya (atau resit itu sebagai fail JPEG, PNG, WebP, HEIC atau "
    "PDF) dan saya akan membaca nama kedai, tarikh, jumlah, cukai dan butirannya untuk anda, "
    "lalu menyimpannya.\n\n"
    "Petua: seluruh resit dalam bingkai, rata, dan dalam cahaya yang terang."
)
HELP = (
    "<b>Apa yang saya buat</b>\n"
    "• Hantar gambar resit atau fail PDF/imej: saya balas dengan ringkasannya.\n"
    "• Fail sehingga {max_mb} MB; PDF sehingga {max_pages} halaman.\n\n"
    "<b>Tanya dengan ayat biasa (bahasa Melayu atau Inggeris)</b>\n"
    "• “Berapa saya belanja untuk kopi pada bulan Oktober?”\n"
    "• “Pembelian terbesar bulan lepas”\n"
    "• “Berapa resit bulan ini?”\n"
    "• “Berapa saya belanja pada Mac 2018?”\n"
    "• “Berapa saya belanja minggu ini?”\n"
    "• “Tunjukkan resit saya di Tesco bulan lepas”\n"
    "Satu hari (hari ini, semalam, 3 Disember), minggu, bulan, suku tahun (Q1) atau tahun pada "
    "satu masa: jumlah perbelanjaan, pembelian terbesar, bilangan resit atau resit itu sendiri, "
    "untuk semua, satu kategori atau satu kedai.\n\n"
    "<b>Arahan</b>\n"
    "/recent – resit terbaru anda\n"
    "/receipt ID – satu resit sekali lagi\n"
    "/delete ID – padam resit dan gambarnya\n"
    "/summary [tempoh] – jumlah, kategori, kedai dan carta; tempoh ialah bulan "
    "(mac 2018, bulan lepas), suku tahun (Q1 2018), tahun (2018, tahun lepas) atau minggu "
    "(minggu ini, minggu lepas)\n"
    "/export [tempoh|all] [zip] – resit anda sebagai CSV (zip: berserta fail asal); "
    "/export groups [tempoh|all] – lejar kumpulan anda\n"
    "/budget [kategori jumlah | bulan] – bajet bulanan dan amaran\n"
    "/categories – kategori perbelanjaan anda: tambah, tukar nama, buang\n"
    "/settings – mata wang anda (setiap jumlah juga dalamnya) dan zon waktu\n"
    "/token [revoke] – token peribadi untuk API ReceiptSnap (skrip, aplikasi lain)\n"
    "/start – selamat datang\n"
    "/help – mesej ini"
)
UNKNOWN_TEXT = (
    "Saya membaca resit: hantar gambar resit, atau PDF. /help menunjukkan apa lagi yang boleh "
    "saya buat."
)
RECEIVED = "📥 Resit diterima — sedang dimuat naik…"
ALBUM_RECEIVING = "📥 Sedang menerima resit anda…"
ALBUM_HEAD = "<b>{receipts}</b> ({done} siap)"
QUEUED = "⏳ Dalam giliran…"
QUEUE_AHEAD = "⏳ Dalam giliran — {ahead} di hadapan"
QUEUE_NEXT = "⏳ Dalam giliran — seterusnya"
QUEUE_WAIT = "{place}, {wait}"
QUEUE_SECONDS = "kira-kira {n} saat"
QUEUE_MINUTES = "kira-kira {n} minit"
QUEUE_LONG = "lebih sejam"
STAGES = {
    "reading": "🔎 Sedang membaca resit anda…",
    "understanding": "🧠 Sedang memahaminya…",
}
UNSUPPORTED_TYPE = (
    "⚠️ Saya tidak dapat membaca jenis fail ini ({kind}). Hantar gambar, atau imej JPEG, PNG, "
    "WebP, HEIC atau PDF."
)
TOO_LARGE = (
    "⚠️ Fail ini bersaiz {size_mb:.1f} MB; saya hanya boleh menerima fail sehingga {max_mb} MB "
    "dari Telegram. Hantar sebagai gambar (Telegram memampatkannya) atau eksport PDF yang lebih "
    "kecil."
)
EMPTY_FILE = (
    "⚠️ Fail ini kosong (0 bait), jadi tiada apa-apa untuk dibaca; tiada apa-apa disimpan. "
    "Hantar gambar atau PDF resit itu sekali lagi."
)
UPLOAD_FAILED = (
    "⚠️ Ada masalah semasa menerima fail ini; tiada apa-apa disimpan. Sila hantar sekali lagi."
)
FAILED = "❌ <b>Saya tidak dapat membaca resit ini.</b>\n{reason}\n\n<code>{short_id}</code>"
RATE_LIMIT = "paling banyak {limit} resit setiap {minutes} minit"
RATE_LIMITED = (
    "⏳ Banyak sungguh resit dalam masa yang singkat — {limit}. Sila tunggu sebentar dan hantar "
    "resit ini sekali lagi; tiada apa-apa disimpan."
)
RETRY_RATE_LIMITED = (
    "⏳ Banyak sungguh resit dalam masa yang singkat — {limit}. Sila tunggu sebentar, kemudian "
    "tekan Cuba lagi; resit ini kekal seperti sedia ada."
)
BLOCKED = (
    "Maaf, akaun ini tidak lagi boleh menggunakan ReceiptSnap. "
    "Jika anda rasa ini satu kesilapan, sila hubungi pihak sokongan."
)
GENERIC_ERROR = "⚠️ Maaf, ada masalah di pihak saya. Sila cuba lagi sebentar lagi."
TRANSIENT_ERROR = (
    "⚠️ Saya tidak dapat menyelesaikannya sekarang (gangguan kecil di pihak saya). Saya akan "
    "menyambungnya sendiri dalam beberapa minit; tidak perlu menghantarnya semula."
)

# Receipt cards, the list of receipts, albums
UNKNOWN_MERCHANT = "Kedai tidak diketahui"
UNKNOWN_ERROR = "Ralat tidak diketahui."
FAILURE_REASONS = {
    "unsupported_type": "Fail jenis ini tidak boleh dibaca: hantar gambar, imej atau PDF.",
    "too_large": "Fail ini terlalu besar untuk dibaca.",
    "too_many_pages": "PDF ini mempunyai lebih banyak halaman daripada yang saya baca.",
    "unreadable": ("Tiada teks yang dapat dibaca: hantar gambar resit yang jelas dan terang."),
    "not_a_receipt": "Ini nampaknya bukan resit.",
    "file_missing": "Fail ini hilang sebelum sempat dibaca: sila hantar sekali lagi.",
    "upload_incomplete": "Fail ini tidak selesai dimuat naik: sila hantar sekali lagi.",
    "timeout": "Membacanya mengambil masa terlalu lama.",
    "configuration": ("Bacaan resit tidak tersedia buat masa ini; fail disimpan: cuba lagi nanti."),
    "internal": "Ada masalah di pihak saya.",
}
CARD_NO_DATE = "📅 tarikh tidak dijumpai"
CARD_TOTAL = "💰 <b>Jumlah: {total}</b>"
CARD_SUBTOTAL = "Jumlah kecil: {subtotal}"
CARD_TAX = "Cukai: {tax}"
CARD_MORE_ITEMS = "… dan {n} lagi"
RECENT_NO_DATE = "tiada tarikh"
RECEIPT_UNREADABLE = "❌ tidak dapat dibaca"
RECEIPT_BEING_READ = "⏳ sedang dibaca"
ALBUM_STATES = {
    "awaiting_upload": "📥 sedang diterima…",
    "queued": "⏳ dalam giliran",
    "processing": "🔎 sedang dibaca…",
}

# Settings
SETTINGS = (
    "<b>Tetapan anda</b>\n"
    "Mata wang anda: <b>{currency}</b> (resit yang tidak menunjukkan mata wang adalah dalamnya; "
    "ringkasan, bajet dan eksport juga memberi setiap jumlah dalamnya, pada kadar ECB tarikh "
    "resit)\n"
    "Zon waktu (menentukan bulan sesuatu resit): <b>{timezone}</b>\n\n"
    "Tukar dengan\n"
    "/settings currency MYR\n"
    "/settings timezone Asia/Kuala_Lumpur"
)
SETTINGS_NOT_SET = "belum ditetapkan"
SETTINGS_NAMES = {"default_currency": "mata wang anda", "timezone": "zon waktu anda"}
SETTINGS_SAVED = "Disimpan: {what} kini <b>{value}</b>."
SETTINGS_CONVERTED = " {receipts} dalam mata wang lain kini turut ditukar ke dalamnya."
SETTINGS_BAD_CURRENCY = (
    "<b>{value}</b> bukan kod mata wang yang saya kenal. Gunakan kod ISO tiga huruf seperti "
    "MYR, SGD, USD atau EUR."
)
SETTINGS_BAD_TIMEZONE = (
    "<b>{value}</b> bukan zon waktu yang saya kenal. Gunakan nama seperti Asia/Kuala_Lumpur, "
    "Asia/Singapore atau Europe/London."
)
SETTINGS_USAGE = "Gunakan /settings currency KOD atau /settings timezone Kawasan/Bandar."
CANCELLED = "Tiada apa-apa untuk dibatalkan — hantar resit bila-bila masa anda suka."

# Review and corrections
REVIEW_HINT = (
    "❓ Saya kurang pasti tentang ruangan yang bertanda: tekan ✏️ Betulkan jika ada yang salah."
)
BTN_FIX = "✏️ Betulkan"
BTN_CATEGORY = "🏷 Kategori"
BTN_KEEP_BOTH = "Simpan kedua-duanya"
BTN_DISCARD = "Buang yang ini"
POSSIBLE_DUPLICATE = (
    "⚠️ Ini kelihatan seperti resit <code>{short_id}</code> yang anda hantar sebelum ini (kedai, "
    "hari dan jumlah yang sama). Simpan kedua-duanya, atau buang yang ini?"
)
KEPT_BOTH = "Kedua-duanya disimpan."
CATEGORY_SET = "Kategori: {category}"
CATEGORY_GONE = "Kategori itu sudah tiada: pilih yang lain."
BTN_BACK = "« Kembali"
FIELD_LABELS = {
    "merchant": "Kedai",
    "date": "Tarikh",
    "total": "Jumlah",
    "currency": "Mata wang",
    "category": "Kategori",
    "subtotal": "Jumlah kecil",
    "tax": "Cukai",
}
ASK_FIELD = {
    "merchant": "Hantarkan nama kedai.",
    "date": "Hantarkan tarikh, cth. 2026-10-03 atau 03/10/2026 (atau “hari ini”).",
    "total": "Hantarkan jumlah, cth. 23.40.",
    "currency": "Hantarkan kod mata wang, cth. MYR, SGD atau USD.",
    "category": "Hantarkan kategori, cth. groceries.",
    "subtotal": "Hantarkan jumlah kecil (sebelum cukai), cth. 21.00.",
    "tax": "Hantarkan cukai, cth. 1.26.",
}
ASK_SUFFIX = "\n/cancel membiarkannya seperti sedia ada."
YOUR_CATEGORIES = "\nKategori anda: {names}."
FIX_WHICH = "Ruangan mana yang salah?"
INVALID_FIELD = "Itu nampaknya tidak betul: saya perlukan {hint}. Cuba lagi, atau /cancel."
WANTED = {
    "empty": "sesuatu, bukan ruang kosong",
    "length": "paling banyak {limit} aksara",
    "currency": "kod ISO tiga huruf seperti MYR, SGD atau USD",
    "amount": "jumlah seperti 23.40",
    "date": "tarikh seperti 2026-10-03 atau 03/10/2026",
    "date_range": "tarikh antara tahun 2000 dan hari ini",
    "category_full": (
        "salah satu kategori anda: senarai anda sudah penuh, /categories menunjukkannya"
    ),
    "category_other": "nama kategori selain {name}",
}
CORRECTED = "Dikemas kini ✅ {label}: <b>{value}</b>"
CATEGORY_ADDED_NOTE = "\nIa kategori baharu, jadi saya tambahkannya ke kategori anda (/categories)."
EDIT_CANCELLED = "Baik, tiada apa-apa yang diubah."
NOW_IMPOSSIBLE = "\n\n⚠️ Tetapi {what}: {ask}"
NOW_IMPOSSIBLE_AND = ", dan "
NOW_IMPOSSIBLE_ASK_ONE = "betulkan itu juga?"
NOW_IMPOSSIBLE_ASK_MANY = "betulkan semuanya juga?"
NOW_IMPOSSIBLE_ASK_TOTAL = "adakah jumlahnya betul?"
AMOUNT_NAMES = {"subtotal": "jumlah kecil", "tax": "cukai", "tip": "tip"}
NOW_IMPOSSIBLE_PARTS = {
    "more": "{name} {value} kini melebihi jumlah",
    "same": "{name} {value} kini sama banyak dengan jumlah",
    "subtotal": "jumlah kecil {value} kini jauh melebihi jumlah",
    "line_items": "butiran berjumlah {value}, jauh melebihi jumlah",
    "total_below": "jumlah {value} kini kurang daripada {name}",
    "total_same": "jumlah {value} kini sama dengan {name}",
    "total_far_below": "jumlah {value} kini jauh kurang daripada jumlah kecil",
}

# Questions in plain words
ANSWER_TOTAL = "{month}{what}: {amounts} dalam {receipts}."
ANSWER_NONE = "Saya tidak menjumpai resit{what}{when}."
ANSWER_BIGGEST = "Pembelian terbesar anda{what}{when}: {purchase}."
ANSWER_BIGGEST_PER_CURRENCY = (
    "Pembelian terbesar anda{what}{when}, bagi setiap mata wang: {purchases}."
)
ANSWER_COUNT = "Anda ada {receipts}{what}{when}."
ANSWER_ABOUT = " untuk {term}"
ANSWER_TOTAL_ABOUT = ", {term}"
ANSWER_ON_DAY = " pada {day}"
IN_PERIOD = "pada {period}"
ON_DAY = "pada {period}"
WEEK_OF = "minggu bermula {day}"
ANSWER_UNKNOWN_MERCHANT = "kedai tidak diketahui"
ANSWER_LIST = "Resit anda{what}{when}: {receipts}, yang terkini dahulu."
ANSWER_LIST_ABOUT = " untuk {term}"
ANSWER_LIST_MORE = "…dan {n} lagi (/export mengandungi semuanya)."
ANSWER_LIST_HINT = "Untuk melihat satu: /receipt {short_id}"

# Summaries and exports
RECEIPTS = ("{n} resit", "{n} resit")
SUMMARY_HEAD = "📊 <b>{month}</b> — {receipts}"
SUMMARY_EMPTY = (
    "Belum ada resit untuk {month}. Hantar beberapa resit, atau minta bulan lain: /summary 2026-10"
)
SUMMARY_BIGGEST = "\nPembelian terbesar: {what}"
SUMMARY_BIGGEST_PER_CURRENCY = "\nPembelian terbesar bagi setiap mata wang:"
SUMMARY_UNDATED = "\n{receipts} tidak bertarikh: ia dikira pada hari anda menghantarnya."
SUMMARY_BY_CATEGORY = "\n<b>Mengikut kategori</b>{currency}"
SUMMARY_TOP_MERCHANTS = "\n<b>Kedai utama</b>{currency}"
SUMMARY_CHANGE = " ({arrow} {percent}% berbanding {before})"
SUMMARY_UNCATEGORISED = "tiada kategori"
SUMMARY_TZ = "<i>Bulan mengikut zon waktu anda, {tz} (/settings).</i>"
SUMMARY_CAPTION = "{month}: {total} dalam {receipts}"
CHART_BY_CATEGORY = "{period} mengikut kategori ({currency})"
CHART_PER_DAY = "Perbelanjaan setiap hari"
CHART_DAYS = "hari dalam bulan"
CHART_PER_MONTH = "Perbelanjaan setiap bulan"
SUMMARY_BAD_MONTH = (
    "Saya tidak faham tempoh itu. Cuba /summary, /summary bulan lepas, /summary oktober, "
    "/summary mac 2018, /summary Q1 2018, /summary 2018 atau /summary minggu lepas."
)
BUDGETS_NONE = (
    "Belum ada bajet. Tetapkan satu bagi setiap kategori dan bulan, cth. /budget groceries 300 "
    "(dalam mata wang anda daripada /settings) atau /budget dining 150 MYR."
)
BUDGETS_HEAD = "<b>Bajet untuk {month}</b>"
BUDGET_LINE = "• {category}: {spent} daripada {amount} ({percent}%)"
BUDGET_SET = "Bajet untuk {category}: {amount} sebulan. Saya akan memberi amaran pada 80% dan 100%."
BUDGET_REMOVED = "Bajet untuk {category} dibuang."
BUDGET_NOT_FOUND = "Tiada bajet untuk {category}."
BUDGET_USAGE = (
    "Gunakan /budget KATEGORI JUMLAH [MATA_WANG], cth. /budget groceries 300, /budget groceries "
    "off untuk membuangnya, atau /budget untuk menyenaraikannya."
)
BUDGET_UNKNOWN_CATEGORY = (
    "<b>{category}</b> bukan salah satu kategori anda. /categories menyenaraikannya; "
    "/categories add {category} menambahkannya."
)
BUDGET_CURRENCY_OF_RECEIPTS = (
    "\n<i>Dalam mata wang resit anda; /settings currency menetapkan mata wang anda.</i>"
)
BUDGET_NEEDS_CURRENCY = (
    "Mata wang apa? Tambahkannya (/budget groceries 300 MYR) atau tetapkan mata wang anda dengan "
    "/settings currency MYR."
)
BUDGET_WARNING = {
    80: (
        "⚠️ Anda telah menggunakan {percent}% daripada bajet {category} untuk {month}: {spent} "
        "daripada {amount}."
    ),
    100: (
        "🚨 Bajet {category} anda untuk {month} sudah habis: {spent} daripada {amount} "
        "({percent}%)."
    ),
}

# Categories
CATEGORIES_HEAD = "<b>Kategori anda</b>"
CATEGORIES_DEFAULT_NOTE = "<i>Senarai lalai: ubah ikut cita rasa anda.</i>"
CATEGORIES_LINE = "• {name}"
CATEGORIES_USAGE = (
    "/categories add pets\n"
    "/categories rename dining -&gt; eating out\n"
    "/categories remove pets\n"
    "/categories reset – kembali ke senarai lalai"
)
CATEGORIES_RENAME_USAGE = (
    "Beritahu saya nama lama dan nama baharu, cth. /categories rename dining -&gt; eating out"
)
CATEGORIES_REMOVE_USAGE = "Yang mana satu? cth. /categories remove pets"
CATEGORY_ADDED = (
    "<b>{name}</b> ditambah: butang 🏷 Kategori kini menawarkannya, dan resit baharu boleh "
    "dimasukkan ke dalamnya."
)
CATEGORY_RENAMED = "<b>{old}</b> ditukar nama kepada <b>{new}</b>.{receipts}{budget}"
CATEGORY_RENAMED_RECEIPTS = " {receipts}nya turut dipindahkan."
CATEGORY_RENAMED_BUDGET = " Begitu juga bajetnya."
CATEGORY_REMOVED = "<b>{name}</b> dibuang.{receipts}{budget}"
CATEGORY_REMOVED_RECEIPTS = (
    " {receipts}nya tetap disimpan, kini tanpa kategori (🏷 Kategori pada resit menetapkannya)."
)
CATEGORY_REMOVED_BUDGET = " Bajetnya juga dibuang."
CATEGORIES_RESET = "Kembali ke senarai lalai.{removed}{receipts}{budgets}"
CATEGORIES_RESET_REMOVED = " Dibuang: {names}."
CATEGORIES_RESET_RECEIPTS = " {receipts} di dalamnya tetap disimpan, kini tanpa kategori."
CATEGORIES_RESET_BUDGETS = " Bajet dibuang: {names}."
CATEGORIES_RESET_ALREADY = "Anda sudah pun menggunakan senarai lalai."
CATEGORY_ERRORS = {
    "empty": "Kategori memerlukan nama sepanjang 1 hingga 50 aksara, cth. /categories add pets",
    "too_long": "Nama itu terlalu panjang: paling banyak 50 aksara.",
    "control_characters": (
        "Nama kategori tidak boleh mengandungi aksara kawalan seperti baris baharu."
    ),
    "duplicate": "Anda sudah ada <b>{name}</b>.",
    "too_many": (
        "Anda ada {max} kategori, had maksimum yang saya simpan. Buang satu dahulu, cth. "
        "/categories remove pets"
    ),
    "unknown": "<b>{name}</b> bukan salah satu kategori anda. /categories menyenaraikannya.",
    "same_name": "<b>{name}</b> memang sudah namanya.",
    "reserved": (
        "<b>{name}</b> ialah nama yang saya gunakan untuk resit tanpa kategori: pilih nama lain, "
        "atau buang kategori itu supaya resitnya tidak berkategori."
    ),
    "last_one": (
        "<b>{name}</b> ialah kategori terakhir anda, dan anda perlukan sekurang-kurangnya satu: "
        "tambah yang lain dahulu, atau /categories reset."
    ),
}

EXPORT_ZIP_CAPTION = "{what}: fail asal ({count})."
EXPORT_ZIP_TOO_BIG = (
    "Fail asal melebihi saiz yang boleh saya hantar dalam satu ZIP ({limit}): minta satu bulan "
    "pada satu masa, cth. /export {month} zip."
)
EXPORT_ZIP_CUT = (
    "✂️ ZIP dipotong pada {limit}: ia mengandungi {count} fail pertama, sehingga {day}. Minta "
    "satu bulan pada satu masa untuk selebihnya, cth. /export {month} zip."
)
EXPORT_ZIP_PARTIAL = "Hanya {count} fail pertama ada dalam ZIP: minta satu bulan pada satu masa."
EXPORT_ZIP_RUNNING = "ZIP fail asal anda masih sedang disediakan: ia akan sampai sebentar lagi."
EXPORT_ZIP_TOO_SOON = (
    "⏳ Satu ZIP fail asal setiap {interval} minit: sila minta lagi dalam {wait} minit. "
    "Tanpa “zip”, /export menghantar fail CSV sekarang."
)
EXPORT_ZIP_BUSY = (
    "⏳ Saya sedang menyediakan eksport ZIP lain sekarang: sila minta lagi dalam seminit dua. "
    "Tanpa “zip”, /export menghantar fail CSV sekarang."
)
EXPORT_EMPTY = "Tiada apa-apa untuk dieksport bagi {what}."
EXPORT_ALL = "semua resit anda"
EXPORT_NO_ONE = "anda"
EXPORT_ALL_LEDGER = "semua resitnya"
EXPORT_LEDGER_CAPTION = "{title}, {what}: resit kumpulan dengan pembayar dan bahagian, sebagai CSV."
EXPORT_LEDGER_UNTIL_LEFT = " (Sehingga anda keluar dari kumpulan.)"
EXPORT_LEDGERS_EMPTY = "Tiada apa untuk dieksport dalam lejar kumpulan anda bagi tempoh itu."
EXPORT_MORE_LEDGERS = "Dan {n} lejar lama: minta /export dalam kumpulannya."
EXPORT_CAPTION = (
    "{what}: resit dan butirannya sebagai CSV (UTF-8, tarikh ISO; jumlah seperti yang dicetak "
    "dan dalam mata wang anda, dengan kadar ECB)."
)

# Receipts: commands and buttons
BTN_CONFIRM = "✅ Betul"
BTN_DELETE = "🗑 Padam"
BTN_RETRY = "🔁 Cuba lagi"
BTN_OPEN_APP = "📱 Buka dalam aplikasi"
MENU_BUTTON_APP = "Resit"
RETRYING = "Membacanya semula…"
BTN_DELETE_YES = "Ya, padamkan"
BTN_DELETE_NO = "Tidak, simpan"
CONFIRMED = "Disimpan sebagai disahkan ✅"
CONFIRMED_MARK = "✅ disahkan"
DELETE_ASK = "Padam resit ini dan gambarnya? Tindakan ini tidak boleh dibatalkan."
DELETED = "🗑 Resit <code>{short_id}</code> dipadam, bersama failnya."
KEPT = "Disimpan."
BUTTON_EXPIRED = "Butang ini tidak sah lagi."
RECEIPT_GONE = "Resit itu sudah tiada."
NOT_YOURS = "Hanya orang yang menghantar resit ini boleh mengubahnya."
RECENT_EMPTY = "Belum ada resit. Hantarkan gambar resit kepada saya!"
RECENT_TITLE = "<b>Resit terbaru anda</b>"
RECEIPT_USAGE = (
    "Hantar /receipt diikuti ID pendek yang ditunjukkan di bawah resit, cth. /receipt 1a2b3c4d"
)
DELETE_USAGE = (
    "Hantar /delete diikuti ID pendek yang ditunjukkan di bawah resit, cth. /delete 1a2b3c4d"
)
NOT_FOUND_ID = (
    "Saya tidak menjumpai resit anda dengan ID <code>{short_id}</code>. /recent menyenaraikannya."
)
SAME_FILE = (
    "Anda pernah menghantar fail yang sama ini pada {when}; inilah dia. Tiada apa-apa yang baharu "
    "disimpan."
)

# Open questions (force-reply prompts), their quick answers, and what sets them aside
ASK_PLACEHOLDER = {  # at most 64 characters
    "merchant": "Nama kedai",
    "date": "2026-10-03, 03/10/2026 atau hari ini",
    "total": "Jumlah, cth. 23.40",
    "currency": "MYR, SGD, USD…",
    "category": "Kategori, cth. groceries",
    "subtotal": "Jumlah kecil, cth. 21.00",
    "tax": "Cukai, cth. 1.26",
}
ASK_TAP = "\nAtau tekan salah satu butang di bawah resit."
BTN_TODAY = "Hari ini"
BTN_YESTERDAY = "Semalam"
BTN_PRINTED_DATE = "🧾 {date}"
QUICK_CORRECTED = "Dikemas kini ✅ {label}: {value}"
QUESTION_SET_ASIDE = (
    "\n\n(Saya anggap itu satu soalan, bukan {field} yang saya minta: untuk menetapkannya, balas "
    "soalan saya, atau tekan ✏️ Betulkan sekali lagi.)"
)
SAME_FILE_READING = (
    "Anda pernah menghantar fail yang sama ini pada {when}, dan saya masih membacanya: kadnya "
    "akan menyusul dalam mesej yang dibalas oleh mesej ini. Tiada apa-apa yang baharu disimpan."
)
SAME_FILE_READING_ELSEWHERE = (
    "Anda pernah menghantar fail yang sama ini pada {when}, dan saya masih membacanya: kadnya "
    "akan menyusul di tempat anda menghantarnya dahulu. Tiada apa-apa yang baharu disimpan."
)
BUDGETS_MONTHLY_ONLY = (
    "Bajet disimpan mengikut bulan, jadi saya tidak dapat menunjukkannya untuk {period}. Minta "
    "satu bulan, cth. /budget bulan lepas atau /budget mac 2018 (atau /budget untuk bulan ini)."
)

# The "/" menu (setMyCommands, language_code "ms")
COMMANDS = {
    "recent": "Resit terbaru anda",
    "summary": "Jumlah bagi sebulan, suku tahun atau setahun, dengan carta",
    "export": "Resit anda sebagai CSV (tambah zip untuk fail asal)",
    "budget": "Bajet bulanan mengikut kategori",
    "categories": "Kategori perbelanjaan anda: tambah, tukar nama, buang",
    "settings": "Mata wang anda dan zon waktu",
    "balance": "Siapa berhutang dengan siapa dalam lejar kumpulan anda",
    "settle": "Rekod bayaran balik dalam kumpulan: /settle @ahli AMAUN",
    "receipt": "Satu resit sekali lagi: /receipt ID",
    "delete": "Padam resit dan gambarnya: /delete ID",
    "cancel": "Hentikan apa yang saya tunggu (pembetulan)",
    "help": "Apa yang boleh saya buat, dengan contoh",
    "start": "Selamat datang",
    "token": "Token peribadi untuk API ReceiptSnap",
}
UNKNOWN_COMMAND = (
    "Saya tidak kenal /{command}.{suggestion}\nArahan saya: {commands}. /help menerangkannya."
)
UNKNOWN_COMMAND_SUGGESTION = " Maksud anda /{command}?"

# Questions the rules read (core/questions/service.py), in Malay.
EXAMPLE_QUESTIONS = (
    "Berapa saya belanja bulan ini?",
    "Berapa saya belanja minggu ini?",
    "Berapa saya belanja hari ini?",
    "Berapa saya belanja untuk kopi pada bulan Oktober?",
    "Berapa saya belanja di Tesco bulan lepas?",
    "Berapa saya belanja pada Mac 2018?",
    "Berapa saya belanja tahun lepas?",
    "Jumlah untuk barangan dapur tahun ini",
    "Pembelian terbesar bulan lepas",
    "Apakah pembelian terbesar saya pada Q1?",
    "Berapa resit bulan ini?",
    "Berapa resit minggu lepas?",
    "Tunjukkan resit saya di Tesco bulan lepas",
    "Cari resit saya dari IKEA pada bulan Mac",
    "Berapa resit yang saya hantar pada 2025?",
)
QUESTION_NOT_READ = (
    "Saya belum dapat menjawab soalan itu. Soalan terdekat yang boleh saya jawab: “{example}”\n"
    "Satu hari, minggu, bulan, suku tahun atau tahun pada satu masa: jumlah perbelanjaan, "
    "pembelian terbesar, bilangan resit atau resit itu sendiri, untuk semua, satu kategori atau "
    "satu kedai. /help menunjukkan lagi."
)
SMALL_TALK = (
    "{greeting}Saya membaca resit: hantar gambar resit, atau PDF, dan saya akan menyimpannya. "
    "Dengan teks anda boleh bertanya tentang perbelanjaan anda, cth. “{example}”, atau gunakan "
    "arahan: {commands}."
)
SMALL_TALK_GREETINGS = {"hello": "Hai! ", "thanks": "Sama-sama! "}

# Every amount in the user's currency (/settings currency), at ECB reference rates
CARD_HOME_AMOUNT = "≈ {amount} <i>(kadar ECB pada {day}: 1 {currency} = {rate} {home})</i>"
CARD_NO_RATE = (
    "<i>Tiada dalam {home}: Bank Pusat Eropah tiada kadar untuk {currency} ketika itu.</i>"
)
ANSWER_HOME_TOTAL = " Semuanya: {total}."
ANSWER_NOT_CONVERTED = " Tidak termasuk, tiada kadar ECB (atau tiada mata wang): {amounts}."
SUMMARY_HOME_TOTAL = "🏠 Semua dalam {currency}: {total}"
SUMMARY_NOT_CONVERTED = "<i>Tidak termasuk, tiada kadar ECB (atau tiada mata wang): {amounts}</i>"

# /token: token peribadi untuk API pelanggan (docs/api.md)
API_ACCESS_NEW = (
    "Token peribadi anda untuk API ReceiptSnap, ditunjukkan sekali ini sahaja (rahsiakannya, "
    "seperti kata laluan):\n<code>{token}</code>\nHantar sebagai "
    "<code>Authorization: Bearer</code> diikuti token itu. /token revoke membatalkan semua "
    "token anda."
)
API_ACCESS_REVOKED = (
    "{count} token dibatalkan: apa-apa yang menggunakannya ditolak mulai sekarang.",
    "{count} token dibatalkan: apa-apa yang menggunakannya ditolak mulai sekarang.",
)
API_ACCESS_NONE = "Anda tiada token untuk dibatalkan."
API_ACCESS_PRIVATE_ONLY = (
    "Minta token daripada saya dalam sembang peribadi kita, bukan dalam kumpulan."
)

# Sembang kumpulan: lejar bersama kumpulan (core/ledgers)
LEDGER_STARTED = (
    "📒 <b>{title}</b>: lejar bersama kumpulan ini, dalam {currency} (hari mengikut "
    "{timezone}).\n\n"
    "Hantar resit di sini sebagai balasan kepada salah satu mesej saya, atau dengan /receipt "
    "pada kapsyennya: resit itu dibahagi sama rata antara ahli lejar (butang pada kadnya "
    "menukar siapa yang membayar dan cara pembahagiannya, ahli demi ahli dengan 🧮). Setiap "
    "ahli menyertai lejar dengan "
    "/start di sini atau dengan menghantar resit.\n"
    "/summary – bulan ini, dengan bayaran dan bahagian setiap ahli\n"
    "/balance – siapa berhutang dengan siapa (dalam sembang peribadi kita: dalam setiap "
    "kumpulan anda, walaupun selepas anda keluar)\n"
    "/settle @ahli AMAUN – rekod bayaran balik"
)
LEDGER_JOINED = "{name} telah menyertai lejar kumpulan ini."
LEDGER_CURRENCY_UNSET = "belum ditetapkan (pentadbir menghantar /start EUR, atau mana-mana kod ISO)"
LEDGER_SETTINGS_KEPT = "<i>Mata wang dan zon waktu sudah ditetapkan oleh pentadbir.</i>"
LEDGER_NO_CURRENCY = (
    "Lejar kumpulan ini belum ada mata wang: pentadbir menghantar /start bersama mata wang, "
    "cth. /start EUR."
)
LEDGER_NONE = "Kumpulan ini belum ada lejar: hantar /start di sini untuk membukanya."
GROUP_ONLY = "Arahan itu digunakan dalam sembang kumpulan, pada lejar bersama kumpulan."
LEDGER_MEMBERS = "\n<b>Ahli</b> (dibayar · bahagian, dalam {currency})"
LEDGER_MEMBER_LINE = "• {name}: membayar {paid} · bahagian {share}"
LEDGER_NO_RATE = (
    "<i>{receipts} tiada amaun dalam {currency} (tiada kadar ECB): tidak dikira dalam "
    "bahagian dan baki.</i>"
)
BALANCE_HEAD = "⚖️ <b>Siapa berhutang dengan siapa</b> dalam {title} ({currency})"
BALANCE_LINE = "• {payer} berhutang {amount} kepada {payee}"
BALANCE_SETTLED = "✅ Semua sudah selesai: tiada sesiapa berhutang."
BALANCE_NO_LEDGERS = (
    "Anda belum berada dalam lejar bersama mana-mana kumpulan: tambah saya ke kumpulan dan "
    "hantar /start di sana."
)
BALANCE_MORE_LEDGERS = "<i>Dan {n} lejar lebih lama: tanya /balance dalam kumpulannya.</i>"
LEDGER_YOU_LEFT = (
    "<i>Anda telah keluar dari kumpulan ini: resit dan bahagian anda kekal dalam lejarnya.</i>"
)
LEDGER_BOT_REMOVED = (
    "<i>Saya telah dikeluarkan dari kumpulan ini: lejarnya masih boleh dibaca di sini; tambah "
    "saya semula untuk meneruskan.</i>"
)
SETTLE_USAGE = (
    "Cara guna: /settle @ahli AMAUN (atau balas mesejnya dengan /settle AMAUN): bayaran balik "
    "yang anda buat kepadanya, dalam {currency}."
)
SETTLE_NOT_MEMBER = (
    "{name} bukan ahli lejar kumpulan ini (ahli menyertai dengan /start di sini atau dengan "
    "menghantar resit)."
)
SETTLE_SELF = "Bayaran balik kepada diri sendiri tidak mengubah apa-apa."
SETTLE_DONE = "💸 Direkodkan: {payer} membayar {amount} kepada {payee}."
SUMMARY_SHARES = (
    "👥 Bahagian anda dalam resit kumpulan (tidak termasuk dalam jumlah di atas): {amounts}"
)
BTN_PAID_BY = "👤 Dibayar oleh {name}"
BTN_SPLIT_EQUAL = "➗ Bahagi sama rata"
BTN_SPLIT_ONLY_PAYER = "🙋 Pembayar sahaja"
BTN_SPLIT_SHARES = "⚖️ Ikut bahagian"
BTN_SHARES = "🧮 Bahagian…"
BTN_SHARE = "{name} ×{weight}"
BTN_SHARE_NONE = "➖ {name}"
SHARES_HOW = "Tekan seorang ahli: satu bahagian lagi setiap kali (hingga ×4, kemudian tiada)."
SHARE_LAST = "Seseorang mesti memegang satu bahagian."
SHARE_NOT_MEMBER = "Ahli itu tidak lagi berada dalam lejar kumpulan ini."
CARD_SHARES = "👥 {shares}"
CARD_SHARE = "{name} {amount}"
CARD_SHARE_WEIGHT = "{name} ×{weight} {amount}"
PAID_BY_NOW = "Dibayar oleh {name}"
SPLIT_NOW = {
    "equal": "Dibahagi sama rata antara ahli",
    "only_payer": "Tanggungan pembayar sahaja",
    "shares": "Dibahagi ikut bahagian yang dipilih",
}
PERSONAL_IN_GROUP = (
    "Itu perkara peribadi, jadi saya hanya menjawabnya dalam sembang peribadi kita (buka profil "
    "saya dan tekan Start). Di sini: /summary, /balance, /settle dan /export bagi lejar kumpulan."
)
