"""Admin ledgers: the list (search, keyset pages) and one ledger with its members, past and
current, and its totals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import SPLIT_EQUAL, Ledger, User
from core.ledgers.repository import LedgerRepository
from tests.fakes import stored_receipt
from tests.integration.admin.conftest import Auth, container

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def add_ledger(factory: sessionmaker[Session], *, chat_id: int, title: str, made: datetime) -> int:
    with factory.begin() as s:
        ledger = Ledger(telegram_chat_id=chat_id, title=title, currency="EUR", created_at=made)
        s.add(ledger)
        s.flush()
        return ledger.id


class TestList:
    async def test_search_and_keyset_pages_newest_first(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        factory = container(client).session_factory
        ids = [
            add_ledger(factory, chat_id=-100 - n, title=f"Flat {n}", made=T0 + timedelta(hours=n))
            for n in range(5)
        ]
        add_ledger(factory, chat_id=-777, title="Trip to Penang", made=T0)

        first = await client.get("/admin/v1/ledgers", params={"limit": 4}, headers=auth("viewer"))
        body = first.json()
        assert first.status_code == 200, first.text
        assert [x["id"] for x in body["data"]] == ids[::-1][:4]
        # WHEN a ledger is made between the pages, THEN the next page neither repeats nor skips
        add_ledger(factory, chat_id=-999, title="New", made=T0 + timedelta(days=1))
        rest = await client.get(
            "/admin/v1/ledgers",
            params={"limit": 4, "cursor": body["next_cursor"]},
            headers=auth("viewer"),
        )
        titles = [x["title"] for x in rest.json()["data"]]
        # (made at the same time as Flat 0, and after it: the larger id first)
        assert titles == ["Trip to Penang", "Flat 0"] and rest.json()["next_cursor"] is None

        by_title = await client.get("/admin/v1/ledgers", params={"q": "penang"}, headers=auth())
        by_chat = await client.get("/admin/v1/ledgers", params={"q": "-102"}, headers=auth())
        assert [x["title"] for x in by_title.json()["data"]] == ["Trip to Penang"]
        assert [x["title"] for x in by_chat.json()["data"]] == ["Flat 2"]

    async def test_a_cursor_it_did_not_give_is_refused(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        r = await client.get("/admin/v1/ledgers", params={"cursor": "bm9wZQ"}, headers=auth())
        assert r.status_code == 422 and r.json()["error"] == "invalid_cursor"

    async def test_needs_a_token(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/admin/v1/ledgers")).status_code == 401


class TestDetail:
    async def test_members_joined_and_left_with_paid_share_and_net(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        """GIVEN Ana, Ben and Cal in a EUR ledger; Ana pays EUR 9.00 for the three, Cal leaves,
        and a failed receipt of Ben's."""
        factory = container(client).session_factory
        with factory.begin() as s:
            users = [User(telegram_user_id=9300 + n, username=u) for n, u in enumerate("abc")]
            s.add_all(users)
            s.flush()
            ana, ben, cal = users
            repo = LedgerRepository(s)
            ledger = repo.get_or_create(chat_id=-5, title="Flat", creator=ana, now=T0)
            ledger.currency = "EUR"
            for n, user in enumerate(users):
                repo.join(ledger=ledger, user=user, now=T0 + timedelta(minutes=n))
            r = stored_receipt(
                user_id=ana.id,
                ledger_id=ledger.id,
                total=Decimal("9.00"),
                currency="EUR",
                home_currency="EUR",
                home_total=Decimal("9.00"),
                purchase_date=date(2026, 11, 2),
            )
            s.add(r)
            s.add(stored_receipt(user_id=ben.id, ledger_id=ledger.id, status="failed"))
            s.flush()
            repo.set_shares(r, split=SPLIT_EQUAL, members=[u.id for u in users])
            repo.leave(ledger=ledger, user_id=cal.id, now=T0 + timedelta(days=1))
            ledger_id, ids = ledger.id, [u.id for u in users]

        r = await client.get(f"/admin/v1/ledgers/{ledger_id}", headers=auth("viewer"))
        body = r.json()
        assert r.status_code == 200, r.text
        assert body["member_count"] == 2 and body["removed_at"] is None
        assert body["receipts_total"] == 2
        assert body["receipts_by_status"] == {"done": 1, "failed": 1}
        assert Decimal(body["total"]) == Decimal("9.00")
        rows = [
            (m["user_id"], m["left_at"] is not None, m["paid"], m["share"], m["net"])
            for m in body["members"]
        ]
        assert rows == [
            (ids[0], False, "9.00", "3.00", "6.00"),
            (ids[1], False, "0.00", "3.00", "-3.00"),
            (ids[2], True, "0.00", "3.00", "-3.00"),
        ]

        # AND its receipts are listed by ledger, and only its
        listed = await client.get(
            "/admin/v1/receipts", params={"ledger_id": ledger_id}, headers=auth("viewer")
        )
        assert sorted(x["status"] for x in listed.json()["data"]) == ["done", "failed"]
        other = await client.get(
            "/admin/v1/receipts", params={"ledger_id": ledger_id + 1}, headers=auth("viewer")
        )
        assert other.json()["data"] == []

    async def test_an_unknown_ledger_is_404(self, client: httpx.AsyncClient, auth: Auth) -> None:
        r = await client.get("/admin/v1/ledgers/999999", headers=auth("viewer"))
        assert r.status_code == 404 and r.json()["error"] == "not_found"
