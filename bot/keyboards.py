"""Inline keyboards; every button carries signed callback data (see bot/callbacks.py)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import date, timedelta
from urllib.parse import urlencode

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.callbacks import pack
from bot.formats import day_text
from bot.i18n import texts
from bot.render import doubtful_fields
from core.contracts import ErrorCode, ReceiptStatus
from core.reading.extraction.base import DEFAULT_CATEGORIES
from core.receipts.views import ReceiptView

CONFIRM = "ok"
DELETE = "del"
DELETE_YES = "dy"
DELETE_NO = "dn"
RETRY = "re"
FIX = "fx"
CATEGORY = "cg"
KEEP_BOTH = "kb"
BACK = "bk"
PAID_BY = "pb"  # a group ledger's receipt: the next member pays
SPLIT = "sp"  # a group ledger's receipt: equal <-> only the payer (chosen shares: equal)
SHARES = "sh"  # a group ledger's receipt: the member by member shares picker
_SHARE = re.compile(r"w(\d{1,15})")  # one member's share, by their user id: one more
EDIT_ACTIONS = {
    "em": "merchant",
    "ed": "date",
    "et": "total",
    "ec": "currency",
    "eg": "category",
    "es": "subtotal",
    "ex": "tax",
}

# Failures that reading the same file again can fix (the others need another file).
RETRYABLE = {ErrorCode.TIMEOUT, ErrorCode.CONFIGURATION, ErrorCode.INTERNAL}


def _button(label: str, action: str, receipt: ReceiptView, key: bytes) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=pack(action, receipt.id, key=key))


def open_app(app_url: str | None, chat_id: int | None, **query: str) -> InlineKeyboardButton | None:
    """The "Open" button of the Mini App at ``app_url`` (``query`` added: the page opens on a
    receipt or a month), or None: no https URL configured, or not a private chat. Telegram
    accepts web_app inline buttons "only in private chats between a user and the bot" (Bot
    API, InlineKeyboardButton.web_app); a private chat's id is the user's, always positive,
    a group's or a channel's negative."""
    if not app_url or chat_id is None or chat_id <= 0:
        return None
    sep = "&" if "?" in app_url else "?"
    url = app_url + (sep + urlencode(query) if query else "")
    return InlineKeyboardButton(texts.BTN_OPEN_APP, web_app=WebAppInfo(url=url))


def card(receipt: ReceiptView, *, key: bytes, app_url: str | None = None) -> InlineKeyboardMarkup:
    """The buttons under a receipt's card; with ``app_url``, in a private chat, "Open" too."""
    delete = _button(texts.BTN_DELETE, DELETE, receipt, key)
    app = open_app(app_url, receipt.telegram_chat_id, receipt=str(receipt.id))
    if receipt.status != ReceiptStatus.DONE:
        retry = receipt.status == ReceiptStatus.FAILED and receipt.error_code in RETRYABLE
        row = [_button(texts.BTN_RETRY, RETRY, receipt, key)] if retry else []
        return InlineKeyboardMarkup([[*row, delete], *([[app]] if app else [])])
    rows = []
    if receipt.possible_duplicate_of is not None:
        rows.append(
            [
                _button(texts.BTN_KEEP_BOTH, KEEP_BOTH, receipt, key),
                _button(texts.BTN_DISCARD, DELETE_YES, receipt, key),
            ]
        )
    main = []
    if receipt.confirmed_at is None:
        main.append(_button(texts.BTN_CONFIRM, CONFIRM, receipt, key))
    main.append(_button(texts.BTN_FIX, FIX, receipt, key))
    main.append(_button(texts.BTN_CATEGORY, CATEGORY, receipt, key))
    rows.append(main)
    if receipt.ledger_id is not None:  # in a group: who paid and how it is split (the state)
        split = {
            "only_payer": texts.BTN_SPLIT_ONLY_PAYER,
            "shares": texts.BTN_SPLIT_SHARES,
        }.get(receipt.split or "", texts.BTN_SPLIT_EQUAL)
        rows.append(
            [
                _button(
                    texts.BTN_PAID_BY.format(name=receipt.payer_name or "?"), PAID_BY, receipt, key
                ),
                _button(split, SPLIT, receipt, key),
            ]
        )
        rows.append([_button(texts.BTN_SHARES, SHARES, receipt, key), delete])
        return InlineKeyboardMarkup(rows)
    rows.append([delete, app] if app else [delete])
    return InlineKeyboardMarkup(rows)


def share_action(user_id: int) -> str:
    return f"w{user_id}"


def shared_member(action: str) -> int | None:
    """The user id a share button stands for, or None (not one)."""
    found = _SHARE.fullmatch(action)
    return int(found[1]) if found else None


def shares(
    receipt: ReceiptView, members: Sequence[tuple[int, str]], *, key: bytes
) -> InlineKeyboardMarkup:
    """One button per member (``members``: user id, name) with their share of the receipt:
    "×2", or none; each press one more (core/ledgers/shares.py: up to ×4, then none)."""
    weights = {s.user_id: s.weight for s in receipt.shares}
    buttons = []
    for user_id, name in members:
        weight = weights.get(user_id)
        label = (
            texts.BTN_SHARE.format(name=name, weight=f"{weight.normalize():f}")
            if weight
            else texts.BTN_SHARE_NONE.format(name=name)
        )
        buttons.append(_button(label, share_action(user_id), receipt, key))
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([_button(texts.BTN_BACK, BACK, receipt, key)])
    return InlineKeyboardMarkup(rows)


