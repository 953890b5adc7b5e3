"""Admin API tokens: JWT (HS256) with expiry, issuer, audience and id, two roles, key rotation,
revocation.

The signing key lives in Secrets Manager as a plain string or as JSON
``{"current": ..., "previous": ..., "rotated_at": "2026-10-01T00:00:00Z"}``. Every key must be at
least ``MIN_KEY_BYTES`` long, for verifying as for minting (``SigningKeys`` refuses a shorter
one). After a rotation the previous key still verifies the tokens it signed before
``rotated_at``, for a grace period that is at most the longest token lifetime; a previous key
without ``rotated_at`` is refused (it would verify forever).

Every token carries a ``jti``; ``verify`` asks the caller whether that id was revoked
(``core.admin.repository.RevokedTokenRepository``).
"""

from __future__ import annotations

import enum
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from core.errors import Unauthorized

ALGORITHM = "HS256"
MIN_KEY_BYTES = 32
SUBJECT_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
TOKEN_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Role(enum.StrEnum):
    ADMIN = "admin"  # reads and writes
    VIEWER = "viewer"  # reads only

    def allows(self, required: Role) -> bool:
        return self == Role.ADMIN or required == Role.VIEWER


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    role: Role
    token_id: str | None = None
    expires_at: datetime | None = None


class SigningKeyError(ValueError):
    """The configured signing key cannot be used (too short, a previous key without its
    rotation time, not the expected JSON): an operator must fix the secret."""


@dataclass(frozen=True, slots=True)
class SigningKeys:
    current: str
    previous: str | None = None
    rotated_at: datetime | None = None

    def __post_init__(self) -> None:
        for name, key in (("current", self.current), ("previous", self.previous)):
            if key is not None and len(key.encode()) < MIN_KEY_BYTES:
                raise SigningKeyError(
                    f"the {name} signing key must be at least {MIN_KEY_BYTES} bytes"
                )
        if self.previous is not None and self.rotated_at is None:
            raise SigningKeyError(
                "a previous signing key needs rotated_at (when it was replaced); without it it "
                "would verify forever"
            )
        if self.rotated_at is not None and self.rotated_at.tzinfo is None:
            raise SigningKeyError("rotated_at needs a time zone (e.g. 2026-10-01T00:00:00Z)")

    @classmethod
    def parse(cls, raw: str) -> SigningKeys:
        """A plain key, or the rotation JSON; ``SigningKeyError`` if it is neither or unusable."""
        text = raw.strip()
        if not text.startswith("{"):
            return cls(current=text)
        try:
            data = json.loads(text)
        except ValueError:
            raise SigningKeyError("the signing key secret is not valid JSON") from None
        current, previous, rotated = (
            data.get("current"),
            data.get("previous"),
            data.get("rotated_at"),
        )
        if not isinstance(current, str) or not isinstance(previous, str | None):
            raise SigningKeyError('the signing key JSON needs "current" (and "previous") strings')
        rotated_at = None
        if rotated:
            try:
                rotated_at = datetime.fromisoformat(str(rotated).replace("Z", "+00:00"))
            except ValueError:
                raise SigningKeyError("rotated_at is not an ISO 8601 date-time") from None
            if rotated_at.tzinfo is None:
                rotated_at = rotated_at.replace(tzinfo=UTC)
        return cls(current=current, previous=previous or None, rotated_at=rotated_at)

    def previous_verifies(self, *, now: datetime, grace: timedelta, leeway: timedelta) -> bool:
        """Whether the previous key still verifies: the rotation was less than ``grace`` ago."""
        if self.previous is None or self.rotated_at is None:
            return False
        return self.rotated_at - leeway <= now < self.rotated_at + grace

    def issued_before_rotation(self, issued_at: int, *, leeway: timedelta) -> bool:
        """Whether a token issued at ``issued_at`` predates the rotation (the previous key
        signs nothing after it)."""
        return self.rotated_at is not None and issued_at <= (self.rotated_at + leeway).timestamp()


