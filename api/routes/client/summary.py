"""Client: the month's numbers (the same as the bot's /summary: core.summaries) and the CSV."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import ClientUserDep, ContainerDep, SessionDep
from api.routes.admin.summary import summary_public
from api.routes.client.schemas import ClientSummary
from core.fx.service import home_currency_of
from core.summaries.export import export_items_csv, export_receipts_csv
from core.summaries.months import Month
from core.summaries.service import summarize
from core.users.repository import UserRepository

router = APIRouter(tags=["client: summary"])

MONTH_QUERY = Query(
    pattern=r"^20\d{2}-(0[1-9]|1[0-2])$",
    description="YYYY-MM; this month (in your time zone) when omitted",
    examples=["2026-10"],
)


def _month(month: str | None, timezone: str | None) -> Month:
    if month is None:
        today = datetime.now(UTC).astimezone(ZoneInfo(timezone or "UTC")).date()
        return Month(today.year, today.month)
    return Month(int(month[:4]), int(month[5:]))


@router.get("/summary", summary="A month's totals per currency, categories, merchants, days")
def month_summary(
    user: ClientUserDep,
    container: ContainerDep,
    session: SessionDep,
    month: Annotated[str | None, MONTH_QUERY] = None,
) -> ClientSummary:
    owner = UserRepository(session).get(user.id)
    assert owner is not None
    container.receipts.catch_up(session, user=owner)  # home amounts behind, as /summary does
    tz = owner.timezone
    home = home_currency_of(owner)
    s = summarize(session, user_id=owner.id, period=_month(month, tz), timezone=tz, home=home)
    public = summary_public(s, user_id=owner.id, timezone=tz or "UTC")
    return ClientSummary(
        **public.model_dump(), home_currency=s.home_currency, home_total=s.home_total
    )


@router.get(
    "/export",
    summary="A month's receipts (or their line items) as CSV, as the bot's /export sends",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV"}},
)
def export_csv(
    user: ClientUserDep,
    session: SessionDep,
    month: Annotated[str | None, MONTH_QUERY] = None,
    format: Literal["csv"] = "csv",
    what: Annotated[Literal["receipts", "items"], Query(description="which file")] = "receipts",
) -> Response:
    tz = user.timezone
    chosen = _month(month, tz)
    make = export_receipts_csv if what == "receipts" else export_items_csv
    # Built in full while the request's session is open (one month of one user is small).
    body = "".join(make(session, user_id=user.id, period=chosen, timezone=tz))
    name = f"receipts-{chosen.iso}{'' if what == 'receipts' else '-items'}.{format}"
    return Response(
        body.encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
