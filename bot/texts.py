"""Every text the bot sends, in one place (HTML parse mode: escape what users or receipts wrote).

The English catalogue, and the source of the others (``bot/locales/``): each has every name
here, with the same placeholders and HTML tags (tests/unit/test_catalogues.py). Handlers reach
the user's language through ``bot.i18n.texts``; amounts and dates go through ``bot/formats.py``.
"""

from __future__ import annotations

START = (
    "👋 <b>Hi{name}! I'm ReceiptSnap.</b>\n\n"
    "Send me a photo of a receipt (or the receipt as a JPEG, PNG, WebP, HEIC or PDF file) and "
    "I'll read the merchant, date, total, tax and items for you, and keep it.\n\n"
    "Tips: the whole receipt in the frame, flat, in good light."
)
HELP = (
    "<b>What I do</b>\n"
    "• Send a receipt photo or a PDF/image file: I reply with its summary.\n"
    "• Files up to {max_mb} MB; PDFs up to {max_pages} pages.\n\n"
    "<b>Ask in plain words</b>\n"
    "• “How much did I spend on coffee in October?”\n"
    "• “Biggest purchase last month”\n"
    "• “How many receipts this month?”\n"
    "• “How much did I spend in March 2018?”\n"
    "• “How much did I spend this week?”\n"
    "• “Show my receipts from Tesco last month”\n"
    "One day (today, yesterday, on 3 December), week, month, quarter (Q1) or year at a time: the "
    "total, the biggest purchase, the number of receipts or the receipts themselves, for "
    "everything, one category or one merchant.\n\n"
    "<b>Commands</b>\n"
    "/recent – your latest receipts\n"
    "/receipt ID – one receipt again\n"
    "/delete ID – delete a receipt and its photo\n"
    "/summary [period] – totals, categories, merchants and a chart; a period is a month "
    "(march 2018, last month), a quarter (Q1 2018), a year (2018, last year) or a week (this "
    "week, last week)\n"
    "/export [period|all] [zip] – your receipts as CSV (zip: the original files too); "
    "/export groups [period|all] – the ledgers of your groups\n"
    "/budget [category amount | month] – monthly budgets and warnings\n"
    "/categories – your spending categories: add, rename, remove\n"
    "/settings – your currency (every amount in it too) and time zone\n"
    "/token [revoke] – a personal token for the ReceiptSnap API (scripts, other apps)\n"
    "/start – welcome\n"
    "/help – this message"
)
UNKNOWN_TEXT = "I read receipts: send me a photo of one, or a PDF. /help shows what else I can do."
RECEIVED = "📥 Receipt received — uploading…"
ALBUM_RECEIVING = "📥 Receiving your receipts…"
ALBUM_HEAD = "<b>{receipts}</b> ({done} done)"
QUEUED = "⏳ In the queue…"
# While a receipt waits (refreshed): how many were queued before it, and about how long.
QUEUE_AHEAD = "⏳ In the queue — {ahead} ahead"
QUEUE_NEXT = "⏳ In the queue — next"
QUEUE_WAIT = "{place}, {wait}"
QUEUE_SECONDS = "about {n} s"
QUEUE_MINUTES = "about {n} min"
QUEUE_LONG = "over an hour"
STAGES = {
    "reading": "🔎 Reading your receipt…",
    "understanding": "🧠 Understanding it…",
}
UNSUPPORTED_TYPE = (
    "⚠️ I can't read this kind of file ({kind}). Send a photo, or a JPEG, PNG, WebP, HEIC image or "
    "a PDF."
)
TOO_LARGE = (
    "⚠️ This file is {size_mb:.1f} MB; I can take files of at most {max_mb} MB from Telegram. "
    "Send it as a photo (Telegram compresses it) or export a smaller PDF."
)
EMPTY_FILE = (
    "⚠️ This file is empty (0 bytes), so there is nothing to read; nothing was saved. "
    "Send the photo or PDF of the receipt again."
)
UPLOAD_FAILED = (
    "⚠️ Something went wrong while receiving this file; nothing was saved. Please send it again."
)
FAILED = "❌ <b>I couldn't read this receipt.</b>\n{reason}\n\n<code>{short_id}</code>"
RATE_LIMIT = "at most {limit} receipts per {minutes} minutes"  # RATE_LIMITED's {limit}
RATE_LIMITED = (
    "⏳ That's a lot of receipts in a short time — {limit}. Please wait a little and send this "
    "one again; nothing was saved."
)
# A "Try again" over the same limit (an alert on the button: at most 200 characters).
RETRY_RATE_LIMITED = (
    "⏳ That's a lot of receipts in a short time — {limit}. Please wait a little and press "
    "Try again then; the receipt is kept as it is."
)
BLOCKED = (
    "Sorry, this account can no longer use ReceiptSnap. "
    "If you think this is a mistake, please contact support."
)
GENERIC_ERROR = "⚠️ Sorry, something went wrong on my side. Please try again in a moment."
# A failure that passes (the database or storage away for a moment): the message is kept and
# handled again by itself.
TRANSIENT_ERROR = (
    "⚠️ I couldn't finish this just now (a hiccup on my side). I'll pick it up again by myself "
    "in a few minutes; no need to send it again."
)

