"""Text helpers shared by the rules: upper case that keeps offsets, accents stripped."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Upper-case character by character, keeping the length so that offsets stay valid."""
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in text)


def strip_accents(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).upper()