def parse_ttl(text: str) -> timedelta:
    """``90s``, ``30m``, ``1h``, ``2d`` (a bare number is seconds)."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (try 30m, 1h, 2d)")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}[match.group(2)]
    return timedelta(seconds=int(match.group(1)) * unit)


def mint(
    key: str,
    *,
    subject: str,
    role: Role,
    ttl: timedelta,
    issuer: str,
    audience: str,
    max_ttl: timedelta,
    now: datetime | None = None,
) -> str:
    if len(key.encode()) < MIN_KEY_BYTES:
        raise ValueError(f"the signing key must be at least {MIN_KEY_BYTES} bytes")
    if not SUBJECT_PATTERN.match(subject):
        raise ValueError("subject: 1-64 characters of letters, digits, _ . @ -")
    if not timedelta(seconds=1) <= ttl <= max_ttl:
        raise ValueError(f"ttl must be between 1 second and {max_ttl}")
    now = now or datetime.now(UTC)
    claims = {
        "sub": subject,
        "role": Role(role).value,
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify(
    token: str,
    keys: SigningKeys,
    *,
    issuer: str,
    audience: str,
    leeway_seconds: int,
    grace: timedelta,
    max_ttl: timedelta,
    revoked: Callable[[str], bool],
    now: datetime | None = None,
) -> Principal:
    """The token's principal; ``Unauthorized`` for anything wrong (the reason stays generic).

    ``revoked`` says whether a token id was revoked; it is asked only for a token whose
    signature and claims are good. The previous key's grace is at most ``max_ttl``."""
    now = now or datetime.now(UTC)
    leeway = timedelta(seconds=leeway_seconds)
    claims = _decode(token, keys.current, issuer, audience, leeway_seconds)
    if (
        claims is None
        and keys.previous is not None
        and keys.previous_verifies(now=now, grace=min(grace, max_ttl), leeway=leeway)
    ):
        claims = _decode(token, keys.previous, issuer, audience, leeway_seconds)
        iat = claims.get("iat") if claims is not None else None
        if not isinstance(iat, int) or not keys.issued_before_rotation(iat, leeway=leeway):
            claims = None
    if claims is None:
        raise Unauthorized("invalid token", code="invalid_token")
    iat, exp, jti = claims.get("iat"), claims.get("exp"), claims.get("jti")
    if not isinstance(iat, int) or not isinstance(exp, int):
        raise Unauthorized("invalid token", code="invalid_token")
    if exp - iat > max_ttl.total_seconds() or iat > now.timestamp() + leeway_seconds:
        raise Unauthorized("invalid token", code="invalid_token")
    if not isinstance(jti, str) or not TOKEN_ID_PATTERN.match(jti):
        raise Unauthorized("invalid token", code="invalid_token")
    try:
        role = Role(str(claims.get("role")))
    except ValueError as exc:
        raise Unauthorized("invalid token", code="invalid_token") from exc
    if revoked(jti):
        raise Unauthorized("the token was revoked", code="token_revoked")
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        token_id=jti,
        expires_at=datetime.fromtimestamp(exp, UTC),
    )


def _decode(
    token: str, key: str, issuer: str, audience: str, leeway_seconds: int
) -> dict[str, object] | None:
    """The claims if ``key`` signed ``token`` (None if it did not); ``Unauthorized`` for a token
    it signed that is expired or otherwise invalid."""
    try:
        claims: dict[str, object] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=issuer,
            audience=audience,
            leeway=leeway_seconds,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
        )
    except jwt.InvalidSignatureError:
        return None
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the token has expired", code="token_expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("invalid token", code="invalid_token") from exc
    return claims


@dataclass(frozen=True, slots=True)
class TokenToRevoke:
    token_id: str
    subject: str
    expires_at: datetime


def token_to_revoke(token: str, keys: SigningKeys, *, issuer: str, audience: str) -> TokenToRevoke:
    """The id, subject and expiry of a token this API issued (signed by one of ``keys``, with
    our issuer and audience), expired or not; ``ValueError`` for anything else."""
    for key in (keys.current, keys.previous):
        if key is None:
            continue
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=issuer,
                audience=audience,
                options={"require": ["exp", "iat", "jti"], "verify_exp": False},
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.InvalidTokenError:
            break
        jti, exp = claims.get("jti"), claims.get("exp")
        if isinstance(jti, str) and TOKEN_ID_PATTERN.match(jti) and isinstance(exp, int):
            return TokenToRevoke(jti, str(claims.get("sub", ""))[:64], _instant(exp))
        break
    raise ValueError("not a token of this API")


def latest_expiry(*, now: datetime, max_ttl: timedelta, leeway_seconds: int) -> datetime:
    """The latest a token that verifies at ``now`` can expire (for revoking it by id alone)."""
    return now + max_ttl + timedelta(seconds=leeway_seconds)


_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def _instant(timestamp: int) -> datetime:
    try:
        return datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return _FAR_FUTURE if timestamp > 0 else datetime(1970, 1, 1, tzinfo=UTC)
