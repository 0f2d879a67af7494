"""A Redis connection pool that waits its turn when every connection is busy.

redis-py's default pool raises MaxConnectionsError at its limit, and its
BlockingConnectionPool lets a newcomer take a connection a waiter was woken
for (the waiter queues again at the back), so under load some calls wait far
longer than others and time out. Here a released connection goes to the
oldest waiter first, and a call waits at most `wait_timeout` seconds; past
that it fails with PoolExhausted, which says "busy", not "Redis is down".
"""
from __future__ import annotations

import asyncio
from collections import deque

from redis.asyncio.connection import AbstractConnection, ConnectionPool
from redis.exceptions import MaxConnectionsError


class PoolExhausted(MaxConnectionsError):
    """No connection came free in time: the worker is overloaded, Redis is not down."""


class FairConnectionPool(ConnectionPool):
    def __init__(self, *, wait_timeout: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.wait_timeout = wait_timeout
        self._free_slots = self.max_connections
        self._waiters: deque[asyncio.Future] = deque()
        # Connections handed out by get_connection, each holding one slot until released.
        self._holding_slot: set[AbstractConnection] = set()

    async def get_connection(self, *args, **kwargs) -> AbstractConnection:
        await self._take_slot()
        try:
            connection = await super().get_connection()
        except BaseException:
            self._give_back_slot()
            raise
        self._holding_slot.add(connection)
        return connection

    async def release(self, connection: AbstractConnection) -> None:
        try:
            await super().release(connection)
        finally:
            if connection in self._holding_slot:
                self._holding_slot.discard(connection)
                self._give_back_slot()

    async def _take_slot(self) -> None:
        if self._free_slots > 0:  # free slots and waiters never coexist: see _give_back_slot
            self._free_slots -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self.wait_timeout):
                await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                self._give_back_slot()  # handed a slot just as this call gave up
            else:
                waiter.cancel()  # skipped by _give_back_slot
            if isinstance(exc, TimeoutError):
                raise PoolExhausted(f"no Redis connection came free within {self.wait_timeout}s "
                                    f"({self.max_connections} in use)") from None
            raise

    def _give_back_slot(self) -> None:
        """Hand the slot to the oldest live waiter, else keep it free."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free_slots += 1
