"""Personal tokens for the client API: made in the bot (/token), shown once, stored as SHA-256.

A token is random (256 bits), so a plain SHA-256 is enough to store it: nothing to brute-force,
unlike a password; looking it up by its hash is one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from core.clients.repository import ClientTokenRepository
from core.db.models import ClientToken

PREFIX = "rs_"  # recognisable in a leaked config or by a secret scanner
MAX_ACTIVE = 10  # per user; the oldest beyond it are revoked
TOUCH_EVERY = timedelta(minutes=5)  # last_used_at is written at most this often


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(
    session: Session, *, user_id: int, name: str = "personal", now: datetime | None = None
) -> str:
    """A new token for the user; the plain token is returned once and never stored."""
    now = now or datetime.now(UTC)
    token = PREFIX + secrets.token_urlsafe(32)
    repo = ClientTokenRepository(session)
    repo.add(
        ClientToken(user_id=user_id, name=name[:64], token_hash=hash_token(token), created_at=now)
    )
    for old in repo.active_for_user(user_id)[MAX_ACTIVE:]:
        old.revoked_at = now
    session.flush()
    return token


def revoke_all(session: Session, *, user_id: int, now: datetime | None = None) -> int:
    """Revoke every token of the user; how many were active."""
    return ClientTokenRepository(session).revoke_all(user_id, at=now or datetime.now(UTC))


def user_of(session: Session, token: str, *, now: datetime | None = None) -> int | None:
    """The user whose active token this is, else None; its ``last_used_at`` kept roughly."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    row = ClientTokenRepository(session).by_hash(hash_token(token))
    if row is None or row.revoked_at is not None:
        return None
    now = now or datetime.now(UTC)
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        row.last_used_at = now
        session.flush()
    return row.user_id
