"""Every read receipt gets a category by itself (ReceiptService.apply_result): the user's own
choice for the merchant, else the merchant's kind and items, else what other users' receipts of
the merchant clearly agree on, else none; a doubtful one is marked ❓ on the card."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from bot.render import receipt_card
from core.categories.repository import MerchantCategoryRepository
from core.categories.service import add_category, rename_category
from core.contracts import LineItem, Merchant, ProcessingResult, ReceiptExtraction, ReceiptStatus
from core.db.models import Receipt, User
from core.receipts.service import ReceiptService
from core.receipts.views import ReceiptView
from core.settings import ApiSettings
from tests.fakes import stored_receipt


def service() -> ReceiptService:
    settings = ApiSettings(database_url="sqlite://", telegram_mode="off")
    return ReceiptService(settings=settings, store=None)  # type: ignore[arg-type]


def add_user(s: Session) -> User:
    user = User(telegram_user_id=uuid.uuid4().int % 10**9)
    s.add(user)
    s.flush()
    return user


def read(
    s: Session,
    user: User,
    merchant: str,
    items: tuple[str, ...] = (),
    *,
    extractor_pick: str | None = None,
) -> Receipt:
    """A receipt of ``user`` read as the processor reports it (no category from the rules)."""
    receipt = stored_receipt(user_id=user.id, status="queued")
    s.add(receipt)
    s.flush()
    extraction = ReceiptExtraction(
        merchant=Merchant(name=merchant),
        total=Decimal("9.00"),
        currency="MYR",
        line_items=[LineItem(description=d, amount=Decimal("1.00")) for d in items],
        category=extractor_pick,
        confidence={"merchant": 0.9, "total": 0.95},
    )
    result = ProcessingResult(
        receipt_id=receipt.id, status=ReceiptStatus.DONE, extraction=extraction
    )
    assert service().apply_result(s, result).applied
    return receipt


def others_gave(s: Session, merchant: str, *categories: str) -> None:
    """Other users' read receipts of ``merchant``, one user per category given."""
    for category in categories:
        other = add_user(s)
        s.add(stored_receipt(user_id=other.id, merchant_name=merchant, category=category))
    s.flush()


def card(receipt: Receipt) -> str:
    return receipt_card(ReceiptView.of(receipt))


def test_the_users_choice_for_the_merchant_wins_over_the_classifier_and_others(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        user = add_user(s)
        MerchantCategoryRepository(s).remember(
            user_id=user.id, merchant="Restoran Seri Melaka", category="groceries"
        )
        others_gave(s, "RESTORAN SERI MELAKA", "dining", "dining")
        receipt = read(s, user, "RESTORAN  SERI MELAKA", ("NASI LEMAK", "TEH TARIK"))
        assert receipt.category == "groceries"
        assert receipt.confidence is not None and receipt.confidence["category"] == 1.0
        assert "❓" not in card(receipt)


def test_the_classifier_wins_over_others_and_follows_the_users_names(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        user = add_user(s)
        rename_category(s, user_id=user.id, old="dining", new="eating out")
        others_gave(s, "RESTORAN SERI MELAKA", "groceries", "groceries", "groceries")
        receipt = read(s, user, "Restoran Seri Melaka", ("NASI LEMAK", "TEH TARIK"))
        assert receipt.category == "eating out"
        assert receipt.confidence is not None and receipt.confidence["category"] >= 0.7
        assert "🏷 eating out" in card(receipt) and "❓" not in card(receipt)

        # Items alone, the merchant's name saying nothing: one item is doubtful.
        taped = read(s, user, "FY EAGLE ENTERPRISE", ("TAPE OPP 48MMX80Y CLEAR",))
        assert taped.category == "shopping"
        assert "🏷 shopping ❓" in card(taped)


def test_others_clear_majority_is_taken_doubtful_and_a_confirmation_makes_it_the_users(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        user = add_user(s)
        others_gave(s, "KEDAI 88", "shopping", "shopping", "groceries")
        s.add(stored_receipt(user_id=user.id, merchant_name="Kedai 88", category="travel"))
        receipt = read(s, user, "Kedai 88", ("ITEM 100100000060",))
        # Two users of three (the user's own earlier receipt does not vote): shopping, doubtful.
        assert receipt.category == "shopping"
        assert receipt.confidence is not None and receipt.confidence["category"] < 0.7
        assert "🏷 shopping ❓" in card(receipt)
        assert receipt.confidence["merchant"] == 0.9  # the rest of the map as read

        service().confirm(s, receipt_id=receipt.id, user_id=user.id)
        again = read(s, user, "KEDAI 88")
        assert again.category == "shopping"
        assert again.confidence is not None and again.confidence["category"] == 1.0


def test_no_clear_majority_or_a_name_not_on_the_list_leaves_it_uncategorised(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        user = add_user(s)
        others_gave(s, "KEDAI 12", "shopping")  # one user only
        others_gave(s, "KEDAI 34", "shopping", "groceries")  # split
        others_gave(s, "KEDAI 56", "model trains", "model trains")  # not on the user's list
        for name in ("KEDAI 12", "KEDAI 34", "KEDAI 56", "KEDAI 78"):
            receipt = read(s, user, name)
            assert receipt.category is None, name
            assert receipt.confidence is not None and "category" not in receipt.confidence
            assert "🏷" not in card(receipt)
        # Once the name is on the user's list, the others' agreement counts.
        add_category(s, user_id=user.id, name="model trains")
        assert read(s, user, "Kedai 56").category == "model trains"


def test_the_merchant_key_follows_the_name(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        user = add_user(s)
        others_gave(s, "KEDAI 90", "shopping", "shopping")
        receipt = read(s, user, "Kedai 09")
        assert receipt.merchant_key == "KEDAI09" and receipt.category is None
        service().correct(
            s, receipt_id=receipt.id, user_id=user.id, field="merchant", raw="Kedai 90"
        )
        assert receipt.merchant_key == "KEDAI90"
        assert read(s, user, "kedai-90").category == "shopping"


def test_the_extractors_pick_on_the_list_comes_before_the_classifier(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        user = add_user(s)
        receipt = read(s, user, "GREEN VALLEY PHARMACY", extractor_pick="shopping")
        assert receipt.category == "shopping"
        assert receipt.confidence is not None and "category" not in receipt.confidence
