"""The summary card of a receipt (Telegram HTML)."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from bot import i18n
from bot.formats import amount, day_text, money
from bot.i18n import texts
from core.contracts import ReceiptStatus
from core.errors import RateLimited
from core.reading.validation import Impossible
from core.receipts.corrections import EDITABLE_FIELDS, InvalidCorrection, contradicted
from core.receipts.views import ReceiptView

MAX_ITEMS_SHOWN = 5
# Telegram's limit on a message, in UTF-16 code units of the text after entity parsing; the
# HTML before parsing is never shorter, so measuring it errs on the safe side.
MAX_MESSAGE_LENGTH = 4096
# Below this confidence a field is marked for the user to check (bench/extraction.py measures
# how often fields above and below it are right).
REVIEW_THRESHOLD = 0.7
# A category the receipt got by itself is doubtful below it too (core/categories/classify.py).
REVIEWED_FIELDS = ("merchant", "date", "total", "currency", "category")
# The subtotal and the tax are marked when they are in doubt, not merely unconfirmed: the rules
# give 0.6 to any tax or subtotal the arithmetic does not confirm (half the taxes of SROIE's
# receipts), validation and corrections 0.3 to one that contradicts the total
# (``core.reading.validation.DOUBTFUL``).
AMOUNT_REVIEW_THRESHOLD = 0.5
REVIEWED_AMOUNTS = ("subtotal", "tax")


def doubtful_fields(receipt: ReceiptView) -> list[str]:
    """Fields the user should check: read with low confidence (or contradicting the total), not
    yet confirmed."""
    if receipt.status != ReceiptStatus.DONE or receipt.confirmed_at is not None:
        return []
    confidence = receipt.confidence or {}
    doubt = [f for f in REVIEWED_FIELDS if confidence.get(f, 1.0) < REVIEW_THRESHOLD]
    amounts = {"subtotal": receipt.subtotal, "tax": receipt.tax}
    return doubt + [
        f
        for f in REVIEWED_AMOUNTS
        if amounts[f] is not None and confidence.get(f, 1.0) < AMOUNT_REVIEW_THRESHOLD
    ]


def home_amount_line(receipt: ReceiptView) -> str | None:
    """The card's line of the total in the home currency: converted (with the ECB rate and its
    day), or said to have no rate; None when there is nothing to say (no home currency, the
    receipt is in it)."""
    home, printed = receipt.home_currency, receipt.currency
    if home is None or printed is None or printed == home or receipt.total is None:
        return None
    if receipt.home_total is None or receipt.fx_rate is None:
        return texts.CARD_NO_RATE.format(home=escape(home), currency=escape(printed))
    return texts.CARD_HOME_AMOUNT.format(
        amount=escape(money(receipt.home_total, home)),
        rate=_rate(receipt.fx_rate),
        currency=escape(printed),
        home=escape(home),
        day=receipt.fx_rate_date.isoformat() if receipt.fx_rate_date else "",
    )


def _rate(rate: Decimal) -> str:
    """A rate as a person reads it: 4.7611, 0.210039, 26.5972 (six significant digits or
    four decimals, whichever shows more)."""
    places = max(4, 6 - rate.adjusted() - 1)
    return f"{rate.quantize(Decimal(1).scaleb(-places)).normalize():f}"


def recent_line(receipt: ReceiptView) -> str:
    when = day_text(receipt.purchase_date) if receipt.purchase_date else texts.RECENT_NO_DATE
    if receipt.status == ReceiptStatus.DONE:
        what = f"{escape(receipt.merchant_name or texts.UNKNOWN_MERCHANT)} — "
        what += escape(money(receipt.total, receipt.currency))
    elif receipt.status == ReceiptStatus.FAILED:
        what = texts.RECEIPT_UNREADABLE
    else:
        what = texts.RECEIPT_BEING_READ
    mark = " ✅" if receipt.confirmed_at is not None else ""
    return f"<code>{receipt.short_id}</code> {when} {what}{mark}"


def failure_reason(receipt: ReceiptView) -> str:
    """Why it failed: the processor's own words in English (they say the most: "The PDF has 7
    pages; at most 5 are read."), the catalogue's for its error code in other languages."""
    generic = texts.FAILURE_REASONS.get(receipt.error_code or "")
    if i18n.current() is i18n.ENGLISH and receipt.error_message:
        return receipt.error_message
    return generic or texts.UNKNOWN_ERROR


