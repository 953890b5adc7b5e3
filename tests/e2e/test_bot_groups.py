"""The bot in a group chat (a negative chat id in the fake Bot API): receipts go to the group's
ledger, nothing personal is posted to a group, and a group never stands for a person's own chat.

(a) budget warnings go to the sender's private chat, or nowhere while it is unknown; (b) only a
private chat sets users.telegram_chat_id; (c) deleting a user (admin API) deletes their albums,
not the group's other albums.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from core.admin.tokens import Role, mint
from core.budgets.service import set_budget
from core.db.models import AlbumMessage, Receipt, User
from core.users.repository import UserRepository
from devstack.stack import LocalStack
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, png, post_update

pytestmark = pytest.mark.e2e

GROUP = -1008200  # a supergroup
OTHER_GROUP = -1008201
ANA, BEN, CAL, DOT, EVE = 8201, 8202, 8203, 8204, 8205


def texts_to(fake: FakeTelegram, chat: int) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls_for("sendMessage", chat)]


def say(stack: LocalStack, fake: FakeTelegram, *, chat: int, user: int, text: str) -> None:
    update = fake.text_update(chat_id=chat, user_id=user, text=text, first_name=f"U{user}")
    assert post_update(stack, update).status_code == 200


def user_row(stack: LocalStack, telegram_id: int) -> User | None:
    assert stack.container is not None
    with stack.container.session_factory() as s:
        return UserRepository(s).get_by_telegram_id(telegram_id)


def test_only_a_private_chat_is_kept_as_the_users_chat(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    say(stack, fake, chat=ANA, user=ANA, text="/start")
    fake.wait_for(lambda f: len(texts_to(f, ANA)) == 1, timeout=10)
    ana = user_row(stack, ANA)
    assert ana is not None and ana.telegram_chat_id == ANA

    say(stack, fake, chat=GROUP, user=ANA, text="/budget")
    say(stack, fake, chat=GROUP, user=BEN, text="/budget")  # Ben's first word to the bot
    fake.wait_for(lambda f: len(texts_to(f, GROUP)) == 2, timeout=10)
    ana, ben = user_row(stack, ANA), user_row(stack, BEN)
    assert ana is not None and ana.telegram_chat_id == ANA
    assert ben is not None and ben.telegram_chat_id is None

    say(stack, fake, chat=BEN, user=BEN, text="/start")
    fake.wait_for(lambda f: len(texts_to(f, BEN)) == 1, timeout=10)
    ben = user_row(stack, BEN)
    assert ben is not None and ben.telegram_chat_id == BEN


def test_budget_warnings_go_to_the_private_chat_and_never_to_the_group(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    """GIVEN Ana, who set a budget in her private chat, and Cal, who never wrote to the bot
    privately, each with a MYR 10 budget for shopping; each sends the MYR 9.00 receipt (90%) to
    a group (each to their own: a receipt in a group is split among the group's ledger members,
    and Ana's budget counts her share; alone in hers, it is all of it)."""
    say(stack, fake, chat=ANA, user=ANA, text="/budget shopping 10 MYR")
    fake.wait_for(lambda f: any("MYR 10.00 a month" in t for t in texts_to(f, ANA)), timeout=10)
    assert stack.container is not None
    with stack.container.session_factory.begin() as s:
        cal = UserRepository(s).upsert_telegram_user(telegram_user_id=CAL, chat_id=None)
        set_budget(s, user_id=cal.id, category="shopping", amount=Decimal(10), currency="MYR")
    before = len(texts_to(fake, GROUP)), len(texts_to(fake, OTHER_GROUP))
    for user, group in ((ANA, GROUP), (CAL, OTHER_GROUP)):
        file_id = fake.add_file(SAMPLE.read_bytes(), file_name=SAMPLE.name, mime_type="image/jpeg")
        update = fake.photo_update(
            chat_id=group, user_id=user, file_id=file_id, caption="shopping", first_name=f"U{user}"
        )
        assert post_update(stack, update).status_code == 200

    def cards(f: FakeTelegram) -> list[str]:
        return [
            t for g in (GROUP, OTHER_GROUP) for t in f.messages(g).values() if t.startswith("🧾")
        ]

    fake.wait_for(lambda f: len(cards(f)) == 2, timeout=240)
    fake.wait_for(lambda f: any("% of your shopping budget" in t for t in texts_to(f, ANA)), 30)
    assert [t for t in texts_to(fake, ANA) if "budget for" in t] == [
        "⚠️ You've used 90% of your shopping budget for December 2018: MYR 9.00 of MYR 10.00."
    ]
    assert not any("budget" in t for t in texts_to(fake, GROUP)[before[0] :])
    assert not any("budget" in t for t in texts_to(fake, OTHER_GROUP)[before[1] :])
    assert not any("% of your" in t for t in fake.messages(GROUP).values())
    assert not any("% of your" in t for t in fake.messages(OTHER_GROUP).values())
    assert fake.calls_for("sendMessage", CAL) == []
    with stack.container.session_factory() as s:
        rows = s.scalars(
            select(Receipt).where(Receipt.telegram_chat_id.in_((GROUP, OTHER_GROUP)))
        ).all()
        assert sorted(r.status for r in rows) == ["done", "done"]
        assert all(r.ledger_id is not None for r in rows)


def test_deleting_a_user_deletes_their_albums_and_not_the_groups_others(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    """GIVEN Dot's album in her private chat, then Dot's and Eve's albums in the group (Dot's
    last message to the bot was in the group)."""
    sent = [(DOT, DOT, "dot-private"), (GROUP, DOT, "dot-group"), (GROUP, EVE, "eve-group")]
    for (chat, user, album), colour in zip(sent, ("white", "ivory", "linen"), strict=True):
        # Different files: the same one twice from Dot would be answered as "the same file".
        file_id = fake.add_file(png(colour), file_name="r.png", mime_type="image/png")
        update = fake.document_update(
            chat_id=chat,
            user_id=user,
            file_id=file_id,
            file_name="r.png",
            mime_type="image/png",
            first_name=f"U{user}",
        )
        update["message"]["media_group_id"] = album
        assert post_update(stack, update).status_code == 200
    assert stack.container is not None
    container = stack.container

    def albums() -> set[tuple[int, str]]:
        with container.session_factory() as s:
            return {(a.chat_id, a.media_group_id) for a in s.scalars(select(AlbumMessage))}

    def album_receipts() -> set[str | None]:
        with container.session_factory() as s:
            return set(s.scalars(select(Receipt.media_group_id)))

    fake.wait_for(lambda f: {(c, a) for c, _, a in sent} <= albums(), timeout=60)
    fake.wait_for(lambda f: {a for _, _, a in sent} <= album_receipts(), timeout=60)
    dot = user_row(stack, DOT)
    assert dot is not None
    dot_id = dot.id

    settings = container.settings
    token = mint(
        container.jwt_keys().current,
        subject="test-admin",
        role=Role.ADMIN,
        ttl=timedelta(minutes=5),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        max_ttl=timedelta(days=1),
    )
    response = httpx.delete(
        f"{stack.api_url}/admin/v1/users/{dot_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text

    left = albums()
    assert (GROUP, "eve-group") in left
    assert (GROUP, "dot-group") not in left and (DOT, "dot-private") not in left
    with container.session_factory() as s:
        eve_receipts = s.scalars(select(Receipt).where(Receipt.media_group_id == "eve-group"))
        assert len(eve_receipts.all()) == 1
