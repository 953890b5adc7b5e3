"""Every query of personal tokens (client_tokens)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db.models import ClientToken


class ClientTokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, token: ClientToken) -> ClientToken:
        self.session.add(token)
        self.session.flush()
        return token

    def active_for_user(self, user_id: int) -> Sequence[ClientToken]:
        """The user's tokens not revoked, the newest first."""
        return self.session.scalars(
            select(ClientToken)
            .where(ClientToken.user_id == user_id, ClientToken.revoked_at.is_(None))
            .order_by(ClientToken.created_at.desc(), ClientToken.id.desc())
        ).all()

    def revoke_all(self, user_id: int, *, at: datetime) -> int:
        result = self.session.execute(
            update(ClientToken)
            .where(ClientToken.user_id == user_id, ClientToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def by_hash(self, token_hash: str) -> ClientToken | None:
        return self.session.scalars(
            select(ClientToken).where(ClientToken.token_hash == token_hash)
        ).first()
