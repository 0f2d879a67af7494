"""Per-deployment routing state: cooldowns, minute counters (requests, tokens,
failures), in-flight requests and recent latency.

Kept in the shared state (Redis when configured, so every gateway instance
sees the same numbers; process memory otherwise). Reading a whole group's
state is one round trip; bookkeeping after a pick or an answer is written in
the background so it adds no latency to the request.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from gateway.state import shared_state
from gateway.state.base import Increment
from gateway.state.memory import MemoryState
from routing.deployments import Deployment

logger = logging.getLogger("routing.usage")

MINUTE_COUNTER_TTL = 120  # a minute's counter outlives its minute a little, for /model/info
IN_FLIGHT_TTL = 600  # a crashed process's in-flight count fades away
LATENCY_WEIGHT = 0.3
FAILURE_WINDOW_SECONDS = 60
LATENCY_TTL = 3600  # weight of the newest sample in the moving average


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A deployment's state at the moment of a routing decision."""

    cooldown_until: float = 0.0
    rpm_used: int = 0
    tpm_used: int = 0
    in_flight: int = 0
    latency_ms: float | None = None

    def is_cooling(self, now: float) -> bool:
        return self.cooldown_until > now


def current_minute(now: float | None = None) -> int:
    return int((now or time.time()) // 60)


def _keys(deployment_id: str, minute: int) -> list[str]:
    prefix = f"rt:{deployment_id}:"
    return [prefix + "cool", f"{prefix}rpm:{minute}", f"{prefix}tpm:{minute}", prefix + "busy", prefix + "lat"]


def _number(raw: bytes | None, kind: type = int) -> float | int:
    return kind(raw) if raw is not None else kind(0)


async def read_snapshots(deployments: tuple[Deployment, ...]) -> list[Snapshot]:
    """The state of every deployment of a group, in one round trip."""
    minute = current_minute()
    keys = [key for deployment in deployments for key in _keys(deployment.id, minute)]
    values = await shared_state().get_many(keys)
    snapshots = []
    for index in range(0, len(values), 5):
        cool, rpm, tpm, busy, latency = values[index:index + 5]
        snapshots.append(Snapshot(
            cooldown_until=_number(cool, float),
            rpm_used=_number(rpm),
            tpm_used=_number(tpm),
            in_flight=max(0, _number(busy)),
            latency_ms=float(latency) if latency is not None else None,
        ))
    return snapshots


_background: set[asyncio.Task] = set()


def _in_background(coroutine) -> None:
    """Run bookkeeping off the request path; keep a reference so it is not collected."""
    task = asyncio.get_running_loop().create_task(coroutine)
    _background.add(task)
    task.add_done_callback(_finished)


def _finished(task: asyncio.Task) -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.warning("routing bookkeeping failed: %s", type(task.exception()).__name__)


def _apply(increments: list[Increment]) -> None:
    """Count now in process memory; in Redis, off the request path."""
    state = shared_state()
    if isinstance(state, MemoryState):
        state.incr_many_now(increments)
    else:
        _in_background(state.incr_many(increments))


def record_start(deployment: Deployment) -> None:
    minute = current_minute()
    _apply([
        Increment(f"rt:{deployment.id}:rpm:{minute}", 1, MINUTE_COUNTER_TTL),
        Increment(f"rt:{deployment.id}:busy", 1, IN_FLIGHT_TTL, refresh_ttl=True),
    ])


def record_end(deployment: Deployment, *, tokens: int, latency_ms: float | None,
               previous_latency_ms: float | None) -> None:
    """After an answer (or a failure): release the in-flight slot, count tokens, update latency."""
    minute = current_minute()
    increments = [Increment(f"rt:{deployment.id}:busy", -1, IN_FLIGHT_TTL, refresh_ttl=True)]
    if tokens:
        increments.append(Increment(f"rt:{deployment.id}:tpm:{minute}", tokens, MINUTE_COUNTER_TTL))
    latency = None
    if latency_ms is not None:
        average = latency_ms if previous_latency_ms is None else (
            LATENCY_WEIGHT * latency_ms + (1 - LATENCY_WEIGHT) * previous_latency_ms)
        latency = f"{average:.3f}".encode()
    state = shared_state()
    if isinstance(state, MemoryState):
        state.incr_many_now(increments)
        if latency is not None:
            state.set_now(f"rt:{deployment.id}:lat", latency, LATENCY_TTL)
    else:
        _in_background(_write_end(state, deployment.id, increments, latency))


async def _write_end(state, deployment_id: str, increments: list[Increment], latency: bytes | None) -> None:
    await state.incr_many(increments)
    if latency is not None:
        await state.set(f"rt:{deployment_id}:lat", latency, ttl_seconds=LATENCY_TTL)


async def count_failure(deployment: Deployment) -> int:
    """Failures of this deployment within a minute of its first recent failure,
    including this one (a window that opens with the failure, so a calendar
    minute's boundary cannot split a burst)."""
    return await shared_state().incr(f"rt:{deployment.id}:fail", 1, FAILURE_WINDOW_SECONDS)


async def start_cooldown(deployment: Deployment, seconds: float) -> float:
    until = time.time() + seconds
    await shared_state().set(f"rt:{deployment.id}:cool", f"{until:.3f}".encode(), ttl_seconds=seconds)
    return until


async def wait_for_bookkeeping() -> None:
    """Let pending background writes finish (tests, shutdown)."""
    if _background:
        await asyncio.gather(*_background, return_exceptions=True)