# Receipt cards, the list of receipts, albums (bot/render.py, bot/albums.py)
UNKNOWN_MERCHANT = "Unknown merchant"
UNKNOWN_ERROR = "Unknown error."
# Why a receipt failed, by its error code (core.contracts.ErrorCode): in languages other than
# English, in place of the processor's own words, which are English (and more precise).
FAILURE_REASONS = {
    "unsupported_type": "This kind of file can't be read: send a photo, or an image or a PDF.",
    "too_large": "The file is too large to read.",
    "too_many_pages": "The PDF has more pages than I read.",
    "unreadable": "No text could be read in it: send a sharp, well-lit photo of the receipt.",
    "not_a_receipt": "This doesn't look like a receipt.",
    "file_missing": "The file was lost before it could be read: please send it again.",
    "upload_incomplete": "The file never finished uploading: please send it again.",
    "timeout": "Reading it took too long.",
    "configuration": "Reading receipts is unavailable for now; the file is kept: try again later.",
    "internal": "Something went wrong on my side.",
}
CARD_NO_DATE = "📅 date not found"
CARD_TOTAL = "💰 <b>Total: {total}</b>"
CARD_SUBTOTAL = "Subtotal: {subtotal}"
CARD_TAX = "Tax: {tax}"
CARD_MORE_ITEMS = "… and {n} more"
RECENT_NO_DATE = "no date"
RECEIPT_UNREADABLE = "❌ could not be read"
RECEIPT_BEING_READ = "⏳ being read"
ALBUM_STATES = {  # by receipt status, while it is not done
    "awaiting_upload": "📥 receiving…",
    "queued": "⏳ in the queue",
    "processing": "🔎 reading…",
}

# Settings
SETTINGS = (
    "<b>Your settings</b>\n"
    "Your currency: <b>{currency}</b> (receipts that show none are in it; summaries, budgets and "
    "exports also give every amount in it, at the ECB rate of the receipt's date)\n"
    "Time zone (decides which month a receipt belongs to): <b>{timezone}</b>\n\n"
    "Change them with\n"
    "/settings currency EUR\n"
    "/settings timezone Europe/Berlin"
)
SETTINGS_NOT_SET = "not set"
SETTINGS_NAMES = {"default_currency": "your currency", "timezone": "your time zone"}
SETTINGS_SAVED = "Saved: {what} is now <b>{value}</b>."
# After a new currency: how many receipts in other currencies were converted into it.
SETTINGS_CONVERTED = " Converted into it too: {receipts} in other currencies."
SETTINGS_BAD_CURRENCY = (
    "<b>{value}</b> is not a currency code I know. Use a three-letter ISO code such as EUR, USD, "
    "GBP or MYR."
)
SETTINGS_BAD_TIMEZONE = (
    "<b>{value}</b> is not a time zone I know. Use a name such as Europe/Berlin, America/New_York "
    "or Asia/Kuala_Lumpur."
)
SETTINGS_USAGE = "Use /settings currency CODE or /settings timezone Area/City."
CANCELLED = "Nothing to cancel — send me a receipt whenever you like."

