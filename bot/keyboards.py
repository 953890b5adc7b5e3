"""Inline keyboards; every button carries signed callback data (see bot/callbacks.py)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.callbacks import pack
from core.contracts import ErrorCode, ReceiptStatus
from core.db.models import Receipt

CONFIRM = "ok"
DELETE = "del"
DELETE_YES = "dy"
DELETE_NO = "dn"
RETRY = "re"

# Failures that reading the same file again can fix (the others need another file).
RETRYABLE = {ErrorCode.TIMEOUT, ErrorCode.CONFIGURATION, ErrorCode.INTERNAL}


def card(receipt: Receipt, *, key: bytes) -> InlineKeyboardMarkup:
    row = []
    if receipt.status == ReceiptStatus.FAILED and receipt.error_code in RETRYABLE:
        row.append(
            InlineKeyboardButton(texts.BTN_RETRY, callback_data=pack(RETRY, receipt.id, key=key))
        )
    if receipt.status == ReceiptStatus.DONE and receipt.confirmed_at is None:
        row.append(
            InlineKeyboardButton(
                texts.BTN_CONFIRM, callback_data=pack(CONFIRM, receipt.id, key=key)
            )
        )
    row.append(
        InlineKeyboardButton(texts.BTN_DELETE, callback_data=pack(DELETE, receipt.id, key=key))
    )
    return InlineKeyboardMarkup([row])


def confirm_delete(receipt: Receipt, *, key: bytes) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.BTN_DELETE_YES, callback_data=pack(DELETE_YES, receipt.id, key=key)
                ),
                InlineKeyboardButton(
                    texts.BTN_DELETE_NO, callback_data=pack(DELETE_NO, receipt.id, key=key)
                ),
            ]
        ]
    )
