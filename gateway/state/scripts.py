"""Scripts that run inside the shared state: the admission step's counters,
checked and changed as one atomic step.

Each script has a Lua version (Redis: one EVALSHA, falling back to EVAL when
the server has not seen it yet) and a Python twin for MemoryState, atomic there
because it never awaits. Keep the two in step: tests/keys/test_limits.py runs
every case against both.

Everything is an integer: counts, tokens, and money in nano-dollars (why: see
keys/limits.py). Lua compares numbers as doubles, exact up to 2**53 nano-dollars
(9 million USD); Redis itself adds them as int64 (INCRBY), so sums stay exact.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

MINUTE_TTL_SECONDS = 120  # a minute's request and token counters outlive their minute a little
IN_FLIGHT_TTL_SECONDS = 600  # refreshed by every admission, so a crashed process's slots and reservations fade
SPEND_TTL_SECONDS = 7 * 24 * 3600  # an idle scope's spend is seeded again from the database


@dataclass(frozen=True, slots=True)
class LuaScript:
    source: str
    sha: str

    @classmethod
    def of(cls, source: str) -> LuaScript:
        return cls(source, hashlib.sha1(source.encode()).hexdigest())


@dataclass(frozen=True, slots=True)
class CounterScope:
    """One scope's counters (all named from `prefix`) and limits; None = no limit."""

    prefix: str
    requests_limit: int | None = None
    tokens_limit: int | None = None
    parallel_limit: int | None = None
    budget: int | None = None  # nano-dollars
    seed_spend: int = 0  # nano-dollars; the spend counter starts here when it does not exist


@dataclass(frozen=True, slots=True)
class Admission:
    scopes: tuple[CounterScope, ...]
    minute: int
    reserve: int  # nano-dollars held on every budget scope until release


@dataclass(frozen=True, slots=True)
class ScopeUsage:
    requests: int = 0  # this minute, including this request once admitted
    tokens: int = 0  # recorded this minute
    spend: int = 0  # nano-dollars; read for budget checks only
    reserved: int = 0  # nano-dollars held by requests in flight


@dataclass(frozen=True, slots=True)
class Refusal:
    index: int  # of the refusing scope in Admission.scopes
    limit_type: str  # "budget" | "requests" | "tokens" | "max_parallel_requests"
    usage: ScopeUsage


@dataclass(frozen=True, slots=True)
class AdmissionResult:
    usage: tuple[ScopeUsage, ...] = ()  # one per scope when admitted
    refusal: Refusal | None = None


@dataclass(frozen=True, slots=True)
class Release:
    scopes: tuple[CounterScope, ...]  # as admitted: says which counters admission took
    minute: int  # tokens count in the minute they are reported
    reserved: int  # nano-dollars, as reserved by admission
    cost: int  # nano-dollars
    tokens: int


def admission_keys(scope: CounterScope, minute: int) -> tuple[str, str, str, str, str]:
    prefix = scope.prefix
    return (spend_key(prefix), prefix + "reserved", prefix + "in_flight",
            f"{prefix}requests:{minute}", f"{prefix}tokens:{minute}")


def spend_key(prefix: str) -> str:
    return prefix + "spend"


def _arg(limit: int | None) -> str:
    return "" if limit is None else str(limit)


