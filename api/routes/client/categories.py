"""Client: categories and monthly budgets, read and written through the bot's own services
(core.categories, core.budgets): the same names, checks and effects as /categories and /budget."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query

from api.deps import ClientUserDep, SessionDep
from api.routes.client.schemas import (
    NOT_FOUND,
    BudgetPublic,
    BudgetPut,
    Budgets,
    Categories,
    CategoryChanged,
    CategoryName,
)
from core.budgets.service import budget_status, remove_budget, set_budget
from core.categories.service import (
    add_category,
    find,
    list_categories,
    remove_category,
    rename_category,
)
from core.errors import NotFound
from core.money import is_iso_currency
from core.receipts.corrections import InvalidCorrection, parse_amount
from core.summaries.months import Month

router = APIRouter(tags=["client: categories and budgets"])

NamePath = Annotated[str, Path(min_length=1, max_length=50)]


@router.get("/categories", summary="Your categories")
def get_categories(user: ClientUserDep, session: SessionDep) -> Categories:
    return Categories(data=list_categories(session, user_id=user.id))


@router.post("/categories", status_code=201, summary="Add a category")
def post_category(body: CategoryName, user: ClientUserDep, session: SessionDep) -> CategoryChanged:
    return CategoryChanged(name=add_category(session, user_id=user.id, name=body.name))


@router.patch(
    "/categories/{name}",
    summary="Rename a category: its receipts, merchant choices and budget follow",
)
def patch_category(
    name: NamePath, body: CategoryName, user: ClientUserDep, session: SessionDep
) -> CategoryChanged:
    renamed = rename_category(session, user_id=user.id, old=name, new=body.name)
    return CategoryChanged(
        name=renamed.new, receipts=renamed.receipts, budget_changed=renamed.budget_moved
    )


@router.delete("/categories/{name}", summary="Remove a category: its receipts become uncategorised")
def delete_category(name: NamePath, user: ClientUserDep, session: SessionDep) -> CategoryChanged:
    removed = remove_category(session, user_id=user.id, name=name)
    return CategoryChanged(
        name=removed.name,
        receipts=removed.detached.receipts,
        budget_changed=removed.detached.budget_removed,
    )


@router.get("/budgets", summary="Your monthly budgets and what is spent of each in a month")
def get_budgets(
    user: ClientUserDep,
    session: SessionDep,
    month: Annotated[
        str | None,
        Query(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", description="YYYY-MM; this month if omitted"),
    ] = None,
) -> Budgets:
    if month is None:
        today = datetime.now(UTC).astimezone(ZoneInfo(user.timezone or "UTC")).date()
        chosen = Month(today.year, today.month)
    else:
        chosen = Month(int(month[:4]), int(month[5:]))
    statuses = budget_status(session, user=user, month=chosen)
    return Budgets(
        month=chosen.iso,
        data=[
            BudgetPublic(
                category=s.category,
                currency=s.currency,
                amount=s.amount,
                spent=s.spent,
                percent=s.percent,
            )
            for s in statuses
        ],
    )


@router.put(
    "/budgets/{category}",
    summary="Set a category's monthly budget (as /budget CATEGORY AMOUNT [CURRENCY]); "
    "what is spent of it this month",
    responses=NOT_FOUND,
)
def put_budget(
    category: NamePath, body: BudgetPut, user: ClientUserDep, session: SessionDep
) -> BudgetPublic:
    found = find(list_categories(session, user_id=user.id), category)
    if found is None:
        raise NotFound("not one of your categories", code="unknown_category")
    try:
        amount = parse_amount(body.amount)
    except InvalidCorrection as exc:
        raise InvalidCorrection(f"amount: expected {exc.message}") from exc
    if amount <= Decimal(0):
        raise InvalidCorrection("amount: expected more than zero")
    currency = (body.currency or user.default_currency or "").upper()
    if not is_iso_currency(currency):
        raise InvalidCorrection("currency: give one (ISO 4217) or set yours in /settings")
    set_budget(session, user_id=user.id, category=found, amount=amount, currency=currency)
    today = datetime.now(UTC).astimezone(ZoneInfo(user.timezone or "UTC")).date()
    statuses = budget_status(session, user=user, month=Month(today.year, today.month))
    s = next(s for s in statuses if s.category == found)
    return BudgetPublic(
        category=s.category, currency=s.currency, amount=s.amount, spent=s.spent, percent=s.percent
    )


@router.delete(
    "/budgets/{category}", status_code=204, summary="Remove a budget", responses=NOT_FOUND
)
def delete_budget(category: NamePath, user: ClientUserDep, session: SessionDep) -> None:
    if not remove_budget(session, user_id=user.id, category=category.lower()):
        raise NotFound("there is no budget for this category")
