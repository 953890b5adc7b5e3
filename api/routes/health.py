from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import ContainerDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: database, S3 and SQS reachable")
async def readyz(container: ContainerDep) -> JSONResponse:
    def check_db() -> None:
        with container.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def check_s3() -> None:
        container.aws.client("s3").head_bucket(Bucket=container.settings.raw_bucket)

    checks = {"database": check_db, "s3": check_s3, "sqs": container.queue.ping}
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(asyncio.to_thread(check), timeout=5)
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - report, do not raise
            results[name] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in results.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": results},
        status_code=200 if ready else 503,
    )