# KEYS, five per scope: spend, reserved, in_flight, requests:<minute>, tokens:<minute>.
# ARGV[1..4]: reserve, minute ttl, in-flight ttl, spend ttl; then five per scope:
# requests limit, tokens limit, parallel limit, budget, seed spend ("" = no limit).
# Reply: {1, requests, tokens, spend, ...per scope} or {0, index, limit type, requests, tokens, spend, reserved}.
ADMIT = LuaScript.of("""
local reserve = tonumber(ARGV[1])
local scopes = #KEYS / 5
local spends = {}

for i = 0, scopes - 1 do
  local k, a = i * 5, 4 + i * 5
  local budget = tonumber(ARGV[a + 4])
  if budget then
    local spend = redis.call('GET', KEYS[k + 1])
    if not spend then
      spend = ARGV[a + 5]
      redis.call('SET', KEYS[k + 1], spend, 'EX', ARGV[4])
    end
    local reserved = redis.call('GET', KEYS[k + 2]) or '0'
    if tonumber(spend) + tonumber(reserved) >= budget then
      return {0, i, 'budget', 0, 0, spend, reserved}
    end
    spends[i + 1] = spend
  end
end

local used = {}
for i = 0, scopes - 1 do
  local k, a = i * 5, 4 + i * 5
  local rpm, tpm, parallel = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local requests, tokens = 0, 0
  if rpm then requests = tonumber(redis.call('GET', KEYS[k + 4]) or '0') end
  if tpm then tokens = tonumber(redis.call('GET', KEYS[k + 5]) or '0') end
  if rpm and requests >= rpm then return {0, i, 'requests', requests, tokens, '0', '0'} end
  if tpm and tokens >= tpm then return {0, i, 'tokens', requests, tokens, '0', '0'} end
  if parallel and tonumber(redis.call('GET', KEYS[k + 3]) or '0') >= parallel then
    return {0, i, 'max_parallel_requests', requests, tokens, '0', '0'}
  end
  used[i * 2 + 1], used[i * 2 + 2] = requests, tokens
end

local reply = {1}
for i = 0, scopes - 1 do
  local k, a = i * 5, 4 + i * 5
  local requests = used[i * 2 + 1]
  if ARGV[a + 1] ~= '' then
    requests = redis.call('INCR', KEYS[k + 4])
    if requests == 1 then redis.call('EXPIRE', KEYS[k + 4], ARGV[2]) end
  end
  if ARGV[a + 3] ~= '' then
    redis.call('INCR', KEYS[k + 3])
    redis.call('EXPIRE', KEYS[k + 3], ARGV[3])
  end
  if reserve > 0 and ARGV[a + 4] ~= '' then
    redis.call('INCRBY', KEYS[k + 2], ARGV[1])
    redis.call('EXPIRE', KEYS[k + 2], ARGV[3])
  end
  reply[#reply + 1] = requests
  reply[#reply + 1] = used[i * 2 + 2]
  reply[#reply + 1] = spends[i + 1] or '0'
end
return reply
""")


def admission_arguments(admission: Admission) -> tuple[list[str], list[str]]:
    keys: list[str] = []
    args = [str(admission.reserve), str(MINUTE_TTL_SECONDS), str(IN_FLIGHT_TTL_SECONDS), str(SPEND_TTL_SECONDS)]
    for scope in admission.scopes:
        keys.extend(admission_keys(scope, admission.minute))
        args += [_arg(scope.requests_limit), _arg(scope.tokens_limit), _arg(scope.parallel_limit),
                 _arg(scope.budget), str(scope.seed_spend)]
    return keys, args


def admission_result(reply: list) -> AdmissionResult:
    if int(reply[0]) == 1:
        return AdmissionResult(usage=tuple(ScopeUsage(int(reply[i]), int(reply[i + 1]), int(reply[i + 2]))
                                           for i in range(1, len(reply), 3)))
    _, index, limit_type, requests, tokens, spend, reserved = reply
    usage = ScopeUsage(int(requests), int(tokens), int(spend), int(reserved))
    kind = limit_type.decode() if isinstance(limit_type, bytes) else limit_type
    return AdmissionResult(refusal=Refusal(int(index), kind, usage))


# KEYS, four per scope: spend, reserved, in_flight, tokens:<minute>.
# ARGV[1..6]: reserved, cost, tokens, minute ttl, in-flight ttl, spend ttl; then two per
# scope: what admission took there ("b" reserved budget, "p" in flight, "t" counts tokens),
# seed spend. Counters that would go below zero (expired meanwhile) are removed instead.
RELEASE = LuaScript.of("""
local reserved, cost, tokens = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 0, #KEYS / 4 - 1 do
  local k, a = i * 4, 6 + i * 2
  local took = ARGV[a + 1]
  if reserved > 0 and string.find(took, 'b', 1, true) then
    if redis.call('DECRBY', KEYS[k + 2], ARGV[1]) <= 0 then redis.call('DEL', KEYS[k + 2]) end
  end
  if string.find(took, 'p', 1, true) then
    if redis.call('DECR', KEYS[k + 3]) <= 0 then redis.call('DEL', KEYS[k + 3]) end
  end
  if tokens > 0 and string.find(took, 't', 1, true) then
    if redis.call('INCRBY', KEYS[k + 4], ARGV[3]) == tokens then redis.call('EXPIRE', KEYS[k + 4], ARGV[4]) end
  end
  if cost > 0 then
    redis.call('SET', KEYS[k + 1], ARGV[a + 2], 'NX')
    redis.call('INCRBY', KEYS[k + 1], ARGV[2])
    redis.call('EXPIRE', KEYS[k + 1], ARGV[6])
  end
end
return 1
""")


def _took(scope: CounterScope) -> str:
    return ("b" if scope.budget is not None else "") + ("p" if scope.parallel_limit is not None else "") + (
        "t" if scope.tokens_limit is not None else "")


