"""A receipt's category from its merchant's kind and items (core/categories/classify.py): several
languages, items alone, a merchant whose name says nothing, the user's own names, the doubt."""

from __future__ import annotations

import pytest

from core.categories.classify import KINDS, category_for, classify
from core.reading.extraction.base import DEFAULT_CATEGORIES
from core.reading.extraction.rules.extractor import RulesExtractor
from core.reading.ocr.base import OcrLine, OcrResult

SURE = 0.7  # the card's ❓ threshold (bot/render.py REVIEW_THRESHOLD)


class TestTheMerchantsKind:
    @pytest.mark.parametrize(
        ("merchant", "expected"),
        [
            # English
            ("CORNER RESTAURANT SDN BHD", "dining"),
            ("GREEN VALLEY PHARMACY", "health"),
            ("CITY HARDWARE & ELECTRICAL", "shopping"),
            ("SUNRISE SUPERMARKET", "groceries"),
            ("EXPRESS LAUNDRY", "services"),
            ("HARBOUR VIEW HOTEL", "travel"),
            # Malay
            ("RESTORAN NASI KANDAR SRI", "dining"),
            ("KEDAI RUNCIT AH KOW", "groceries"),
            ("FARMASI SEJAHTERA", "health"),
            ("KLINIK DR TAN", "health"),
            ("STESEN MINYAK JAYA", "fuel"),
            # Chinese characters of Malaysian receipts
            ("大众药房", "health"),
            ("顺发五金", "shopping"),
            ("好味茶餐厅", "dining"),
            ("新鲜超市", "groceries"),
            # German, French, Spanish (accents folded)
            ("Stadt-Apotheke", "health"),
            ("Bäckerei Müller", "groceries"),
            ("Pharmacie du Centre", "health"),
            ("Tankstelle am Ring", "fuel"),
            ("Farmacia San José", "health"),
            ("Supermercado El Sol", "groceries"),
            ("Ferretería López", "shopping"),
            # printed without spaces (WildReceipt writes boxes so)
            ("FISHFARMTHAIRESTAURANT", "dining"),
        ],
    )
    def test_names_its_kind(self, merchant: str, expected: str) -> None:
        guess = classify(merchant)
        assert guess.category == expected, guess.reason
        assert guess.confidence >= SURE  # a name saying what the shop is: no doubt

    @pytest.mark.parametrize(
        ("merchant", "not_"),
        [
            ("VIVO MARKETING SDN BHD", "groceries"),  # MARKETING is no market
            ("MOTORAMA TRAINEES CLUB", "transport"),  # words inside words do not count
            ("BARWANG HOLDINGS", "dining"),  # nor short ones run into a name
        ],
    )
    def test_words_count_whole(self, merchant: str, not_: str) -> None:
        assert classify(merchant).category != not_


class TestItemsAlone:
    """A merchant whose name says nothing: the items (and how the receipt reads) decide."""

    def test_a_mixed_rice_stall(self) -> None:
        guess = classify("UNIHAKKA INTERNATIONAL SDN BHD", ["1 MEAT + 3 VEGE", "TEH AIS"])
        assert guess.category == "dining"
        assert "items" in guess.reason and "merchant" not in guess.reason

    def test_a_grocery_run_in_malay_and_english(self) -> None:
        guess = classify("SYARIKAT LIM", ["SAYUR BAYAM", "TELUR GRED A 10S", "SUSU SEGAR 1L"])
        assert guess.category == "groceries"
        assert guess.confidence >= SURE  # three items agree

    def test_stationery(self) -> None:
        guess = classify("ABC ENTERPRISE", ["OPP TAPE 48MM", "A4 PAPER 70GSM", "BINDER CLIP"])
        assert guess.category == "shopping"

    def test_medicine(self) -> None:
        assert classify("SYKT KIM", ["PARACETAMOL 500MG 10 TABLETS"]).category == "health"

    def test_spanish_and_chinese_items(self) -> None:
        assert classify(None, ["LECHE SEMIDESNATADA", "YOGUR GRIEGO", "PAN DE MOLDE"]).category == (
            "groceries"
        )
        assert classify(None, ["鸡饭", "奶茶"]).category == "dining"

    def test_one_item_is_doubtful(self) -> None:
        guess = classify("FY EAGLE ENTERPRISE", ["TAPE OPP 48MMX80Y CLEAR"])
        assert guess.category == "shopping"
        assert guess.confidence < SURE

    def test_how_the_receipt_reads(self) -> None:
        table = classify("THREE STOOGES", [], text="TABLE : G7\nPAX: 2\nSERVICE CHARGE 10%")
        assert table.category == "dining" and table.confidence >= SURE
        pump = classify("SUN WONG KUT SDN BHD", [], text="39.54 LITRE PUMP # 07\nRM 88.17")
        assert pump.category == "fuel" and pump.confidence >= SURE
        # A table lamp is no table at a restaurant.
        assert classify("INDAH", ["GF-TABLE LAMP/STITCH"]).category != "dining"

    def test_nothing_telling_gives_no_category(self) -> None:
        guess = classify("UNIHAKKA INTERNATIONAL SDN BHD", ["ITEM 100100000060"], text="TOTAL 8.20")
        assert guess == (None, 0.0, "nothing on the receipt tells its kind")
        assert classify(None).category is None

    def test_items_against_the_name_lower_the_confidence(self) -> None:
        alone = classify("SEASIDE BISTRO")
        against = classify("SEASIDE BISTRO", ["A4 PAPER", "BINDER CLIP", "OPP TAPE", "STAPLER"])
        assert against.confidence < alone.confidence


class TestTheUsersOwnNames:
    def test_a_renamed_kind_maps_to_the_users_name(self) -> None:
        names = ["Eating out", "pets", "groceries"]
        assert classify("RESTORAN SERI MELAKA", categories=names).category == "Eating out"

    def test_fuel_falls_back_to_transport(self) -> None:
        assert classify("STESEN MINYAK JAYA", categories=["transport", "food"]).category == (
            "transport"
        )

    def test_a_name_holding_the_word(self) -> None:
        assert category_for("groceries", ["rent", "food & groceries"]) == "food & groceries"

    def test_no_category_for_the_kind_gives_none(self) -> None:
        guess = classify("GREEN VALLEY PHARMACY", categories=["dining", "groceries"])
        assert guess.category is None
        assert "health" in guess.reason

    def test_other_is_never_a_kind(self) -> None:
        assert "other" in DEFAULT_CATEGORIES and "other" not in KINDS


def test_the_rules_extractor_classifies_with_the_users_list() -> None:
    ocr = OcrResult(
        lines=[
            OcrLine(text, box=(0, i * 20, 300, i * 20 + 18))
            for i, text in enumerate(
                (
                    "KEDAI MAKAN SRI MAJU",
                    "TABLE 5",
                    "NASI LEMAK 1 5.00",
                    "TEH TARIK 1 2.00",
                    "TOTAL",
                )
            )
        ],
        engine="test",
    )
    extraction = RulesExtractor().extract(ocr, categories=["eating out", "groceries"])
    assert extraction.category == "eating out"
    assert extraction.confidence["category"] >= SURE
    bare = RulesExtractor().extract(OcrResult(lines=[OcrLine("TOTAL 7.00")], engine="test"))
    assert bare.category is None and "category" not in bare.confidence
