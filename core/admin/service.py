"""Admin use cases: users (block, forget), receipts (reprocess, delete), the DLQ, the audit.

Like the other services these flush and never commit; S3 erasures and SQS messages they return
are for the caller to carry out after the commit.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from core.admin.repository import (
    AdminReceiptQueries,
    AdminUserQueries,
    AuditRepository,
    RevokedTokenRepository,
    jsonable,
)
from core.admin.tokens import Principal
from core.aws.s3 import Erasure, S3Store, StoredObjects
from core.contracts import ProcessingJob, ReceiptStatus
from core.db.models import AdminAuditEntry, Ledger, Receipt, User
from core.errors import Conflict, NotFound
from core.ledgers.repository import LedgerRepository
from core.receipts.repository import ErasureRepository, ReceiptRepository
from core.receipts.service import new_attempt, receipt_objects
from core.settings import ApiSettings
from core.users.repository import UserRepository

logger = logging.getLogger(__name__)

# What an admin may send back to the queue: failures, and receipts stuck queued or processing.
REPROCESSABLE = frozenset({ReceiptStatus.FAILED, ReceiptStatus.QUEUED, ReceiptStatus.PROCESSING})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does an admin write, and from where (recorded in the audit)."""

    principal: Principal
    client_ip: str | None = None


@dataclass(frozen=True, slots=True)
class UserDeletion:
    user_id: int
    receipts: int
    objects: StoredObjects = field(default_factory=StoredObjects)


