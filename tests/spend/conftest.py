"""Fixtures of the spend tests."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from gateway.state.redis import KEY_PREFIX
from spend import held
from spend.queue import QueueNames
from tests.spend.events import REDIS_URL


@pytest.fixture(autouse=True)
def nothing_held() -> Iterator[None]:
    """Each test starts with this process holding no spend items, and leaves none behind."""
    held.reset()
    yield
    held.reset()


@pytest.fixture
def names() -> Iterator[QueueNames]:
    """Copies list, dead list and lock of this test's own; removed from Redis afterwards."""
    prefix = f"test:{uuid.uuid4().hex}:"
    yield QueueNames(items=prefix + "spend:queue", dead=prefix + "spend:dead", lock=prefix + "spend:lock")
    with redis.Redis.from_url(REDIS_URL) as raw:
        keys = list(raw.scan_iter(match=f"{KEY_PREFIX}{prefix}*"))
        if keys:
            raw.delete(*keys)
