"""Category names, captions naming a category, the /categories rename syntax and picker buttons."""

from __future__ import annotations

import pytest

from bot import keyboards
from bot.handlers.categories import error_text, split_rename
from core.categories.service import CategoryError, category_from_caption, clean_name
from core.reading.extraction.base import DEFAULT_CATEGORIES


class TestCleanName:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("Pets", "pets"),
            ("  Eating   Out ", "eating out"),
            ("Café ☕", "café ☕"),
            ("x" * 50, "x" * 50),
        ],
    )
    def test_trims_collapses_spaces_and_lowers(self, raw: str, expected: str) -> None:
        assert clean_name(raw) == expected

    @pytest.mark.parametrize(
        ("raw", "code"),
        [
            ("", "empty"),
            ("   ", "empty"),
            ("x" * 51, "too_long"),
            ("pets\nfood", "control_characters"),
            ("pets\tfood", "control_characters"),
            ("pe\x00ts", "control_characters"),
            ("\u202eevil", "control_characters"),
            (" Uncategorised ", "reserved"),  # summaries' name for receipts without one
            ("UNCATEGORIZED", "reserved"),
        ],
    )
    def test_refuses(self, raw: str, code: str) -> None:
        with pytest.raises(CategoryError) as caught:
            clean_name(raw)
        assert caught.value.code == code

    def test_the_reserved_name_is_explained_in_the_chat(self) -> None:
        with pytest.raises(CategoryError) as caught:
            clean_name("Uncategorised")
        text = error_text(caught.value)
        assert text.startswith("<b>uncategorised</b> is what I call receipts without a category")


class TestCategoryFromCaption:
    MINE = ("pets", "eating out", "eating", "kids' stuff", *DEFAULT_CATEGORIES)

    @pytest.mark.parametrize(
        ("caption", "expected"),
        [
            ("vet for #Pets", "pets"),
            ("Eating out with Ana", "eating out"),  # the longest name found wins
            ("eating alone", "eating"),
            ("kids' stuff!", "kids' stuff"),
            ("groceries", "groceries"),
            ("petshop", None),
            ("", None),
        ],
    )
    def test_recognises_the_users_own_categories(self, caption: str, expected: str | None) -> None:
        assert category_from_caption(caption, self.MINE) == expected

    def test_only_the_users_categories_count(self) -> None:
        assert category_from_caption("fuel", ["pets", "travel"]) is None


class TestSplitRename:
    NAMES = ("eating out", "eating", "pets", "dining")

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("dining -> eating out", ("dining", "eating out")),
            ("Eating Out → Meals", ("Eating Out", "Meals")),
            ("pets => animals", ("pets", "animals")),
            ("eating out restaurants and bars", ("eating out", "restaurants and bars")),
            ("dining meals", ("dining", "meals")),
            ("dinning meals", ("dinning", "meals")),  # unknown old name: the service says so
            ("dining", None),
            ("-> meals", None),
            ("coffee shops and bars", None),
        ],
    )
    def test_splits_old_and_new(self, text: str, expected: tuple[str, str] | None) -> None:
        assert split_rename(text, self.NAMES) == expected


class TestPickerButtons:
    def test_a_button_chooses_its_category_in_the_list_as_it_is_now(self) -> None:
        action = keyboards.category_action("eating out")
        assert keyboards.is_category_action(action)
        assert len(action) <= 18  # callback data: action, receipt id and signature in 64 bytes
        assert keyboards.chosen_category(action, ["pets", "eating out"]) == "eating out"
        assert keyboards.chosen_category(action, ["pets", "meals"]) is None  # renamed since

    def test_buttons_sent_before_users_had_their_own_still_work(self) -> None:
        assert keyboards.is_category_action("k3")
        assert keyboards.chosen_category("k3", DEFAULT_CATEGORIES) == DEFAULT_CATEGORIES[3]
        assert keyboards.chosen_category("k3", ["pets"]) is None
        assert keyboards.chosen_category("k99", DEFAULT_CATEGORIES) is None
        assert not keyboards.is_category_action("kb")  # "keep both"
