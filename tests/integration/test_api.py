"""The API through ASGI: processing callbacks (HMAC, idempotency, no going backwards) and health."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app, start_bot
from api.container import Container
from core.contracts import (
    ErrorCode,
    LineItem,
    Merchant,
    ProcessingError,
    ProcessingProgress,
    ProcessingResult,
    ReceiptExtraction,
    ReceiptStatus,
)
from core.db.models import ProcessingAttempt, Receipt, User
from core.receipts.signing import sign
from core.settings import ApiSettings
from tests.conftest import CALLBACK_KEY
from tests.fakes import stored_receipt

CALLBACK = "/internal/processing-results"


@pytest.fixture
async def client(api_settings: ApiSettings, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(api_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            c.container = app.state.container  # type: ignore[attr-defined]
            yield c


def add_receipt(
    factory: sessionmaker[Session], *, status: ReceiptStatus = ReceiptStatus.QUEUED
) -> uuid.UUID:
    with factory.begin() as session:
        user = User(telegram_user_id=int(uuid.uuid4().int % 10**9), telegram_chat_id=1)
        session.add(user)
        session.flush()
        receipt = stored_receipt(user_id=user.id, status=status.value)
        session.add(receipt)
        session.flush()
        return receipt.id


def done_result(receipt_id: uuid.UUID, total: str = "22.26") -> ProcessingResult:
    return ProcessingResult(
        receipt_id=receipt_id,
        status=ReceiptStatus.DONE,
        extraction=ReceiptExtraction(
            merchant=Merchant(name="Corner Cafe"),
            purchase_date=date(2026, 10, 3),
            currency="MYR",
            total=total,
            line_items=[LineItem(description="Latte", quantity="2", amount="15.00")],
        ),
    )


async def post_result(
    client: httpx.AsyncClient,
    result: ProcessingResult,
    *,
    key: str = CALLBACK_KEY,
    timestamp: int | None = None,
) -> httpx.Response:
    body = result.model_dump_json().encode()
    headers = {"Content-Type": "application/json", **sign(key.encode(), body, timestamp=timestamp)}
    return await client.post(CALLBACK, content=body, headers=headers)


def container(client: httpx.AsyncClient) -> Container:
    return client.container  # type: ignore[attr-defined,no-any-return]


class TestProcessingCallback:
    async def test_applies_signed_result(self, client: httpx.AsyncClient) -> None:
        factory = container(client).session_factory
        rid = add_receipt(factory)

        response = await post_result(client, done_result(rid))

        assert response.status_code == 200
        assert response.json() == {"status": "applied"}
        with factory() as s:
            receipt = s.get(Receipt, rid)
            assert receipt is not None
            assert receipt.status == "done"
            assert receipt.total == Decimal("22.26")
            assert receipt.merchant_name == "Corner Cafe"
            assert [i.description for i in receipt.line_items] == ["Latte"]

    async def test_repeat_is_a_no_op(self, client: httpx.AsyncClient) -> None:
        factory = container(client).session_factory
        rid = add_receipt(factory)
        assert (await post_result(client, done_result(rid))).json() == {"status": "applied"}

        again = await post_result(client, done_result(rid, total="99.99"))

        assert again.status_code == 200
        assert again.json() == {"status": "unchanged"}
        with factory() as s:
            receipt = s.get(Receipt, rid)
            assert receipt is not None and receipt.total == Decimal("22.26")
            assert len(receipt.line_items) == 1
            attempts = s.query(ProcessingAttempt).filter_by(receipt_id=rid).all()
            assert sorted(a.applied for a in attempts) == [False, True]

    async def test_late_failure_never_moves_done_backwards(self, client: httpx.AsyncClient) -> None:
        factory = container(client).session_factory
        rid = add_receipt(factory)
        await post_result(client, done_result(rid))
        late = ProcessingResult(
            receipt_id=rid,
            status=ReceiptStatus.FAILED,
            error=ProcessingError(code=ErrorCode.UNREADABLE, message="blurry"),
        )
        assert (await post_result(client, late)).json() == {"status": "unchanged"}
        with factory() as s:
            receipt = s.get(Receipt, rid)
            assert receipt is not None and receipt.status == "done" and receipt.error_code is None

    async def test_failed_result_stores_reason(self, client: httpx.AsyncClient) -> None:
        factory = container(client).session_factory
        rid = add_receipt(factory)
        failed = ProcessingResult(
            receipt_id=rid,
            status=ReceiptStatus.FAILED,
            error=ProcessingError(code=ErrorCode.NOT_A_RECEIPT, message="No total found."),
        )
        assert (await post_result(client, failed)).status_code == 200
        with factory() as s:
            receipt = s.get(Receipt, rid)
            assert receipt is not None
            assert (receipt.status, receipt.error_code) == ("failed", "not_a_receipt")

    async def test_forged_signature_is_401(self, client: httpx.AsyncClient) -> None:
        rid = add_receipt(container(client).session_factory)
        response = await post_result(client, done_result(rid), key="not-the-key")
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"

    async def test_stale_timestamp_is_401(self, client: httpx.AsyncClient) -> None:
        import time

        rid = add_receipt(container(client).session_factory)
        response = await post_result(client, done_result(rid), timestamp=int(time.time()) - 3600)
        assert response.status_code == 401

    async def test_missing_signature_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            CALLBACK, content=b"{}", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 401

    async def test_signed_garbage_is_400_not_500(self, client: httpx.AsyncClient) -> None:
        body = b'{"receipt_id": "nope"}'
        response = await client.post(
            CALLBACK, content=body, headers=sign(CALLBACK_KEY.encode(), body)
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_result"

    async def test_unknown_receipt_is_acknowledged(self, client: httpx.AsyncClient) -> None:
        response = await post_result(client, done_result(uuid.uuid4()))
        assert response.status_code == 200
        assert response.json() == {"status": "ignored"}


class TestHealth:
    async def test_healthz(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).json() == {"status": "ok"}

    async def test_readyz_checks_database_s3_and_sqs(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["checks"] == {"database": "ok", "s3": "ok", "sqs": "ok"}

    async def test_readyz_reports_missing_bucket(
        self, api_settings: ApiSettings, clean_db: None
    ) -> None:
        app = create_app(api_settings.model_copy(update={"raw_bucket": "does-not-exist"}))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c,
        ):
            response = await c.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["s3"].startswith("error")


async def test_webhook_without_bot_is_403_without_secret(client: httpx.AsyncClient) -> None:
    response = await client.post("/telegram/webhook", json={"update_id": 1})
    assert response.status_code == 403
    assert set(response.json()) == {"error", "detail"}


async def test_result_of_an_earlier_attempt_is_not_applied(client: httpx.AsyncClient) -> None:
    factory = container(client).session_factory
    rid = add_receipt(factory)
    with factory.begin() as s:
        receipt = s.get(Receipt, rid)
        assert receipt is not None
        receipt.attempt = 2
    stale = done_result(rid).model_copy(update={"attempt": 1})
    assert (await post_result(client, stale)).json() == {"status": "unchanged"}
    assert (
        await post_result(client, done_result(rid).model_copy(update={"attempt": 2}))
    ).json() == {"status": "applied"}


async def test_progress_marks_processing_once_and_ignores_stale_or_forged_notes(
    client: httpx.AsyncClient,
) -> None:
    factory = container(client).session_factory
    rid = add_receipt(factory)
    progress = ProcessingProgress(receipt_id=rid, stage="reading")
    body = progress.model_dump_json().encode()
    url = "/internal/processing-progress"

    forged = await client.post(url, content=body, headers=sign(b"wrong-key", body))
    assert forged.status_code == 401
    ok = await client.post(url, content=body, headers=sign(CALLBACK_KEY.encode(), body))
    assert ok.status_code == 200
    with factory() as s:
        receipt = s.get(Receipt, rid)
        assert receipt is not None and receipt.status == "processing"

    await post_result(client, done_result(rid))
    late = await client.post(url, content=body, headers=sign(CALLBACK_KEY.encode(), body))
    assert late.status_code == 200
    with factory() as s:
        receipt = s.get(Receipt, rid)
        assert receipt is not None and receipt.status == "done"  # never backwards


async def test_a_run_claims_the_attempt_and_a_second_delivery_is_told_to_stop(
    client: httpx.AsyncClient,
) -> None:
    """The "reading" note claims the receipt's attempt for one run: another run is told
    ``taken`` while the claim is fresh, the claimer goes on, an old claim is taken over, and a
    finished or superseded receipt is ``stale`` for everyone."""
    factory = container(client).session_factory
    rid = add_receipt(factory)
    url = "/internal/processing-progress"

    async def note(stage: str, claim: str | None, attempt: int = 1) -> str:
        progress = ProcessingProgress(receipt_id=rid, stage=stage, claim=claim, attempt=attempt)
        body = progress.model_dump_json().encode()
        response = await client.post(url, content=body, headers=sign(CALLBACK_KEY.encode(), body))
        assert response.status_code == 200
        return str(response.json()["status"])

    assert await note("reading", "run-a") == "ok"
    assert await note("reading", "run-b") == "taken"  # the same job, delivered twice
    assert await note("reading", None) == "ok"  # a processor without claims is never stopped
    assert await note("understanding", "run-a") == "ok"
    assert await note("reading", "run-a", attempt=2) == "stale"  # no such attempt queued

    with factory.begin() as s:  # run-a died a while ago: its claim is old
        receipt = s.get(Receipt, rid)
        assert receipt is not None and receipt.claimed_by == "run-a"
        receipt.claimed_at = datetime.now(UTC) - timedelta(hours=1)
    assert await note("reading", "run-b") == "ok"

    await post_result(client, done_result(rid))
    assert await note("reading", "run-c") == "stale"


async def test_same_shop_day_and_total_is_flagged_but_never_across_currencies(
    client: httpx.AsyncClient,
) -> None:
    factory = container(client).session_factory
    first = add_receipt(factory)
    with factory() as s:
        owner = s.get(Receipt, first).user_id  # type: ignore[union-attr]

    def another() -> uuid.UUID:
        with factory.begin() as s:
            r = stored_receipt(user_id=owner, status="queued")
            s.add(r)
            s.flush()
            return r.id

    second, third = another(), another()
    await post_result(client, done_result(first))
    await post_result(client, done_result(second))
    euro = done_result(third)
    euro = euro.model_copy(
        update={"extraction": euro.extraction.model_copy(update={"currency": "EUR"})}  # type: ignore[union-attr]
    )
    await post_result(client, euro)
    with factory() as s:
        assert s.get(Receipt, first).possible_duplicate_of is None  # type: ignore[union-attr]
        assert s.get(Receipt, second).possible_duplicate_of == first  # type: ignore[union-attr]
        assert s.get(Receipt, third).possible_duplicate_of is None  # type: ignore[union-attr]


async def test_the_users_category_for_a_merchant_wins_from_then_on(
    client: httpx.AsyncClient,
) -> None:
    c = container(client)
    first = add_receipt(c.session_factory)
    await post_result(client, done_result(first))
    with c.session_factory.begin() as s:
        owner = s.get(Receipt, first).user_id  # type: ignore[union-attr]
        c.receipts.correct(s, receipt_id=first, user_id=owner, field="category", raw="Coffee")
        second = stored_receipt(user_id=owner, status="queued")
        s.add(second)
        s.flush()
        second_id = second.id
    later = done_result(second_id, total="4.10")
    later = later.model_copy(
        update={
            "extraction": later.extraction.model_copy(  # type: ignore[union-attr]
                update={"merchant": Merchant(name="CORNER  CAFE"), "category": "dining"}
            )
        }
    )
    await post_result(client, later)
    with c.session_factory() as s:
        assert s.get(Receipt, second_id).category == "coffee"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("environment", "secret", "refused"),
    [
        ("staging", "a" * 31, True),
        ("staging", "has spaces " * 3, True),
        ("development", "a", False),
    ],
)
async def test_webhook_secret_from_secrets_manager_is_checked_at_start(
    api_settings: ApiSettings, clean_db: None, environment: str, secret: str, refused: bool
) -> None:
    """The secret read from Secrets Manager follows the rule of the one set in the environment:
    outside development a short one stops the start, before the bot talks to Telegram."""
    from core.aws.clients import AwsClients

    secret_id = f"webhook-{uuid.uuid4().hex[:8]}"
    AwsClients(api_settings).client("secretsmanager").create_secret(
        Name=secret_id, SecretString=secret
    )
    settings = api_settings.model_copy(  # model_copy: staging with the test's SQLite and moto
        update={
            "environment": environment,
            "telegram_mode": "webhook",
            "telegram_bot_token": SecretStr("123:abc"),
            "telegram_webhook_secret_id": secret_id,
            "telegram_api_base_url": "http://127.0.0.1:9/bot",
        }
    )
    container = Container.build(settings)
    try:
        if refused:
            with pytest.raises(ValueError, match=secret_id):
                await start_bot(container)
        else:
            with pytest.raises(Exception) as caught:  # noqa: PT011 - past the check: Telegram
                await start_bot(container)
            assert secret_id not in str(caught.value)
            assert container.webhook_secret == secret  # taken as it is in development
        assert container.bot_app is None
    finally:
        await container.aclose()
