from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from bot.keyboards import card, fields
from bot.render import doubtful_fields, message_parts, receipt_card
from core.db.models import Receipt
from core.receipts.views import ReceiptView


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
    labels = [b.text for row in fields(receipt(), key=b"k").inline_keyboard for b in row]
    assert labels[:2] == ["❓ Total", "❓ Currency"]
    assert labels[-1] == "« Back"


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
