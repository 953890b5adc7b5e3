"""The client API (/api/v1) through ASGI: a test bot token signs Mini App initData; users,
receipts and personal tokens are made in the test database."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.container import Container
from core.clients import tokens
from core.clients.init_data import sign
from core.db.models import Receipt, User
from core.settings import ApiSettings

BOT_TOKEN = "123456:client-api-test-bot-token"


def init_data(telegram_user_id: int, *, bot_token: str = BOT_TOKEN, **over: str) -> str:
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": telegram_user_id, "first_name": "Test"}, separators=(",", ":")),
        "auth_date": str(int(datetime.now(UTC).timestamp())),
        **over,
    }
    return sign(fields, bot_token=bot_token)


def tma(telegram_user_id: int, **kw: Any) -> dict[str, str]:
    return {"Authorization": f"tma {init_data(telegram_user_id, **kw)}"}


@pytest.fixture
def client_settings(api_settings: ApiSettings) -> ApiSettings:
    return api_settings.model_copy(
        update={"telegram_bot_token": SecretStr(BOT_TOKEN), "client_rate_limit": (60, 1000)}
    )


@pytest.fixture
async def client(client_settings: ApiSettings, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(client_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            c.container = app.state.container  # type: ignore[attr-defined]
            yield c


def container(client: httpx.AsyncClient) -> Container:
    return client.container  # type: ignore[attr-defined,no-any-return]


def make_user(factory: sessionmaker[Session], telegram_user_id: int, **kw: Any) -> int:
    with factory.begin() as session:
        user = User(telegram_user_id=telegram_user_id, telegram_chat_id=telegram_user_id, **kw)
        session.add(user)
        session.flush()
        return user.id


def make_token(factory: sessionmaker[Session], user_id: int) -> str:
    with factory.begin() as session:
        return tokens.new_token(session, user_id=user_id)


Bearer = Callable[[str], dict[str, str]]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_receipt(
    factory: sessionmaker[Session], *, user_id: int, bucket: str, **kw: Any
) -> uuid.UUID:
    values: dict[str, Any] = {
        "status": "done",
        "merchant_name": "Kedai Kopi",
        "total": Decimal("12.50"),
        "currency": "MYR",
        "content_type": "image/jpeg",
        "raw_bucket": bucket,
        "raw_key": f"users/{user_id}/{uuid.uuid4()}.jpg",
        **kw,
    }
    with factory.begin() as session:
        r = Receipt(user_id=user_id, **values)
        session.add(r)
        session.flush()
        return r.id
