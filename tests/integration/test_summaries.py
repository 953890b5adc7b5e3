"""Monthly summaries and exports on a known set of receipts: several currencies (never added
together), time zones at month edges, receipts without a date."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import LineItemRow, Receipt, User
from core.summaries.export import export_items_csv, export_receipts_csv
from core.summaries.months import BadMonth, Month, Quarter, Year, parse_month
from core.summaries.service import BiggestPurchase, summarize
from tests.fakes import stored_receipt

OCT = Month(2026, 10)


def add(
    s: Session,
    user: User,
    *,
    total: str,
    currency: str | None = "EUR",
    day: date | None = None,
    sent: datetime | None = None,
    merchant: str | None = "Corner Cafe",
    category: str | None = "dining",
    status: str = "done",
    items: int = 0,
) -> Receipt:
    r = stored_receipt(
        user_id=user.id,
        status=status,
        total=Decimal(total),
        currency=currency,
        purchase_date=day,
        merchant_name=merchant,
        category=category,
        created_at=sent or datetime(2026, 10, 15, 12, tzinfo=UTC),
    )
    s.add(r)
    s.flush()
    for n in range(items):
        s.add(
            LineItemRow(
                receipt_id=r.id, position=n, description=f"item {n}", amount=Decimal("1.10")
            )
        )
    return r


@pytest.fixture
def user(session_factory: sessionmaker[Session]) -> User:
    with session_factory.begin() as s:
        u = User(telegram_user_id=uuid.uuid4().int % 10**9, timezone="Asia/Kuala_Lumpur")
        s.add(u)
        s.flush()
        add(s, u, total="10.50", day=date(2026, 10, 1), items=2)
        add(s, u, total="20.00", day=date(2026, 10, 31), merchant="Grocer", category="groceries")
        add(s, u, total="5.25", day=date(2026, 10, 3), merchant="Grocer", category="groceries")
        add(s, u, total="100.00", currency="MYR", day=date(2026, 10, 9), merchant="Kedai")
        add(s, u, total="7.00", day=date(2026, 9, 30))  # September
        add(s, u, total="99.00", day=date(2026, 10, 2), status="failed")  # not counted
        # No printed date: 2026-09-30 17:30 UTC is 2026-10-01 01:30 in Kuala Lumpur -> October.
        add(s, u, total="3.00", sent=datetime(2026, 9, 30, 17, 30, tzinfo=UTC), category=None)
        # No printed date: 2026-10-31 16:30 UTC is 2026-11-01 00:30 in Kuala Lumpur -> November.
        add(s, u, total="4.00", sent=datetime(2026, 10, 31, 16, 30, tzinfo=UTC))
        s.expunge(u)
        return u


def test_summary_per_currency_category_merchant_and_month_edges(
    session_factory: sessionmaker[Session], user: User
) -> None:
    with session_factory() as s:
        out = summarize(s, user_id=user.id, period=OCT, timezone=user.timezone)

    assert out.count == 5
    assert out.undated == 1
    assert out.totals == {"EUR": Decimal("38.75"), "MYR": Decimal("100.00")}
    assert out.previous_totals == {"EUR": Decimal("7.00")}
    assert out.by_category["EUR"] == [
        ("groceries", Decimal("25.25")),
        ("dining", Decimal("10.50")),
        ("uncategorised", Decimal("3.00")),
    ]
    assert out.top_merchants["EUR"][0] == ("Grocer", Decimal("25.25"), 2)
    assert out.daily["EUR"][date(2026, 10, 1)] == Decimal("13.50")  # dated + undated that day
    assert out.biggest == [
        BiggestPurchase("Kedai", "MYR", Decimal("100.00"), date(2026, 10, 9)),
        BiggestPurchase("Grocer", "EUR", Decimal("20.00"), date(2026, 10, 31)),
    ]
    assert out.counts == {"EUR": 4, "MYR": 1}
    assert out.main_currency == "EUR"  # the chart's: most receipts, though MYR's total is larger


def test_same_receipts_in_utc_move_the_undated_ones(
    session_factory: sessionmaker[Session], user: User
) -> None:
    with session_factory() as s:
        out = summarize(s, user_id=user.id, period=OCT, timezone="UTC")
    assert out.totals["EUR"] == Decimal("39.75")  # 10.50+20+5.25+4.00 (Oct 31 UTC), not 3.00


def test_exports_parse_back_to_the_same_amounts(
    session_factory: sessionmaker[Session], user: User
) -> None:
    with session_factory() as s:
        receipts = "".join(
            export_receipts_csv(s, user_id=user.id, period=OCT, timezone=user.timezone)
        )
        items = "".join(export_items_csv(s, user_id=user.id, period=OCT, timezone=user.timezone))
        everything = "".join(export_receipts_csv(s, user_id=user.id, period=None, timezone=None))
    rows = list(csv.DictReader(io.StringIO(receipts)))
    assert len(rows) == 5
    by_currency: dict[str, Decimal] = {}
    for row in rows:
        by_currency[row["currency"]] = by_currency.get(row["currency"], Decimal(0)) + Decimal(
            row["total"]
        )
        date.fromisoformat(row["date"])
    assert by_currency == {"EUR": Decimal("38.75"), "MYR": Decimal("100.00")}
    undated = [r for r in rows if r["date_source"] == "sent"]
    assert [r["date"] for r in undated] == ["2026-10-01"]
    item_rows = list(csv.DictReader(io.StringIO(items)))
    assert [Decimal(r["amount"]) for r in item_rows] == [Decimal("1.10"), Decimal("1.10")]
    assert len(list(csv.DictReader(io.StringIO(everything)))) == 7  # all done receipts


def test_exported_text_is_never_a_spreadsheet_formula(
    session_factory: sessionmaker[Session],
) -> None:
    """GIVEN receipt text that a spreadsheet would run (OWASP CSV injection)
    WHEN the receipts and items are exported
    THEN every such text cell starts with a single quote, and amounts stay numbers."""
    hyperlink = '=HYPERLINK("http://x","y")'
    with session_factory.begin() as s:
        u = User(telegram_user_id=uuid.uuid4().int % 10**9, timezone="UTC")
        s.add(u)
        s.flush()
        r = add(s, u, total="10.50", day=date(2026, 10, 1), merchant=hyperlink, category="@sum")
        r.payment_method = "-2+3"
        r.tax = Decimal("-1.00")
        descriptions = [
            "+cmd",
            "-1+1",
            "@SUM(A1)",
            "\tTAB",
            "\rCR",
            "=1+1",
            "plain - text",
            "x\r=1+1",
            "\uff1dSUM(A1)",  # full-width =
            "\uff20SUM(A1)",  # full-width @
        ]
        for n, description in enumerate(descriptions):
            s.add(
                LineItemRow(
                    receipt_id=r.id, position=n, description=description, amount=Decimal("-5.00")
                )
            )
        s.expunge(u)
    with session_factory() as s:
        receipts = "".join(export_receipts_csv(s, user_id=u.id, period=OCT, timezone="UTC"))
        items = "".join(export_items_csv(s, user_id=u.id, period=OCT, timezone="UTC"))

    [row] = list(csv.DictReader(io.StringIO(receipts, newline="")))
    assert row["merchant"] == "'" + hyperlink
    assert (row["category"], row["payment_method"]) == ("'@sum", "'-2+3")
    assert (row["currency"], row["status"]) == ("EUR", "done")
    assert (row["tax"], row["total"]) == ("-1.00", "10.50")  # amounts are not text
    item_rows = list(csv.DictReader(io.StringIO(items, newline="")))
    assert [i["description"] for i in item_rows] == [
        "'+cmd",
        "'-1+1",
        "'@SUM(A1)",
        "'\tTAB",
        "'\rCR",
        "'=1+1",
        "plain - text",
        "x\r=1+1",  # one quoted cell: the carriage return starts no row of its own
        "'\uff1dSUM(A1)",
        "'\uff20SUM(A1)",
    ]
    assert {i["amount"] for i in item_rows} == {"-5.00"}
    assert Decimal(item_rows[0]["amount"]) == Decimal("-5.00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Month(2026, 11)),
        ("last month", Month(2026, 10)),
        ("2026-10", Month(2026, 10)),
        ("10", Month(2026, 10)),
        ("october", Month(2026, 10)),
        ("Dec", Month(2025, 12)),  # the last December, not the coming one
        ("2027-01", Month(2027, 1)),
    ],
)
def test_parse_month(text: str, expected: Month) -> None:
    assert parse_month(text, today=date(2026, 11, 25)) == expected


@pytest.mark.parametrize("text", ["13", "2026-13", "someday"])
def test_parse_month_refuses(text: str) -> None:
    with pytest.raises(BadMonth):
        parse_month(text, today=date(2026, 11, 25))


def test_every_users_summary_is_the_sum_of_their_own(
    session_factory: sessionmaker[Session], user: User
) -> None:
    """Each undated receipt counts in its owner's zone: 2026-09-30 22:30 UTC is October in Kuala
    Lumpur (the fixture's user) and still September in New York."""
    with session_factory.begin() as s:
        ny = User(telegram_user_id=uuid.uuid4().int % 10**9, timezone="America/New_York")
        nobody = User(telegram_user_id=uuid.uuid4().int % 10**9)  # no time zone set: UTC
        s.add_all([ny, nobody])
        s.flush()
        add(s, ny, total="2.00", sent=datetime(2026, 9, 30, 22, 30, tzinfo=UTC))  # September
        add(s, ny, total="8.00", sent=datetime(2026, 11, 1, 2, 0, tzinfo=UTC))  # Oct 31 in NY
        add(s, ny, total="50.00", currency="USD", day=date(2026, 10, 20), merchant="Grocer",
            category="groceries")  # fmt: skip
        add(s, nobody, total="1.00", currency=None, day=date(2026, 10, 5), category=None)
        s.expunge_all()
    owners = [(user.id, user.timezone), (ny.id, ny.timezone), (nobody.id, None)]

    with session_factory() as s:
        everyone = summarize(s, user_id=None, period=OCT, timezone=None)
        each = [summarize(s, user_id=u, period=OCT, timezone=tz) for u, tz in owners]

    def added(parts: list[dict[str, Decimal]]) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for part in parts:
            for code, amount in part.items():
                out[code] = out.get(code, Decimal(0)) + amount
        return out

    assert everyone.totals == added([e.totals for e in each])
    assert everyone.totals == {
        "EUR": Decimal("46.75"),  # 38.75 + 8.00 (the New York 2.00 is September's)
        "MYR": Decimal("100.00"),
        "USD": Decimal("50.00"),
        "???": Decimal("1.00"),  # never added to another currency
    }
    assert everyone.previous_totals == added([e.previous_totals for e in each])
    assert (everyone.count, everyone.undated, everyone.users) == (8, 2, 3)
    assert everyone.count == sum(e.count for e in each)
    assert everyone.undated == sum(e.undated for e in each)
    assert everyone.timezone == "each user's own"
    assert everyone.by_category["EUR"][0] == ("groceries", Decimal("25.25"))
    assert everyone.top_merchants["USD"] == [("Grocer", Decimal("50.00"), 1)]
    assert everyone.daily["EUR"][date(2026, 10, 31)] == Decimal("28.00")  # 20.00 + NY's 8.00
    assert [(b.currency, b.merchant, b.total) for b in everyone.biggest] == [
        ("MYR", "Kedai", Decimal("100.00")),
        ("USD", "Grocer", Decimal("50.00")),
        ("EUR", "Grocer", Decimal("20.00")),
        ("???", "Corner Cafe", Decimal("1.00")),
    ]


def test_top_merchants_are_ranked_within_each_currency(
    session_factory: sessionmaker[Session], user: User
) -> None:
    """Amounts of different currencies are never compared: many big MYR merchants leave the
    small EUR ones their own top list (and each list is cut at ``top``)."""
    with session_factory.begin() as s:
        for n in range(25):
            add(s, user, total=f"{200 + n}.00", currency="MYR", day=date(2026, 10, 9),
                merchant=f"Kedai {n:02}")  # fmt: skip

    with session_factory() as s:
        out = summarize(s, user_id=user.id, period=OCT, timezone=user.timezone, top=3)

    assert out.top_merchants["EUR"] == [
        ("Grocer", Decimal("25.25"), 2),
        ("Corner Cafe", Decimal("13.50"), 2),
    ]
    assert [name for name, _, _ in out.top_merchants["MYR"]] == ["Kedai 24", "Kedai 23", "Kedai 22"]


def test_the_biggest_purchase_is_one_per_currency(session_factory: sessionmaker[Session]) -> None:
    """JPY 5,000 is not bigger than EUR 300: each currency has its own biggest purchase."""
    with session_factory.begin() as s:
        u = User(telegram_user_id=uuid.uuid4().int % 10**9, timezone="Asia/Tokyo")
        s.add(u)
        s.flush()
        add(s, u, total="300.00", day=date(2026, 10, 2), merchant="Hotel Adlon")
        add(s, u, total="20.00", day=date(2026, 10, 3), merchant="Corner Cafe")
        add(s, u, total="5000.00", currency="JPY", day=date(2026, 10, 5), merchant="Ichiran")
        add(s, u, total="1200.00", currency="JPY", day=date(2026, 10, 6), merchant="Lawson")
        add(s, u, total="8.00", currency="JPY", day=date(2026, 10, 7), merchant=None)
        # The same amount twice in one currency: the one sent first.
        add(s, u, total="300.00", day=date(2026, 10, 9), merchant="Later Hotel",
            sent=datetime(2026, 10, 20, tzinfo=UTC))  # fmt: skip
        s.expunge(u)

    with session_factory() as s:
        out = summarize(s, user_id=u.id, period=OCT, timezone=u.timezone)

    assert out.biggest == [  # currencies as their totals are listed
        BiggestPurchase("Ichiran", "JPY", Decimal("5000.00"), date(2026, 10, 5)),
        BiggestPurchase("Hotel Adlon", "EUR", Decimal("300.00"), date(2026, 10, 2)),
    ]


def test_a_quarter_and_a_year_are_summed_over_their_days(
    session_factory: sessionmaker[Session], user: User
) -> None:
    """The fixture's receipts over Q4 2026 (October, and the undated one that is 1 November in
    Kuala Lumpur), against Q3 (the 30 September one); and over 2026, every done one."""
    with session_factory() as s:
        q4 = summarize(s, user_id=user.id, period=Quarter(2026, 4), timezone=user.timezone)
        year = summarize(s, user_id=user.id, period=Year(2026), timezone=user.timezone)
        rows = list(
            csv.DictReader(
                io.StringIO(
                    "".join(
                        export_receipts_csv(
                            s, user_id=user.id, period=Quarter(2026, 4), timezone=user.timezone
                        )
                    )
                )
            )
        )

    assert (q4.count, q4.undated) == (6, 2)
    assert q4.totals == {"EUR": Decimal("42.75"), "MYR": Decimal("100.00")}
    assert q4.previous_totals == {"EUR": Decimal("7.00")}  # Q3: September's
    assert q4.daily["EUR"][date(2026, 11, 1)] == Decimal("4.00")
    assert len(rows) == 6
    assert (year.count, year.totals) == (7, {"EUR": Decimal("49.75"), "MYR": Decimal("100.00")})
    assert year.previous_totals == {}


def test_a_year_follows_the_users_time_zone_at_new_year(
    session_factory: sessionmaker[Session],
) -> None:
    """Sent 2025-12-31 17:30 UTC without a printed date: 2026 in Kuala Lumpur, 2025 in UTC."""
    with session_factory.begin() as s:
        u = User(telegram_user_id=uuid.uuid4().int % 10**9, timezone="Asia/Kuala_Lumpur")
        s.add(u)
        s.flush()
        add(s, u, total="6.00", sent=datetime(2025, 12, 31, 17, 30, tzinfo=UTC))
        s.expunge(u)

    with session_factory() as s:
        kl = summarize(s, user_id=u.id, period=Year(2026), timezone=u.timezone)
        utc = summarize(s, user_id=u.id, period=Year(2026), timezone="UTC")
        everyone = summarize(s, user_id=None, period=Year(2026), timezone=None)

    assert (kl.totals, kl.previous_totals) == ({"EUR": Decimal("6.00")}, {})
    assert (utc.totals, utc.previous_totals) == ({}, {"EUR": Decimal("6.00")})
    assert everyone.totals.get("EUR") == Decimal("6.00")
