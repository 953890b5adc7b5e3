"""The user's own categories in the database: add, rename and remove keep receipts, remembered
merchant choices and budgets adding up; the job and the result use the user's list."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.budgets.service import budget_status, new_warnings, set_budget
from core.categories.repository import MerchantCategoryRepository
from core.categories.service import (
    MAX_CATEGORIES,
    CategoryError,
    add_category,
    list_categories,
    own_categories,
    remove_category,
    rename_category,
    reset_categories,
)
from core.contracts import Merchant, ProcessingResult, ReceiptExtraction, ReceiptStatus
from core.db.models import Budget, BudgetAlert, Receipt, User, UserCategory
from core.reading.extraction.base import DEFAULT_CATEGORIES
from core.receipts.corrections import InvalidCorrection
from core.receipts.service import ReceiptService, new_attempt
from core.settings import ApiSettings
from core.summaries.months import Month
from tests.fakes import stored_receipt


def add_user(s: Session) -> User:
    user = User(telegram_user_id=uuid.uuid4().int % 10**9)
    s.add(user)
    s.flush()
    return user


def add_receipt(
    s: Session,
    *,
    user: User,
    category: str | None,
    total: str = "10.00",
    merchant: str | None = None,
    status: str = "done",
) -> Receipt:
    receipt = stored_receipt(
        user_id=user.id,
        status=status,
        merchant_name=merchant,
        category=category,
        total=Decimal(total),
        currency="EUR",
        purchase_date=date(2026, 10, 5),
    )
    s.add(receipt)
    s.flush()
    return receipt


def categories_of(factory: sessionmaker[Session], receipts: list[uuid.UUID]) -> list[str | None]:
    with factory() as s:
        return [s.get(Receipt, r).category for r in receipts]  # type: ignore[union-attr]


def service() -> ReceiptService:
    settings = ApiSettings(database_url="sqlite://", telegram_mode="off")
    return ReceiptService(settings=settings, store=None)  # type: ignore[arg-type]


class TestListAndAdd:
    def test_the_default_list_until_the_first_change_copies_it(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory.begin() as s:
            user = add_user(s)
            assert list_categories(s, user_id=user.id) == list(DEFAULT_CATEGORIES)
            assert own_categories(s, user_id=user.id) is None
            assert add_category(s, user_id=user.id, name="  Pets ") == "pets"
            add_category(s, user_id=user.id, name="Eating out")
            # Their own first, then the defaults in their usual order.
            mine = ["pets", "eating out", *DEFAULT_CATEGORIES]
            assert list_categories(s, user_id=user.id) == mine
            assert own_categories(s, user_id=user.id) == mine
            other = add_user(s)
            assert own_categories(s, user_id=other.id) is None

    @pytest.mark.parametrize(
        ("name", "code"),
        [
            ("PETS", "duplicate"),
            ("groceries", "duplicate"),
            ("", "empty"),
            ("a\nb", "control_characters"),
        ],
    )
    def test_add_refuses(
        self, session_factory: sessionmaker[Session], name: str, code: str
    ) -> None:
        with session_factory.begin() as s:
            user = add_user(s)
            add_category(s, user_id=user.id, name="pets")
            with pytest.raises(CategoryError) as caught:
                add_category(s, user_id=user.id, name=name)
            assert caught.value.code == code

    def test_at_most_thirty(self, session_factory: sessionmaker[Session]) -> None:
        with session_factory.begin() as s:
            user = add_user(s)
            for n in range(MAX_CATEGORIES - len(DEFAULT_CATEGORIES)):
                add_category(s, user_id=user.id, name=f"mine {n}")
            with pytest.raises(CategoryError) as caught:
                add_category(s, user_id=user.id, name="one too many")
            assert caught.value.code == "too_many"
            assert len(list_categories(s, user_id=user.id)) == MAX_CATEGORIES


class TestRename:
    def test_receipts_merchant_choices_and_budget_follow_the_new_name(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory.begin() as s:
            user, other = add_user(s), add_user(s)
            crossing = add_receipt(s, user=user, category="dining", total="50.00")
            mine = [
                add_receipt(s, user=user, category="dining", total="30.00").id,
                crossing.id,
                add_receipt(s, user=user, category="Dining", total="5.00").id,  # any case
                add_receipt(s, user=user, category="groceries").id,
            ]
            theirs = add_receipt(s, user=other, category="dining").id
            MerchantCategoryRepository(s).remember(
                user_id=user.id, merchant="Corner Cafe", category="dining"
            )
            MerchantCategoryRepository(s).remember(
                user_id=other.id, merchant="Corner Cafe", category="dining"
            )
            set_budget(s, user_id=user.id, category="dining", amount=Decimal("100"), currency="EUR")
            set_budget(s, user_id=other.id, category="dining", amount=Decimal("5"), currency="EUR")
            assert [w.level for w in new_warnings(s, receipt=crossing)] == [80]
            uid, oid = user.id, other.id

        with session_factory.begin() as s:
            renamed = rename_category(s, user_id=uid, old=" DINING ", new="Eating Out")
            assert (renamed.old, renamed.new, renamed.receipts) == ("dining", "eating out", 3)
            assert renamed.budget_moved

        assert categories_of(session_factory, [*mine, theirs]) == [
            "eating out",
            "eating out",
            "eating out",
            "groceries",
            "dining",
        ]
        with session_factory() as s:
            owner = s.get(User, uid)
            assert owner is not None
            assert list_categories(s, user_id=uid)[0] == "eating out"
            assert "dining" not in list_categories(s, user_id=uid)
            assert MerchantCategoryRepository(s).lookup(user_id=uid, merchant="CORNER CAFE") == (
                "eating out"
            )
            assert MerchantCategoryRepository(s).lookup(user_id=oid, merchant="corner cafe") == (
                "dining"
            )
            (status,) = budget_status(s, user=owner, month=Month(2026, 10))
            assert (status.category, status.spent) == ("eating out", Decimal("85.00"))
            alerts = s.scalars(select(BudgetAlert.category).where(BudgetAlert.user_id == uid))
            assert list(alerts) == ["eating out"]  # the 80% warning is not given again
            assert s.get(Budget, (oid, "dining")) is not None

    @pytest.mark.parametrize(
        ("old", "new", "code"),
        [
            ("coffee", "tea", "unknown"),
            ("dining", "Groceries", "duplicate"),
            ("dining", " DINING ", "same_name"),
            ("dining", "x" * 51, "too_long"),
        ],
    )
    def test_refuses(
        self, session_factory: sessionmaker[Session], old: str, new: str, code: str
    ) -> None:
        with session_factory.begin() as s:
            user = add_user(s)
            with pytest.raises(CategoryError) as caught:
                rename_category(s, user_id=user.id, old=old, new=new)
            assert caught.value.code == code

    def test_a_budget_left_on_the_new_name_gives_way(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory.begin() as s:
            user = add_user(s)
            set_budget(s, user_id=user.id, category="dining", amount=Decimal("100"), currency="EUR")
            set_budget(s, user_id=user.id, category="meals", amount=Decimal("1"), currency="EUR")
            rename_category(s, user_id=user.id, old="dining", new="meals")
            rows = s.execute(
                select(Budget.category, Budget.amount).where(Budget.user_id == user.id)
            )
            assert list(rows) == [("meals", Decimal("100.00"))]


class TestRemove:
    def test_receipts_become_uncategorised_and_the_budget_goes(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory.begin() as s:
            user, other = add_user(s), add_user(s)
            add_category(s, user_id=user.id, name="pets")
            mine = [
                add_receipt(s, user=user, category="pets", merchant="Vet").id,
                add_receipt(s, user=user, category="groceries").id,
            ]
            theirs = add_receipt(s, user=other, category="pets").id
            MerchantCategoryRepository(s).remember(user_id=user.id, merchant="Vet", category="pets")
            set_budget(s, user_id=user.id, category="pets", amount=Decimal("5"), currency="EUR")
            new_warnings(s, receipt=s.get(Receipt, mine[0]))  # type: ignore[arg-type]
            removed = remove_category(s, user_id=user.id, name="Pets")
            assert removed.name == "pets"
            assert (removed.detached.receipts, removed.detached.budget_removed) == (1, True)
            assert removed.detached.merchants == 1
            assert "pets" not in list_categories(s, user_id=user.id)
            assert MerchantCategoryRepository(s).lookup(user_id=user.id, merchant="Vet") is None
            assert s.scalars(select(Budget).where(Budget.user_id == user.id)).all() == []
            assert s.scalars(select(BudgetAlert).where(BudgetAlert.user_id == user.id)).all() == []
        assert categories_of(session_factory, [*mine, theirs]) == [None, "groceries", "pets"]

    def test_removing_a_default_customises_and_the_last_one_stays(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory.begin() as s:
            user = add_user(s)
            removed = remove_category(s, user_id=user.id, name="fuel")
            assert removed.detached.receipts == 0 and not removed.detached.budget_removed
            assert own_categories(s, user_id=user.id) == [
                c for c in DEFAULT_CATEGORIES if c != "fuel"
            ]
            for name in own_categories(s, user_id=user.id)[:-1]:  # type: ignore[index]
                remove_category(s, user_id=user.id, name=name)
            with pytest.raises(CategoryError) as caught:
                remove_category(s, user_id=user.id, name="other")
            assert caught.value.code == "last_one"
            with pytest.raises(CategoryError) as caught:
                remove_category(s, user_id=user.id, name="fuel")
            assert caught.value.code == "unknown"

    def test_reset_goes_back_to_the_defaults(self, session_factory: sessionmaker[Session]) -> None:
        with session_factory.begin() as s:
            user = add_user(s)
            add_category(s, user_id=user.id, name="pets")
            rename_category(s, user_id=user.id, old="dining", new="meals")
            receipt = add_receipt(s, user=user, category="pets")
            add_receipt(s, user=user, category="groceries")
            set_budget(s, user_id=user.id, category="meals", amount=Decimal("5"), currency="EUR")
            reset = reset_categories(s, user_id=user.id)
            assert (sorted(reset.removed), reset.receipts, reset.budgets) == (
                ["meals", "pets"],
                1,
                ["meals"],
            )
            assert own_categories(s, user_id=user.id) is None
            assert (
                s.scalars(select(UserCategory).where(UserCategory.user_id == user.id)).all() == []
            )
            s.refresh(receipt)
            assert receipt.category is None


class TestReceiptsUseTheUsersList:
    def test_the_job_carries_the_users_own_list_only_when_they_have_one(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory.begin() as s:
            user = add_user(s)
            receipt = add_receipt(s, user=user, category=None, status="failed")
            assert new_attempt(receipt).categories is None
            add_category(s, user_id=user.id, name="pets")
            receipt.status = "failed"
            assert new_attempt(receipt).categories == ["pets", *DEFAULT_CATEGORIES]

    def test_a_result_takes_the_caption_then_a_category_of_the_users_list(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        receipts = service()
        with session_factory.begin() as s:
            user = add_user(s)
            add_category(s, user_id=user.id, name="Eating out")
            remove_category(s, user_id=user.id, name="dining")
            captioned = add_receipt(s, user=user, category=None, status="queued")
            captioned.caption = "Eating out with Ana"
            plain = add_receipt(s, user=user, category=None, status="queued")
            stale = add_receipt(s, user=user, category=None, status="queued")
            unknown = add_receipt(s, user=user, category=None, status="queued")
            for receipt, picked, merchant in (
                (captioned, "pets", "Cafe"),
                (plain, "Eating Out", "Cafe"),
                (stale, "dining", "Cafe"),
                (unknown, "dining", "Kedai 88"),
            ):
                result = ProcessingResult(
                    receipt_id=receipt.id,
                    status=ReceiptStatus.DONE,
                    extraction=ReceiptExtraction(
                        merchant=Merchant(name=merchant), total=Decimal("3"), category=picked
                    ),
                )
                assert receipts.apply_result(s, result).applied
            # The caption wins; the extractor's pick counts when it is one of the user's
            # categories (one renamed or removed while the receipt was read does not: the
            # merchant's kind, a cafe, is mapped onto the list as it is now; a merchant whose
            # name says nothing gets none).
            assert [captioned.category, plain.category, stale.category, unknown.category] == [
                "eating out",
                "eating out",
                "eating out",
                None,
            ]

    def test_a_typed_new_category_joins_the_users_list(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        receipts = service()
        with session_factory.begin() as s:
            user = add_user(s)
            receipt = add_receipt(s, user=user, category=None, merchant="Corner Cafe")
            receipts.correct(
                s, receipt_id=receipt.id, user_id=user.id, field="category", raw=" Coffee "
            )
            assert receipt.category == "coffee"
            assert list_categories(s, user_id=user.id)[0] == "coffee"
            lookup = MerchantCategoryRepository(s).lookup(user_id=user.id, merchant="Corner Cafe")
            assert lookup == "coffee"
            with pytest.raises(InvalidCorrection):
                receipts.correct(
                    s, receipt_id=receipt.id, user_id=user.id, field="category", raw="tea\x07"
                )
            # Summaries show receipts without a category as "uncategorised": not a name.
            with pytest.raises(InvalidCorrection, match="other than uncategorised"):
                receipts.correct(
                    s, receipt_id=receipt.id, user_id=user.id, field="category", raw="Uncategorised"
                )
            assert receipt.category == "coffee"
            assert "uncategorised" not in list_categories(s, user_id=user.id)
