"""The currency of a receipt, from ISO codes, symbols or country markers."""

from __future__ import annotations

import re

from core.reading.extraction.rules.values import normalise_code

_ISO_CODES = (
    *("MYR", "USD", "EUR", "GBP", "SGD", "AUD", "CAD", "NZD", "HKD", "JPY", "CNY", "INR"),
    *("IDR", "THB", "PHP", "VND", "KRW", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF"),
    *("AED", "SAR", "ZAR", "BRL", "MXN", "TWD"),
)
_ISO_RE = re.compile(r"(?<![A-Za-z])(" + "|".join(_ISO_CODES) + r"|EUROS?|Euros?|RMB)(?![A-Za-z])")
_SYMBOLS: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (re.compile(r"(?<![A-Z])RM(?![A-Z])"), "MYR", 0.9),
    (re.compile(r"€"), "EUR", 0.9),
    (re.compile(r"£"), "GBP", 0.85),
    (re.compile(r"₹|(?<![A-Z])RS\.?\s?(?=\d)"), "INR", 0.8),
    (re.compile(r"(?<![A-Z])SG?\$"), "SGD", 0.85),
    (re.compile(r"(?<![A-Z])AU?\$"), "AUD", 0.85),
    (re.compile(r"(?<![A-Z])CA?\$"), "CAD", 0.85),
    (re.compile(r"(?<![A-Z])HK\$"), "HKD", 0.85),
    (re.compile(r"(?<![A-Z])NT\$"), "TWD", 0.85),
    (re.compile(r"(?<![A-Z])NZ\$"), "NZD", 0.85),
    (re.compile(r"(?<![A-Z])US\$"), "USD", 0.9),
    (re.compile(r"₱"), "PHP", 0.85),
    (re.compile(r"฿"), "THB", 0.85),
    (re.compile(r"₩"), "KRW", 0.85),
    (re.compile(r"(?<![A-Z])RP\.?\s?(?=\d)"), "IDR", 0.8),
    (re.compile(r"¥|円"), "JPY", 0.6),
)
_DOLLAR_RE = re.compile(r"\$")
# Country markers printed on receipts that pin down a bare "$" or no symbol at all.
_COUNTRY_MARKERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![A-Z])(?:MALAYSIA|SDN\.?\s*BHD|S/B|JALAN|JLN|TAMAN)(?![A-Z])"), "MYR"),
    (re.compile(r"(?<![A-Z])SINGAPORE(?![A-Z])"), "SGD"),
    (re.compile(r"(?<![A-Z])(?:AUSTRALIA|ABN)(?![A-Z])"), "AUD"),
    (re.compile(r"(?<![A-Z])(?:NEW\s*ZEALAND)(?![A-Z])"), "NZD"),
    (re.compile(r"(?<![A-Z])(?:HONG\s*KONG)(?![A-Z])"), "HKD"),
    (re.compile(r"(?<![A-Z])CANADA(?![A-Z])"), "CAD"),
    (re.compile(r"(?<![A-Z])INDONESIA(?![A-Z])|\.CO\.ID\b"), "IDR"),
    # A US address line: "LAS VEGAS, NV 89104".
    (
        re.compile(
            r",\s?(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|"
            r"MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)"
            r"\.?\s?\d{5}(?:-\d{4})?(?!\d)"
        ),
        "USD",
    ),
)


def detect_currency(text: str, original: str, default: str | None) -> tuple[str | None, float]:
    # ISO codes are printed in capitals: "Cashier: nok" is a name, not Norwegian kroner.
    codes = [normalise_code(m.group(1).upper()) for m in _ISO_RE.finditer(original)]
    if codes:
        return max(set(codes), key=codes.count), 0.9
    for regex, code, conf in _SYMBOLS:
        if regex.search(text):
            return code, conf
    for regex, code in _COUNTRY_MARKERS:
        if regex.search(text):
            return code, 0.5
    if _DOLLAR_RE.search(text):
        return "USD", 0.5
    if default:
        return default.upper(), 0.3
    return None, 0.0