def category_action(name: str) -> str:
    """The action of the button choosing ``name``: a short digest, as names do not fit in
    callback data; resolved against the user's list when pressed, so a stale button never
    picks another category."""
    return "c" + hashlib.sha256(name.encode()).hexdigest()[:8]


def is_category_action(action: str) -> bool:
    return re.fullmatch(r"c[0-9a-f]{8}|k\d{1,2}", action) is not None


def chosen_category(action: str, names: Sequence[str]) -> str | None:
    """The category in the user's list ``names`` that a picker button chose, or None (gone)."""
    legacy = re.fullmatch(r"k(\d{1,2})", action)  # buttons sent before users had their own
    if legacy is not None:
        index = int(legacy[1])
        name = DEFAULT_CATEGORIES[index] if index < len(DEFAULT_CATEGORIES) else None
        return name if name in names else None
    return next((n for n in names if category_action(n) == action), None)


def categories(receipt: ReceiptView, names: Sequence[str], *, key: bytes) -> InlineKeyboardMarkup:
    """The category picker: the user's categories (their own first), the current one marked."""
    buttons = [
        _button(
            ("• " if name == receipt.category else "") + name, category_action(name), receipt, key
        )
        for name in names
    ]
    per_row = 3 if all(len(name) <= 12 for name in names) else 2
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    rows.append([_button(texts.BTN_BACK, BACK, receipt, key)])
    return InlineKeyboardMarkup(rows)


# Quick answers to a question about a field, applied as if typed (bot/handlers/edit.py):
# "qdt" today, "qdy" yesterday, "qd20181225" a date, "qcEUR" a currency.
QUICK_TODAY = "qdt"
QUICK_YESTERDAY = "qdy"
_QUICK = re.compile(r"q(?:d(?P<day>t|y|\d{8})|c(?P<code>[A-Z]{3}))")
CURRENCY_CHOICES = 6  # the user's currencies offered, besides their default


def quick_answer(action: str) -> tuple[str, str] | None:
    """The field and the text a quick-answer button stands for, or None (not one)."""
    found = _QUICK.fullmatch(action)
    if found is None:
        return None
    if found["code"] is not None:
        return "currency", found["code"]
    day = found["day"]
    if day in ("t", "y"):
        return "date", "today" if day == "t" else "yesterday"
    return "date", f"{day[:4]}-{day[4:6]}-{day[6:]}"


def quick_dates(receipt: ReceiptView, *, today: date, key: bytes) -> InlineKeyboardMarkup:
    """Today, yesterday and, if different, the date as read from the receipt (not one the user
    set), for the question about the date."""
    row = [
        _button(texts.BTN_TODAY, QUICK_TODAY, receipt, key),
        _button(texts.BTN_YESTERDAY, QUICK_YESTERDAY, receipt, key),
    ]
    printed = receipt.purchase_date
    if (
        printed is not None
        and receipt.confidence.get("date") != 1.0  # 1.0: the user's own correction
        and printed not in (today, today - timedelta(days=1))
    ):
        label = texts.BTN_PRINTED_DATE.format(date=day_text(printed))
        row.append(_button(label, f"qd{printed:%Y%m%d}", receipt, key))
    return InlineKeyboardMarkup([row, [_button(texts.BTN_BACK, BACK, receipt, key)]])


def quick_currencies(
    receipt: ReceiptView, codes: Sequence[str], *, key: bytes
) -> InlineKeyboardMarkup:
    """The user's currencies (``codes``), the receipt's own marked, for the question about it."""
    buttons = [
        _button(("• " if code == receipt.currency else "") + code, f"qc{code}", receipt, key)
        for code in codes
    ]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    rows.append([_button(texts.BTN_BACK, BACK, receipt, key)])
    return InlineKeyboardMarkup(rows)


def fields(receipt: ReceiptView, *, key: bytes) -> InlineKeyboardMarkup:
    """Which field to fix: the doubtful ones first, marked."""
    doubt = doubtful_fields(receipt)
    order = doubt + [f for f in texts.FIELD_LABELS if f not in doubt]
    action_of = {field: action for action, field in EDIT_ACTIONS.items()}
    buttons = [
        _button(("❓ " if f in doubt else "") + texts.FIELD_LABELS[f], action_of[f], receipt, key)
        for f in order
    ]
    back = _button(texts.BTN_BACK, BACK, receipt, key)
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    if len(rows[-1]) < 3:
        rows[-1].append(back)
    else:
        rows.append([back])
    return InlineKeyboardMarkup(rows)


def fix(receipt: ReceiptView, *, key: bytes) -> InlineKeyboardMarkup:
    """One ✏️ Fix button, under a reply about the receipt: it opens the field picker there."""
    return InlineKeyboardMarkup([[_button(texts.BTN_FIX, FIX, receipt, key)]])


def confirm_delete(receipt: ReceiptView, *, key: bytes) -> InlineKeyboardMarkup:
    yes = _button(texts.BTN_DELETE_YES, DELETE_YES, receipt, key)
    no = _button(texts.BTN_DELETE_NO, DELETE_NO, receipt, key)
    return InlineKeyboardMarkup([[yes, no]])
