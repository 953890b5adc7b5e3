"""Every text of the English catalogue (bot/texts.py) in every other language, with the same
placeholders and HTML tags; and how a Telegram language code picks the language."""

from __future__ import annotations

import re
import string
from collections import Counter
from types import ModuleType
from typing import Any

import pytest

from bot import i18n
from bot import texts as english
from bot.locales import ms

OTHERS = [language for language in i18n.LANGUAGES.values() if language is not i18n.ENGLISH]
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def names(catalogue: ModuleType) -> set[str]:
    return {name for name in vars(catalogue) if name.isupper()}


def placeholders(text: str) -> Counter[str]:
    """``{name}`` and ``{name:.1f}`` alike, as str.format reads them."""
    return Counter(
        f"{field}:{spec}" if spec else field
        for _, field, spec, _ in string.Formatter().parse(text)
        if field is not None
    )


def tags(text: str) -> Counter[str]:
    return Counter(_TAG.findall(text))


def leaves(value: Any, path: str) -> dict[str, Any]:
    """A text's strings by where they are: a dict's by key, a tuple's by position."""
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in leaves(item, f"{path}[{key!r}]").items()
        }
    if isinstance(value, tuple):
        return {
            k: v for n, item in enumerate(value) for k, v in leaves(item, f"{path}[{n}]").items()
        }
    return {path: value}


def test_there_is_a_language_besides_english() -> None:
    assert [language.code for language in OTHERS] == ["ms"]
    assert i18n.MALAY.texts is ms


@pytest.mark.parametrize("language", OTHERS, ids=lambda language: language.code)
class TestCatalogue:
    def test_has_every_name_of_the_english_one_and_no_other(self, language: i18n.Language) -> None:
        assert names(language.texts) == names(english)

    def test_every_text_has_the_english_shape(self, language: i18n.Language) -> None:
        """Dicts with the same keys and tuples of the same length, down to the strings."""
        for name in sorted(names(english)):
            source = leaves(getattr(english, name), name)
            translated = leaves(getattr(language.texts, name), name)
            assert translated.keys() == source.keys(), name
            for path, text in source.items():
                assert type(translated[path]) is type(text), path

    def test_every_text_keeps_its_placeholders_and_html_tags(self, language: i18n.Language) -> None:
        for name in sorted(names(english)):
            source = leaves(getattr(english, name), name)
            translated = leaves(getattr(language.texts, name), name)
            for path, text in source.items():
                if not isinstance(text, str):
                    continue
                other = translated[path]
                assert placeholders(other) == placeholders(text), path
                assert tags(other) == tags(text), path
                assert other.strip(), path

    def test_texts_keep_the_limits_telegram_sets(self, language: i18n.Language) -> None:
        texts = language.texts
        assert all(1 <= len(d) <= 256 for d in texts.COMMANDS.values())
        assert list(texts.COMMANDS) == list(english.COMMANDS)
        assert all(len(p) <= 64 for p in texts.ASK_PLACEHOLDER.values())
        limit = "at most 30 receipts per 60 minutes"  # a button's alert: 200 characters at most
        assert len(texts.RETRY_RATE_LIMITED.format(limit=limit)) <= 200

    def test_every_text_formats(self, language: i18n.Language) -> None:
        """Each formats with its placeholders filled (a stray brace would raise)."""
        for name in sorted(names(english)):
            for path, text in leaves(getattr(language.texts, name), name).items():
                if isinstance(text, str):
                    values = {field.split(":")[0]: 1.5 for field in placeholders(text)}
                    assert isinstance(text.format(**values), str), path


def test_the_tag_and_placeholder_checks_see_a_difference() -> None:
    assert tags("<b>Jumlah: {total}</b>") != tags("Jumlah: {total}</b>")
    assert placeholders("{total} dalam {count}") != placeholders("{total} dalam {n}")
    assert placeholders("{size_mb:.1f} MB") != placeholders("{size_mb} MB")


class TestLanguageFor:
    @pytest.mark.parametrize("code", ["ms", "ms-MY", "MS_my", "ms-Latn-MY"])
    def test_malay_by_its_primary_subtag(self, code: str) -> None:
        assert i18n.language_for(code) is i18n.MALAY
        assert i18n.texts_for(code) is ms

    @pytest.mark.parametrize("code", [None, "", "en", "en-GB", "de", "zh-hans", "msa", "m"])
    def test_english_for_anything_else(self, code: str | None) -> None:
        assert i18n.language_for(code) is i18n.ENGLISH
        assert i18n.texts_for(code) is english


class TestCurrentTexts:
    def test_english_outside_an_update(self) -> None:
        assert i18n.texts.BTN_DELETE == english.BTN_DELETE

    def test_the_language_spoken_in_a_block_and_english_after_it(self) -> None:
        with i18n.speaking("ms-MY") as language:
            assert language is i18n.MALAY
            assert i18n.texts.BTN_DELETE == ms.BTN_DELETE == "🗑 Padam"
            assert i18n.texts.STAGES["reading"] == ms.STAGES["reading"]
        assert i18n.texts.BTN_DELETE == english.BTN_DELETE

    def test_an_unknown_name_is_an_error(self) -> None:
        with pytest.raises(AttributeError):
            _ = i18n.texts.NO_SUCH_TEXT  # type: ignore[attr-defined]
