"""Everything the API builds at start-up and closes at shutdown, in one object."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from sqlalchemy import URL, Engine
from sqlalchemy.orm import Session, sessionmaker

from api.ratelimit import SlidingWindowLimiter
from core.admin.service import AdminService
from core.admin.tokens import SigningKeyError, SigningKeys
from core.aws.clients import AwsClients
from core.aws.s3 import S3Store
from core.aws.secrets import SecretsReader
from core.aws.sqs import JobQueue
from core.db.session import make_engine, make_session_factory, run_in_session, url_from_secret
from core.errors import Unavailable
from core.observability.logs import redact_secret
from core.questions.service import QuestionReader
from core.reading.engines import build_question_reader
from core.receipts.service import ReceiptService
from core.settings import ApiSettings

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Container:
    settings: ApiSettings
    engine: Engine
    session_factory: sessionmaker[Session]
    aws: AwsClients
    store: S3Store
    queue: JobQueue
    secrets: SecretsReader
    receipts: ReceiptService
    http: httpx.AsyncClient
    admin: AdminService
    dlq: JobQueue
    questions: QuestionReader
    bot_app: Any = None
    queue_created: str | None = None  # the job queue's CreatedTimestamp, as the sweeper saw it
    webhook_secret: str | None = None
    admin_limiter: SlidingWindowLimiter = field(default_factory=SlidingWindowLimiter)
    client_limiter: SlidingWindowLimiter = field(default_factory=SlidingWindowLimiter)

    @classmethod
    def build(cls, settings: ApiSettings) -> Container:
        aws = AwsClients(settings)
        engine = database_engine(settings, SecretsReader(aws, ttl_seconds=300))
        store = S3Store(aws)
        return cls(
            settings=settings,
            engine=engine,
            session_factory=make_session_factory(engine),
            aws=aws,
            store=store,
            queue=JobQueue(aws, queue_name=settings.queue_name),
            secrets=SecretsReader(aws, ttl_seconds=settings.secrets_cache_seconds),
            receipts=ReceiptService(settings=settings, store=store),
            http=httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0)),
            admin=AdminService(settings=settings, store=store),
            dlq=JobQueue(aws, queue_name=settings.dlq_name),
            questions=build_question_reader(settings, clients=aws),
        )

    def secret(self, value: Any, secret_id: str) -> str:
        """A secret given in settings (development) or read from Secrets Manager."""
        if value is not None:
            secret = str(value.get_secret_value())
            redact_secret(secret)  # never logged (a Secrets Manager value is so already)
            return secret
        return self.secrets.get(secret_id)

    def jwt_keys(self) -> SigningKeys:
        """The admin token keys (re-read from Secrets Manager when the cache expires, so a
        rotation is picked up without a restart). Keys that cannot be used (too short, a
        previous key without ``rotated_at``) verify nothing: 503 ``signing_key_invalid``."""
        raw = self.secret(self.settings.jwt_secret, self.settings.jwt_secret_id)
        try:
            return SigningKeys.parse(raw)
        except SigningKeyError as exc:
            logger.error(
                "admin.signing_key_invalid secret_id=%s problem=%s (fix the secret; no admin "
                "token is accepted until then)",
                self.settings.jwt_secret_id,
                exc,
            )
            raise Unavailable(
                "the admin API's signing key cannot be used; an operator must fix it",
                code="signing_key_invalid",
            ) from exc

    def bot_token(self) -> str:
        """The bot's token: the key a Mini App's initData is signed with (core/clients)."""
        s = self.settings
        return self.secret(s.telegram_bot_token, s.telegram_bot_token_secret_id)

    def callback_key(self) -> bytes:
        return self.secret(self.settings.callback_secret, self.settings.callback_secret_id).encode()

    async def in_session(self, fn: Callable[[Session], T]) -> T:
        return await run_in_session(self.session_factory, fn)

    async def aclose(self) -> None:
        await self.http.aclose()
        self.engine.dispose()


def database_url(settings: ApiSettings, secrets: SecretsReader) -> str | URL:
    if settings.database_secret_id:
        secret = secrets.get_json(settings.database_secret_id)
        return url_from_secret(
            secret, sslmode=settings.database_sslmode, sslrootcert=settings.database_sslrootcert
        )
    return settings.database_url


def database_engine(settings: ApiSettings, secrets: SecretsReader) -> Engine:
    secret_id = settings.database_secret_id
    if secret_id is None:
        return make_engine(settings.database_url)
    return make_engine(
        database_url(settings, secrets),
        password=lambda fresh: secrets.get_json(secret_id, fresh=fresh).get("password"),
    )
