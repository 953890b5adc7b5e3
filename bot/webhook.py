"""Register or remove the bot's webhook with Telegram (`receiptsnap telegram ...`)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from telegram import Bot

# The update types the bot takes, for setWebhook and, in polling, getUpdates (Telegram keeps the
# last list given). Naming a list replaces Telegram's default (every type but chat_member and
# the reactions): my_chat_member (the bot added to or removed from a group) must be named, and
# chat_member (anyone joining or leaving) is only sent to a bot that is an admin of the group
# and names it; without it, the service messages left_chat_member / new_chat_members (messages)
# tell the same in groups (bot/handlers/ledgers.py).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "chat_member"]
WEBHOOK_PATH = "/telegram/webhook"


def webhook_url(base_or_full: str) -> str:
    """``https://host`` or ``https://host/telegram/webhook`` -> the full webhook URL (HTTPS)."""
    url = base_or_full.rstrip("/")
    if not url.startswith("https://"):
        raise ValueError("Telegram only delivers webhooks to https:// URLs")
    return url if url.endswith(WEBHOOK_PATH) else url + WEBHOOK_PATH


def make_bot(*, token: str, base_url: str, base_file_url: str) -> Bot:
    return Bot(token=token, base_url=base_url, base_file_url=base_file_url)


async def set_webhook(
    bot: Bot,
    *,
    url: str,
    secret_token: str,
    certificate: Path | None = None,
    drop_pending_updates: bool = False,
    max_connections: int = 40,
) -> dict[str, Any]:
    async with bot:
        with certificate.open("rb") if certificate else contextlib.nullcontext() as cert:
            await bot.set_webhook(
                url=webhook_url(url),
                certificate=cert,
                secret_token=secret_token,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=drop_pending_updates,
                max_connections=max_connections,
            )
        info = await bot.get_webhook_info()
    return info.to_dict()


async def delete_webhook(bot: Bot, *, drop_pending_updates: bool = False) -> None:
    async with bot:
        await bot.delete_webhook(drop_pending_updates=drop_pending_updates)
