"""Admin API tokens: JWT (HS256) with expiry, issuer and audience, two roles, key rotation.

The signing key lives in Secrets Manager as a plain string or as JSON
``{"current": ..., "previous": ..., "rotated_at": "2026-10-01T00:00:00Z"}``; after a rotation
tokens signed with the previous key stay valid for a grace period.
"""

from __future__ import annotations

import enum
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from core.errors import Unauthorized

ALGORITHM = "HS256"
MIN_KEY_BYTES = 32
SUBJECT_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


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


@dataclass(frozen=True, slots=True)
class SigningKeys:
    current: str
    previous: str | None = None
    rotated_at: datetime | None = None

    @classmethod
    def parse(cls, raw: str) -> SigningKeys:
        """A plain key, or the rotation JSON."""
        text = raw.strip()
        if text.startswith("{"):
            data = json.loads(text)
            rotated = data.get("rotated_at")
            rotated_at = datetime.fromisoformat(rotated.replace("Z", "+00:00")) if rotated else None
            if rotated_at is not None and rotated_at.tzinfo is None:
                rotated_at = rotated_at.replace(tzinfo=UTC)
            return cls(
                current=str(data["current"]),
                previous=str(data["previous"]) if data.get("previous") else None,
                rotated_at=rotated_at,
            )
        return cls(current=text)

    def verifying_keys(self, *, now: datetime, grace: timedelta) -> list[str]:
        keys = [self.current]
        if self.previous and (self.rotated_at is None or now < self.rotated_at + grace):
            keys.append(self.previous)
        return keys


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
    now: datetime | None = None,
) -> Principal:
    """The token's principal; ``Unauthorized`` for anything wrong (the reason stays generic)."""
    now = now or datetime.now(UTC)
    claims: dict[str, object] | None = None
    for key in keys.verifying_keys(now=now, grace=grace):
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=issuer,
                audience=audience,
                leeway=leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired", code="token_expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("invalid token", code="invalid_token") from exc
    if claims is None:
        raise Unauthorized("invalid token", code="invalid_token")
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int):
        raise Unauthorized("invalid token", code="invalid_token")
    if exp - iat > max_ttl.total_seconds() or iat > now.timestamp() + leeway_seconds:
        raise Unauthorized("invalid token", code="invalid_token")
    try:
        role = Role(str(claims.get("role")))
    except ValueError as exc:
        raise Unauthorized("invalid token", code="invalid_token") from exc
    jti = claims.get("jti")
    return Principal(
        subject=str(claims["sub"]), role=role, token_id=str(jti) if jti is not None else None
    )
