"""Admin tokens: revoking one (by the token or its jti) refuses it at once, on every route; the
revocation is audited and pruned once the token has expired; an unusable signing key refuses
every token (503) and says so at start-up."""

from __future__ import annotations

import json
import logging
import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from core.admin.repository import RevokedTokenRepository
from core.aws.clients import AwsClients
from core.db.models import RevokedAdminToken
from core.settings import ApiSettings
from tests.helpers import logged
from tests.integration.admin.conftest import COLLECTED_TTL, Auth, make_token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestRevoke:
    async def test_a_revoked_token_is_refused_from_then_on(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        victim = make_token("admin", subject="mallory")
        assert (await client.get("/admin/v1/me", headers=bearer(victim))).status_code == 200

        response = await client.post(
            "/admin/v1/tokens/revoke", json={"token": victim}, headers=auth()
        )

        assert response.status_code == 200
        body = response.json()
        assert body["subject"] == "mallory" and body["already_revoked"] is False
        assert len(body["jti"]) == 32
        refused = await client.get("/admin/v1/users", headers=bearer(victim))
        assert refused.status_code == 401
        assert refused.json()["error"] == "token_revoked"
        assert (await client.get("/admin/v1/me", headers=auth())).status_code == 200  # others
        again = await client.post("/admin/v1/tokens/revoke", json={"token": victim}, headers=auth())
        assert again.json()["already_revoked"] is True
        audit = (await client.get("/admin/v1/audit?action=token.revoke", headers=auth())).json()
        assert audit["count"] == 2
        entry = audit["data"][-1]
        assert (entry["subject"], entry["target_type"], entry["target_id"]) == (
            "alice",
            "token",
            body["jti"],
        )

    async def test_a_token_is_revoked_by_its_jti_and_may_revoke_itself(
        self, client: httpx.AsyncClient, session_factory: sessionmaker[Session]
    ) -> None:
        token = make_token("admin", subject="alice")
        me = (await client.get("/admin/v1/me", headers=bearer(token))).json()

        response = await client.post(
            "/admin/v1/tokens/revoke", json={"jti": me["token_id"]}, headers=bearer(token)
        )

        assert response.status_code == 200 and response.json()["subject"] is None
        after = await client.get("/admin/v1/me", headers=bearer(token))
        assert after.status_code == 401 and after.json()["error"] == "token_revoked"
        with session_factory() as s:
            row = s.get(RevokedAdminToken, me["token_id"])
            assert row is not None and row.revoked_by == "alice"
            # kept as long as any token with that id could live: the longest lifetime
            assert row.expires_at > datetime.now(UTC) + timedelta(hours=23)

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"token": "x", "jti": "y"},
            {"jti": "not a jti!"},
            {"jti": "a" * 65},
            {"token": "a" * 5000},
            {"token": "garbage"},
            {"token": make_token(key="w" * 40, ttl=COLLECTED_TTL)},  # signed by someone else
            {"token": make_token(audience="someone-else", ttl=COLLECTED_TTL)},
        ],
        ids=["empty", "both", "bad-jti", "long-jti", "long-token", "garbage", "foreign", "aud"],
    )
    async def test_what_is_not_one_of_our_tokens_is_422(
        self, client: httpx.AsyncClient, auth: Auth, body: dict[str, str]
    ) -> None:
        response = await client.post("/admin/v1/tokens/revoke", json=body, headers=auth())
        assert response.status_code == 422
        assert response.json()["error"] in {"invalid_request", "unknown_token"}

    async def test_a_viewer_cannot_revoke(self, client: httpx.AsyncClient, auth: Auth) -> None:
        response = await client.post(
            "/admin/v1/tokens/revoke", json={"jti": "a" * 32}, headers=auth("viewer")
        )
        assert response.status_code == 403


class TestRevokedTokenRepository:
    def test_revocations_of_expired_tokens_are_pruned(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        now = datetime.now(UTC)
        with session_factory.begin() as s:
            repo = RevokedTokenRepository(s)
            assert repo.revoke(
                "old",
                subject="a",
                revoked_by="alice",
                expires_at=now - timedelta(seconds=1),
                now=now,
            )
            assert repo.revoke(
                "live",
                subject="b",
                revoked_by="alice",
                expires_at=now + timedelta(hours=1),
                now=now,
            )
            assert not repo.revoke(
                "live", subject="b", revoked_by="bob", expires_at=now + timedelta(hours=2), now=now
            )
        with session_factory.begin() as s:
            repo = RevokedTokenRepository(s)
            assert repo.is_revoked("old") and repo.is_revoked("live")
            assert repo.prune(now=now) == 1
        with session_factory() as s:
            rows = s.scalars(select(RevokedAdminToken)).all()
            assert [(r.jti, r.revoked_by) for r in rows] == [("live", "alice")]
            assert abs(rows[0].expires_at - (now + timedelta(hours=2))) < timedelta(seconds=1)


class TestUnusableSigningKey:
    @pytest.mark.parametrize(
        "secret",
        [
            "too-short",
            json.dumps({"current": "c" * 40, "previous": "p" * 40}),  # no rotated_at
        ],
        ids=["short", "previous-without-rotated-at"],
    )
    async def test_every_token_is_refused_and_start_up_says_why(
        self, api_settings: ApiSettings, clean_db: None, secret: str
    ) -> None:
        secret_id = f"jwt-bad-{secrets.token_hex(4)}"
        AwsClients(api_settings).client("secretsmanager").create_secret(
            Name=secret_id, SecretString=secret
        )
        # Outside development the key is checked at start-up (model_copy keeps the test's
        # SQLite and moto credentials, which staging's validation would refuse).
        settings = api_settings.model_copy(
            update={"jwt_secret_id": secret_id, "environment": "staging"}
        )
        app = create_app(settings)
        with logged("api.container", logging.ERROR) as errors:
            async with app.router.lifespan_context(app):
                assert len(errors) == 1  # at start-up, before any request
                assert "admin.signing_key_invalid" in errors[0] and secret_id in errors[0]
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
                    token = make_token(key="too-short" + "x" * 40)
                    response = await c.get("/admin/v1/me", headers=bearer(token))
        assert response.status_code == 503
        assert response.json()["error"] == "signing_key_invalid"
