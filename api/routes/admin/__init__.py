"""The admin REST API under /admin/v1: bearer tokens (admin | viewer), one error format."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ViewerDep
from api.routes.admin import audit, ledgers, queue, receipts, stats, summary, tokens, users
from api.routes.admin.schemas import AUTH_RESPONSES, Me

router = APIRouter(prefix="/admin/v1", responses=AUTH_RESPONSES)


@router.get("/me", tags=["admin"], summary="Who the token belongs to and its role")
def me(principal: ViewerDep) -> Me:
    return Me(
        subject=principal.subject,
        role=principal.role.value,
        token_id=principal.token_id,
        expires_at=principal.expires_at,
    )


router.include_router(users.router)
router.include_router(ledgers.router)
router.include_router(receipts.router)
router.include_router(queue.router)
router.include_router(stats.router)
router.include_router(summary.router)
router.include_router(audit.router)
router.include_router(tokens.router)
