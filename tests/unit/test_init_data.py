"""Telegram Mini App initData, validated as Telegram documents it (core/clients/init_data.py):
initData signed here with a test bot token, then checked."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from core.clients.init_data import InvalidInitData, sign, validate

TOKEN = "123456:TEST-bot-token"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
USER = {"id": 4242, "first_name": "Aisyah", "username": "aisyah", "language_code": "ms"}


def fields(**over: str) -> dict[str, str]:
    base = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(USER, separators=(",", ":")),
        "auth_date": str(int((NOW - timedelta(minutes=5)).timestamp())),
    }
    return {**base, **over}


def check(raw: str, **kw: object) -> object:
    return validate(raw, bot_token=TOKEN, max_age_seconds=3600, now=NOW, **kw)  # type: ignore[arg-type]


class TestValidate:
    def test_accepts_initdata_signed_for_the_bot_and_reads_the_user(self) -> None:
        user = check(sign(fields(), bot_token=TOKEN))
        assert user.telegram_user_id == 4242  # type: ignore[attr-defined]
        assert user.language_code == "ms"  # type: ignore[attr-defined]

    def test_the_signature_is_the_documented_one(self) -> None:
        """Computed independently: HMAC-SHA256(key="WebAppData", msg=token) as the secret key,
        then the hex HMAC of the sorted key=value lines without hash."""
        f = fields()
        secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
        dcs = "\n".join(f"{k}={f[k]}" for k in sorted(f))
        digest = hmac.new(secret, dcs.encode(), hashlib.sha256).hexdigest()
        assert dict(parse_qsl(sign(f, bot_token=TOKEN)))["hash"] == digest
        assert check(urlencode({**f, "hash": digest}))

    def test_refuses_a_wrong_hash(self) -> None:
        raw = urlencode({**fields(), "hash": "0" * 64})
        with pytest.raises(InvalidInitData, match="not signed"):
            check(raw)

    def test_refuses_initdata_signed_with_another_bots_token(self) -> None:
        with pytest.raises(InvalidInitData, match="not signed"):
            check(sign(fields(), bot_token="999:other"))

    def test_refuses_a_tampered_field(self) -> None:
        signed = dict(parse_qsl(sign(fields(), bot_token=TOKEN)))
        signed["user"] = json.dumps({**USER, "id": 1}, separators=(",", ":"))
        with pytest.raises(InvalidInitData, match="not signed"):
            check(urlencode(signed))

    def test_refuses_an_added_field(self) -> None:
        signed = dict(parse_qsl(sign(fields(), bot_token=TOKEN)))
        with pytest.raises(InvalidInitData, match="not signed"):
            check(urlencode({**signed, "chat_type": "private"}))

    def test_refuses_expired_initdata(self) -> None:
        old = str(int((NOW - timedelta(seconds=3601)).timestamp()))
        with pytest.raises(InvalidInitData, match="expired"):
            check(sign(fields(auth_date=old), bot_token=TOKEN))

    def test_accepts_it_just_within_the_max_age(self) -> None:
        recent = str(int((NOW - timedelta(seconds=3590)).timestamp()))
        assert check(sign(fields(auth_date=recent), bot_token=TOKEN))

    def test_refuses_an_auth_date_from_the_future(self) -> None:
        later = str(int((NOW + timedelta(hours=1)).timestamp()))
        with pytest.raises(InvalidInitData, match="expired"):
            check(sign(fields(auth_date=later), bot_token=TOKEN))

    def test_refuses_signed_initdata_without_a_user(self) -> None:
        f = fields()
        del f["user"]
        with pytest.raises(InvalidInitData, match="no user"):
            check(sign(f, bot_token=TOKEN))

    @pytest.mark.parametrize("user", ['{"first_name":"x"}', "[]", "not json", '{"id":"42"}'])
    def test_refuses_a_user_without_a_numeric_id(self, user: str) -> None:
        with pytest.raises(InvalidInitData, match="no user"):
            check(sign(fields(user=user), bot_token=TOKEN))

    def test_refuses_signed_initdata_without_auth_date(self) -> None:
        f = fields()
        del f["auth_date"]
        with pytest.raises(InvalidInitData, match="auth_date"):
            check(sign(f, bot_token=TOKEN))

    @pytest.mark.parametrize("raw", ["", "x" * 9000, "no-equals-sign", "a=1&a=2"])
    def test_refuses_what_is_not_initdata(self, raw: str) -> None:
        with pytest.raises(InvalidInitData):
            check(raw)
