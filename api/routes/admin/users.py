"""Admin: users — search, detail with counts, block / unblock, delete with all their data."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import ActorDep, ContainerDep, SessionDep, ViewerDep
from api.routes.admin.schemas import NOT_FOUND, UserDeleted, UserDetail, UserPublic, UsersPublic
from core.admin.repository import AdminUserQueries
from core.aws.clients import AwsError

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/users", tags=["admin: users"])

UserId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the user's internal id")]


@router.get("", summary="List users (search by Telegram id, username or first name)")
def list_users(
    _: ViewerDep,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=64, description="Telegram id or name")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> UsersPublic:
    users, total = AdminUserQueries(session).search(query=q, offset=offset, limit=limit)
    return UsersPublic(data=[UserPublic.model_validate(u) for u in users], count=total)


@router.get("/{user_id}", summary="One user, with receipt counts", responses=NOT_FOUND)
def get_user(
    user_id: UserId, _: ViewerDep, container: ContainerDep, session: SessionDep
) -> UserDetail:
    user = container.admin.get_user(session, user_id)
    counts = AdminUserQueries(session).receipt_counts(user.id)
    return UserDetail(
        **UserPublic.model_validate(user).model_dump(),
        receipts_total=sum(counts.values()),
        receipts_by_status=counts,
    )


@router.post(
    "/{user_id}/block",
    summary="Block a user: the bot answers their messages politely and processes nothing",
    responses=NOT_FOUND,
)
def block_user(
    user_id: UserId, actor: ActorDep, container: ContainerDep, session: SessionDep
) -> UserPublic:
    user = container.admin.set_blocked(session, actor, user_id=user_id, blocked=True)
    return UserPublic.model_validate(user)


@router.post("/{user_id}/unblock", summary="Unblock a user", responses=NOT_FOUND)
def unblock_user(
    user_id: UserId, actor: ActorDep, container: ContainerDep, session: SessionDep
) -> UserPublic:
    user = container.admin.set_blocked(session, actor, user_id=user_id, blocked=False)
    return UserPublic.model_validate(user)


@router.delete(
    "/{user_id}",
    summary="Delete a user with all their data: rows and S3 objects (right to be forgotten)",
    responses=NOT_FOUND,
)
def delete_user(
    user_id: UserId, actor: ActorDep, container: ContainerDep, session: SessionDep
) -> UserDeleted:
    deletion = container.admin.delete_user(session, actor, user_id=user_id)
    session.commit()  # first: a rolled-back delete never loses files
    try:
        erasure = container.admin.purge_objects(deletion)
    except AwsError:
        logger.exception("admin.user_objects_left user_id=%s", deletion.user_id)
        erasure = None
    return UserDeleted(
        id=deletion.user_id,
        receipts_deleted=deletion.receipts,
        objects_deleted=erasure.removed if erasure else 0,
        objects_pending=erasure is None or not erasure.complete,
    )