# Review and corrections
REVIEW_HINT = "❓ I'm not sure about the marked fields: tap ✏️ Fix if one is wrong."
BTN_FIX = "✏️ Fix"
BTN_CATEGORY = "🏷 Category"
BTN_KEEP_BOTH = "Keep both"
BTN_DISCARD = "Discard this one"
POSSIBLE_DUPLICATE = (
    "⚠️ This looks like receipt <code>{short_id}</code> you sent before (same shop, day and "
    "total). Keep both, or discard this one?"
)
KEPT_BOTH = "Kept both."
CATEGORY_SET = "Category: {category}"
CATEGORY_GONE = "That category no longer exists: pick another."
BTN_BACK = "« Back"
FIELD_LABELS = {
    "merchant": "Merchant",
    "date": "Date",
    "total": "Total",
    "currency": "Currency",
    "category": "Category",
    "subtotal": "Subtotal",
    "tax": "Tax",
}
ASK_FIELD = {
    "merchant": "Send me the merchant's name.",
    "date": "Send me the date, e.g. 2026-10-03 or 03/10/2026 (or “today”).",
    "total": "Send me the total, e.g. 23.40.",
    "currency": "Send me the currency code, e.g. EUR, USD or MYR.",
    "category": "Send me the category, e.g. groceries.",
    "subtotal": "Send me the subtotal (before tax), e.g. 21.00.",
    "tax": "Send me the tax, e.g. 1.26.",
}
ASK_SUFFIX = "\n/cancel leaves it as it is."
YOUR_CATEGORIES = "\nYours: {names}."
FIX_WHICH = "Which field is wrong?"
# The total in the home currency (/settings currency) under a receipt printed in another one.
CARD_HOME_AMOUNT = "≈ {amount} <i>(ECB rate of {day}: 1 {currency} = {rate} {home})</i>"
CARD_NO_RATE = "<i>Not in {home}: the European Central Bank has no rate for {currency} then.</i>"
INVALID_FIELD = "That doesn't look right: I need {hint}. Try again, or /cancel."
WANTED = {  # INVALID_FIELD's {hint}, by the kind of value a correction needs
    "empty": "empty",
    "length": "at most {limit} characters",
    "currency": "a three-letter ISO code such as EUR, USD or MYR",
    "amount": "an amount such as 23.40",
    "date": "a date such as 2026-10-03 or 03/10/2026",
    "date_range": "a date between 2000 and today",
    "category_full": "one of your categories: your list is full, /categories shows it",
    "category_other": "a category name other than {name}",
}
CORRECTED = "Updated ✅ {label}: <b>{value}</b>"
CATEGORY_ADDED_NOTE = "\nIt's new, so I added it to your categories (/categories)."
EDIT_CANCELLED = "OK, nothing changed."
# A typed amount that leaves another one impossible: what now contradicts it (values as typed,
# no currency), then the question; the reply has a ✏️ Fix button.
NOW_IMPOSSIBLE = "\n\n⚠️ But {what}: {ask}"
NOW_IMPOSSIBLE_AND = ", and "
NOW_IMPOSSIBLE_ASK_ONE = "fix it too?"
NOW_IMPOSSIBLE_ASK_MANY = "fix them too?"
NOW_IMPOSSIBLE_ASK_TOTAL = "is the total right?"
AMOUNT_NAMES = {"subtotal": "subtotal", "tax": "tax", "tip": "tip"}  # NOW_IMPOSSIBLE_PARTS' {name}
NOW_IMPOSSIBLE_PARTS = {
    "more": "the {name} {value} is now more than the total",
    "same": "the {name} {value} is now as much as the total",
    "subtotal": "the subtotal {value} is now far more than the total",
    "line_items": "the items add up to {value}, far more than the total",
    "total_below": "the total {value} is now less than the {name}",
    "total_same": "the total {value} is now the same as the {name}",
    "total_far_below": "the total {value} is now far less than the subtotal",
}