def receipt_card(receipt: ReceiptView) -> str:
    if receipt.status == ReceiptStatus.FAILED:
        return texts.FAILED.format(
            reason=escape(failure_reason(receipt)), short_id=receipt.short_id
        )
    doubt = doubtful_fields(receipt)

    def mark(field: str) -> str:
        return " ❓" if field in doubt else ""

    name = escape(receipt.merchant_name or texts.UNKNOWN_MERCHANT)
    lines = [f"🧾 <b>{name}</b>{mark('merchant')}"]
    if receipt.purchase_date is not None:
        when = day_text(receipt.purchase_date)
        if receipt.purchase_time is not None:
            when += f" {receipt.purchase_time.strftime('%H:%M')}"
        lines.append(f"📅 {when}{mark('date')}")
    else:
        lines.append(texts.CARD_NO_DATE)
    total = escape(money(receipt.total, receipt.currency))
    lines.append(texts.CARD_TOTAL.format(total=total) + mark("total") + mark("currency"))
    if (home := home_amount_line(receipt)) is not None:
        lines.append(home)
    if receipt.shares:  # a group ledger's: each member's part, summing to its amount
        lines.append(shares_line(receipt))
    if receipt.subtotal is not None:
        subtotal = escape(money(receipt.subtotal, receipt.currency))
        lines.append(texts.CARD_SUBTOTAL.format(subtotal=subtotal) + mark("subtotal"))
    if receipt.tax is not None:
        tax = escape(money(receipt.tax, receipt.currency))
        lines.append(texts.CARD_TAX.format(tax=tax) + mark("tax"))
    items = receipt.line_items
    if items:
        lines.append("")
        for item in items[:MAX_ITEMS_SHOWN]:
            qty = f" ×{item.quantity.normalize():f}" if item.quantity not in (None, 1) else ""
            figure = f" — {escape(amount(item.amount))}" if item.amount is not None else ""
            lines.append(f"• {escape(item.description)}{qty}{figure}")
        if len(items) > MAX_ITEMS_SHOWN:
            lines.append(texts.CARD_MORE_ITEMS.format(n=len(items) - MAX_ITEMS_SHOWN))
    if receipt.category:
        lines.append(f"\n🏷 {escape(receipt.category)}{mark('category')}")
    if doubt:
        lines.append(f"\n{texts.REVIEW_HINT}")
    if receipt.possible_duplicate_of is not None:
        short = receipt.possible_duplicate_of.hex[:8]
        lines.append("\n" + texts.POSSIBLE_DUPLICATE.format(short_id=short))
    footer = f"<code>{receipt.short_id}</code>"
    if receipt.confirmed_at is not None:
        footer += f" · {texts.CONFIRMED_MARK}"
    lines.append(f"\n{footer}")
    return "\n".join(lines)


def shares_line(receipt: ReceiptView) -> str:
    """ "👥 @ana EUR 1.27 · @ben ×2 EUR 2.53": each sharer's part in the ledger's currency (the
    weight when not 1; no amount while the receipt has none in that currency)."""
    parts = []
    for share in receipt.shares:
        figure = money(share.amount, share.currency) if share.amount is not None else ""
        text = (
            texts.CARD_SHARE.format(name=share.name, amount=figure)
            if share.weight == 1
            else texts.CARD_SHARE_WEIGHT.format(
                name=share.name, weight=f"{share.weight.normalize():f}", amount=figure
            )
        )
        parts.append(escape(text.strip()))
    return texts.CARD_SHARES.format(shares=" · ".join(parts))


def now_impossible(receipt: ReceiptView, field: str) -> str | None:
    """After the user typed ``field`` (an amount): what now contradicts it, and the question to
    fix that too (the reply carries a ✏️ Fix button); None when the card still adds up."""
    found = contradicted(
        field,
        total=receipt.total,
        subtotal=receipt.subtotal,
        tax=receipt.tax,
        tip=receipt.tip,
        item_amounts=(item.amount for item in receipt.line_items),
    )
    if not found:
        return None
    what = texts.NOW_IMPOSSIBLE_AND.join(_contradiction(field, p) for _, p in found)
    editable = [doubt for doubt, _ in found if doubt in EDITABLE_FIELDS]
    if not editable:
        ask = texts.NOW_IMPOSSIBLE_ASK_TOTAL
    else:
        ask = texts.NOW_IMPOSSIBLE_ASK_ONE if len(found) == 1 else texts.NOW_IMPOSSIBLE_ASK_MANY
    return texts.NOW_IMPOSSIBLE.format(what=what, ask=ask)


def _contradiction(typed: str, problem: Impossible) -> str:
    parts = texts.NOW_IMPOSSIBLE_PARTS
    name = texts.AMOUNT_NAMES.get(problem.field, problem.field)
    if typed == "total":  # the other amount is in doubt
        value = amount(problem.value)
        if problem.field in ("subtotal", "line_items"):
            return parts[problem.field].format(value=value)
        key = "same" if problem.same_figure else "more"
        return parts[key].format(name=name, value=value)
    total = amount(problem.total)  # a typed tax or subtotal: the total is in doubt
    if problem.field == "subtotal":
        return parts["total_far_below"].format(value=total)
    key = "total_same" if problem.same_figure else "total_below"
    return parts[key].format(name=name, value=total)


def wanted(exc: InvalidCorrection) -> str:
    """What a correction needs (``INVALID_FIELD``'s hint) in the current language; the English
    message for a kind the catalogue does not name."""
    text = texts.WANTED.get(exc.wanted)
    return exc.message if text is None else text.format(**exc.values)


def rate_limit(exc: RateLimited) -> str:
    """The limit a receipt met (``RATE_LIMITED``'s) in the current language."""
    if exc.limit is None or exc.window_seconds is None:
        return exc.message
    return texts.RATE_LIMIT.format(limit=exc.limit, minutes=exc.window_seconds // 60)


def shown(name: str, *, limit: int = 50) -> str:
    """A name the user typed, as a reply quotes it: HTML-escaped and cut after ``limit``
    characters (a reply quoting all of a 4,096-character message would pass Telegram's limit)."""
    return escape(name if len(name) <= limit else name[:limit] + "…")


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def message_parts(*blocks: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """``blocks`` of Telegram HTML (each line closing its own tags) in as few messages as
    Telegram takes: joined by a blank line while they fit, cut between lines when they do not.
    """
    parts: list[str] = []
    current = ""
    for line in "\n\n".join(b for b in blocks if b).split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if current and _units(candidate) > limit:
            parts.append(current)
            candidate = line
        current = candidate
    parts.append(current)
    return [p.strip("\n") for p in parts if p.strip()]
