"""The embedded mode's beat: without Redis there is no Celery worker, so the
serving process runs the periodic tasks itself, on the same wall-clock marks
as the beat schedule in gateway/celery.py (UTC).

`start()` is called once per serving process after the runtime is loaded.
With several workers each runs the jobs; they are idempotent and safe to run
concurrently (see spend/tasks.py), so that only costs a little time.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger("gateway.scheduler")

FIRST_RUN_DELAY_SECONDS = 30.0  # catch-up runs after start-up, once the server is listening
MARK_MARGIN_SECONDS = 0.1  # wake just after the mark: a timer that fires early must not run a job twice


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    run: Callable[[], object]
    every_seconds: int  # runs at UTC multiples of it, plus offset: crontab's marks
    offset_seconds: int = 0
    is_run_at_start: bool = False  # a process may not live until the next mark (daily jobs)

    def seconds_until_next(self, now: float) -> float:
        return self.every_seconds - ((now - self.offset_seconds) % self.every_seconds)


def jobs() -> tuple[Job, ...]:
    from spend import tasks  # the apps are loaded by the time start() runs

    return (
        Job("spend.reset_budgets", tasks.reset_budgets, 60),
        Job("spend.roll_up_daily", tasks.roll_up_daily, 600, is_run_at_start=True),
        Job("spend.prune_logs", tasks.prune_logs, 86400, offset_seconds=3 * 3600 + 17 * 60, is_run_at_start=True),
    )


_started = False
_tasks: set[asyncio.Task] = set()  # held so the loop does not collect them


def is_enabled() -> bool:
    """With Redis, Celery beat owns the schedule; this scheduler runs only without it."""
    return not settings.REDIS_URL


def start() -> bool:
    """Start the jobs in this process (once); False when Celery beat owns them.

    On the serving event loop when called from it, else on a daemon thread of
    its own (gunicorn workers load the app before their loop runs)."""
    global _started
    if _started or not is_enabled():
        return False
    _started = True
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        threading.Thread(target=asyncio.run, args=(_run_all(),), name="gateway-scheduler", daemon=True).start()
    else:
        for job in jobs():
            task = loop.create_task(_run_forever(job), name=f"scheduler:{job.name}")
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)
    logger.info("embedded scheduler started: budget resets every minute, spend roll-up every 10 minutes, "
                "log pruning daily")
    return True


async def _run_all() -> None:
    await asyncio.gather(*(_run_forever(job) for job in jobs()))


async def _run_forever(job: Job) -> None:
    if job.is_run_at_start:
        await asyncio.sleep(FIRST_RUN_DELAY_SECONDS)
        await run_once(job)
    while True:
        await asyncio.sleep(job.seconds_until_next(time.time()) + MARK_MARGIN_SECONDS)
        await run_once(job)


async def run_once(job: Job) -> None:
    """Run one job off the event loop; a failure is logged and the next mark tries again."""
    try:
        result = await sync_to_async(_run_with_fresh_connection, thread_sensitive=False)(job)
    except Exception:
        logger.exception("scheduled job %s failed", job.name)
    else:
        logger.debug("scheduled job %s: %s", job.name, result)


def _run_with_fresh_connection(job: Job) -> object:
    # Executor threads outlive the job: drop a connection the settings say is stale.
    close_old_connections()
    try:
        return job.run()
    finally:
        close_old_connections()


def reset() -> None:
    """Forget that the scheduler started (tests). Tasks already running keep running."""
    global _started
    _started = False