def release_arguments(release: Release) -> tuple[list[str], list[str]]:
    keys: list[str] = []
    args = [str(release.reserved), str(release.cost), str(release.tokens), str(MINUTE_TTL_SECONDS),
            str(IN_FLIGHT_TTL_SECONDS), str(SPEND_TTL_SECONDS)]
    for scope in release.scopes:
        spend, reserved, in_flight, _, tokens = admission_keys(scope, release.minute)
        keys += [spend, reserved, in_flight, tokens]
        args += [_took(scope), str(scope.seed_spend)]
    return keys, args


class CounterStore(Protocol):
    """Synchronous counter access: what the Python twins need from MemoryState."""

    def read_counter(self, key: str) -> int | None:
        ...

    def write_counter(self, key: str, value: int, ttl_seconds: float | None = None) -> None:
        """Set a counter; without ttl_seconds an existing counter keeps its expiry."""
        ...

    def remove_counter(self, key: str) -> None:
        ...


def admit_in_process(store: CounterStore, admission: Admission) -> AdmissionResult:
    """ADMIT, in Python. Must not await: that is what makes it atomic."""
    keyed = [(scope, admission_keys(scope, admission.minute)) for scope in admission.scopes]
    spends = [0] * len(keyed)
    for index, (scope, (spend_at, reserved_at, _, _, _)) in enumerate(keyed):
        if scope.budget is not None:
            spend = store.read_counter(spend_at)
            if spend is None:
                spend = scope.seed_spend
                store.write_counter(spend_at, spend, SPEND_TTL_SECONDS)
            reserved = store.read_counter(reserved_at) or 0
            if spend + reserved >= scope.budget:
                return AdmissionResult(refusal=Refusal(index, "budget", ScopeUsage(0, 0, spend, reserved)))
            spends[index] = spend

    used = []
    for index, (scope, (_, _, in_flight_at, requests_at, tokens_at)) in enumerate(keyed):
        requests = (store.read_counter(requests_at) or 0) if scope.requests_limit is not None else 0
        tokens = (store.read_counter(tokens_at) or 0) if scope.tokens_limit is not None else 0
        refused = None
        if scope.requests_limit is not None and requests >= scope.requests_limit:
            refused = "requests"
        elif scope.tokens_limit is not None and tokens >= scope.tokens_limit:
            refused = "tokens"
        elif scope.parallel_limit is not None and (store.read_counter(in_flight_at) or 0) >= scope.parallel_limit:
            refused = "max_parallel_requests"
        if refused:
            return AdmissionResult(refusal=Refusal(index, refused, ScopeUsage(requests, tokens)))
        used.append((requests, tokens))

    usage = []
    for (scope, (_, reserved_at, in_flight_at, requests_at, _)), (requests, tokens), spend in zip(keyed, used,
                                                                                                 spends):
        if scope.requests_limit is not None:
            requests += 1
            store.write_counter(requests_at, requests, MINUTE_TTL_SECONDS if requests == 1 else None)
        if scope.parallel_limit is not None:
            store.write_counter(in_flight_at, (store.read_counter(in_flight_at) or 0) + 1, IN_FLIGHT_TTL_SECONDS)
        if admission.reserve > 0 and scope.budget is not None:
            reserved = (store.read_counter(reserved_at) or 0) + admission.reserve
            store.write_counter(reserved_at, reserved, IN_FLIGHT_TTL_SECONDS)
        usage.append(ScopeUsage(requests, tokens, spend))
    return AdmissionResult(usage=tuple(usage))


def release_in_process(store: CounterStore, release: Release) -> None:
    """RELEASE, in Python. Must not await: that is what makes it atomic."""
    for scope in release.scopes:
        spend_at, reserved_at, in_flight_at, _, tokens_at = admission_keys(scope, release.minute)
        if release.reserved > 0 and scope.budget is not None:
            _decrement(store, reserved_at, release.reserved)
        if scope.parallel_limit is not None:
            _decrement(store, in_flight_at, 1)
        if release.tokens > 0 and scope.tokens_limit is not None:
            tokens = (store.read_counter(tokens_at) or 0) + release.tokens
            store.write_counter(tokens_at, tokens, MINUTE_TTL_SECONDS if tokens == release.tokens else None)
        if release.cost > 0:
            spend = store.read_counter(spend_at)
            store.write_counter(spend_at, (scope.seed_spend if spend is None else spend) + release.cost,
                                SPEND_TTL_SECONDS)


def _decrement(store: CounterStore, key: str, amount: int) -> None:
    left = (store.read_counter(key) or 0) - amount
    if left > 0:
        store.write_counter(key, left)
    else:
        store.remove_counter(key)
