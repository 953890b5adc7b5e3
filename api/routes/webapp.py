"""The Telegram Mini App: static files (api/webapp/, no build step) served at /app/.

The page authenticates every API call with ``Authorization: tma <initData>`` (docs/api.md). For
development only, ``/app/?dev`` asks ``GET /app/dev/init-data`` for an initData the server signs
with the bot's token for ``MINI_APP_DEV_USER_ID`` (or ``?user=``): that route is registered only
when ENVIRONMENT=development, so outside it the path does not exist (404), whatever is asked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.deps import ContainerDep
from core.aws.clients import AwsError
from core.aws.s3 import S3Store
from core.clients.init_data import dev_init_data_for
from core.errors import Unavailable
from core.settings import ApiSettings

WEBAPP_DIR = Path(__file__).resolve().parents[1] / "webapp"
PREFIX = "/app"


def content_security_policy(store: S3Store, bucket: str, thumbnails_bucket: str) -> str:
    """What the page may load and where it may send: its own files and API, Telegram's script,
    the raw bucket's origin as boto3 signs its links (the photos, the upload's POST) and the
    processed bucket's (the list's thumbnails); inline styles (the bars' widths), never inline
    scripts. Each origin is taken from a link signed here (no request is made), so it is right
    for AWS's endpoints (a host per bucket) and a local emulator alike.
    Framed only by Telegram's web client (its apps open the page in a web view, not a frame),
    so no other site can lay the page under its own (clickjacking)."""
    signed = [
        store.presign_get(bucket=bucket, key="csp", expires_in=60),
        store.presign_post(
            bucket=bucket, key="csp", content_type="image/jpeg", max_bytes=1, expires_in=60
        )[0],
    ]
    thumbnail = store.presign_get(bucket=thumbnails_bucket, key="csp", expires_in=60)
    s3 = _origins(signed)
    images = _origins([*signed, thumbnail])
    return (
        "default-src 'none'; script-src 'self' https://telegram.org; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob: {images}; connect-src 'self' {s3}; "
        "base-uri 'none'; object-src 'none'; frame-ancestors https://web.telegram.org"
    )


def _origins(links: list[str]) -> str:
    return " ".join(sorted({f"{u.scheme}://{u.netloc}" for u in map(urlsplit, links)}))


class AppFiles(StaticFiles):
    """The page's files; ``no-cache``: the browser may keep them but asks again (ETag) each
    time, so a deploy is seen at once and an unchanged file costs a 304. With the policy of
    ``content_security_policy`` (made once, from the running app's container)."""

    policy: str | None = None

    def file_response(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        scope = kwargs.get("scope") or args[2]
        if self.policy is None:
            container = getattr(scope["app"].state, "container", None)
            if container is not None:
                settings = container.settings
                self.policy = content_security_policy(
                    container.store, settings.raw_bucket, settings.processed_bucket
                )
        if self.policy is not None:
            response.headers["Content-Security-Policy"] = self.policy
        return response


dev_router = APIRouter(include_in_schema=False)


@dev_router.get(f"{PREFIX}/dev/init-data")
def dev_init_data(
    container: ContainerDep,
    user: Annotated[int | None, Query(ge=1, lt=2**53)] = None,
) -> JSONResponse:
    """Development only (never registered otherwise): an initData signed for a dev user."""
    settings = container.settings
    assert settings.is_development  # the route exists only then (install)
    try:
        token = container.bot_token()
    except AwsError as exc:
        raise Unavailable(
            "the bot's token cannot be read (set TELEGRAM_BOT_TOKEN)", code="bot_token_unavailable"
        ) from exc
    return JSONResponse(
        {"init_data": dev_init_data_for(user or settings.mini_app_dev_user_id, bot_token=token)},
        headers={"Cache-Control": "no-store"},
    )


def install(app: FastAPI, settings: ApiSettings) -> None:
    """/app/ (the page) and, in development only, its dev initData route."""
    if settings.is_development:
        app.include_router(dev_router)  # before the mount, which would take the path

    @app.get(PREFIX, include_in_schema=False)
    def app_root() -> RedirectResponse:  # the page's relative links need the slash
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    app.mount(PREFIX, AppFiles(directory=WEBAPP_DIR, html=True), name="webapp")