# Questions in plain words
ANSWER_TOTAL = "{month}{what}: {amounts} in {receipts}."
# After a total in several currencies: all of it in the home currency (/settings currency).
ANSWER_HOME_TOTAL = " In all: {total}."
ANSWER_NOT_CONVERTED = " Not in that, no ECB rate (or no currency): {amounts}."
ANSWER_NONE = "I found no receipts{what}{when}."
ANSWER_BIGGEST = "Your biggest purchase{what}{when}: {purchase}."
ANSWER_BIGGEST_PER_CURRENCY = "Your biggest purchase{what}{when}, in each currency: {purchases}."
ANSWER_COUNT = "You have {receipts}{what}{when}."
ANSWER_ABOUT = " on {term}"  # the {what} of the answers above: the category or merchant asked
ANSWER_TOTAL_ABOUT = ", {term}"  # ANSWER_TOTAL's {what}
ANSWER_ON_DAY = " on {day}"
# {when} above: the period asked about (bot/formats.py period_when, period_text).
IN_PERIOD = "in {period}"
ON_DAY = "on {period}"
WEEK_OF = "the week of {day}"
ANSWER_UNKNOWN_MERCHANT = "unknown merchant"
ANSWER_LIST = "Your receipts{what}{when}: {receipts}, the latest first."
ANSWER_LIST_ABOUT = " for {term}"  # ANSWER_LIST's {what}
ANSWER_LIST_MORE = "…and {n} more (/export has them all)."
ANSWER_LIST_HINT = "To see one: /receipt {short_id}"

# Summaries and exports
# "{receipts}" everywhere: the count with its noun (bot/formats.py receipts: 1 receipt, 2 receipts).
RECEIPTS = ("{n} receipt", "{n} receipts")
SUMMARY_HEAD = "📊 <b>{month}</b> — {receipts}"
SUMMARY_EMPTY = (
    "No receipts for {month} yet. Send me some, or ask for another month: /summary 2026-10"
)
# The month's amounts in the home currency (/settings currency), at ECB rates of each receipt's
# date; then what is left out of that total, per currency.
SUMMARY_HOME_TOTAL = "🏠 All in {currency}: {total}"
SUMMARY_NOT_CONVERTED = "<i>Not in it, no ECB rate (or no currency): {amounts}</i>"
SUMMARY_BIGGEST = "\nBiggest purchase: {what}"
SUMMARY_BIGGEST_PER_CURRENCY = "\nBiggest purchase in each currency:"
SUMMARY_UNDATED = "\n{receipts} without a printed date: counted on the day you sent them."
SUMMARY_BY_CATEGORY = "\n<b>By category</b>{currency}"
SUMMARY_TOP_MERCHANTS = "\n<b>Top merchants</b>{currency}"
SUMMARY_CHANGE = " ({arrow} {percent}% vs {before})"  # against the period before
SUMMARY_UNCATEGORISED = "uncategorised"  # receipts without a category
SUMMARY_TZ = "<i>Months follow your time zone, {tz} (/settings).</i>"
SUMMARY_CAPTION = "{month}: {total} in {receipts}"
CHART_BY_CATEGORY = "{period} by category ({currency})"
CHART_PER_DAY = "Spending per day"
CHART_DAYS = "day of the month"
CHART_PER_MONTH = "Spending per month"
SUMMARY_BAD_MONTH = (
    "I didn't understand that period. Try /summary, /summary last month, /summary october, "
    "/summary march 2018, /summary Q1 2018, /summary 2018 or /summary last week."
)
BUDGETS_NONE = (
    "No budgets yet. Set one per category and month, e.g. /budget groceries 300 "
    "(in your currency from /settings) or /budget dining 150 EUR."
)
BUDGETS_HEAD = "<b>Budgets for {month}</b>"
BUDGET_LINE = "• {category}: {spent} of {amount} ({percent}%)"
BUDGET_SET = "Budget for {category}: {amount} a month. I'll warn you at 80% and 100%."
BUDGET_REMOVED = "Budget for {category} removed."
BUDGET_NOT_FOUND = "There was no budget for {category}."
BUDGET_USAGE = (
    "Use /budget CATEGORY AMOUNT [CURRENCY], e.g. /budget groceries 300, /budget groceries off "
    "to remove it, or /budget to list them."
)
BUDGET_UNKNOWN_CATEGORY = (
    "<b>{category}</b> is not one of your categories. /categories lists them; "
    "/categories add {category} adds it."
)
# After BUDGET_SET when no currency was given or set: the one of every receipt so far was taken.
BUDGET_CURRENCY_OF_RECEIPTS = (
    "\n<i>In the currency of your receipts; /settings currency sets yours.</i>"
)
BUDGET_NEEDS_CURRENCY = (
    "Which currency? Add it (/budget groceries 300 EUR) or set yours with /settings currency EUR."
)
BUDGET_WARNING = {
    80: "⚠️ You've used {percent}% of your {category} budget for {month}: {spent} of {amount}.",
    100: "🚨 Your {category} budget for {month} is used up: {spent} of {amount} ({percent}%).",
}

