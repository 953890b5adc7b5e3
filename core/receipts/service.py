"""Receipt use cases shared by the bot and the REST API: presign, submit, apply a result.

Services flush, never commit: the caller's unit of work commits, and queue messages are sent
after the commit so the processor never sees a rolled-back row.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, object_session

from core.aws.clients import AwsError
from core.aws.s3 import Erasure, ObjectNotFound, S3Store, StoredObjects
from core.categories.repository import MerchantCategoryRepository
from core.categories.service import (
    CategoryError,
    choose_category,
    ensure_category,
    own_categories,
)
from core.contracts import (
    ErrorCode,
    ProcessingJob,
    ProcessingProgress,
    ProcessingResult,
    ProgressVerdict,
    ReceiptStatus,
    thumbnail_key,
)
from core.db.models import Ledger, LineItemRow, ProcessingAttempt, Receipt, User
from core.errors import Conflict, InvalidUpload, NotFound, RateLimited
from core.fx.rates import Conversion
from core.fx.service import (
    Rates,
    build_rates,
    catch_up,
    catch_up_ledger,
    convert_receipt,
    home_of_receipt,
)
from core.reading import files
from core.reading.validation import DOUBTFUL
from core.receipts.corrections import InvalidCorrection, contradicted, parse_correction
from core.receipts.repository import ErasureRepository, ReceiptRepository, stored_objects
from core.receipts.views import ReceiptView
from core.settings import ApiSettings
from core.summaries.months import today_in
from core.users.repository import UserRepository

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PresignedUpload:
    receipt_id: uuid.UUID
    url: str
    method: str
    headers: dict[str, str]
    expires_in: int


@dataclass(frozen=True, slots=True)
class Reservation:
    receipt: ReceiptView
    new: bool  # False: the message was handled before (a replayed update)


@dataclass(frozen=True, slots=True)
class SweepOutcome:
    requeued: list[ProcessingJob]
    failed: list[uuid.UUID]


@dataclass(frozen=True, slots=True)
class ApplyOutcome:
    receipt: Receipt | None
    applied: bool


# The fields a receipt's home amount is computed from (core/fx/service.py).
CONVERSION_FIELDS = ("date", "total", "currency")


class ReceiptService:
    def __init__(
        self, *, settings: ApiSettings, store: S3Store, rates: Rates | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self.rates = rates or build_rates(settings)

    def convert(self, session: Session, receipt: Receipt) -> Conversion | None:
        """The receipt's total in its ledger's home currency, stored on it (core/fx)."""
        home, timezone = home_of_receipt(receipt)
        return convert_receipt(receipt, home=home, timezone=timezone, rates=self.rates(session))

    def catch_up_ledger(self, session: Session, *, ledger: Ledger) -> int:
        """``catch_up`` of a group ledger's receipts, into the ledger's currency."""
        return catch_up_ledger(session, ledger=ledger, rates=self.rates(session))

    def catch_up(self, session: Session, *, user: User, everything: bool = False) -> int:
        """Convert the user's receipts whose home amount is behind (a new home currency,
        receipts of before the conversions, ones a refreshed source now has a rate for;
        ``everything``: all of them). Returns how many in other currencies were converted."""
        return catch_up(session, user=user, rates=self.rates(session), everything=everything)

    def check_rate(self, session: Session, *, user_id: int, now: datetime) -> None:
        """Refuse a new receipt, or a new reading of a failed one ("Try again"), when the user
        sent or retried too many lately (fair use, cost control)."""
        repo = ReceiptRepository(session)
        for window, limit in self.settings.receipt_rate_limits:
            since = now - timedelta(seconds=window)
            sent = repo.count_created_since(user_id=user_id, since=since)
            if sent + repo.count_retries_since(user_id=user_id, since=since) >= limit:
                raise RateLimited(
                    f"at most {limit} receipts per {window // 60} minutes",
                    retry_after_seconds=window,
                    limit=limit,
                    window_seconds=window,
                )

    def reserve(
        self,
        session: Session,
        *,
        user: User,
        content_type: str,
        now: datetime,
        file_name: str | None = None,
        size: int | None = None,
        source: str = "telegram",
        telegram_chat_id: int | None = None,
        telegram_message_id: int | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
        ledger_id: int | None = None,
    ) -> Reservation:
        """The receipt for one incoming file, made before the file is fetched, awaiting it.

        The rate limit is counted and the slot taken in one transaction with the user's row
        locked, so a burst cannot pass the limit; a chat message handled again (an update
        replayed from the inbox) finds the receipt it made instead of making a second one.
        """
        UserRepository(session).lock(user.id)
        repo = ReceiptRepository(session)
        if telegram_chat_id is not None and telegram_message_id is not None:
            made = repo.get_by_telegram_message(
                chat_id=telegram_chat_id, message_id=telegram_message_id
            )
            if made is not None:
                return Reservation(receipt=ReceiptView.of(made), new=False)
        ctype = files.normalise_content_type(content_type)
        if ctype not in files.ACCEPTED_TYPES:
            raise InvalidUpload(
                f"unsupported content type {content_type!r}; send JPEG, PNG, WebP, HEIC or PDF",
                code="unsupported_type",
            )
        if size is not None and not 0 < size <= self.settings.max_file_bytes:
            raise InvalidUpload(
                f"file size must be 1..{self.settings.max_file_bytes} bytes", code="too_large"
            )
        self.check_rate(session, user_id=user.id, now=now)
        receipt_id = uuid.uuid4()
        receipt = repo.add(
            Receipt(
                id=receipt_id,
                user_id=user.id,
                status=ReceiptStatus.AWAITING_UPLOAD.value,
                source=source,
                file_name=file_name[:255] if file_name else None,
                content_type=ctype,
                size_bytes=size,
                raw_bucket=self.settings.raw_bucket,
                raw_key=f"users/{user.id}/{receipt_id}{files.EXTENSIONS[ctype]}",
                telegram_chat_id=telegram_chat_id,
                telegram_message_id=telegram_message_id,
                caption=caption[:1024] if caption else None,
                media_group_id=media_group_id[:64] if media_group_id else None,
                ledger_id=ledger_id,
            )
        )
        return Reservation(receipt=ReceiptView.of(receipt), new=True)

    def prepare_upload(
        self,
        session: Session,
        *,
        receipt_id: uuid.UUID,
        user_id: int,
        sha256: str,
        size: int,
        status_message_id: int | None = None,
    ) -> PresignedUpload | ReceiptView:
        """Once the file is at hand: an earlier receipt of the same file (the reservation is
        then dropped: nothing to read twice, nothing counted), or the URL to upload it to.
        The user's row is locked, so identical files sent in one burst find each other."""
        UserRepository(session).lock(user_id)
        repo = ReceiptRepository(session)
        receipt = repo.get_for_user(receipt_id, user_id=user_id)
        if receipt is None:
            raise NotFound("receipt not found")
        earlier = repo.find_same_file(user_id=user_id, sha256=sha256.lower(), exclude=receipt.id)
        if earlier is not None:
            repo.delete(receipt)
            return ReceiptView.of(earlier)
        if not 0 < size <= self.settings.max_file_bytes:
            self._fail(receipt, ErrorCode.TOO_LARGE, "The file is empty or over the size limit.")
            session.flush()
            return ReceiptView.of(receipt)
        receipt.sha256 = sha256.lower()
        receipt.size_bytes = size
        if status_message_id is not None:
            receipt.status_message_id = status_message_id
        session.flush()
        expires = self.settings.presign_expiry_seconds
        url = self.store.presign_put(
            bucket=receipt.raw_bucket,
            key=receipt.raw_key,
            content_type=receipt.content_type,
            expires_in=expires,
        )
        return PresignedUpload(
            receipt_id=receipt.id,
            url=url,
            method="PUT",
            headers={"Content-Type": receipt.content_type},
            expires_in=expires,
        )

    def drop_reservation(self, session: Session, *, receipt_id: uuid.UUID, user_id: int) -> None:
        """Forget a receipt whose file never arrived (the user was told to send it again)."""
        receipt = ReceiptRepository(session).get_for_user(receipt_id, user_id=user_id)
        if receipt is not None and receipt.status == ReceiptStatus.AWAITING_UPLOAD:
            ReceiptRepository(session).delete(receipt)

    def submit(
        self,
        session: Session,
        *,
        receipt_id: uuid.UUID,
        user_id: int,
        status_message_id: int | None = None,
        trace_id: str | None = None,
    ) -> tuple[ReceiptView, ProcessingJob | None]:
        """Check the uploaded object and queue the receipt. Returns the job to send after commit.

        Submitting twice is harmless: the second call returns no job.
        """
        repo = ReceiptRepository(session)
        receipt = repo.get_for_user(receipt_id, user_id=user_id)
        if receipt is None:
            raise NotFound("receipt not found")
        if status_message_id is not None:
            receipt.status_message_id = status_message_id
        if receipt.status != ReceiptStatus.AWAITING_UPLOAD:
            return ReceiptView.of(receipt), None
        try:
            info = self.store.head(bucket=receipt.raw_bucket, key=receipt.raw_key)
        except ObjectNotFound as exc:
            raise Conflict("the file has not been uploaded yet", code="not_uploaded") from exc
        if not 0 < info.size <= self.settings.max_file_bytes:
            self._fail(receipt, ErrorCode.TOO_LARGE, "The file is empty or over the size limit.")
            return ReceiptView.of(receipt), None
        head = self.store.get(
            bucket=receipt.raw_bucket, key=receipt.raw_key, first=files.SNIFF_BYTES
        )
        real_type = files.sniff(head)
        if real_type is None:
            self._fail(
                receipt,
                ErrorCode.UNSUPPORTED_TYPE,
                "The file is not a JPEG, PNG, WebP, HEIC image or a PDF.",
            )
            return ReceiptView.of(receipt), None
        receipt.content_type = real_type
        receipt.size_bytes = info.size
        receipt.status = ReceiptStatus.QUEUED.value
        receipt.queued_at = datetime.now(UTC)
        session.flush()
        return ReceiptView.of(receipt), _job(receipt, trace_id=trace_id)

    def mark_progress(
        self, session: Session, progress: ProcessingProgress, *, now: datetime
    ) -> tuple[Receipt | None, ProgressVerdict]:
        """``processing`` once the processor starts; the receipt when the user should be told,
        and whether the run may go on. At "reading" a run claims the attempt: another run whose
        claim still holds (its ``claim_seconds``, else ``processing_claim_seconds``) makes this
        one stop (the same job delivered twice is read once); an expired claim is taken over
        (that run died)."""
        receipt = ReceiptRepository(session).get(progress.receipt_id, for_update=True)
        if receipt is None or receipt.attempt != progress.attempt or receipt.status_enum.is_final:
            return None, ProgressVerdict.STALE
        if progress.stage == "reading" and progress.claim:
            holds = progress.claim_seconds or self.settings.processing_claim_seconds
            fresh = now - timedelta(seconds=holds)
            held = receipt.claimed_at is not None and receipt.claimed_at > fresh
            if held and receipt.claimed_by not in (None, progress.claim):
                logger.info("progress.taken receipt_id=%s by=%s", receipt.id, receipt.claimed_by)
                return None, ProgressVerdict.TAKEN
            receipt.claimed_by, receipt.claimed_at = progress.claim, now
        if receipt.status_enum.rank < ReceiptStatus.PROCESSING.rank:
            receipt.status = ReceiptStatus.PROCESSING.value
        session.flush()
        return receipt, ProgressVerdict.OK

    def apply_result(self, session: Session, result: ProcessingResult) -> ApplyOutcome:
        """Store a processing result. Repeats and late results change nothing."""
        repo = ReceiptRepository(session)
        receipt = repo.get(result.receipt_id, for_update=True)
        if receipt is None:
            logger.info("result.unknown_receipt receipt_id=%s", result.receipt_id)
            return ApplyOutcome(receipt=None, applied=False)
        current = receipt.status_enum
        applied = (
            result.attempt == receipt.attempt
            and not current.is_final
            and current.rank < ReceiptStatus(result.status).rank
        )
        repo.add_attempt(
            ProcessingAttempt(
                receipt_id=receipt.id,
                status=result.status.value,
                applied=applied,
                error_code=result.error.code.value if result.error else None,
                error_message=result.error.message if result.error else None,
                ocr_engine=result.engines.ocr,
                extractor=result.engines.extractor,
                timings=result.timings.model_dump(),
                pages=result.cost.pages,
                input_tokens=result.cost.input_tokens,
                output_tokens=result.cost.output_tokens,
                processed_at=result.processed_at,
            )
        )
        if not applied:
            return ApplyOutcome(receipt=receipt, applied=False)
        receipt.processed_key = f"processed/{receipt.id}.json"
        receipt.thumbnail_key = thumbnail_key(receipt.id) if result.thumbnail else None
        receipt.completed_at = datetime.now(UTC)
        if result.status == ReceiptStatus.FAILED:
            assert result.error is not None
            self._fail(receipt, result.error.code, result.error.message)
            return ApplyOutcome(receipt=receipt, applied=True)
        ex = result.extraction
        assert ex is not None
        receipt.status = ReceiptStatus.DONE.value
        receipt.error_code = None
        receipt.error_message = None
        receipt.merchant_name = ex.merchant.name
        receipt.merchant_address = ex.merchant.address
        receipt.merchant_phone = ex.merchant.phone
        receipt.purchase_date = ex.purchase_date
        receipt.purchase_time = ex.purchase_time
        receipt.currency = ex.currency
        receipt.subtotal = ex.subtotal
        receipt.tax = ex.tax
        receipt.tip = ex.tip
        receipt.total = ex.total
        # The caption, the user's choice for this merchant, the extractor's pick, the merchant's
        # kind and items, other users' receipts of the merchant (core.categories.service).
        chosen = choose_category(
            session, user_id=receipt.user_id, caption=receipt.caption, extraction=ex
        )
        receipt.category = chosen.category
        receipt.payment_method = ex.payment_method
        receipt.summary = ex.summary
        confidence = {str(k): v for k, v in ex.confidence.items() if k != "category"}
        if chosen.confidence is not None:
            confidence["category"] = chosen.confidence
        receipt.confidence = confidence
        logger.info(
            "result.category receipt_id=%s source=%s confidence=%s",
            receipt.id,
            chosen.source,
            chosen.confidence,
        )
        receipt.warnings = {"items": list(ex.warnings)} if ex.warnings else None
        repo.replace_line_items(
            receipt,
            [
                LineItemRow(
                    position=n,
                    description=item.description,
                    quantity=item.quantity,
                    unit_price=item.unit_price,
                    amount=item.amount,
                )
                for n, item in enumerate(ex.line_items)
            ],
        )
        session.refresh(receipt, ["line_items"])
        self.convert(session, receipt)
        lookalike = repo.find_lookalike(receipt)
        receipt.possible_duplicate_of = lookalike.id if lookalike else None
        session.flush()
        return ApplyOutcome(receipt=receipt, applied=True)

    def get_owned(self, session: Session, *, receipt_id: uuid.UUID, user_id: int) -> Receipt:
        receipt = ReceiptRepository(session).get_for_user(receipt_id, user_id=user_id)
        if receipt is None:
            raise NotFound("receipt not found")
        return receipt

    def view(self, session: Session, *, receipt_id: uuid.UUID, user_id: int) -> ReceiptView:
        """The user's receipt as the bot shows it."""
        return ReceiptView.of(self.get_owned(session, receipt_id=receipt_id, user_id=user_id))

    def confirm(self, session: Session, *, receipt_id: uuid.UUID, user_id: int) -> ReceiptView:
        receipt = self.get_owned(session, receipt_id=receipt_id, user_id=user_id)
        if receipt.status != ReceiptStatus.DONE:
            raise Conflict("only a read receipt can be confirmed", code="not_done")
        if receipt.confirmed_at is None:
            receipt.confirmed_at = datetime.now(UTC)
            # "Looks right" takes the category shown as the user's choice for the merchant, when
            # they have made none: their next receipt there gets it without a doubt.
            merchants = MerchantCategoryRepository(session)
            if receipt.category and not merchants.lookup(
                user_id=user_id, merchant=receipt.merchant_name
            ):
                merchants.remember(
                    user_id=user_id, merchant=receipt.merchant_name, category=receipt.category
                )
            session.flush()
        return ReceiptView.of(receipt)

    def delete(self, session: Session, *, receipt_id: uuid.UUID, user_id: int) -> StoredObjects:
        """Delete the receipt's rows; returns its S3 objects, to erase after the commit."""
        receipt = self.get_owned(session, receipt_id=receipt_id, user_id=user_id)
        objects = receipt_objects(
            receipt.id,
            raw_bucket=receipt.raw_bucket,
            raw_key=receipt.raw_key,
            processed_bucket=self.settings.processed_bucket,
        )
        ReceiptRepository(session).delete(receipt)
        ErasureRepository(session).add(objects)
        return objects

    def delete_objects(self, objects: StoredObjects) -> Erasure:
        """Erase every version of the objects (after the commit: a rolled-back delete never
        loses files). The deletion also left them in the erasure outbox, so what S3 refuses or
        an outage leaves behind is erased by the sweeper (``sweep_erasures``): S3 away is an
        incomplete erasure here, not an error."""
        try:
            return self.store.erase(objects)
        except AwsError as exc:
            logger.warning("receipt.erase_deferred error=%s", exc)
            return Erasure(failed=(f"deferred: {type(exc).__name__}",))

    def sweep_erasures(self, session: Session, *, now: datetime, limit: int = 50) -> int:
        """Erase what deletions left in the outbox (erasing twice is harmless); a row goes once
        S3 confirmed every version gone. Returns how many rows are done."""
        repo = ErasureRepository(session)
        done = 0
        for row in repo.due(created_before=now - timedelta(seconds=60), limit=limit):
            try:
                complete = self.store.erase(stored_objects(row)).complete
            except AwsError as exc:
                logger.warning("erase.retry_failed id=%s error=%s", row.id, exc)
                complete = False
            if complete:
                repo.remove(row)
                done += 1
            else:
                row.attempts += 1
        session.flush()
        return done

    def correct(
        self, session: Session, *, receipt_id: uuid.UUID, user_id: int, field: str, raw: str
    ) -> ReceiptView:
        """Apply the user's correction of one field; the field is then certain."""
        receipt = self.get_owned(session, receipt_id=receipt_id, user_id=user_id)
        if receipt.status != ReceiptStatus.DONE:
            raise Conflict("only a read receipt can be corrected", code="not_done")
        value = parse_correction(field, raw, today=today_in(receipt.user.timezone))
        if field == "category" and isinstance(value, str):
            value = _users_category(session, user_id=user_id, name=value)
        column = {"merchant": "merchant_name", "date": "purchase_date"}.get(field, field)
        setattr(receipt, column, value)
        confidence = {**(receipt.confidence or {}), field: 1.0}
        # Amounts that now cannot be beside the typed one are marked doubtful (❓), never kept
        # silently; a confirmation given to the card before no longer holds.
        for doubt, _problem in contradicted(
            field,
            total=receipt.total,
            subtotal=receipt.subtotal,
            tax=receipt.tax,
            tip=receipt.tip,
            item_amounts=(item.amount for item in receipt.line_items),
        ):
            confidence[doubt] = min(float(confidence.get(doubt, 1.0)), DOUBTFUL)
            receipt.confirmed_at = None
        receipt.confidence = confidence
        if field == "category" and isinstance(value, str):
            MerchantCategoryRepository(session).remember(
                user_id=user_id, merchant=receipt.merchant_name, category=value
            )
        if field in CONVERSION_FIELDS:
            self.convert(session, receipt)
        session.flush()
        return ReceiptView.of(receipt)

    def keep_duplicate(
        self, session: Session, *, receipt_id: uuid.UUID, user_id: int
    ) -> ReceiptView:
        receipt = self.get_owned(session, receipt_id=receipt_id, user_id=user_id)
        receipt.possible_duplicate_of = None
        session.flush()
        return ReceiptView.of(receipt)

    def set_category(
        self, session: Session, *, receipt_id: uuid.UUID, user_id: int, category: str
    ) -> ReceiptView:
        return self.correct(
            session, receipt_id=receipt_id, user_id=user_id, field="category", raw=category
        )

    def retry(
        self, session: Session, *, receipt_id: uuid.UUID, user_id: int, now: datetime | None = None
    ) -> tuple[Receipt, ProcessingJob]:
        """Read a failed receipt again from its stored file (no re-upload). It counts toward the
        user's receipt rate limit as a new receipt does (``RateLimited`` when over it). Returns
        the job to send after the commit."""
        receipt = self.get_owned(session, receipt_id=receipt_id, user_id=user_id)
        if receipt.status != ReceiptStatus.FAILED:
            raise Conflict("only a failed receipt can be read again", code="not_failed")
        if not self.store.exists(bucket=receipt.raw_bucket, key=receipt.raw_key):
            raise Conflict("the file is gone; send the receipt again", code="file_missing")
        now = now or datetime.now(UTC)
        self.check_rate(session, user_id=user_id, now=now)
        longest = max((w for w, _ in self.settings.receipt_rate_limits), default=0)
        ReceiptRepository(session).record_retry(
            user_id=user_id,
            receipt_id=receipt.id,
            at=now,
            keep_since=now - timedelta(seconds=longest),
        )
        job = new_attempt(receipt)
        session.flush()
        return receipt, job

    def sweep(self, session: Session, *, now: datetime, limit: int = 100) -> SweepOutcome:
        """Fail uploads that never arrived; requeue (then fail) receipts stuck in the queue.

        Jobs to send after the commit are returned; the processor is idempotent, so a job that
        was only slow is harmlessly processed twice.
        """
        s = self.settings
        repo = ReceiptRepository(session)
        failed: list[uuid.UUID] = []
        requeued: list[ProcessingJob] = []
        for receipt in repo.stale(
            statuses=(ReceiptStatus.AWAITING_UPLOAD.value,),
            column="created_at",
            before=now - timedelta(seconds=s.upload_timeout_seconds),
            limit=limit,
        ):
            self._fail(
                receipt,
                ErrorCode.UPLOAD_INCOMPLETE,
                "The file never finished uploading. Please send the receipt again.",
            )
            failed.append(receipt.id)
        for receipt in repo.stale(
            statuses=(ReceiptStatus.QUEUED.value, ReceiptStatus.PROCESSING.value),
            column="queued_at",
            before=now - timedelta(seconds=s.processing_timeout_seconds),
            limit=limit,
        ):
            if receipt.requeue_count >= s.max_requeues:
                self._fail(
                    receipt,
                    ErrorCode.TIMEOUT,
                    "Reading this receipt took too long. Please send it again later.",
                )
                failed.append(receipt.id)
                continue
            receipt.requeue_count += 1
            receipt.queued_at = now
            requeued.append(_job(receipt))
        session.flush()
        if failed or requeued:
            logger.info("sweep.done failed=%d requeued=%d", len(failed), len(requeued))
        return SweepOutcome(requeued=requeued, failed=failed)

    def requeue_lost(self, session: Session, *, limit: int = 1000) -> list[ProcessingJob]:
        """The jobs of every receipt waiting in the queue or being read, to send again: the
        queue was made anew and lost them (the processor is idempotent for any that was not)."""
        jobs = [
            _job(receipt)
            for receipt in ReceiptRepository(session).stale(
                statuses=(ReceiptStatus.QUEUED.value, ReceiptStatus.PROCESSING.value),
                column="queued_at",
                before=datetime.now(UTC) + timedelta(days=1),
                limit=limit,
            )
        ]
        return jobs

    @staticmethod
    def _fail(receipt: Receipt, code: ErrorCode, message: str) -> None:
        receipt.status = ReceiptStatus.FAILED.value
        receipt.error_code = code.value
        receipt.error_message = message[:500]
        receipt.completed_at = datetime.now(UTC)


