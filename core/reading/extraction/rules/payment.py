"""How the receipt was paid: card brand, e-wallet, debit card or cash."""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.reading.extraction.rules.labels import Field
from core.reading.extraction.rules.rows import Row

_PAYMENT_METHODS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![A-Z])VISA(?![A-Z])"), "visa"),
    (
        re.compile(r"(?<![A-Z])MASTER\s*CARD|(?<![A-Z])MASTER(?![A-Z])"),
        "mastercard",
    ),
    (re.compile(r"(?<![A-Z])(?:AMEX|AMERICAN\s*EXPRESS)(?![A-Z])"), "amex"),
    (
        re.compile(r"(?<![A-Z])(?:DINERS|JCB|UNIONPAY|UNION\s*PAY|MAESTRO|DISCOVER)(?![A-Z])"),
        "card",
    ),
    (
        re.compile(
            r"(?<![A-Z])(?:APPLE\s*PAY|GOOGLE\s*PAY|ALIPAY|WECHAT\s*PAY|GRAB\s*PAY|"
            r"TOUCH\s*'?N\s*GO|BOOST|PAYPAL|E-?WALLET)(?![A-Z])"
        ),
        "e-wallet",
    ),
    (
        re.compile(r"(?<![A-Z])(?:DEBIT|EFTPOS|EC\s*-?\s*KARTE|GIROCARD|NETS)(?![A-Z])"),
        "debit card",
    ),
    (
        re.compile(r"(?<![A-Z])(?:CREDIT\s*CARD|CREDIT|CARD|KARTE|CARTE|TARJETA|KAD)(?![A-Z])"),
        "card",
    ),
    (
        re.compile(
            r"(?<![A-Z])(?:CASH|TUNAI|BAR|BARGELD|ESPECES|ESPÈCES|EFECTIVO|CONTANTI)"
            r"(?![A-Z])"
        ),
        "cash",
    ),
)
_PAYMENT_CONTEXT_RE = re.compile(r"(?<![A-Z])(?:PAYMENT|PAID|TENDER|MODE|PAY\s*TYPE)(?![A-Z])")


def payment_method(rows: Sequence[Row], fields: Sequence[Field]) -> str | None:
    totals = [f.row for f in fields if f.kind == "total"]
    first_total = min(totals) if totals else len(rows)
    relevant = [
        row
        for i, row in enumerate(rows)
        if (i >= first_total and (row.amounts or _PAYMENT_CONTEXT_RE.search(row.upper)))
        or _PAYMENT_CONTEXT_RE.search(row.upper)
    ]
    for regex, name in _PAYMENT_METHODS:
        if any(regex.search(row.upper) for row in relevant):
            return name
    return None