# Categories
CATEGORIES_HEAD = "<b>Your categories</b>"
CATEGORIES_DEFAULT_NOTE = "<i>The default list: make it yours.</i>"
CATEGORIES_LINE = "• {name}"
CATEGORIES_USAGE = (
    "/categories add pets\n"
    "/categories rename dining -&gt; eating out\n"
    "/categories remove pets\n"
    "/categories reset – back to the default list"
)
CATEGORIES_RENAME_USAGE = (
    "Tell me the old name and the new one, e.g. /categories rename dining -&gt; eating out"
)
CATEGORIES_REMOVE_USAGE = "Which one? e.g. /categories remove pets"
CATEGORY_ADDED = (
    "Added <b>{name}</b>: the 🏷 Category button offers it now, and new receipts can land in it."
)
CATEGORY_RENAMED = "Renamed <b>{old}</b> to <b>{new}</b>.{receipts}{budget}"
CATEGORY_RENAMED_RECEIPTS = " Moved with it: its {receipts}."
CATEGORY_RENAMED_BUDGET = " So did its budget."
CATEGORY_REMOVED = "Removed <b>{name}</b>.{receipts}{budget}"
CATEGORY_REMOVED_RECEIPTS = (
    " Kept: its {receipts}, now without a category (🏷 Category on a receipt sets one)."
)
CATEGORY_REMOVED_BUDGET = " Its budget is removed too."
CATEGORIES_RESET = "Back to the default list.{removed}{receipts}{budgets}"
CATEGORIES_RESET_REMOVED = " Removed: {names}."
CATEGORIES_RESET_RECEIPTS = " Kept: {receipts} in them, now without a category."
CATEGORIES_RESET_BUDGETS = " Budgets removed: {names}."
CATEGORIES_RESET_ALREADY = "You have the default list already."
CATEGORY_ERRORS = {
    "empty": "A category needs a name of 1 to 50 characters, e.g. /categories add pets",
    "too_long": "That name is too long: at most 50 characters.",
    "control_characters": "A category name can't hold control characters such as line breaks.",
    "duplicate": "You have <b>{name}</b> already.",
    "too_many": (
        "You have {max} categories, the most I keep. Remove one first, e.g. /categories remove pets"
    ),
    "unknown": "<b>{name}</b> is not one of your categories. /categories lists them.",
    "same_name": "<b>{name}</b> is its name already.",
    "reserved": (
        "<b>{name}</b> is what I call receipts without a category: choose another name, or "
        "remove the category to leave its receipts without one."
    ),
    "last_one": (
        "<b>{name}</b> is your last category, and you need at least one: add another first, or "
        "/categories reset."
    ),
}

