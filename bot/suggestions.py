"""What to answer to what the bot did not understand: an unknown command gets the closest known
one (difflib) and the short list; a text that looks like a question the reader could not read
gets the closest question it can answer (the example sharing the most words); other text (small
talk) gets what the bot does with text."""

from __future__ import annotations

import difflib
import re

from bot.i18n import texts

_WORD = re.compile(r"[a-z0-9]+")
# Words every question has: they say nothing about which question it is.
_STOP = {
    "a", "an", "the", "i", "me", "my", "we", "our", "you", "your", "is", "are", "was", "were",
    "be", "been", "do", "does", "did", "to", "of", "in", "on", "at", "for", "with", "and", "or",
    "it", "this", "that", "there", "please", "can", "could", "would", "will",
    "how", "what", "whats",
    "saya", "kami", "anda", "yang", "pada", "untuk", "di", "kat", "dan", "atau", "ini", "itu",
    "apa", "apakah", "tolong", "sila",
}  # fmt: skip
# Words of the same meaning, to one ("spent" is "spend").
_SAME = {
    "spent": "spend", "spending": "spend", "spends": "spend", "paid": "spend", "pay": "spend",
    "cost": "spend", "costs": "spend", "expenses": "spend", "expense": "spend",
    "much": "spend", "total": "spend", "sum": "spend",
    "largest": "biggest", "most": "biggest", "expensive": "biggest", "costly": "biggest",
    "priciest": "biggest", "highest": "biggest", "max": "biggest", "big": "biggest",
    "bought": "purchase", "purchases": "purchase", "buy": "purchase",
    "receipts": "receipt", "number": "many", "count": "many", "times": "many",
    "previous": "last", "past": "last", "years": "year",
    "q1": "quarter", "q2": "quarter", "q3": "quarter", "q4": "quarter", "months": "month",
    "berbelanja": "belanja", "perbelanjaan": "belanja", "habis": "belanja",
    "habiskan": "belanja", "jumlah": "belanja", "bayar": "belanja",
    "termahal": "terbesar", "tertinggi": "terbesar", "mahal": "terbesar",
    "beli": "pembelian", "bilangan": "berapa",
}  # fmt: skip
_QUESTION_STARTS = {
    "how", "what", "which", "when", "where", "who", "why", "whats", "show", "tell", "list",
    "give", "did", "do", "does", "is", "are", "was", "were", "can", "could",
    "berapa", "apa", "bila", "mana",
}  # fmt: skip
# Words (as written) of a question about spending, wherever they are in the text.
_ABOUT_SPENDING = {
    "spend", "spent", "spending", "total", "cost", "costs", "paid", "pay", "expenses", "expense",
    "purchase", "purchases", "bought", "receipt", "receipts", "biggest", "largest", "expensive",
    "budget", "money", "belanja", "resit",
}  # fmt: skip
_GREETINGS = {
    "hello": {
        "hi", "hello", "hey", "hallo", "halo", "hiya", "morning", "evening", "salam", "hai", "helo",
    },
    "thanks": {"thanks", "thank", "thx", "cheers", "terima", "kasih"},
}  # fmt: skip


def _words(text: str) -> list[str]:
    return [_SAME.get(w, w) for w in _WORD.findall(text.lower().replace("'", ""))]


def command_list() -> str:
    return ", ".join(f"/{name}" for name in texts.COMMANDS)


def closest_command(name: str) -> str | None:
    """The known command nearest to ``name`` (a typo: "sumary" -> "summary"), or None."""
    found = difflib.get_close_matches(name.lower(), list(texts.COMMANDS), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_command(text: str) -> str:
    """The answer to ``/name...`` the bot has no handler for."""
    name = text.split(maxsplit=1)[0].lstrip("/").split("@", 1)[0][:32]
    near = closest_command(name)
    suggestion = texts.UNKNOWN_COMMAND_SUGGESTION.format(command=near) if near else ""
    return texts.UNKNOWN_COMMAND.format(
        command=name, suggestion=suggestion, commands=command_list()
    )


def looks_like_question(text: str) -> bool:
    """Asked ("?"), begun with a question word, or about spending ("total coffee october")."""
    words = _WORD.findall(text.lower().replace("'", ""))
    if not words:
        return False
    return (
        text.rstrip().endswith("?")
        or words[0] in _QUESTION_STARTS
        or any(w in _ABOUT_SPENDING for w in words)
    )


def closest_question(text: str) -> str | None:
    """The example question (``texts.EXAMPLE_QUESTIONS``, every one of which the rules read)
    sharing the most words with ``text`` (a tie: the one closest as a string, then the first);
    None when none shares a word ("how are you?")."""
    asked = {w for w in _words(text) if w not in _STOP}
    lowered = text.lower()

    def score(example: str) -> tuple[float, float]:
        words = {w for w in _words(example) if w not in _STOP}
        shared = len(asked & words) / len(asked | words)
        return shared, difflib.SequenceMatcher(None, lowered, example.lower()).ratio()

    best = max(texts.EXAMPLE_QUESTIONS, key=score)
    return best if score(best)[0] > 0 else None


def small_talk(text: str) -> str | None:
    """ "hello" or "thanks" when ``text`` is one, else None."""
    words = set(_WORD.findall(text.lower()))
    for kind, greetings in _GREETINGS.items():
        if words & greetings:
            return kind
    return None


def not_understood(text: str) -> str:
    """The answer to text that is no question the bot reads."""
    example = closest_question(text) if looks_like_question(text) else None
    if example is not None:
        return texts.QUESTION_NOT_READ.format(example=example)
    kind = small_talk(text)
    return texts.SMALL_TALK.format(
        greeting=texts.SMALL_TALK_GREETINGS[kind] if kind else "",
        example=texts.EXAMPLE_QUESTIONS[0],
        commands=command_list(),
    )
