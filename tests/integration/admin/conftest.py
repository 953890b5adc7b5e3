"""The admin API through ASGI, its signing key in the moto server's Secrets Manager."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest

from api.app import create_app
from api.container import Container
from core.admin.tokens import Role, mint
from core.aws.clients import AwsClients
from core.settings import ApiSettings

JWT_KEY = "admin-signing-key-" + "z" * 32
OLD_KEY = "previous-signing-key-" + "y" * 32


@pytest.fixture
def admin_settings(api_settings: ApiSettings) -> ApiSettings:
    secret_id = f"jwt-{secrets.token_hex(4)}"
    AwsClients(api_settings).client("secretsmanager").create_secret(
        Name=secret_id,
        SecretString=json.dumps(
            {"current": JWT_KEY, "previous": OLD_KEY, "rotated_at": "2020-01-01T00:00:00Z"}
        ),
    )
    return api_settings.model_copy(
        update={"jwt_secret_id": secret_id, "admin_rate_limit": (60, 1000)}
    )


# For tokens minted at collection (in parametrize): valid for longer than a whole run takes to
# reach their test, so each is refused for what is wrong with it, never for having expired.
COLLECTED_TTL = timedelta(hours=6)


def make_token(
    role: Role | str = Role.ADMIN,
    *,
    subject: str = "alice",
    key: str = JWT_KEY,
    # Long enough for tokens minted at collection (parametrize) to outlive the suite run before
    # their test: with 5 minutes a slow run had them refused as expired, not as what they test.
    ttl: timedelta = timedelta(hours=2),
    audience: str = "receiptsnap-admin",
) -> str:
    return mint(
        key,
        subject=subject,
        role=Role(role),
        ttl=ttl,
        issuer="receiptsnap",
        audience=audience,
        max_ttl=timedelta(days=1),
    )


Auth = Callable[..., dict[str, str]]


@pytest.fixture
def auth() -> Auth:
    def headers(role: Role | str = Role.ADMIN, **kw: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(role, **kw)}"}  # type: ignore[arg-type]

    return headers


@pytest.fixture
async def client(admin_settings: ApiSettings, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(admin_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            c.container = app.state.container  # type: ignore[attr-defined]
            yield c


def container(client: httpx.AsyncClient) -> Container:
    return client.container  # type: ignore[attr-defined,no-any-return]
