"""Admin tokens: mint and verify, expiry, audience, issuer, roles, key rotation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from core.admin.tokens import Principal, Role, SigningKeys, mint, parse_ttl, verify
from core.errors import Unauthorized

KEY = "k" * 40
OLD = "o" * 40
GRACE = timedelta(hours=1)
MAX_TTL = timedelta(days=7)


def token(key: str = KEY, *, ttl: timedelta = timedelta(hours=1), **kw: object) -> str:
    args: dict[str, object] = {
        "subject": "alice",
        "role": Role.ADMIN,
        "ttl": ttl,
        "issuer": "receiptsnap",
        "audience": "receiptsnap-admin",
        "max_ttl": MAX_TTL,
    }
    args.update(kw)
    return mint(key, **args)  # type: ignore[arg-type]


def check(tok: str, keys: SigningKeys | None = None, **kw: object) -> Principal:
    args: dict[str, object] = {
        "issuer": "receiptsnap",
        "audience": "receiptsnap-admin",
        "leeway_seconds": 30,
        "grace": GRACE,
        "max_ttl": MAX_TTL,
    }
    args.update(kw)
    return verify(tok, keys or SigningKeys(current=KEY), **args)  # type: ignore[arg-type]


class TestVerify:
    def test_round_trip_gives_subject_and_role(self) -> None:
        principal = check(token(role=Role.VIEWER))
        assert (principal.subject, principal.role) == ("alice", Role.VIEWER)

    def test_expired_token_is_refused_beyond_the_leeway(self) -> None:
        tok = token(ttl=timedelta(minutes=1), now=datetime.now(UTC) - timedelta(minutes=5))
        with pytest.raises(Unauthorized) as err:
            check(tok)
        assert err.value.code == "token_expired"

    def test_wrong_audience_and_issuer_are_refused(self) -> None:
        now = datetime.now(UTC)
        with pytest.raises(Unauthorized):
            check(token(audience="other", now=now))
        with pytest.raises(Unauthorized):
            check(token(issuer="other", now=now))

    def test_bad_signature_and_none_algorithm_are_refused(self) -> None:
        now = datetime.now(UTC)
        with pytest.raises(Unauthorized):
            check(token("x" * 40, now=now))
        unsigned = jwt.encode(
            {"sub": "a", "role": "admin", "iss": "receiptsnap", "aud": "receiptsnap-admin"},
            None,
            algorithm="none",
        )
        with pytest.raises(Unauthorized):
            check(unsigned)

    def test_unknown_role_is_refused(self) -> None:
        now = datetime.now(UTC)
        claims = {
            "sub": "a",
            "role": "root",
            "iss": "receiptsnap",
            "aud": "receiptsnap-admin",
            "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + 60,
        }
        with pytest.raises(Unauthorized):
            check(jwt.encode(claims, KEY, algorithm="HS256"))

    def test_token_longer_than_max_ttl_is_refused(self) -> None:
        now = datetime.now(UTC)
        tok = token(ttl=timedelta(days=7), now=now)
        with pytest.raises(Unauthorized):
            check(tok, max_ttl=timedelta(days=1))


class TestRotation:
    def test_previous_key_is_valid_during_the_grace_period_only(self) -> None:
        now = datetime.now(UTC)
        tok = token(OLD, now=now)
        keys = SigningKeys.parse(
            json.dumps({"current": KEY, "previous": OLD, "rotated_at": now.isoformat()})
        )
        assert check(tok, keys).subject == "alice"
        late = SigningKeys(current=KEY, previous=OLD, rotated_at=now - 2 * GRACE)
        with pytest.raises(Unauthorized):
            check(tok, late)

    def test_plain_string_secret_is_the_current_key(self) -> None:
        assert SigningKeys.parse(f" {KEY}\n") == SigningKeys(current=KEY)


class TestMint:
    def test_refuses_short_keys_long_ttls_and_odd_subjects(self) -> None:
        with pytest.raises(ValueError, match="bytes"):
            token("short")
        with pytest.raises(ValueError, match="ttl"):
            token(ttl=timedelta(days=8))
        with pytest.raises(ValueError, match="subject"):
            token(subject="a b")

    @pytest.mark.parametrize(
        ("text", "seconds"), [("90s", 90), ("30m", 1800), ("1h", 3600), ("2d", 172_800)]
    )
    def test_parse_ttl(self, text: str, seconds: int) -> None:
        assert parse_ttl(text) == timedelta(seconds=seconds)
