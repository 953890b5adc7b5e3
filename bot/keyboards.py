"""Inline keyboards; every button carries signed callback data (see bot/callbacks.py)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.callbacks import pack
from bot.render import doubtful_fields
from core.contracts import ErrorCode, ReceiptStatus
from core.db.models import Receipt

CONFIRM = "ok"
DELETE = "del"
DELETE_YES = "dy"
DELETE_NO = "dn"
RETRY = "re"
FIX = "fx"
BACK = "bk"
EDIT_ACTIONS = {"em": "merchant", "ed": "date", "et": "total", "ec": "currency", "eg": "category"}

# Failures that reading the same file again can fix (the others need another file).
RETRYABLE = {ErrorCode.TIMEOUT, ErrorCode.CONFIGURATION, ErrorCode.INTERNAL}


def _button(label: str, action: str, receipt: Receipt, key: bytes) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=pack(action, receipt.id, key=key))


def card(receipt: Receipt, *, key: bytes) -> InlineKeyboardMarkup:
    row = []
    if receipt.status == ReceiptStatus.FAILED and receipt.error_code in RETRYABLE:
        row.append(_button(texts.BTN_RETRY, RETRY, receipt, key))
    if receipt.status == ReceiptStatus.DONE and receipt.confirmed_at is None:
        row.append(_button(texts.BTN_CONFIRM, CONFIRM, receipt, key))
    if receipt.status == ReceiptStatus.DONE:
        row.append(_button(texts.BTN_FIX, FIX, receipt, key))
    row.append(_button(texts.BTN_DELETE, DELETE, receipt, key))
    return InlineKeyboardMarkup([row])


def fields(receipt: Receipt, *, key: bytes) -> InlineKeyboardMarkup:
    """Which field to fix: the doubtful ones first, marked."""
    doubt = doubtful_fields(receipt)
    order = doubt + [f for f in texts.FIELD_LABELS if f not in doubt]
    action_of = {field: action for action, field in EDIT_ACTIONS.items()}
    buttons = [
        _button(("❓ " if f in doubt else "") + texts.FIELD_LABELS[f], action_of[f], receipt, key)
        for f in order
    ]
    back = _button(texts.BTN_BACK, BACK, receipt, key)
    return InlineKeyboardMarkup([buttons[:3], [*buttons[3:], back]])


def confirm_delete(receipt: Receipt, *, key: bytes) -> InlineKeyboardMarkup:
    yes = _button(texts.BTN_DELETE_YES, DELETE_YES, receipt, key)
    no = _button(texts.BTN_DELETE_NO, DELETE_NO, receipt, key)
    return InlineKeyboardMarkup([[yes, no]])
