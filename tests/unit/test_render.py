from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from bot.keyboards import card, fields, fix, shared_member
from bot.keyboards import shares as shares_keyboard
from bot.render import doubtful_fields, message_parts, now_impossible, receipt_card
from core.db.models import Receipt
from core.receipts.views import ReceiptView, ShareView


def receipt(**kw: object) -> ReceiptView:
    base: dict[str, object] = {
        "id": uuid.uuid4(),
        "status": "done",
        "merchant_name": "Corner <Cafe> & Co",
        "purchase_date": date(2026, 10, 3),
        "total": Decimal("1234.5"),
        "currency": "EUR",
        "confidence": {"merchant": 0.9, "date": 0.95, "total": 0.4, "currency": 0.3},
    }
    base.update(kw)
    return ReceiptView.of(Receipt(**base))


def test_card_escapes_receipt_text_and_marks_doubtful_fields() -> None:
    r = receipt()
    text = receipt_card(r)
    assert "Corner &lt;Cafe&gt; &amp; Co" in text
    assert "EUR 1,234.50" in text
    assert doubtful_fields(r) == ["total", "currency"]
    assert "❓" in text and "not sure" in text


def test_confirmed_receipt_has_nothing_to_review() -> None:
    r = receipt(confirmed_at=datetime.now(UTC))
    assert doubtful_fields(r) == []
    assert "❓" not in receipt_card(r)
    labels = [b.text for row in card(r, key=b"k").inline_keyboard for b in row]
    assert not any("Looks right" in label for label in labels)


def test_field_picker_lists_doubtful_fields_first() -> None:
    rows = fields(receipt(), key=b"k").inline_keyboard
    labels = [b.text for row in rows for b in row]
    assert labels[:2] == ["❓ Total", "❓ Currency"]
    assert {"Subtotal", "Tax"} <= set(labels)
    assert labels[-1] == "« Back"
    assert all(len(row) <= 3 for row in rows)


def test_subtotal_and_tax_are_marked_only_when_in_doubt() -> None:
    sure = {"merchant": 0.9, "date": 0.9, "total": 0.9, "currency": 0.9}
    unverified = receipt(
        subtotal=Decimal("8.49"), tax=Decimal("0.51"), confidence={**sure, "tax": 0.6}
    )
    assert doubtful_fields(unverified) == []  # the rules' 0.6 for a tax nothing confirms
    impossible = receipt(
        total=Decimal("9.00"), tax=Decimal("9.00"), confidence={**sure, "tax": 0.3}
    )
    assert doubtful_fields(impossible) == ["tax"]
    assert "Tax: EUR 9.00 ❓" in receipt_card(impossible)
    labels = [b.text for row in fields(impossible, key=b"k").inline_keyboard for b in row]
    assert labels[0] == "❓ Tax"
    no_tax = receipt(tax=None, confidence={**sure, "tax": 0.3})
    assert doubtful_fields(no_tax) == []


def test_a_typed_total_that_leaves_the_tax_impossible_says_so() -> None:
    r = receipt(total=Decimal("8.50"), subtotal=Decimal("81.00"), tax=Decimal("9.00"))
    note = now_impossible(r, "total")
    assert note is not None
    assert "the tax 9.00 is now more than the total" in note
    assert "the subtotal 81.00 is now far more than the total" in note
    assert note.endswith("fix them too?")
    assert now_impossible(r, "tax") == (
        "\n\n⚠️ But the total 8.50 is now less than the tax: fix it too?"
    )
    same = receipt(total=Decimal("9.00"), tax=Decimal("9.00"))
    assert "the tax 9.00 is now as much as the total: fix it too?" in str(
        now_impossible(same, "total")
    )
    assert now_impossible(receipt(total=Decimal("90.00"), tax=Decimal("9.00")), "total") is None
    assert now_impossible(r, "merchant") is None
    (button,) = [b for row in fix(r, key=b"k").inline_keyboard for b in row]
    assert button.text == "✏️ Fix" and str(button.callback_data).startswith("fx:")


