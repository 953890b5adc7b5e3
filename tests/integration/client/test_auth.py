"""Client API authentication: Mini App initData (tma) and personal tokens (Bearer); anything
else is 401 in the one error format."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from api.app import create_app
from core.clients import tokens
from core.clients.init_data import dev_init_data_for
from core.db.models import ClientToken, User
from core.settings import ApiSettings
from tests.integration.client.conftest import (
    BOT_TOKEN,
    bearer,
    container,
    init_data,
    make_token,
    make_user,
    tma,
)


class TestInitData:
    async def test_a_mini_apps_initdata_is_the_user_telegram_signed_it_for(
        self, client: httpx.AsyncClient
    ) -> None:
        user_id = make_user(container(client).session_factory, 5001)
        r = await client.get("/api/v1/me", headers=tma(5001))
        assert r.status_code == 200, r.text
        assert r.json()["user_id"] == user_id
        assert r.json()["telegram_user_id"] == 5001

    async def test_a_new_telegram_user_is_made_on_first_use(
        self, client: httpx.AsyncClient
    ) -> None:
        r = await client.get("/api/v1/me", headers=tma(5002))
        assert r.status_code == 200, r.text
        with container(client).session_factory() as s:
            user = s.scalars(select(User).where(User.telegram_user_id == 5002)).one()
        assert user.first_name == "Test" and r.json()["user_id"] == user.id

    async def test_initdata_of_another_bot_is_refused(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/me", headers=tma(5001, bot_token="999:another-bot"))
        assert r.status_code == 401
        assert r.json() == {"error": "invalid_init_data", "detail": r.json()["detail"]}
        assert "not signed" in r.json()["detail"]

    async def test_expired_initdata_is_refused(self, client: httpx.AsyncClient) -> None:
        old = str(int((datetime.now(UTC) - timedelta(hours=2)).timestamp()))
        r = await client.get("/api/v1/me", headers=tma(5001, auth_date=old))
        assert r.status_code == 401 and "expired" in r.json()["detail"]

    async def test_a_tampered_user_id_is_refused(self, client: httpx.AsyncClient) -> None:
        raw = init_data(5001).replace("5001", "5003")
        r = await client.get("/api/v1/me", headers={"Authorization": f"tma {raw}"})
        assert r.status_code == 401


class TestPersonalTokens:
    async def test_a_token_is_its_user_and_is_stored_only_hashed(
        self, client: httpx.AsyncClient
    ) -> None:
        factory = container(client).session_factory
        user_id = make_user(factory, 5010)
        token = make_token(factory, user_id)
        r = await client.get("/api/v1/me", headers=bearer(token))
        assert r.status_code == 200 and r.json()["user_id"] == user_id
        with factory() as s:
            row = s.scalars(select(ClientToken)).one()
        assert row.token_hash == tokens.hash_token(token) and token not in row.token_hash
        assert row.last_used_at is not None

    async def test_a_revoked_token_is_refused(self, client: httpx.AsyncClient) -> None:
        factory = container(client).session_factory
        user_id = make_user(factory, 5011)
        token = make_token(factory, user_id)
        with factory.begin() as s:
            assert tokens.revoke_all(s, user_id=user_id) == 1
        r = await client.get("/api/v1/me", headers=bearer(token))
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"

    async def test_an_unknown_token_is_refused(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/me", headers=bearer("rs_" + "x" * 43))
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"

    async def test_a_blocked_user_is_refused(self, client: httpx.AsyncClient) -> None:
        factory = container(client).session_factory
        user_id = make_user(factory, 5012, blocked_at=datetime.now(UTC))
        r = await client.get("/api/v1/me", headers=bearer(make_token(factory, user_id)))
        assert r.status_code == 403 and r.json()["error"] == "blocked"


class TestAnythingElse:
    async def test_no_header_or_another_scheme_is_401_in_the_error_format(
        self, client: httpx.AsyncClient
    ) -> None:
        for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "tma"}):
            r = await client.get("/api/v1/receipts", headers=headers)
            assert r.status_code == 401, headers
            assert r.json()["error"] == "missing_credentials"
            assert set(r.json()) == {"error", "detail"}


class TestRateLimit:
    async def test_requests_past_the_users_limit_get_429_with_retry_after(
        self, client: httpx.AsyncClient
    ) -> None:
        c = container(client)
        c.settings = c.settings.model_copy(update={"client_rate_limit": (60, 3)})
        headers = tma(5020)
        codes = [(await client.get("/api/v1/me", headers=headers)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = await client.get("/api/v1/me", headers=headers)
        assert r.json()["error"] == "rate_limited" and int(r.headers["Retry-After"]) >= 1
        assert (await client.get("/api/v1/me", headers=tma(5021))).status_code == 200  # per user


class TestBodyLimit:
    async def test_a_body_past_the_limit_is_413_declared_or_chunked(
        self, client: httpx.AsyncClient
    ) -> None:
        headers = tma(5030)
        big = b'{"content_type": "image/jpeg", "size": 1, "file_name": "' + b"x" * 70_000 + b'"}'
        r = await client.post("/api/v1/uploads", content=big, headers=headers)
        assert r.status_code == 413 and r.json()["error"] == "too_large"

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(big), 4096):
                yield big[i : i + 4096]

        r = await client.post("/api/v1/uploads", content=chunks(), headers=headers)
        assert r.status_code == 413 and r.json()["error"] == "too_large"

    async def test_a_chunked_body_within_the_limit_reaches_the_route(
        self, client: httpx.AsyncClient
    ) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"content_type": "text/html",'
            yield b' "size": 10}'

        headers = {**tma(5031), "Content-Type": "application/json"}
        r = await client.post("/api/v1/uploads", content=chunks(), headers=headers)
        assert r.status_code == 422 and r.json()["error"] == "unsupported_type"


class TestTokenLifecycle:
    async def test_at_most_ten_are_active_the_oldest_revoked(
        self, client: httpx.AsyncClient
    ) -> None:
        factory = container(client).session_factory
        user_id = make_user(factory, 5040)
        made = [make_token(factory, user_id) for _ in range(tokens.MAX_ACTIVE + 1)]
        first = await client.get("/api/v1/me", headers=bearer(made[0]))
        last = await client.get("/api/v1/me", headers=bearer(made[-1]))
        assert first.status_code == 401 and last.status_code == 200

    async def test_deleting_the_user_deletes_their_tokens(self, client: httpx.AsyncClient) -> None:
        factory = container(client).session_factory
        user_id = make_user(factory, 5041)
        make_token(factory, user_id)
        with factory.begin() as s:
            s.delete(s.get(User, user_id))
        with factory() as s:
            assert s.scalars(select(ClientToken)).all() == []


@pytest.mark.parametrize(("environment", "status"), [("development", 200), ("staging", 401)])
async def test_dev_signed_init_data_opens_the_api_in_development_only(
    client_settings: ApiSettings, clean_db: None, environment: str, status: int
) -> None:
    """The page's ?dev and `receiptsnap app-link` sign with a key derived from the bot's token
    (core/clients/init_data.py dev_bot_token): refused by any API outside development, even one
    with the same bot token; Telegram's own initData is accepted in both."""
    settings = client_settings.model_copy(update={"environment": environment})
    app = create_app(settings)
    dev = {"Authorization": f"tma {dev_init_data_for(6101, bot_token=BOT_TOKEN)}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            r = await c.get("/api/v1/me", headers=dev)
            assert r.status_code == status, r.text
            telegram = await c.get("/api/v1/me", headers=tma(6101))
            assert telegram.status_code == 200, telegram.text
