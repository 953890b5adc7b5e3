"""Admin API authentication: 401 for no or bad tokens, 403 for the wrong role, rate limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from core.admin.tokens import Role, mint
from tests.integration.admin.conftest import (
    COLLECTED_TTL,
    JWT_KEY,
    OLD_KEY,
    Auth,
    container,
    make_token,
)


class TestAuthentication:
    async def test_valid_viewer_token_is_accepted(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        response = await client.get("/admin/v1/me", headers=auth("viewer", subject="bob"))
        assert response.status_code == 200
        body = response.json()
        assert (body["subject"], body["role"]) == ("bob", "viewer")
        assert len(body["token_id"]) == 32 and body["expires_at"]

    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
            {"Authorization": "Bearer not-a-jwt"},
            {"Authorization": "Bearer " + make_token(key="w" * 40, ttl=COLLECTED_TTL)},
            {"Authorization": "Bearer " + make_token(audience="someone-else", ttl=COLLECTED_TTL)},
            # the previous key's grace period ended long ago (rotated_at 2020)
            {"Authorization": "Bearer " + make_token(key=OLD_KEY, ttl=COLLECTED_TTL)},
        ],
        ids=["none", "basic", "garbage", "bad-signature", "wrong-audience", "retired-key"],
    )
    async def test_bad_credentials_are_401_in_the_error_format(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await client.get("/admin/v1/me", headers=headers)
        assert response.status_code == 401
        body = response.json()
        assert set(body) == {"error", "detail"}
        assert body["error"] in {"missing_token", "invalid_token"}
        assert response.headers["WWW-Authenticate"] == "Bearer"

    async def test_expired_token_is_401(self, client: httpx.AsyncClient) -> None:
        token = mint(
            JWT_KEY,
            subject="alice",
            role=Role.ADMIN,
            ttl=timedelta(minutes=1),
            issuer="receiptsnap",
            audience="receiptsnap-admin",
            max_ttl=timedelta(days=1),
            now=datetime.now(UTC) - timedelta(hours=1),
        )
        response = await client.get("/admin/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json()["error"] == "token_expired"

    async def test_previous_key_works_during_the_rotation_grace(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        c = container(client)
        rotated = {"current": JWT_KEY, "previous": OLD_KEY, "rotated_at": utc_now_iso()}
        c.aws.client("secretsmanager").put_secret_value(
            SecretId=c.settings.jwt_secret_id, SecretString=json.dumps(rotated)
        )

        old = await client.get("/admin/v1/me", headers=auth(key=OLD_KEY))
        new = await client.get("/admin/v1/me", headers=auth(key=JWT_KEY))

        assert (old.status_code, new.status_code) == (200, 200)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat()


class TestRateLimit:
    async def test_requests_over_the_limit_are_429_per_subject(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        c = container(client)
        c.settings = c.settings.model_copy(update={"admin_rate_limit": (60, 3)})
        for _ in range(3):
            assert (await client.get("/admin/v1/me", headers=auth())).status_code == 200

        limited = await client.get("/admin/v1/me", headers=auth())
        other = await client.get("/admin/v1/me", headers=auth(subject="carol"))

        assert limited.status_code == 429
        assert limited.json()["error"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
        assert other.status_code == 200


async def test_unknown_admin_route_is_404_in_the_error_format(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not Found"}
