"""The user's language: which catalogue of texts the bot sends (``bot/texts.py``, English, the
source; ``bot/locales/<code>.py`` the others, with the same names) and which locale formats
amounts and dates (``bot/formats.py``).

A language is chosen once per update: from the Telegram user's ``language_code`` for an update
from Telegram, from the receipt owner's stored one for a processing result (``bot/app.py``). It
is held in a context variable for the rest of that update's task (each update runs in its own
task; ``asyncio.to_thread`` and tasks started from it copy the variable), as Django's
``translation.activate`` holds the active language, so the handlers and renderers keep writing
``texts.NAME``: ``texts`` here reads the current language's catalogue. Anything unset or not
translated is English.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from bot import texts as english
from bot.locales import ms


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # Telegram's (IETF) primary language subtag: "en", "ms"
    locale: str  # Babel's locale for amounts and dates
    texts: ModuleType  # the catalogue: every name of bot/texts.py


ENGLISH = Language(code="en", locale="en", texts=english)
MALAY = Language(code="ms", locale="ms_MY", texts=ms)
LANGUAGES = {language.code: language for language in (ENGLISH, MALAY)}

_current: ContextVar[Language] = ContextVar("language", default=ENGLISH)


def language_for(language_code: str | None) -> Language:
    """The language for Telegram's ``language_code`` ("ms", "ms-MY", "MS_my"): by its primary
    subtag; English for anything else, or none."""
    if not language_code:
        return ENGLISH
    primary = language_code.replace("_", "-").split("-", 1)[0].strip().lower()
    return LANGUAGES.get(primary, ENGLISH)


def texts_for(language_code: str | None) -> ModuleType:
    """The catalogue for ``language_code`` (English when there is none for it)."""
    return language_for(language_code).texts


def current() -> Language:
    """The language of the update being handled (English outside one)."""
    return _current.get()


def use(language_code: str | None) -> Language:
    """Make ``language_code``'s language the current one for the rest of this task (an update's
    handlers run in the task that chose it)."""
    language = language_for(language_code)
    _current.set(language)
    return language


@contextmanager
def speaking(language_code: str | None) -> Iterator[Language]:
    """``language_code``'s language for the ``with`` block only."""
    token = _current.set(language_for(language_code))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


class _CurrentTexts:
    """``texts.NAME``: the current language's text of that name."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_current.get().texts, name)


if TYPE_CHECKING:  # mypy checks every ``texts.NAME`` (and its type) against the English source
    from bot import texts as texts
else:
    texts = _CurrentTexts()
