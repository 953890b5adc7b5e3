"""The FastAPI application: webhook, processing callback, health; it hosts the bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from api import errors
from api.bodylimit import BodyLimit
from api.container import Container
from api.inbox import replay_unhandled
from api.routes import admin, client, health, processing, telegram, webapp
from api.sweeper import run_forever
from bot.app import build_application, publish_commands, publish_menu_button
from bot.context import BotServices
from bot.inbox import consume_inbox
from bot.waiting import close_queue_watch
from bot.webhook import ALLOWED_UPDATES
from core.aws.clients import AwsError
from core.errors import Unavailable
from core.reading.engines import check_bedrock_model_in_background
from core.settings import ApiSettings, check_webhook_secret

logger = logging.getLogger(__name__)


async def start_bot(container: Container, *, serve_webhook: bool = True) -> None:
    """The bot, started in this process (``container.bot_app``); ``serve_webhook``: the API's,
    which checks the webhook's secret; else the bot process's (``run_bot_process``)."""
    settings = container.settings
    if settings.telegram_mode == "off":
        return
    token = container.secret(settings.telegram_bot_token, settings.telegram_bot_token_secret_id)
    if settings.telegram_mode == "webhook" and serve_webhook:
        container.webhook_secret = check_webhook_secret(
            container.secret(settings.telegram_webhook_secret, settings.telegram_webhook_secret_id),
            environment=settings.environment,
            name=settings.telegram_webhook_secret_id,
        )
    services = BotServices(
        settings=settings,
        session_factory=container.session_factory,
        receipts=container.receipts,
        queue=container.queue,
        http=container.http,
        questions=container.questions,
    )
    application = build_application(
        token=token, services=services, polling=settings.telegram_mode == "polling"
    )
    await application.initialize()
    if not serve_webhook or settings.telegram_handler != "process":
        # The "/" menu, from the process that answers the commands (with the bot in its own
        # process, not the API too); a failure is logged, start goes on.
        await publish_commands(application.bot)
        await publish_menu_button(application.bot, settings.app_url)  # the Mini App, if https
    await application.start()
    if application.updater is not None:
        await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
    container.bot_app = application
    logger.info("bot.started mode=%s username=%s", settings.telegram_mode, application.bot.username)


def check_signing_keys(container: Container) -> None:
    """At start-up, the admin API's signing keys: unusable ones are one ERROR line now (from
    ``Container.jwt_keys``), not only at the first admin request. In development the key is
    checked only when given directly (the embedded default writes a good one)."""
    settings = container.settings
    if settings.is_development and settings.jwt_secret is None:
        return
    try:
        container.jwt_keys()
    except Unavailable:
        pass  # logged by jwt_keys; admin requests answer 503 until the secret is fixed
    except AwsError as exc:
        logger.warning(
            "admin.signing_key_unreadable secret_id=%s error=%s", settings.jwt_secret_id, exc
        )


async def stop_bot(container: Container) -> None:
    application = container.bot_app
    if application is None:
        return
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    await close_queue_watch(application.bot_data)
    await application.stop()
    await application.shutdown()
    container.bot_app = None


async def run_bot_process(settings: ApiSettings) -> None:
    """``receiptsnap bot``: the bot handling the webhook's updates from the inbox
    (``TELEGRAM_HANDLER=process``; bot/inbox.py) until SIGTERM or SIGINT."""
    if settings.telegram_mode != "webhook" or settings.telegram_handler != "process":
        raise SystemExit(
            "receiptsnap bot needs TELEGRAM_MODE=webhook and TELEGRAM_HANDLER=process "
            "(otherwise the API handles the updates itself)"
        )
    container = Container.build(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await start_bot(container, serve_webhook=False)
        application = container.bot_app
        await consume_inbox(application, application.bot_data["services"], stop)
    finally:
        await stop_bot(container)
        await container.aclose()
    logger.info("bot.stopped")


def create_app(
    settings: ApiSettings | None = None, *, container: Container | None = None
) -> FastAPI:
    settings = settings or (container.settings if container else ApiSettings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        c = container or Container.build(settings)
        app.state.container = c
        check_signing_keys(c)
        await start_bot(c)
        # Updates the last process acknowledged but never handled (it died): handled now.
        await replay_unhandled(c, grace=timedelta(0))
        if c.settings.question_reader == "bedrock":  # logged and counted; start-up goes on
            check_bedrock_model_in_background(c.settings, clients=c.aws)
        sweeper = None
        if c.settings.sweep_interval_seconds > 0:
            sweeper = asyncio.create_task(
                run_forever(c, interval=c.settings.sweep_interval_seconds), name="sweeper"
            )
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
            await stop_bot(c)
            await c.aclose()

    app = FastAPI(
        title="ReceiptSnap API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs" if settings.is_development else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.is_development else None,
    )
    errors.install(app)
    app.add_middleware(BodyLimit, prefix="/api/v1", limit=settings.client_max_body_bytes)
    app.include_router(health.router)
    app.include_router(telegram.router)
    app.include_router(processing.router)
    app.include_router(admin.router)
    app.include_router(client.router)
    webapp.install(app, settings)
    return app