def test_message_parts_join_blocks_that_fit_and_cut_between_lines_otherwise() -> None:
    summary = "📊 <b>October</b>\n• a: EUR 1.00\n\n<b>Top merchants</b>\n• b: EUR 2.00"
    budgets = "<b>Budgets</b>\n• a: EUR 1.00 of EUR 5.00 (20%)"

    assert message_parts(summary, "") == [summary]
    assert message_parts(summary, budgets) == [f"{summary}\n\n{budgets}"]
    cut = message_parts(summary, budgets, limit=60)
    assert all(len(p.encode("utf-16-le")) // 2 <= 60 for p in cut)  # 📊 counts twice
    assert "\n".join(cut).replace("\n", "") == f"{summary}{budgets}".replace("\n", "")
    assert all(p.count("<b>") == p.count("</b>") for p in cut)  # never inside a line
    assert not any(p.startswith("\n") or p.endswith("\n") for p in cut)


def test_a_category_the_receipt_got_by_itself_is_marked_when_doubtful() -> None:
    unsure = receipt(category="shopping", confidence={"total": 0.9, "category": 0.6})
    assert doubtful_fields(unsure) == ["category"]
    assert "🏷 shopping ❓" in receipt_card(unsure)
    labels = [b.text for row in fields(unsure, key=b"k").inline_keyboard for b in row]
    assert labels[0] == "❓ Category"
    sure = receipt(category="shopping", confidence={"total": 0.9, "category": 0.9})
    assert "🏷 shopping\n" in receipt_card(sure) and "❓" not in receipt_card(sure)
    confirmed = receipt(
        category="shopping", confidence={"category": 0.6}, confirmed_at=datetime.now(UTC)
    )
    assert "❓" not in receipt_card(confirmed)


def test_a_failure_says_why_in_the_users_language() -> None:
    from bot import i18n
    from bot.locales import ms
    from core.contracts import ErrorCode

    failed = receipt(
        status="failed",
        error_code="too_many_pages",
        error_message="The PDF has 7 pages; at most 5 are read.",
    )
    # English: the processor's own (English, most precise) words
    assert "The PDF has 7 pages; at most 5 are read." in receipt_card(failed)
    # Malay: the catalogue's reason for its code, never the English message
    with i18n.speaking("ms"):
        card_ms = receipt_card(failed)
    assert ms.FAILURE_REASONS["too_many_pages"] in card_ms and "7 pages" not in card_ms
    # an unknown code (or none) in Malay: the catalogue's "unknown error"
    with i18n.speaking("ms"):
        assert ms.UNKNOWN_ERROR in receipt_card(receipt(status="failed", error_message="boom"))
    # every code the processor and the API use has a reason
    assert set(ms.FAILURE_REASONS) == {code.value for code in ErrorCode}


def test_a_ledger_card_shows_each_share_and_a_button_per_member() -> None:
    base = receipt(ledger_id=1, split="shares", confidence={})
    shares = (
        ShareView(
            user_id=7, name="@ana", weight=Decimal(2), amount=Decimal("6.67"), currency="EUR"
        ),
        ShareView(
            user_id=8, name="<ben>", weight=Decimal(1), amount=Decimal("3.33"), currency="EUR"
        ),
    )
    r = dataclasses.replace(base, shares=shares)
    assert "👥 @ana ×2 EUR 6.67 · &lt;ben&gt; EUR 3.33" in receipt_card(r)
    labels = [b.text for row in card(r, key=b"k").inline_keyboard for b in row]
    assert {"⚖️ By shares", "🧮 Shares…"} <= set(labels)

    rows = shares_keyboard(r, [(7, "@ana"), (8, "<ben>"), (9, "@cal")], key=b"k").inline_keyboard
    pressed = {b.text: b.callback_data for row in rows for b in row}
    assert list(pressed) == ["@ana ×2", "<ben> ×1", "➖ @cal", "« Back"]
    # each button stands for its member's user id, within Telegram's 64 bytes of data
    data = str(pressed["➖ @cal"])
    assert len(data.encode()) <= 64 and shared_member(data.split(":")[0]) == 9
    assert shared_member("w" + "9" * 16) is None  # an id too long for the data: not one
