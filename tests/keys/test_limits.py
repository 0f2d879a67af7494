"""keys/limits.py: rpm, tpm, parallel-request limits and budgets, checked and
reserved atomically. Every case runs against MemoryState (embedded mode) and a
real RedisState (CI has one, so these tests fail without it)."""
from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal

import pytest
import redis

from gateway.state.base import SharedState
from gateway.state.memory import MemoryState
from gateway.state.redis import KEY_PREFIX, RedisState
from gateway.state.resilient import ResilientState
from gateway.state.scripts import LuaScript
from keys.limits import (
    BudgetExceeded,
    RateLimitExceeded,
    Scope,
    Ticket,
    admit,
    current_spend,
    release,
    reset_spend,
)
from tests.gateway_process import free_port

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def uid() -> Iterator[str]:
    """A token for this test's scope ids; its Redis keys are removed afterwards."""
    token = uuid.uuid4().hex
    yield token
    with redis.Redis.from_url(REDIS_URL) as raw:
        keys = list(raw.scan_iter(match=f"{KEY_PREFIX}lim:*{token}*"))
        if keys:
            raw.delete(*keys)


@pytest.fixture(params=["memory", "redis"])
def make_state(request, uid) -> Callable[[], SharedState]:
    """Builds the backend inside the event loop that will use it."""
    return MemoryState if request.param == "memory" else (lambda: RedisState(REDIS_URL))


def run(make_state: Callable[[], SharedState], scenario: Callable[[SharedState], Awaitable]):
    async def main():
        state = make_state()
        try:
            return await scenario(state)
        finally:
            await _close(state)

    return asyncio.run(main())


async def _close(state: SharedState) -> None:
    if isinstance(state, RedisState):
        await state.aclose()


async def clear_of_minute_end(margin: float = 3.0) -> None:
    """Per-minute counters restart at the minute; start a test that counts on one minute well inside it."""
    left = 60 - time.time() % 60
    if left < margin:
        await asyncio.sleep(left + 0.05)


def key(uid: str, **limits) -> Scope:
    return Scope("api_key", f"key-{uid}", **limits)


def team(uid: str, **limits) -> Scope:
    return Scope("team", f"team-{uid}", **limits)


async def take(scopes: list[Scope], state: SharedState, estimated_cost: str = "0", **options) -> Ticket:
    return await admit(scopes, request_id=uuid.uuid4().hex, estimated_cost=Decimal(estimated_cost), state=state,
                       **options)


async def refusal(scopes: list[Scope], state: SharedState, estimated_cost: str = "0", **options):
    with pytest.raises((RateLimitExceeded, BudgetExceeded)) as refused:
        await take(scopes, state, estimated_cost, **options)
    return refused.value


# Rate limits

