"""Whether text typed while a question is open ("Send me the category…") is its answer.

Conservative both ways: a question in plain words is never taken as a category or a merchant
(what was typed would land in the receipt, the user's list and the charts), and a short miss
("12,5O", "yesterdy") is asked again rather than read as something else. Commands and files are
never answers (``bot/handlers/edit.py`` sets the question aside for them).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date

from core.receipts.corrections import InvalidCorrection, parse_correction

# The first word of a question in plain words ("how much…", "what did I…").
QUESTION_WORDS = frozenset(
    {"how", "what", "what's", "whats", "when", "where", "which", "who", "whose", "why"}
)
# A miss of at most this many words is taken as a try at the answer, and asked again.
ATTEMPT_WORDS = 3
ATTEMPT_WORDS_WITH_DIGITS = 6


def reads_as_question(text: str) -> bool:
    """Text ending with "?", or of three words or more starting with a question word (so a
    merchant such as "Which Wich" is still a name)."""
    text = text.strip()
    if text.endswith(("?", "？")):
        return True
    words = text.lower().split()
    return len(words) >= 3 and words[0].strip(",.:;!") in QUESTION_WORDS


def is_answer(field: str, raw: str, *, today: date, categories: Collection[str] = ()) -> bool:
    """Whether ``raw`` answers the question about ``field``: one of the user's categories
    always does; a question in plain words never does; a merchant or a category is otherwise
    taken as typed; a date, total or currency when it reads as one, or when it looks like a try
    at one (a few words, or a few more with digits in them: asked again, with the hint)."""
    text = raw.strip()
    if field == "category" and text.lower() in categories:
        return True
    if reads_as_question(text):
        return False
    if field in ("merchant", "category"):
        return True
    try:
        parse_correction(field, text, today=today)
    except InvalidCorrection:
        words = len(text.split())
        has_digits = re.search(r"\d", text) is not None
        return words <= ATTEMPT_WORDS or (has_digits and words <= ATTEMPT_WORDS_WITH_DIGITS)
    return True
