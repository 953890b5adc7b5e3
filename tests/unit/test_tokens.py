"""Admin tokens: mint and verify, expiry, audience, issuer, roles, key rotation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from core.admin.tokens import (
    Principal,
    Role,
    SigningKeyError,
    SigningKeys,
    latest_expiry,
    mint,
    parse_ttl,
    token_to_revoke,
    verify,
)
from core.errors import Unauthorized

KEY = "k" * 40
OLD = "o" * 40
GRACE = timedelta(hours=1)
MAX_TTL = timedelta(days=1)


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
        "revoked": lambda jti: False,
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
        tok = token(ttl=timedelta(days=1), now=now)
        with pytest.raises(Unauthorized):
            check(tok, max_ttl=timedelta(hours=12))


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
            token(ttl=timedelta(days=2))
        with pytest.raises(ValueError, match="subject"):
            token(subject="a b")

    @pytest.mark.parametrize(
        ("text", "seconds"), [("90s", 90), ("30m", 1800), ("1h", 3600), ("2d", 172_800)]
    )
    def test_parse_ttl(self, text: str, seconds: int) -> None:
        assert parse_ttl(text) == timedelta(seconds=seconds)


def claims_of(**changes: object) -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, object] = {
        "sub": "alice",
        "role": "admin",
        "iss": "receiptsnap",
        "aud": "receiptsnap-admin",
        "iat": now,
        "exp": now + 60,
        "jti": "a" * 32,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


class TestSigningKeys:
    @pytest.mark.parametrize(
        ("raw", "problem"),
        [
            ("short", "current signing key must be at least 32 bytes"),
            (json.dumps({"current": "short"}), "current signing key"),
            (
                json.dumps({"current": KEY, "previous": "old", "rotated_at": "2026-10-01T00:00Z"}),
                "previous signing key must be at least 32 bytes",
            ),
            (json.dumps({"current": KEY, "previous": OLD}), "needs rotated_at"),
            (json.dumps({"current": KEY, "previous": OLD, "rotated_at": "soon"}), "ISO 8601"),
            (json.dumps({"previous": OLD}), '"current"'),
            ("{not json", "not valid JSON"),
        ],
    )
    def test_unusable_keys_are_refused_with_the_reason(self, raw: str, problem: str) -> None:
        with pytest.raises(SigningKeyError, match=problem):
            SigningKeys.parse(raw)

    def test_keys_built_directly_are_checked_too(self) -> None:
        """Verification cannot be handed a short key: SigningKeys refuses to hold one (the API
        answers 503 signing_key_invalid: tests/integration/admin/test_tokens.py)."""
        with pytest.raises(SigningKeyError, match="32 bytes"):
            SigningKeys(current="k" * 31)
        with pytest.raises(SigningKeyError, match="rotated_at"):
            SigningKeys(current=KEY, previous=OLD)


class TestRotationBounds:
    def test_previous_key_does_not_verify_tokens_issued_after_the_rotation(self) -> None:
        now = datetime.now(UTC)
        keys = SigningKeys(current=KEY, previous=OLD, rotated_at=now - timedelta(minutes=10))
        before = token(OLD, now=now - timedelta(minutes=20))
        after = token(OLD, now=now)  # someone still signing with the retired key

        assert check(before, keys).subject == "alice"
        with pytest.raises(Unauthorized):
            check(after, keys)

    def test_a_retired_key_verifies_nothing_older_than_the_longest_lifetime(self) -> None:
        """However long the configured grace, the previous key's tokens were issued before the
        rotation and live at most max_ttl: none outlives the rotation by more."""
        now = datetime.now(UTC)
        keys = SigningKeys(current=KEY, previous=OLD, rotated_at=now - timedelta(hours=2))
        issued = int((now - timedelta(hours=3)).timestamp())
        tok = jwt.encode(claims_of(iat=issued), OLD, algorithm="HS256")  # still unexpired

        with pytest.raises(Unauthorized):
            check(tok, keys, grace=timedelta(days=30), max_ttl=timedelta(hours=1))
        assert check(tok, keys, grace=timedelta(days=30), max_ttl=timedelta(days=1))
        with pytest.raises(Unauthorized):  # the grace itself, shorter than the rotation's age
            check(tok, keys, grace=timedelta(hours=1), max_ttl=timedelta(days=1))

    def test_an_expired_token_of_a_retired_key_says_nothing_of_the_key(self) -> None:
        now = datetime.now(UTC)
        keys = SigningKeys(current=KEY, previous=OLD, rotated_at=now - 2 * GRACE)
        tok = token(OLD, ttl=timedelta(minutes=1), now=now - 3 * GRACE)
        with pytest.raises(Unauthorized) as err:
            check(tok, keys)
        assert err.value.code == "invalid_token"


class TestTokenIds:
    def test_every_token_has_its_own_id_and_the_principal_carries_it(self) -> None:
        now = datetime.now(UTC)
        a, b = check(token(now=now)), check(token(now=now))
        assert a.token_id and b.token_id and a.token_id != b.token_id
        assert a.expires_at is not None
        assert timedelta(minutes=59) < a.expires_at - now <= timedelta(hours=1)

    def test_a_token_without_jti_is_refused(self) -> None:
        with pytest.raises(Unauthorized) as err:
            check(jwt.encode(claims_of(jti=None), KEY, algorithm="HS256"))
        assert err.value.code == "invalid_token"
        with pytest.raises(Unauthorized):
            check(jwt.encode(claims_of(jti="x" * 65), KEY, algorithm="HS256"))

    def test_a_revoked_token_is_refused_and_only_good_tokens_are_looked_up(self) -> None:
        asked: list[str] = []
        tok = token()
        jti = check(tok).token_id
        assert jti is not None

        def revoked(token_id: str) -> bool:
            asked.append(token_id)
            return token_id == jti

        with pytest.raises(Unauthorized) as err:
            check(tok, revoked=revoked)
        assert err.value.code == "token_revoked"
        assert check(token(), revoked=revoked).subject == "alice"
        with pytest.raises(Unauthorized):
            check(token("x" * 40), revoked=revoked)
        assert len(asked) == 2 and asked[0] == jti  # the forged token was never looked up

    def test_token_to_revoke_reads_our_tokens_expired_or_not(self) -> None:
        now = datetime.now(UTC)
        keys = SigningKeys(current=KEY, previous=OLD, rotated_at=now)
        expired = token(ttl=timedelta(minutes=1), now=now - timedelta(hours=1))
        old = token(OLD, subject="bob", now=now - timedelta(minutes=5))

        found = token_to_revoke(expired, keys, issuer="receiptsnap", audience="receiptsnap-admin")
        assert found.subject == "alice" and found.expires_at < now
        assert (
            token_to_revoke(old, keys, issuer="receiptsnap", audience="receiptsnap-admin").subject
            == "bob"
        )
        for foreign in (token("x" * 40), token(audience="other"), "garbage"):
            with pytest.raises(ValueError, match="not a token of this API"):
                token_to_revoke(foreign, keys, issuer="receiptsnap", audience="receiptsnap-admin")

    def test_revoking_by_id_alone_lasts_as_long_as_any_token_can(self) -> None:
        now = datetime.now(UTC)
        latest = latest_expiry(now=now, max_ttl=MAX_TTL, leeway_seconds=30)
        tok = token(ttl=MAX_TTL, now=now + timedelta(seconds=30))  # issued within the leeway
        assert check(tok).expires_at is not None
        assert check(tok).expires_at <= latest  # type: ignore[operator]
