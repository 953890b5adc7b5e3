"""Admin: tokens — revoke one before it expires (every instance refuses it at once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter

from api.deps import ActorDep, ContainerDep, SessionDep
from api.routes.admin.schemas import UNKNOWN_TOKEN, RevokeRequest, TokenRevoked
from core.admin.tokens import latest_expiry, token_to_revoke
from core.errors import ReceiptSnapError

router = APIRouter(prefix="/tokens", tags=["admin: tokens"])


class UnknownToken(ReceiptSnapError):
    status_code = 422
    code = "unknown_token"


@router.post(
    "/revoke",
    summary="Revoke an admin token (by the token or its jti): refused from now on",
    responses=UNKNOWN_TOKEN,
)
def revoke_token(
    body: RevokeRequest, actor: ActorDep, container: ContainerDep, session: SessionDep
) -> TokenRevoked:
    s = container.settings
    if body.token is not None:
        try:
            found = token_to_revoke(
                body.token, container.jwt_keys(), issuer=s.jwt_issuer, audience=s.jwt_audience
            )
        except ValueError as exc:
            raise UnknownToken("not a token this API issued") from exc
        jti, subject, expires_at = found.token_id, found.subject or None, found.expires_at
    else:
        assert body.jti is not None
        jti, subject = body.jti, None
        expires_at = latest_expiry(
            now=datetime.now(UTC),
            max_ttl=timedelta(seconds=s.jwt_max_ttl_seconds),
            leeway_seconds=s.jwt_leeway_seconds,
        )
    revoked = container.admin.revoke_token(
        session, actor, token_id=jti, expires_at=expires_at, subject=subject
    )
    return TokenRevoked(
        jti=jti, subject=subject, expires_at=expires_at, already_revoked=not revoked
    )
