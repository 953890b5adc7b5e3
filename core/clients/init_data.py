"""Telegram Mini App ``initData``, validated as Telegram documents it.

From https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app: the data
is a query string; the data-check-string is every received field but ``hash``, sorted by key, as
``key=<value>`` lines joined by ``\\n``; the secret key is HMAC-SHA256 of the bot token with the
constant ``WebAppData`` as the key; the data is Telegram's when the hex HMAC-SHA256 of the
data-check-string under that key equals ``hash``; ``auth_date`` (Unix time) guards against old
data; complex fields (``user``) are JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

MAX_INIT_DATA_CHARS = 8192  # Telegram's are well under 1 KB; a bound before any parsing


class InvalidInitData(ValueError):
    """Why the initData is refused (a short reason, safe to show)."""


@dataclass(frozen=True, slots=True)
class WebAppUser:
    telegram_user_id: int
    first_name: str | None
    username: str | None
    language_code: str | None
    auth_date: datetime


def dev_bot_token(bot_token: str) -> str:
    """The key development initData is signed with (the page's ?dev, ``receiptsnap app-link``):
    derived from the bot's token but not it, so such data is never Telegram's for any API that
    checks with the real token (every API outside development), even one sharing the token."""
    return "dev:" + hashlib.sha256(b"receiptsnap-dev-init-data:" + bot_token.encode()).hexdigest()


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def sign(fields: dict[str, str], *, bot_token: str) -> str:
    """initData as Telegram would give it for these fields (tests, ``app-link`` in development)."""
    digest = hmac.new(
        secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    return urlencode({**fields, "hash": digest})


def validate(
    raw: str, *, bot_token: str, max_age_seconds: int, now: datetime | None = None
) -> WebAppUser:
    """The Telegram user the initData was signed for; ``InvalidInitData`` otherwise."""
    if not raw or len(raw) > MAX_INIT_DATA_CHARS:
        raise InvalidInitData("initData is empty or too long")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise InvalidInitData("initData is not a query string") from exc
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidInitData("initData repeats a field")
    received = fields.get("hash", "")
    expected = hmac.new(
        secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, received.lower()):
        raise InvalidInitData("initData is not signed for this bot")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
    except (KeyError, ValueError, OverflowError, OSError) as exc:
        raise InvalidInitData("initData has no valid auth_date") from exc
    now = now or datetime.now(UTC)
    age = (now - auth_date).total_seconds()
    if age > max_age_seconds or age < -60:
        raise InvalidInitData("initData has expired; open the app again")
    try:
        user = json.loads(fields["user"])
        user_id = user["id"]
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInitData("initData has no user") from exc
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id < 2**63:
        raise InvalidInitData("initData has no user")

    def text(key: str, limit: int) -> str | None:
        value = user.get(key)
        return value[:limit] if isinstance(value, str) else None

    return WebAppUser(
        telegram_user_id=user_id,
        first_name=text("first_name", 128),
        username=text("username", 64),
        language_code=text("language_code", 16),
        auth_date=auth_date,
    )


def dev_init_data_for(user_id: int, *, bot_token: str, first_name: str = "Dev") -> str:
    """initData for ``user_id`` in a private chat as Telegram's, but signed with the dev key
    (``dev_bot_token``): a development API accepts it, no other (api/deps.py), even one with
    the same bot token. For the Mini App's ?dev (api/routes/webapp.py) and
    ``receiptsnap app-link``."""
    fields = {
        "user": json.dumps({"id": user_id, "first_name": first_name}, separators=(",", ":")),
        "auth_date": str(int(datetime.now(UTC).timestamp())),
        "chat_type": "private",
    }
    return sign(fields, bot_token=dev_bot_token(bot_token))
