"""The periodic sweep inside the API: stuck receipts are requeued or failed, and users told;
updates never handled are replayed and cards never delivered sent (api/inbox.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from api.container import Container
from api.inbox import replay_unhandled, resend_unnotified
from bot.context import ReceiptProcessed
from core.aws.clients import AwsError
from core.observability.metrics import Metric, api_metrics
from core.receipts.service import SweepOutcome

logger = logging.getLogger(__name__)


async def requeue_if_queue_recreated(container: Container) -> int:
    """A queue made anew (an emulator restarted empty) lost every job: send the jobs of the
    receipts still waiting again at once, instead of at the processing timeout."""
    created = await asyncio.to_thread(container.queue.created_timestamp)
    seen, container.queue_created = container.queue_created, created
    if seen is None or seen == created:
        return 0
    jobs = await container.in_session(container.receipts.requeue_lost)
    logger.warning("queue.recreated requeued=%d", len(jobs))
    for job in jobs:
        await asyncio.to_thread(container.queue.send_job, job)
    return len(jobs)


async def sweep_once(container: Container) -> SweepOutcome:
    def run(session: Session) -> SweepOutcome:
        return container.receipts.sweep(session, now=datetime.now(UTC))

    def erase(session: Session) -> int:
        return container.receipts.sweep_erasures(session, now=datetime.now(UTC))

    try:
        await requeue_if_queue_recreated(container)
    except AwsError as exc:  # the queue is unreachable: the rest of the sweep still runs
        logger.warning("sweep.queue_unreachable error=%r", exc)
    outcome = await container.in_session(run)
    if erased := await container.in_session(erase):
        logger.info("sweep.erased deletions=%d", erased)
    if outcome.requeued or outcome.failed:
        logger.info("sweep.done requeued=%d failed=%d", len(outcome.requeued), len(outcome.failed))
        api_metrics.emit(
            Metric("SweeperRequeued", len(outcome.requeued)),
            Metric("SweeperFailed", len(outcome.failed)),
        )
    for job in outcome.requeued:  # after the commit
        await asyncio.to_thread(container.queue.send_job, job)
    if container.bot_app is not None:
        for receipt_id in outcome.failed:
            await container.bot_app.update_queue.put(ReceiptProcessed(receipt_id=receipt_id))
    await replay_unhandled(container)
    await resend_unnotified(container)
    return outcome


async def run_forever(container: Container, *, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await sweep_once(container)
        except Exception:  # the next sweep tries again
            logger.exception("sweep.failed")
