"""Build the python-telegram-bot Application: webhook (inside the API) or polling."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session
from telegram import Bot, BotCommand, BotCommandScopeDefault, MenuButtonWebApp, Update, WebAppInfo
from telegram.error import NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ContextTypes,
    SimpleUpdateProcessor,
    TypeHandler,
)

from bot import blocked, i18n
from bot.callbacks import derive_key
from bot.context import (
    BotContext,
    BotServices,
    ReceiptChanged,
    ReceiptProcessed,
    ReceiptProgress,
)
from bot.handlers import (
    budgets,
    capture,
    categories,
    edit,
    ledgers,
    preferences,
    receipts,
    results,
    start,
    summary,
    tokens,
)
from bot.i18n import texts
from bot.users import owner_language
from core.aws.clients import AwsError
from core.observability.logs import bind
from core.observability.metrics import api_metrics
from core.updates.repository import TelegramUpdateRepository

logger = logging.getLogger(__name__)


class CountingRateLimiter(AIORateLimiter):
    """Telegram's limits (``AIORateLimiter``: 429s waited out and retried) plus one count of
    every Bot API call Telegram still refused, by method and error, whether or not a handler
    then deals with it: ``TelegramSendErrors`` in the API's metrics. An edit that changes
    nothing ("message is not modified") is an answer, not an error."""

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        try:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        except TelegramError as exc:
            if "not modified" not in str(exc).lower():
                api_metrics.count("TelegramSendErrors", error=type(exc).__name__, method=endpoint)
            raise


REPLAY = "inbox_replay"  # bot_data: update ids whose handling met a transient failure

# Before everything else (the blocked-user gate is -2, setting an open question aside -1): the
# ids every line of this update carries.
LOG_CONTEXT_GROUP = -3


# Failures worth handling the update again later: the database, S3/SQS or the network was
# away for a moment (a bug would fail the same way again, so it is not replayed).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    httpx.TransportError,
    NetworkError,
    *AwsError,
)


class InboxUpdateProcessor(SimpleUpdateProcessor):
    """Up to 256 updates at once, each marked handled in the inbox (``telegram_updates``) once
    every handler ran, errors included, except an update whose handler met a transient failure
    (``replay``, filled by ``on_error``): that one, like one never marked because the process
    died, is replayed by the sweeper."""

    def __init__(
        self, services: BotServices, replay: set[int], max_concurrent_updates: int = 256
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._services = services
        self._replay = replay
        # Update ids the bot process took from the inbox and has not handled yet (bot/inbox.py)
        self.pending: set[int] = set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await coroutine
        finally:
            if isinstance(update, Update):
                self.pending.discard(update.update_id)
        if not isinstance(update, Update):
            return
        update_id = update.update_id
        if update_id in self._replay:
            self._replay.discard(update_id)
            logger.warning("inbox.left_for_replay update_id=%s", update_id)
            return

        def mark(session: Session) -> None:
            TelegramUpdateRepository(session).mark_handled(update_id, now=datetime.now(UTC))

        try:
            await self._services.in_session(mark)
        except Exception:  # handled already: at worst replayed (idempotently)
            logger.exception("inbox.mark_failed update_id=%s", update_id)


async def bind_log_context(update: object, context: BotContext) -> None:
    """Each update runs in its own task (concurrent updates), so what is bound here stays with
    this update's handlers: the update id and the sender's language, or the receipt of a
    processor's result and its owner's language (what is sent from it goes to the owner)."""
    if isinstance(update, Update):
        bind(update_id=update.update_id)
        user = update.effective_user
        i18n.use(user.language_code if user is not None else None)
    elif isinstance(update, ReceiptProcessed | ReceiptProgress):
        bind(receipt_id=str(update.receipt_id))
        receipt_id = update.receipt_id
        try:
            code = await context.services.in_session(lambda s: owner_language(s, receipt_id))
        except TRANSIENT_ERRORS:  # the handlers meet the same and say so: English meanwhile
            logger.warning("bot.owner_language_failed", exc_info=True)
            code = None
        i18n.use(code)
    elif isinstance(update, ReceiptChanged):
        bind(receipt_id=str(update.receipt_id))
        i18n.use(update.language_code)


async def on_error(update: object, context: BotContext) -> None:
    logger.error("bot.handler_error", exc_info=context.error)
    transient = (  # only the webhook keeps updates in the inbox (polling has none to replay)
        isinstance(update, Update)
        and isinstance(context.error, TRANSIENT_ERRORS)
        and context.services.settings.telegram_mode == "webhook"
    )
    if transient:
        assert isinstance(update, Update)
        context.bot_data[REPLAY].add(update.update_id)  # not marked handled: replayed later
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text(
                texts.TRANSIENT_ERROR if transient else texts.GENERIC_ERROR
            )
        except Exception:  # noqa: BLE001 - the error handler must not raise
            logger.warning("bot.error_reply_failed")


def bot_commands(language: i18n.Language = i18n.ENGLISH) -> list[BotCommand]:
    """The "/" menu: every command with its short description (``COMMANDS`` of the language)."""
    commands: dict[str, str] = language.texts.COMMANDS
    return [BotCommand(name, description) for name, description in commands.items()]


async def publish_commands(bot: Bot) -> bool:
    """setMyCommands once per start: English for the default language (every user whose
    language has no menu of its own), then each other language's for its users. A failure is
    logged and start-up goes on (the menu stays as it was); False if any failed."""
    published = True
    for language in i18n.LANGUAGES.values():
        code = None if language is i18n.ENGLISH else language.code
        commands = bot_commands(language)
        try:
            await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)
        except Exception as exc:  # noqa: BLE001 - the menu is not worth failing a start for
            logger.warning(
                "bot.commands_not_set language=%s error=%s: %s",
                language.code,
                type(exc).__name__,
                exc,
            )
            published = False
            continue
        logger.info("bot.commands_set language=%s count=%d", language.code, len(commands))
    return published


async def publish_menu_button(bot: Bot, app_url: str | None) -> bool:
    """The chat menu button of every private chat (no ``chat_id``: the default) opens the Mini
    App at ``app_url`` (setChatMenuButton with MenuButtonWebApp; Telegram takes only https).
    Without a URL nothing is changed (a button set in @BotFather stays). A failure is logged
    and start-up goes on; False then."""
    if not app_url:
        return False
    button = MenuButtonWebApp(text=texts.MENU_BUTTON_APP, web_app=WebAppInfo(url=app_url))
    try:
        await bot.set_chat_menu_button(menu_button=button)
    except Exception as exc:  # noqa: BLE001 - the menu is not worth failing a start for
        logger.warning("bot.menu_button_not_set error=%s: %s", type(exc).__name__, exc)
        return False
    logger.info("bot.menu_button_set url=%s", app_url)
    return True


def build_application(*, token: str, services: BotServices, polling: bool = False) -> Any:
    """The bot, wired to ``services``. Without ``polling`` it has no updater: updates are pushed."""
    settings = services.settings
    builder = (
        Application.builder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .context_types(ContextTypes(context=BotContext))
        # Telegram's 30 messages a second overall (this process's share), as one every 1/30 s
        # rather than bursts of 30 a second: a burst fills the limiter's bucket at once, and
        # then every waiting send is woken to try again at each release (the acknowledgements,
        # on the same event loop, waited behind those wake-ups: bench/load.py).
        .rate_limiter(
            CountingRateLimiter(
                overall_max_rate=1,
                overall_time_period=1 / settings.telegram_send_rate,
                max_retries=3,
            )
        )
    )
    replay: set[int] = set()
    builder = builder.concurrent_updates(InboxUpdateProcessor(services, replay))
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data["services"] = services
    application.bot_data[REPLAY] = replay
    application.bot_data["callback_key"] = derive_key(token)
    application.add_handler(TypeHandler(object, bind_log_context), group=LOG_CONTEXT_GROUP)
    # Members leaving and the bot removed: recorded whoever did it, before the blocked-user gate
    application.add_handlers(ledgers.MEMBERSHIP, group=blocked.GROUP)
    application.add_handler(blocked.GATE, group=blocked.GROUP)  # then blocked users stop here
    application.add_handler(edit.SET_ASIDE, group=edit.SET_ASIDE_GROUP)  # a command or a file
    application.add_handlers(ledgers.GROUP_GUARDS)  # nothing personal answered in a group
    application.add_handlers(start.HANDLERS)
    application.add_handlers(capture.HANDLERS)
    application.add_handlers(receipts.HANDLERS)
    application.add_handlers(preferences.HANDLERS)
    application.add_handlers(summary.HANDLERS)
    application.add_handlers(ledgers.HANDLERS)
    application.add_handlers(budgets.HANDLERS)
    application.add_handlers(categories.HANDLERS)
    application.add_handlers(tokens.HANDLERS)
    application.add_handlers(results.HANDLERS)
    application.add_handlers(edit.HANDLERS)
    application.add_handlers(start.FALLBACK_HANDLERS)  # last: only what nothing else took
    application.add_error_handler(on_error)
    return application