EXPORT_ZIP_CAPTION = "{what}: the original files ({count})."
EXPORT_ZIP_TOO_BIG = (
    "The original files come to more than I send in one ZIP ({limit}): ask for one month "
    "at a time, e.g. /export {month} zip."
)
EXPORT_ZIP_CUT = (
    "✂️ The ZIP was cut at {limit}: it holds the first {count} files, up to {day}. Ask for one "
    "month at a time for the rest, e.g. /export {month} zip."
)
EXPORT_ZIP_PARTIAL = "Only the first {count} files are in the ZIP: ask for one month at a time."
EXPORT_ZIP_RUNNING = "Your ZIP of original files is still being made: it comes in a moment."
EXPORT_ZIP_TOO_SOON = (
    "⏳ One ZIP of original files every {interval} minutes: please ask again in {wait} minutes. "
    "Without “zip”, /export sends the CSV files now."
)
EXPORT_ZIP_BUSY = (
    "⏳ I'm making other ZIP exports right now: please ask again in a minute or two. Without "
    "“zip”, /export sends the CSV files now."
)
EXPORT_EMPTY = "Nothing to export for {what}."
EXPORT_ALL = "all your receipts"
EXPORT_NO_ONE = "you"  # EXPORT_EMPTY's {what} for someone who never sent a receipt
EXPORT_ALL_LEDGER = "all its receipts"  # /export groups all: each ledger's
EXPORT_LEDGER_CAPTION = "{title}, {what}: the group's receipts with payer and shares, as CSV."
EXPORT_LEDGER_UNTIL_LEFT = " (Until you left the group.)"
EXPORT_LEDGERS_EMPTY = "Nothing to export in your groups' ledgers for that period."
EXPORT_MORE_LEDGERS = "And {n} older ledger(s): ask /export in their group."
EXPORT_CAPTION = (
    "{what}: receipts and line items as CSV (UTF-8, ISO dates; totals as printed and in your "
    "currency, with the ECB rate)."
)

# Receipts: commands and buttons
BTN_CONFIRM = "✅ Looks right"
BTN_DELETE = "🗑 Delete"
BTN_RETRY = "🔁 Try again"
# The Mini App (api/webapp): the "Open" button under a card and /summary, and the chat's menu
# button (one text for every user: setChatMenuButton has no language).
BTN_OPEN_APP = "📱 Open in the app"
MENU_BUTTON_APP = "Receipts"
RETRYING = "Reading it again…"
BTN_DELETE_YES = "Yes, delete it"
BTN_DELETE_NO = "No, keep it"
CONFIRMED = "Saved as confirmed ✅"
CONFIRMED_MARK = "✅ confirmed"
DELETE_ASK = "Delete this receipt and its photo? This cannot be undone."
DELETED = "🗑 Receipt <code>{short_id}</code> deleted, with its file."
KEPT = "Kept."
BUTTON_EXPIRED = "This button is no longer valid."
RECEIPT_GONE = "That receipt no longer exists."
NOT_YOURS = "Only the person who sent this receipt can change it."
RECENT_EMPTY = "No receipts yet. Send me a photo of one!"
RECENT_TITLE = "<b>Your latest receipts</b>"
RECEIPT_USAGE = (
    "Send /receipt followed by the short id shown under a receipt, e.g. /receipt 1a2b3c4d"
)
DELETE_USAGE = "Send /delete followed by the short id shown under a receipt, e.g. /delete 1a2b3c4d"
NOT_FOUND_ID = (
    "I found no receipt of yours with the id <code>{short_id}</code>. /recent lists them."
)
SAME_FILE = "You sent this exact file before, on {when}; here it is. Nothing new was saved."