class AdminService:
    def __init__(self, *, settings: ApiSettings, store: S3Store) -> None:
        self.settings = settings
        self.store = store

    # ---- audit -----------------------------------------------------------------------------

    def record(
        self,
        session: Session,
        actor: Actor,
        *,
        action: str,
        target_type: str,
        target_id: object = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        AuditRepository(session).add(
            AdminAuditEntry(
                created_at=datetime.now(UTC),
                subject=actor.principal.subject,
                role=actor.principal.role.value,
                action=action,
                target_type=target_type,
                target_id=None if target_id is None else str(target_id)[:64],
                client_ip=(actor.client_ip or None) and actor.client_ip[:45],
                detail=jsonable(detail) if detail else None,
            )
        )
        logger.info(
            "admin.write subject=%s action=%s target=%s:%s",
            actor.principal.subject,
            action,
            target_type,
            target_id,
        )

    # ---- tokens ------------------------------------------------------------------------------

    def revoke_token(
        self,
        session: Session,
        actor: Actor,
        *,
        token_id: str,
        expires_at: datetime,
        subject: str | None = None,
    ) -> bool:
        """Refuse the token ``token_id`` from now on (every API instance: the check reads the
        database); False when it was revoked already. Revocations of expired tokens go."""
        now = datetime.now(UTC)
        repository = RevokedTokenRepository(session)
        repository.prune(now=now)
        revoked = repository.revoke(
            token_id,
            subject=subject,
            revoked_by=actor.principal.subject,
            expires_at=expires_at,
            now=now,
        )
        self.record(
            session,
            actor,
            action="token.revoke",
            target_type="token",
            target_id=token_id,
            detail={"subject": subject, "changed": revoked, "expires_at": expires_at},
        )
        return revoked

    # ---- ledgers -----------------------------------------------------------------------------

    def get_ledger(self, session: Session, ledger_id: int) -> Ledger:
        ledger = LedgerRepository(session).get(ledger_id)
        if ledger is None:
            raise NotFound("ledger not found")
        return ledger

    # ---- users -------------------------------------------------------------------------------

    def get_user(self, session: Session, user_id: int) -> User:
        user = UserRepository(session).get(user_id)
        if user is None:
            raise NotFound("user not found")
        return user

    def set_blocked(self, session: Session, actor: Actor, *, user_id: int, blocked: bool) -> User:
        user = self.get_user(session, user_id)
        changed = (user.blocked_at is None) == blocked
        if changed:
            user.blocked_at = datetime.now(UTC) if blocked else None
            session.flush()
        self.record(
            session,
            actor,
            action="user.block" if blocked else "user.unblock",
            target_type="user",
            target_id=user.id,
            detail={"changed": changed},
        )
        return user

    def delete_user(self, session: Session, actor: Actor, *, user_id: int) -> UserDeletion:
        """Every row of the user; the S3 objects to delete after the commit (the right to be
        forgotten). The audit keeps only the internal id."""
        user = self.get_user(session, user_id)
        queries = AdminUserQueries(session)
        keys = queries.receipt_keys(user.id)
        # The prefix also catches uploads that never became a receipt.
        objects = StoredObjects(prefixes=((self.settings.raw_bucket, f"users/{user.id}/"),))
        for receipt_id, bucket, key in keys:
            objects += receipt_objects(
                receipt_id,
                raw_bucket=bucket,
                raw_key=key,
                processed_bucket=self.settings.processed_bucket,
            )
        deletion = UserDeletion(user_id=user.id, receipts=len(keys), objects=objects)
        queries.delete(user)
        ErasureRepository(session).add(objects)
        self.record(
            session,
            actor,
            action="user.delete",
            target_type="user",
            target_id=deletion.user_id,
            detail={"receipts": deletion.receipts},
        )
        return deletion

    def purge_objects(self, deletion: UserDeletion) -> Erasure:
        """Erase every version of the user's S3 objects (after the commit)."""
        return self.store.erase(deletion.objects)

    # ---- receipts ----------------------------------------------------------------------------

    def get_receipt(self, session: Session, receipt_id: uuid.UUID) -> Receipt:
        receipt = AdminReceiptQueries(session).get(receipt_id)
        if receipt is None:
            raise NotFound("receipt not found")
        return receipt

    def reprocess(
        self, session: Session, actor: Actor, *, receipt_id: uuid.UUID, force: bool = False
    ) -> ProcessingJob:
        """Queue the receipt again from its stored file. A done receipt only with ``force``
        (its fields, user corrections included, are replaced by the new reading)."""
        receipt = AdminReceiptQueries(session).get(receipt_id, for_update=True)
        if receipt is None:
            raise NotFound("receipt not found")
        job = self._requeue(receipt, force=force)
        self.record(
            session,
            actor,
            action="receipt.reprocess",
            target_type="receipt",
            target_id=receipt.id,
            detail={"attempt": receipt.attempt, "force": force},
        )
        return job

    def reprocess_many(
        self, session: Session, actor: Actor, *, receipts: list[Receipt], criteria: dict[str, Any]
    ) -> tuple[list[ProcessingJob], list[uuid.UUID]]:
        jobs: list[ProcessingJob] = []
        skipped: list[uuid.UUID] = []
        for receipt in receipts:
            try:
                jobs.append(self._requeue(receipt, force=False))
            except Conflict:
                skipped.append(receipt.id)
        self.record(
            session,
            actor,
            action="receipt.reprocess_many",
            target_type="receipt",
            detail={**criteria, "queued": len(jobs), "skipped": len(skipped)},
        )
        return jobs, skipped

    def _requeue(self, receipt: Receipt, *, force: bool) -> ProcessingJob:
        status = receipt.status_enum
        if status not in REPROCESSABLE and not (force and status == ReceiptStatus.DONE):
            raise Conflict(
                f"a {status.value} receipt cannot be reprocessed"
                + (" (use force=true for a done one)" if status == ReceiptStatus.DONE else ""),
                code="not_reprocessable",
            )
        if not self.store.exists(bucket=receipt.raw_bucket, key=receipt.raw_key):
            raise Conflict("the receipt's file is gone", code="file_missing")
        return new_attempt(receipt)

    def delete_receipt(
        self, session: Session, actor: Actor, *, receipt_id: uuid.UUID
    ) -> StoredObjects:
        """The receipt's rows; returns its S3 objects, to erase after the commit."""
        receipt = self.get_receipt(session, receipt_id)
        objects = receipt_objects(
            receipt.id,
            raw_bucket=receipt.raw_bucket,
            raw_key=receipt.raw_key,
            processed_bucket=self.settings.processed_bucket,
        )
        ReceiptRepository(session).delete(receipt)
        ErasureRepository(session).add(objects)
        self.record(
            session,
            actor,
            action="receipt.delete",
            target_type="receipt",
            target_id=receipt_id,
            detail={"user_id": receipt.user_id},
        )
        return objects