def test_the_request_over_the_rpm_limit_is_refused_with_429_and_rate_limit_headers(make_state, uid):
    async def scenario(state):
        await clear_of_minute_end()
        scope = key(uid, rpm_limit=3)
        tickets = [await take([scope], state) for _ in range(3)]
        return tickets, await refusal([scope], state)

    tickets, error = run(make_state, scenario)

    assert [t.headers for t in tickets] == [
        {"x-ratelimit-limit-requests": "3", "x-ratelimit-remaining-requests": str(left)} for left in (2, 1, 0)]
    assert isinstance(error, RateLimitExceeded) and error.status == 429
    assert error.as_dict()["error"]["type"] == "rate_limit_error" and error.as_dict()["error"]["code"] == "429"
    assert error.message.startswith(f"Rate limit exceeded for api_key: key-{uid}. Limit type: requests. "
                                    "Current limit: 3, Remaining: 0. Limit resets at: ")
    retry_after = int(error.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert error.headers["x-ratelimit-limit-requests"] == "3"
    assert error.headers["x-ratelimit-remaining-requests"] == "0"
    assert error.headers["x-ratelimit-reset-requests"] == f"{retry_after}s"
    assert error.headers["rate_limit_type"] == "requests"
    assert error.headers["reset_at"].endswith(" UTC")


def test_tpm_refuses_once_the_tokens_released_this_minute_reach_the_limit(make_state, uid):
    async def scenario(state):
        await clear_of_minute_end()
        scope = key(uid, tpm_limit=100, rpm_limit=10)
        first = await take([scope], state)
        await release(first, tokens=60, cost=Decimal(0), state=state)
        second = await take([scope], state)
        await release(second, tokens=40, cost=Decimal(0), state=state)
        return first, second, await refusal([scope], state)

    first, second, error = run(make_state, scenario)

    assert first.headers["x-ratelimit-remaining-tokens"] == "100"
    assert second.headers == {"x-ratelimit-limit-requests": "10", "x-ratelimit-remaining-requests": "8",
                              "x-ratelimit-limit-tokens": "100", "x-ratelimit-remaining-tokens": "40"}
    assert error.limit_type == "tokens" and error.status == 429
    assert "Limit type: tokens. Current limit: 100, Remaining: 0." in error.message
    assert error.headers["x-ratelimit-limit-tokens"] == "100"
    assert error.headers["x-ratelimit-remaining-tokens"] == "0"
    assert error.headers["x-ratelimit-remaining-requests"] == "8"
    assert error.headers["x-ratelimit-reset-tokens"] == error.headers["retry-after"] + "s"


def test_the_parallel_limit_refuses_while_in_flight_and_admits_again_after_release(make_state, uid):
    async def scenario(state):
        scope = key(uid, max_parallel_requests=2)
        first, second = await take([scope], state), await take([scope], state)
        while_full = await refusal([scope], state)
        await release(first, tokens=0, cost=Decimal(0), state=state)  # the request failed
        third = await take([scope], state)
        full_again = await refusal([scope], state)
        await release(second, tokens=12, cost=Decimal("0.01"), state=state)
        await release(third, tokens=0, cost=Decimal(0), state=state)
        return while_full, full_again, [await take([scope], state) for _ in range(2)]

    while_full, full_again, later = run(make_state, scenario)

    assert while_full.limit_type == full_again.limit_type == "max_parallel_requests"
    assert while_full.status == 429 and while_full.headers["retry-after"] == "1"
    assert f"Rate limit exceeded for api_key: key-{uid}. Limit type: max_parallel_requests. Current limit: 2" \
           in while_full.message
    assert len(later) == 2


def test_releasing_a_ticket_twice_never_takes_the_in_flight_count_below_zero(make_state, uid):
    async def scenario(state):
        scope = key(uid, max_parallel_requests=1)
        ticket = await take([scope], state)
        await release(ticket, tokens=0, cost=Decimal(0), state=state)
        await release(ticket, tokens=0, cost=Decimal(0), state=state)
        await take([scope], state)
        return await refusal([scope], state)

    assert run(make_state, scenario).limit_type == "max_parallel_requests"


def test_a_refusal_by_the_team_takes_nothing_from_the_key(make_state, uid):
    async def scenario(state):
        await clear_of_minute_end()
        the_key, the_team = key(uid, rpm_limit=5, max_parallel_requests=1), team(uid, rpm_limit=1)
        first = await take([the_key, the_team], state)
        await release(first, tokens=0, cost=Decimal(0), state=state)
        by_team = await refusal([the_key, the_team], state)
        key_alone = await take([the_key], state)

        budgeted_key = Scope("api_key", f"budgeted-{uid}", max_budget=Decimal("0.5"))
        broke_team = team(uid, max_budget=Decimal(0))
        by_team_budget = await refusal([budgeted_key, broke_team], state, estimated_cost="0.6")
        return by_team, key_alone, by_team_budget, await take([budgeted_key], state, estimated_cost="0.6")

    by_team, key_alone, by_team_budget, budgeted = run(make_state, scenario)

    assert by_team.message.startswith(f"Rate limit exceeded for team: team-{uid}. Limit type: requests.")
    assert by_team.headers["x-ratelimit-limit-requests"] == "1"
    # The key counted the first request and this one, not the refused one; its in-flight slot is free.
    assert key_alone.headers["x-ratelimit-remaining-requests"] == "3"
    # Had the refused request reserved 0.6 on the key, the key (budget 0.5) would refuse now.
    assert isinstance(by_team_budget, BudgetExceeded) and by_team_budget.scope.kind == "team"
    assert budgeted.reserved == Decimal("0.6")


def test_a_scope_named_twice_is_counted_once(make_state, uid):
    async def scenario(state):
        await clear_of_minute_end()
        scope = key(uid, rpm_limit=2)
        return await take([scope, scope], state), await take([scope], state)

    first, second = run(make_state, scenario)

    assert first.scopes == (key(uid, rpm_limit=2),)
    assert second.headers["x-ratelimit-remaining-requests"] == "0"


# Budgets

def test_a_budget_refuses_once_spend_reached_max_budget_with_litellms_message(make_state, uid):
    async def scenario(state):
        scope = key(uid, max_budget=Decimal("1.0"))
        first = await take([scope], state, estimated_cost="0.4")
        await release(first, tokens=100, cost=Decimal("0.4"), state=state)
        second = await take([scope], state, estimated_cost="0.4")  # 0.4 spent: still under
        await release(second, tokens=100, cost=Decimal("0.65"), state=state)  # real cost crosses the line
        return (await refusal([scope], state, estimated_cost="0.1"),
                await refusal([scope], state, budget_status=400), await current_spend(scope, state=state))

    default, configured, spend = run(make_state, scenario)

    assert default.status == 422
    assert default.as_dict() == {"error": {
        "message": "Budget has been exceeded! Current cost: 1.05, Max budget: 1.0",
        "type": "budget_exceeded", "param": None, "code": "422"}}
    assert configured.status == 400 and configured.as_dict()["error"]["code"] == "400"
    assert spend == Decimal("1.05")


def test_users_and_end_users_over_budget_get_litellms_wording(make_state, uid):
    async def scenario(state):
        end_user = Scope("end_user", f"customer-{uid}", max_budget=Decimal(2), spend=Decimal(2))
        user = Scope("user", f"user-{uid}", max_budget=Decimal("0"), spend=Decimal("0.000037"))
        return await refusal([end_user], state), await refusal([user], state)

    end_user_error, user_error = run(make_state, scenario)

    assert end_user_error.message == f"ExceededBudget: End User=customer-{uid} over budget. Spend=2.0, Budget=2.0"
    assert user_error.message == f"ExceededBudget: User=user-{uid} over budget. Spend=3.7e-05, Budget=0.0"
    assert end_user_error.as_dict()["error"]["type"] == "budget_exceeded"


def test_the_spend_counter_is_seeded_from_the_scopes_spend_only_when_it_does_not_exist(make_state, uid):
    async def scenario(state):
        scope = key(uid, max_budget=Decimal(1), spend=Decimal("0.5"))
        before = await current_spend(scope, state=state)
        ticket = await take([scope], state, estimated_cost="0.1")
        await release(ticket, tokens=10, cost=Decimal("0.25"), state=state)
        stale = key(uid, max_budget=Decimal(1), spend=Decimal(0))  # loaded before that spend was flushed
        at_budget = Scope("api_key", f"spent-{uid}", max_budget=Decimal(1), spend=Decimal(1))
        return before, await current_spend(stale, state=state), await refusal([at_budget], state)

    before, after, error = run(make_state, scenario)

    assert (before, after) == (Decimal("0.5"), Decimal("0.75"))
    assert error.message == "Budget has been exceeded! Current cost: 1.0, Max budget: 1.0"


def test_spend_is_tracked_for_scopes_without_a_budget(make_state, uid):
    async def scenario(state):
        scope = team(uid, spend=Decimal("2"))
        ticket = await take([scope], state, estimated_cost="5")
        await release(ticket, tokens=10, cost=Decimal("0.000000123"), state=state)
        return ticket, await current_spend(scope, state=state)

    ticket, spend = run(make_state, scenario)

    assert ticket.reserved == 0 and ticket.headers == {}
    assert spend == Decimal("2.000000123")


def test_reset_spend_zeroes_the_counter_and_admits_again(make_state, uid):
    async def scenario(state):
        scope = key(uid, max_budget=Decimal(1))
        ticket = await take([scope], state, estimated_cost="1")
        await release(ticket, tokens=10, cost=Decimal("1.2"), state=state)
        refused = await refusal([scope], state)
        await reset_spend("api_key", scope.id, state=state)
        zeroed = await current_spend(scope, state=state)
        admitted = await take([scope], state, estimated_cost="0.5")
        await reset_spend("api_key", scope.id, Decimal("0.3"), state=state)
        return refused, zeroed, admitted, await current_spend(scope, state=state)

    refused, zeroed, admitted, set_to = run(make_state, scenario)

    assert isinstance(refused, BudgetExceeded)
    assert zeroed == 0 and admitted.reserved == Decimal("0.5")
    assert set_to == Decimal("0.3")


# Concurrency: the budget overshoots by at most one request's cost

async def spend_concurrently(states: list[SharedState], scope: Scope, *, requests: int = 50,
                             cost: Decimal = Decimal("0.1")) -> tuple[int, Decimal]:
    """`requests` tasks each admit, stay in flight a moment, release `cost`; returns (admitted, final spend)."""

    async def one(index: int) -> bool:
        state = states[index % len(states)]
        try:
            ticket = await admit([scope], request_id=f"r{index}", estimated_cost=cost, state=state)
        except BudgetExceeded:
            return False
        await asyncio.sleep(0.01)
        await release(ticket, tokens=10, cost=cost, state=state)
        return True

    admitted = await asyncio.gather(*(one(index) for index in range(requests)))
    return sum(admitted), await current_spend(scope, state=states[0])


def test_concurrent_requests_overshoot_a_budget_by_at_most_one_request(make_state, uid):
    scope = key(uid, max_budget=Decimal("1.0"), spend=Decimal("0.95"))

    admitted, spend = run(make_state, lambda state: spend_concurrently([state], scope))

    assert admitted == 1  # the one that crosses the line; everything else sees its reservation or its cost
    assert spend == Decimal("1.05") <= Decimal("1.0") + Decimal("0.1")


def test_concurrent_requests_share_the_headroom_of_a_budget_exactly(make_state, uid):
    scope = key(uid, max_budget=Decimal("1.0"))

    admitted, spend = run(make_state, lambda state: spend_concurrently([state], scope))

    assert (admitted, spend) == (10, Decimal("1.0"))


def test_two_instances_on_one_redis_overshoot_a_budget_by_at_most_one_request(uid):
    scope = key(uid, max_budget=Decimal("1.0"), spend=Decimal("0.95"))
    headroom = Scope("api_key", f"headroom-{uid}", max_budget=Decimal("1.0"))

    async def scenario():
        instances = [RedisState(REDIS_URL), RedisState(REDIS_URL)]
        try:
            return (await spend_concurrently(instances, scope), await spend_concurrently(instances, headroom))
        finally:
            for instance in instances:
                await instance.aclose()

    near_budget, from_zero = asyncio.run(scenario())

    assert near_budget == (1, Decimal("1.05"))
    assert from_zero == (10, Decimal("1.0"))


# The Redis side: round trips, script loading, storage, outages

def test_admit_and_release_are_one_redis_round_trip_each_and_none_without_limits(uid):
    async def scenario():
        state = RedisState(REDIS_URL)
        commands: list[str] = []
        execute = state._client.execute_command

        async def counting(*args, **options):
            commands.append(args[0])
            return await execute(*args, **options)

        state._client.execute_command = counting
        try:
            scopes = [key(uid, rpm_limit=10, tpm_limit=1000, max_parallel_requests=5, max_budget=Decimal(5)),
                      team(uid, rpm_limit=10, max_budget=Decimal(50)), Scope("end_user", f"u-{uid}")]
            await take(scopes, state, estimated_cost="0.2")  # may load the script: EVALSHA, then EVAL
            commands.clear()
            ticket = await take(scopes, state, estimated_cost="0.2")
            await release(ticket, tokens=30, cost=Decimal("0.1"), state=state)
            per_call = list(commands)
            commands.clear()
            unlimited = await take([Scope("api_key", f"free-{uid}")], state)
            await release(unlimited, tokens=30, cost=Decimal(0), state=state)
            return per_call, commands
        finally:
            await state.aclose()

    per_call, without_limits = asyncio.run(scenario())

    assert per_call == ["EVALSHA", "EVALSHA"]
    assert without_limits == []


def test_a_script_redis_has_not_seen_is_sent_with_eval_once_then_run_by_sha(uid):
    script = LuaScript.of(f"return 'seen-{uid}'")

    async def scenario():
        state = RedisState(REDIS_URL)
        try:
            return await state.run_script(script, [], []), await state.run_script(script, [], [])
        finally:
            await state.aclose()

    assert asyncio.run(scenario()) == (f"seen-{uid}".encode(),) * 2
    with redis.Redis.from_url(REDIS_URL) as raw:
        assert raw.script_exists(script.sha) == [True]


def test_redis_keeps_spend_as_integer_nano_dollars_and_gives_every_counter_a_ttl(uid):
    async def scenario():
        await clear_of_minute_end()
        state = RedisState(REDIS_URL)
        try:
            scope = key(uid, rpm_limit=10, tpm_limit=100, max_parallel_requests=3, max_budget=Decimal(1),
                        spend=Decimal("0.5"))
            ticket = await take([scope], state, estimated_cost="0.1")
            await take([scope], state, estimated_cost="0.1")
            await release(ticket, tokens=7, cost=Decimal("0.25"), state=state)
            return ticket.minute
        finally:
            await state.aclose()

    minute = asyncio.run(scenario())
    prefix = f"{KEY_PREFIX}lim:api_key:key-{uid}:"
    with redis.Redis.from_url(REDIS_URL) as raw:
        assert raw.get(prefix + "spend") == b"750000000"
        assert raw.get(prefix + "reserved") == b"100000000"  # the second ticket, still in flight
        assert raw.get(prefix + "in_flight") == b"1"
        assert 0 < raw.ttl(prefix + "spend") <= 7 * 24 * 3600
        assert 0 < raw.ttl(prefix + "reserved") <= 600 and 0 < raw.ttl(prefix + "in_flight") <= 600
        assert 0 < raw.ttl(f"{prefix}requests:{minute}") <= 120
        assert 0 < raw.ttl(f"{prefix}tokens:{minute}") <= 120


def test_with_redis_down_admission_runs_on_process_memory():
    closed_port = free_port()
    scope = Scope("api_key", f"key-{uuid.uuid4().hex}", max_parallel_requests=1, max_budget=Decimal(1))

    async def scenario():
        state = ResilientState(RedisState(f"redis://127.0.0.1:{closed_port}/0"))
        ticket = await take([scope], state, estimated_cost="0.5")
        refused = await refusal([scope], state)
        await release(ticket, tokens=10, cost=Decimal("0.5"), state=state)
        return refused, await take([scope], state), state.is_degraded, await current_spend(scope, state=state)

    refused, admitted, is_degraded, spend = asyncio.run(scenario())

    assert refused.limit_type == "max_parallel_requests"
    assert admitted.scopes == (scope,) and is_degraded is True
    assert spend == Decimal("0.5")
