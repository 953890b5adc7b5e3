from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.container import Container
from core.admin.repository import RevokedTokenRepository
from core.admin.service import Actor
from core.admin.tokens import Principal, Role, verify
from core.aws.clients import AwsError
from core.clients import init_data
from core.clients import tokens as client_tokens
from core.db.models import User
from core.db.session import session_scope
from core.errors import Forbidden, RateLimited, TooLarge, Unauthorized, Unavailable
from core.settings import ApiSettings
from core.users.repository import UserRepository


async def read_body(request: Request, *, limit: int) -> bytes:
    """The request body, read no further than ``limit`` bytes (413 ``too_large`` past it,
    without reading the rest): a declared length is checked first, a chunked body as it comes."""
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and (len(declared) > 18 or int(declared) > limit):
        raise TooLarge(f"the body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"the body is larger than {limit} bytes")
    return bytes(body)


async def get_container(request: Request) -> Container:
    """Async (no I/O): FastAPI would run a plain function on a worker thread, one more hop."""
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_session(container: ContainerDep) -> Iterator[Session]:
    """One unit of work per request: committed when the route returns, rolled back if it raises.

    Function-scoped, so the commit happens before the response is built (a failed commit is an
    error response, never a 200) and before background tasks run (what they announce is
    committed). A route with work that must follow the commit (S3 deletes, queue messages)
    calls ``session.commit()`` itself first.
    """
    with session_scope(container.session_factory) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="AdminToken",
    description="A JWT minted by `receiptsnap admin token --subject NAME --role admin|viewer`.",
)


def get_principal(
    request: Request,
    container: ContainerDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The admin behind the bearer token (401 without a valid one, or a revoked one: the
    request's session reads the revocations); rate-limited per subject."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("a bearer token is required", code="missing_token")
    s = container.settings
    principal = verify(
        credentials.credentials,
        container.jwt_keys(),
        issuer=s.jwt_issuer,
        audience=s.jwt_audience,
        leeway_seconds=s.jwt_leeway_seconds,
        grace=timedelta(seconds=s.jwt_rotation_grace_seconds),
        max_ttl=timedelta(seconds=s.jwt_max_ttl_seconds),
        revoked=RevokedTokenRepository(session).is_revoked,
    )
    window, limit = s.admin_rate_limit
    retry_after = container.admin_limiter.hit(principal.subject, window=window, limit=limit)
    if retry_after is not None:
        raise RateLimited(
            f"at most {limit} requests per {window} seconds", retry_after_seconds=retry_after
        )
    request.state.principal = principal
    return principal


def _require(role: Role) -> Callable[[Principal], Principal]:
    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.role.allows(role):
            raise Forbidden(f"this action needs the {role.value} role")
        return principal

    return check


ViewerDep = Annotated[Principal, Depends(_require(Role.VIEWER))]
AdminDep = Annotated[Principal, Depends(_require(Role.ADMIN))]


def get_actor(request: Request, principal: AdminDep) -> Actor:
    """The admin doing a write, and the address it came from (for the audit)."""
    return Actor(principal=principal, client_ip=request.client.host if request.client else None)


ActorDep = Annotated[Actor, Depends(get_actor)]


# The client API (/api/v1): a Telegram Mini App's initData or a personal token.
client_auth = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    scheme_name="ClientAuth",
    description=(
        "`tma <initData>`: the raw `Telegram.WebApp.initData` of the Mini App, signed by "
        "Telegram for this bot; or `Bearer <token>`: a personal token from the bot's /token."
    ),
)


def _dev_init_data(
    raw: str, *, bot_token: str, settings: ApiSettings
) -> init_data.WebAppUser | None:
    """In development only, initData signed with the dev key (the page's ?dev, app-link)."""
    if not settings.is_development:
        return None
    try:
        return init_data.validate(
            raw,
            bot_token=init_data.dev_bot_token(bot_token),
            max_age_seconds=settings.client_init_data_max_age_seconds,
        )
    except init_data.InvalidInitData:
        return None


def get_client_user(
    request: Request,
    container: ContainerDep,
    session: SessionDep,
    authorization: Annotated[str | None, Depends(client_auth)],
) -> User:
    """The user behind the request (401 otherwise; 403 for a blocked user): the id comes from
    what Telegram signed or from the token, never from the request. Rate-limited per user."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if not credentials or scheme not in ("tma", "bearer"):
        raise Unauthorized(
            "send Authorization: tma <initData> or Bearer <token>", code="missing_credentials"
        )
    s = container.settings
    users = UserRepository(session)
    if scheme == "tma":
        try:
            bot_token = container.bot_token()
        except AwsError as exc:
            raise Unavailable(
                "the bot's token cannot be read", code="bot_token_unavailable"
            ) from exc
        try:
            tg = init_data.validate(
                credentials, bot_token=bot_token, max_age_seconds=s.client_init_data_max_age_seconds
            )
        except init_data.InvalidInitData as exc:
            dev = _dev_init_data(credentials, bot_token=bot_token, settings=s)
            if dev is None:
                raise Unauthorized(str(exc), code="invalid_init_data") from exc
            tg = dev
        user = users.get_by_telegram_id(tg.telegram_user_id)
        if user is None:  # opened the app before ever writing to the bot
            user = users.upsert_telegram_user(
                telegram_user_id=tg.telegram_user_id,
                chat_id=None,
                username=tg.username,
                first_name=tg.first_name,
                language_code=tg.language_code,
            )
    else:
        user_id = client_tokens.user_of(session, credentials)
        found = users.get(user_id) if user_id is not None else None
        if found is None:
            raise Unauthorized("the token is unknown or revoked", code="invalid_token")
        user = found
    if user.blocked_at is not None:
        raise Forbidden("this account is blocked", code="blocked")
    window, limit = s.client_rate_limit
    retry_after = container.client_limiter.hit(f"user:{user.id}", window=window, limit=limit)
    if retry_after is not None:
        raise RateLimited(
            f"at most {limit} requests per {window} seconds", retry_after_seconds=retry_after
        )
    request.state.client_user_id = user.id
    return user


ClientUserDep = Annotated[User, Depends(get_client_user)]


def tell_bot(container: Container, background: BackgroundTasks, update: object) -> None:
    """Put ``update`` on the bot's queue once the request's session has committed (a background
    task: they run after it); nothing when this process runs no bot."""
    if container.bot_app is not None:
        background.add_task(container.bot_app.update_queue.put, update)
