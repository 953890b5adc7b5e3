"""/summary and /export through the real bot: the text, a valid PNG chart, CSV that parses back."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from core.budgets.service import set_budget
from core.categories.service import MAX_CATEGORIES, add_category, list_categories
from core.reading.extraction.base import DEFAULT_CATEGORIES
from core.users.repository import UserRepository
from devstack.stack import LocalStack
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, final_card, post_update, send_photo
from tests.fakes import stored_receipt

pytestmark = pytest.mark.e2e

CHAT = 7701


def test_summary_and_export_of_a_month(stack: LocalStack, fake: FakeTelegram) -> None:
    send_photo(stack, fake, SAMPLE, CHAT)
    fake.wait_for(lambda f: final_card(f, CHAT) is not None, timeout=120)

    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/summary 2018-12"))
    fake.wait_for(lambda f: len(f.calls_for("sendPhoto", CHAT)) == 1, timeout=30)
    text = next(
        str(c.params["text"])
        for c in fake.calls_for("sendMessage", CHAT)
        if str(c.params["text"]).startswith("📊")
    )
    assert "December 2018" in text and "MYR 9.00" in text
    (photo,) = fake.calls_for("sendPhoto", CHAT)
    ((_name, png),) = photo.files.values()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    assert "MYR 9.00" in str(photo.params.get("caption"))

    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/export 2018-12"))
    fake.wait_for(lambda f: len(f.calls_for("sendDocument", CHAT)) == 2, timeout=30)
    files = {
        name: data for c in fake.calls_for("sendDocument", CHAT) for name, data in c.files.values()
    }
    receipts = list(
        csv.DictReader(io.StringIO(files["receipts-december-2018.csv"].decode("utf-8")))
    )
    assert [(r["date"], r["currency"], Decimal(r["total"])) for r in receipts] == [
        ("2018-12-25", "MYR", Decimal("9.00"))
    ]
    assert "line-items-december-2018.csv" in files

    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/export 2018-12 zip"))
    fake.wait_for(lambda f: len(f.calls_for("sendDocument", CHAT)) == 5, timeout=30)
    files = {
        name: data for c in fake.calls_for("sendDocument", CHAT) for name, data in c.files.values()
    }
    with zipfile.ZipFile(io.BytesIO(files["receipts-december-2018.zip"])) as archive:
        (name,) = archive.namelist()
        assert name.startswith("2018-12-25_") and name.endswith(".jpg")
        assert archive.read(name) == SAMPLE.read_bytes()

    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/summary 1999-01"))
    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/summary someday"))
    fake.wait_for(
        lambda f: any(
            "didn't understand" in str(c.params["text"]) for c in f.calls_for("sendMessage", CHAT)
        ),
        timeout=10,
    )
    fake.wait_for(
        lambda f: any(
            "No receipts for January 1999" in str(c.params["text"])
            for c in f.calls_for("sendMessage", CHAT)
        ),
        timeout=10,
    )


def test_a_summary_with_thirty_budgets_comes_in_parts_telegram_takes(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    """GIVEN a budget on each of 30 long-named categories and a month in four currencies: the
    summary and the budgets together pass 4,096 characters."""
    chat = CHAT + 1
    assert stack.container is not None
    own = MAX_CATEGORIES - len(DEFAULT_CATEGORIES)
    names = [f"shared household spending: category {n:02} of the 30" for n in range(own)]
    with stack.container.session_factory.begin() as s:
        user = UserRepository(s).upsert_telegram_user(
            telegram_user_id=chat, chat_id=chat, username=None, first_name="B", language_code="en"
        )
        for name in names:
            add_category(s, user_id=user.id, name=name)
        for n, name in enumerate(list_categories(s, user_id=user.id)):
            set_budget(s, user_id=user.id, category=name, amount=Decimal(3000), currency="EUR")
            for currency in ("EUR", "USD", "MYR", "SGD"):
                s.add(
                    stored_receipt(
                        user_id=user.id,
                        merchant_name=f"Supermercado Internacional de la Avenida Principal {n}",
                        category=name,
                        total=Decimal("1234.56") + n,
                        currency=currency,
                        purchase_date=date(2026, 10, 1 + n),
                    )
                )

    post_update(stack, fake.text_update(chat_id=chat, user_id=chat, text="/summary 2026-10"))
    fake.wait_for(lambda f: len(f.calls_for("sendPhoto", chat)) == 1, timeout=30)

    texts = [str(c.params["text"]) for c in fake.calls_for("sendMessage", chat)]
    assert len(texts) == 2
    assert all(len(t.encode("utf-16-le")) // 2 <= 4096 for t in texts)
    whole = "\n".join(fake.messages(chat).values())  # as the user sees them
    assert "went wrong" not in whole
    assert "October 2026</b> — 120 receipts" in texts[0]
    assert "Budgets for October 2026" in whole
    assert whole.count(": EUR ") >= 30  # every budget's line


def test_the_summary_of_a_month_in_two_currencies_at_the_edges_of_a_time_zone(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    """GIVEN a user in Kuala Lumpur (UTC+8) with MYR and EUR receipts in October 2026, two
    without a printed date sent where the month in UTC is not the month in Kuala Lumpur, and one
    of September."""
    chat = CHAT + 2
    assert stack.container is not None
    with stack.container.session_factory.begin() as s:
        user = UserRepository(s).upsert_telegram_user(
            telegram_user_id=chat, chat_id=chat, username=None, first_name="K", language_code="en"
        )
        user.timezone = "Asia/Kuala_Lumpur"

        def receipt(
            total: str, currency: str, merchant: str, category: str | None, *,
            day: date | None, sent: datetime,
        ) -> None:  # fmt: skip
            s.add(
                stored_receipt(
                    user_id=user.id,
                    merchant_name=merchant,
                    category=category,
                    total=Decimal(total),
                    currency=currency,
                    purchase_date=day,
                    created_at=sent,
                )
            )

        receipt("45.50", "MYR", "Kedai Runcit", "groceries", day=date(2026, 10, 5),
                sent=datetime(2026, 10, 5, 4, tzinfo=UTC))  # fmt: skip
        # Printed October 31, sent on November 1 (UTC): its printed date decides.
        receipt("12.30", "MYR", "Mamak Corner", "dining", day=date(2026, 10, 31),
                sent=datetime(2026, 11, 1, 3, tzinfo=UTC))  # fmt: skip
        receipt("20.00", "EUR", "Cafe Central", "dining", day=date(2026, 10, 12),
                sent=datetime(2026, 10, 20, 9, tzinfo=UTC))  # fmt: skip
        # No printed date: 2026-09-30 17:30 UTC is 2026-10-01 01:30 in Kuala Lumpur: October.
        receipt("7.20", "MYR", "Grab", None, day=None,
                sent=datetime(2026, 9, 30, 17, 30, tzinfo=UTC))  # fmt: skip
        # No printed date: 2026-10-31 16:30 UTC is 2026-11-01 00:30 in Kuala Lumpur: November.
        receipt("99.00", "MYR", "Grab", None, day=None,
                sent=datetime(2026, 10, 31, 16, 30, tzinfo=UTC))  # fmt: skip
        receipt("50.00", "MYR", "Kedai Runcit", "groceries", day=date(2026, 9, 15),
                sent=datetime(2026, 9, 15, 4, tzinfo=UTC))  # fmt: skip

    post_update(stack, fake.text_update(chat_id=chat, user_id=chat, text="/summary 2026-10"))
    fake.wait_for(lambda f: len(f.calls_for("sendPhoto", chat)) == 1, timeout=30)

    (text,) = [t for t in fake.messages(chat).values() if t.startswith("📊")]  # as shown
    lines = text.split("\n")
    assert lines[:3] == [
        "📊 October 2026 — 4 receipts",
        "💰 MYR 65.00 (▲ 30% vs 50.00)",  # 45.50 + 12.30 + 7.20; September: 50.00
        "💰 EUR 20.00",  # never added to the MYR
    ]
    assert (
        "Biggest purchase in each currency:\n• Kedai Runcit, MYR 45.50\n• Cafe Central, EUR 20.00"
        in text
    )
    assert "1 receipt without a printed date: counted on the day you sent them." in lines
    assert lines[-1] == "Months follow your time zone, Asia/Kuala_Lumpur (/settings)."
    assert "99.00" not in text
    (photo,) = fake.calls_for("sendPhoto", chat)
    ((_name, png),) = photo.files.values()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    # The chart's currency: the one of the most receipts (3 in MYR, 1 in EUR).
    assert photo.params.get("caption") == "October 2026: MYR 65.00 in 3 receipts"
