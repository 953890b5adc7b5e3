"""The client REST API under /api/v1 (docs/api.md): a user's own receipts, uploads straight to
S3 through a presigned POST, the month's numbers. Authenticated by a Telegram Mini App's
initData or a personal token (api/deps.py ``get_client_user``); only the owner sees a receipt."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ClientUserDep, ContainerDep
from api.routes.client import categories, events, receipts, summary, uploads
from api.routes.client.schemas import CLIENT_RESPONSES, Me

router = APIRouter(prefix="/api/v1", responses=CLIENT_RESPONSES)


@router.get("/me", tags=["client"], summary="Who the credentials belong to")
def me(user: ClientUserDep, container: ContainerDep) -> Me:
    return Me(
        user_id=user.id,
        telegram_user_id=user.telegram_user_id,
        first_name=user.first_name,
        language_code=user.language_code,
        default_currency=user.default_currency,
        timezone=user.timezone,
        max_file_bytes=container.settings.max_file_bytes,
    )


router.include_router(receipts.router)
router.include_router(uploads.router)
router.include_router(summary.router)
router.include_router(categories.router)
router.include_router(events.router)