# Open questions (force-reply prompts), their quick answers, and what sets them aside
ASK_PLACEHOLDER = {  # the input field's placeholder under a prompt: at most 64 characters
    "merchant": "The merchant's name",
    "date": "2026-10-03, 03/10/2026 or today",
    "total": "The total, e.g. 23.40",
    "currency": "EUR, USD, MYR…",
    "category": "A category, e.g. groceries",
    "subtotal": "The subtotal, e.g. 21.00",
    "tax": "The tax, e.g. 1.26",
}
ASK_TAP = "\nOr tap one of the buttons under the receipt."
BTN_TODAY = "Today"
BTN_YESTERDAY = "Yesterday"
BTN_PRINTED_DATE = "🧾 {date}"
QUICK_CORRECTED = "Updated ✅ {label}: {value}"  # a button's answer: no HTML
QUESTION_SET_ASIDE = (
    "\n\n(I took that as a question, not as the {field} you were asked for: to set it, reply to "
    "my question, or tap ✏️ Fix again.)"
)
# The same file as a receipt still being read (they begin as SAME_FILE does).
SAME_FILE_READING = (
    "You sent this exact file before, on {when}, and I'm still reading it: its card will follow "
    "in the message this one replies to. Nothing new was saved."
)
SAME_FILE_READING_ELSEWHERE = (
    "You sent this exact file before, on {when}, and I'm still reading it: its card will follow "
    "where you sent it then. Nothing new was saved."
)
# Periods (months, quarters, years) where only a month makes sense
BUDGETS_MONTHLY_ONLY = (
    "Budgets are kept per month, so I can't show them for {period}. Ask for one month, e.g. "
    "/budget last month or /budget march 2018 (or /budget for this month)."
)

# The "/" menu (setMyCommands; the default language) and the short list of what I do
COMMANDS = {
    "recent": "Your latest receipts",
    "summary": "Totals for a month, quarter or year, with a chart",
    "export": "Your receipts as CSV (add zip for the original files)",
    "budget": "Monthly budgets per category",
    "categories": "Your spending categories: add, rename, remove",
    "settings": "Your currency and time zone",
    "balance": "Who owes whom in your groups' shared ledgers",
    "settle": "Record a payment back in a group: /settle @member AMOUNT",
    "receipt": "One receipt again: /receipt ID",
    "delete": "Delete a receipt and its photo: /delete ID",
    "cancel": "Stop what I'm waiting for (a fix)",
    "help": "What I can do, with examples",
    "start": "Welcome",
    "token": "A personal token for the ReceiptSnap API",
}
UNKNOWN_COMMAND = (
    "I don't know /{command}.{suggestion}\nMy commands: {commands}. /help explains them."
)
UNKNOWN_COMMAND_SUGGESTION = " Did you mean /{command}?"

# Text that is not a question I can read: the closest I can answer, or what I do with text
EXAMPLE_QUESTIONS = (
    "How much did I spend this month?",
    "How much did I spend this week?",
    "How much did I spend today?",
    "How much did I spend on coffee in October?",
    "How much at Tesco last month?",
    "How much did I spend in March 2018?",
    "How much did I spend last year?",
    "Total for groceries this year",
    "Biggest purchase last month",
    "What was my biggest purchase in Q1?",
    "How many receipts this month?",
    "How many receipts last week?",
    "Show my receipts from Tesco last month",
    "Find my IKEA receipt from March",
    "How many receipts did I send in 2025?",
)
QUESTION_NOT_READ = (
    "I can't answer that one yet. The closest question I can answer: “{example}”\n"
    "One day, week, month, quarter or year at a time: the total, the biggest purchase, the "
    "number of receipts or the receipts themselves, for everything, one category or one "
    "merchant. /help shows more."
)
SMALL_TALK = (
    "{greeting}I read receipts: send me a photo of one, or a PDF, and I'll keep it. With text "
    "you can ask about your spending, e.g. “{example}”, or use a command: {commands}."
)
SMALL_TALK_GREETINGS = {"hello": "Hi! ", "thanks": "You're welcome! "}

# /token: a personal token for the client API (docs/api.md)
API_ACCESS_NEW = (
    "Your personal token for the ReceiptSnap API, shown only this once (keep it secret, like a "
    "password):\n<code>{token}</code>\nSend it as <code>Authorization: Bearer</code> "
    "followed by the token. /token revoke cancels every token you have."
)
API_ACCESS_REVOKED = (
    "{count} token revoked: anything using it is refused from now on.",
    "{count} tokens revoked: anything using them is refused from now on.",
)
API_ACCESS_NONE = "You have no token to revoke."
API_ACCESS_PRIVATE_ONLY = "Ask me for a token in our private chat, not in a group."

