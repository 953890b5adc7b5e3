"""What handlers reach through their context: the services, never globals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot

from bot.exports import ZipExports
from core.aws.sqs import JobQueue
from core.db.session import run_in_session
from core.questions.service import QuestionReader, RulesQuestionReader
from core.receipts.service import ReceiptService
from core.settings import ApiSettings

T = TypeVar("T")


@dataclass
class BotServices:
    settings: ApiSettings
    session_factory: sessionmaker[Session]
    receipts: ReceiptService
    queue: JobQueue
    http: httpx.AsyncClient
    questions: QuestionReader = field(default_factory=RulesQuestionReader)

    async def in_session(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in a unit of work on a worker thread (the DB layer is synchronous)."""
        return await run_in_session(self.session_factory, fn)


@dataclass(frozen=True, slots=True)
class ReceiptProcessed:
    """A custom update: a processing result was stored for this receipt."""

    receipt_id: Any


@dataclass(frozen=True, slots=True)
class ReceiptChanged:
    """A custom update: the owner changed or deleted this receipt elsewhere (the client API, the
    Mini App): its message in the chat follows. Where that message is, and the owner's
    language, travel with it: a deleted receipt's row is gone."""

    receipt_id: Any
    chat_id: int
    message_id: int | None
    media_group_id: str | None
    language_code: str | None


@dataclass(frozen=True, slots=True)
class ReceiptProgress:
    """A custom update: the processor reached a stage of this receipt."""

    receipt_id: Any
    stage: str


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def services(self) -> BotServices:
        services: BotServices = self.bot_data["services"]
        return services

    @property
    def zip_exports(self) -> ZipExports:
        """This application's bounds on ZIP exports (made on first use)."""
        gate: ZipExports | None = self.bot_data.get("zip_exports")
        if gate is None:
            gate = ZipExports.from_settings(self.services.settings)
            self.bot_data["zip_exports"] = gate
        return gate

    @property
    def app_url(self) -> str | None:
        """The Mini App's https URL for web_app buttons, or None (settings.app_url)."""
        return self.services.settings.app_url

    @property
    def callback_key(self) -> bytes:
        key: bytes = self.bot_data["callback_key"]
        return key


BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]