def _users_category(session: Session, *, user_id: int, name: str) -> str:
    """A typed category is one of the user's, or becomes one."""
    try:
        return ensure_category(session, user_id=user_id, name=name)[0]
    except CategoryError as exc:
        if exc.code == "too_many":
            raise InvalidCorrection(
                "one of your categories: your list is full, /categories shows it",
                wanted="category_full",
            ) from exc
        if exc.code == "reserved":
            raise InvalidCorrection(
                f"a category name other than {exc.name}", wanted="category_other", name=exc.name
            ) from exc
        raise InvalidCorrection(f"a category name with {exc.message}") from exc


def receipt_objects(
    receipt_id: uuid.UUID, *, raw_bucket: str, raw_key: str, processed_bucket: str
) -> StoredObjects:
    """Every S3 object of one receipt: the file, the processed JSON, its thumbnail, the OCR
    cache entries (``ocr-cache/<id>.<engine>.json``, one per engine that read it)."""
    return StoredObjects(
        keys=(
            (raw_bucket, raw_key),
            (processed_bucket, f"processed/{receipt_id}.json"),
            (processed_bucket, thumbnail_key(receipt_id)),
        ),
        prefixes=((processed_bucket, f"ocr-cache/{receipt_id}."),),
    )


def new_attempt(receipt: Receipt) -> ProcessingJob:
    """Queue the receipt again as a new attempt (its stored file read afresh); the job to send
    after the commit. Results of earlier attempts are ignored from now on."""
    receipt.attempt += 1
    receipt.status = ReceiptStatus.QUEUED.value
    receipt.error_code = None
    receipt.error_message = None
    receipt.completed_at = None
    receipt.notified_at = None
    receipt.claimed_by = receipt.claimed_at = None
    receipt.requeue_count = 0
    receipt.queued_at = datetime.now(UTC)
    return _job(receipt)


def _job(receipt: Receipt, *, trace_id: str | None = None) -> ProcessingJob:
    session = object_session(receipt)
    categories = own_categories(session, user_id=receipt.user_id) if session else None
    return ProcessingJob(
        receipt_id=receipt.id,
        bucket=receipt.raw_bucket,
        key=receipt.raw_key,
        content_type=receipt.content_type,
        size=receipt.size_bytes or 1,
        sha256=receipt.sha256,
        trace_id=trace_id,
        attempt=receipt.attempt,
        default_currency=receipt.user.default_currency if receipt.user else None,
        categories=categories,
    )