# Group chats: the group's shared ledger (core/ledgers)
LEDGER_STARTED = (
    "📒 <b>{title}</b>: this group's shared ledger, in {currency} (days in {timezone}).\n\n"
    "Send a receipt here as a reply to one of my messages, or with /receipt in its caption: "
    "it is split equally among the ledger's members (the buttons on its card change who paid "
    "and the split, member by member with 🧮). Each member joins with /start here or by "
    "sending a receipt.\n"
    "/summary – the month, with what each member paid and their share\n"
    "/balance – who owes whom (in our private chat: in every group of yours, even after you "
    "leave)\n"
    "/settle @member AMOUNT – record a payment back"
)
LEDGER_JOINED = "{name} joined this group's ledger."
LEDGER_CURRENCY_UNSET = "not set yet (an admin sends /start EUR, or any ISO code)"
LEDGER_SETTINGS_KEPT = "<i>Currency and time zone were set by an admin already.</i>"
LEDGER_NO_CURRENCY = (
    "This group's ledger has no currency yet: an admin sends /start with one, e.g. /start EUR."
)
LEDGER_NONE = "This group has no ledger yet: send /start here to make one."
GROUP_ONLY = "That one works in a group chat, on the group's shared ledger."
LEDGER_MEMBERS = "\n<b>Members</b> (paid · share, in {currency})"
LEDGER_MEMBER_LINE = "• {name}: paid {paid} · share {share}"
LEDGER_NO_RATE = (
    "<i>Without an amount in {currency} (no ECB rate): {receipts}, left out of the "
    "shares and balances.</i>"
)
BALANCE_HEAD = "⚖️ <b>Who owes whom</b> in {title} ({currency})"
BALANCE_LINE = "• {payer} owes {payee} {amount}"
BALANCE_SETTLED = "✅ All settled: nobody owes anything."
BALANCE_NO_LEDGERS = (
    "You are in no group's shared ledger yet: add me to a group and send /start there."
)
BALANCE_MORE_LEDGERS = "<i>And {n} older ledger(s): ask /balance in their group.</i>"
LEDGER_YOU_LEFT = "<i>You have left this group: your receipts and shares stay in its ledger.</i>"
LEDGER_BOT_REMOVED = (
    "<i>I was removed from this group: its ledger stays readable here; add me back to go on.</i>"
)
SETTLE_USAGE = (
    "Usage: /settle @member AMOUNT (or reply to their message with /settle AMOUNT): a payment "
    "back you made to them, in {currency}."
)
SETTLE_NOT_MEMBER = (
    "{name} isn't in this group's ledger (members join with /start here or by sending a receipt)."
)
SETTLE_SELF = "A payment back to yourself changes nothing."
SETTLE_DONE = "💸 Recorded: {payer} paid {payee} {amount}."
SUMMARY_SHARES = "👥 Your shares of group receipts (not in the totals above): {amounts}"
BTN_PAID_BY = "👤 Paid by {name}"
BTN_SPLIT_EQUAL = "➗ Split equally"
BTN_SPLIT_ONLY_PAYER = "🙋 Only the payer"
BTN_SPLIT_SHARES = "⚖️ By shares"
BTN_SHARES = "🧮 Shares…"
BTN_SHARE = "{name} ×{weight}"
BTN_SHARE_NONE = "➖ {name}"
SHARES_HOW = "Press a member: one more share each time (up to ×4, then none)."
SHARE_LAST = "Someone has to keep a share of it."
SHARE_NOT_MEMBER = "That member is no longer in this group's ledger."
CARD_SHARES = "👥 {shares}"
CARD_SHARE = "{name} {amount}"
CARD_SHARE_WEIGHT = "{name} ×{weight} {amount}"
PAID_BY_NOW = "Paid by {name}"
SPLIT_NOW = {
    "equal": "Split equally among the members",
    "only_payer": "Only the payer's",
    "shares": "Split by the shares chosen",
}
PERSONAL_IN_GROUP = (
    "That one is personal, so I answer it in our private chat only (open my profile and press "
    "Start). Here: /summary, /balance, /settle and /export of the group's ledger."
)
