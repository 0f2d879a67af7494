"""The hot path's one call into spend: queue a finished request for the spend
log (held in this process, with a copy in Redis: spend/queue.py). The database
is written by spend/flusher.py, in batches, off the request path; the running
key/team/user/end-user totals move in the same transaction as the rows they
sum (spend/writer.py)."""
from __future__ import annotations

import logging

from gateway.types import SpendEvent
from spend import flusher, queue

logger = logging.getLogger("spend.recorder")


def record(event: SpendEvent) -> None:
    """Queue `event` and make sure this process's flusher runs.

    Hot path: never raises and never waits for the network (the item is
    appended in memory; its copy's push to Redis runs as a background task).
    Must be called from the event loop.
    """
    try:
        queue.enqueue_soon(event)
        flusher.start()
    except Exception:  # noqa: BLE001 - a request must not fail because its log row could not be queued
        logger.exception("spend event %s could not be queued", getattr(event, "request_id", "?"))
