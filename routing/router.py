"""Choose a deployment, send, retry with backoff, fail over, fall back.

`Router.send` is the routing step of the pipeline. Per group: pick a healthy
deployment (not cooling down, under its rpm/tpm this minute, best `order`
tier) with the configured strategy; on a retryable failure try again, on
another deployment when there is one; when the group's retries are spent, go
to its fallback groups. A stream is retried only until its first chunk has
arrived: after that the client would see two answers.

Deployment health (cooldowns, failure counts, usage counters) only follows
traffic the deployment itself answered: a mock_response, a call with the
client's own credentials, or a timeout the client set shorter than the
deployment's own says nothing about the deployment, and must not let one
client take a group away from everyone.
"""
from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass

import httpx

from gateway.errors import GatewayError, ProviderError, RateLimited
from gateway.types import ProviderStream, ProxyCall, ProxyReply, Usage, usage_in_chunk
from routing import cooldowns, usage
from routing.deployments import Deployment, DeploymentTable
from routing.failures import Failure, classify
from routing.policy import MAX_BACKOFF_SECONDS, MAX_PROVIDER_RETRY_AFTER, RouterPolicy
from routing.providers import base
from routing.providers.registry import adapter_for_call
from routing.strategies import STRATEGIES, Candidate

BACKOFF_JITTER_SECONDS = 0.75


class NoDeploymentAvailable(RateLimited):
    """Every deployment of a group is cooling down or at its limit (LiteLLM's 429)."""

    def __init__(self, group: str, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(f"No deployments available for selected model, Try again in {seconds} seconds. "
                         f"Passed model={group}. All deployments are cooling down or at their rpm/tpm limit.",
                         headers={"retry-after": str(seconds)})
        self.group = group


@dataclass(frozen=True, slots=True)
class Timeouts:
    total: float
    first_chunk: float
    is_clients: bool = False  # the client's own timeout, shorter than the deployment's: not its fault if it expires


@dataclass(slots=True)
class Attempts:
    """What one client request went through, for the x-litellm-attempted-* headers."""

    retries: int = 0
    fallbacks: int = 0


class Router:
    def __init__(self, table: DeploymentTable, policy: RouterPolicy, default_timeout: float,
                 stream_timeout: float | None, rng: random.Random | None = None) -> None:
        self.table = table
        self.policy = policy
        self.strategy = STRATEGIES[policy.strategy]
        self.default_timeout = default_timeout
        self.stream_timeout = stream_timeout
        self.rng = rng or random.Random()

    async def send(self, call: ProxyCall, group: str, *, num_retries: int | None = None,
                   fallbacks: tuple[str, ...] | None = None, reachable: Collection[str] | None = None,
                   on_fallback: Callable[[str], Awaitable[None]] | None = None) -> ProxyReply:
        """Serve `call` from `group`, then from its fallback groups if it fails:
        `fallbacks` (the client's) or the configured ones, only those in
        `reachable` when given (see reachable_fallbacks). `on_fallback(group)`
        runs before a fallback group is tried; an error it raises skips that group."""
        attempts = Attempts()
        tried_groups = [group]
        try:
            return await self._send_to_group(call, group, num_retries, attempts)
        except GatewayError as error:
            last_error = error
        queue = list(fallbacks if fallbacks is not None else self.policy.fallback_groups(group, self._kind(last_error)))
        while queue and attempts.fallbacks < self.policy.max_fallbacks:
            fallback = queue.pop(0)
            resolved = self.table.resolve(fallback)
            if resolved is None or resolved in tried_groups or (reachable is not None and resolved not in reachable):
                continue
            tried_groups.append(resolved)
            attempts.fallbacks += 1
            try:
                if on_fallback is not None:
                    await on_fallback(resolved)
                return await self._send_to_group(call, resolved, num_retries, attempts)
            except GatewayError as error:
                last_error = error
        raise last_error

    def reachable_fallbacks(self, group: str, requested: tuple[str, ...] | None,
                            may_use: Callable[[str, str], bool]) -> tuple[str, ...]:
        """Every group a call to `group` may fall back to, whatever its failure:
        from the client's list, or from each configured list that may apply, the
        groups `may_use(name, group)` allows, as many as `send` would try.
        `may_use` may also raise, to refuse the call outright."""
        found: list[str] = []
        lists = (requested,) if requested is not None else self.policy.fallback_lists(group)
        for names in lists:
            taken: list[str] = []
            for name in names:
                if len(taken) >= self.policy.max_fallbacks:
                    break
                resolved = self.table.resolve(name)
                if resolved is None or resolved == group or resolved in taken or not may_use(name, resolved):
                    continue
                taken.append(resolved)
            found += [fallback for fallback in taken if fallback not in found]
        return tuple(found)

    @staticmethod
    def _kind(error: GatewayError) -> Failure:
        return Failure.RATE_LIMIT if isinstance(error, NoDeploymentAvailable) else classify(error)

    async def _send_to_group(self, call: ProxyCall, group: str, num_retries: int | None,
                             attempts: Attempts) -> ProxyReply:
        failed: set[str] = set()
        attempt = 0
        is_deployments_traffic = _tells_about_deployments(call)
        while True:
            deployment, snapshot, healthy_ids, group_size = await self._choose(group, failed)
            timeouts = self.timeouts(call, deployment)
            try:
                return await self._send_once(call, deployment, snapshot, attempts, timeouts, is_deployments_traffic)
            except ProviderError as error:
                failure = classify(error)
                if is_deployments_traffic and not (failure is Failure.TIMEOUT and timeouts.is_clients):
                    await cooldowns.after_failure(deployment, failure, self.policy, group_size=group_size)
                failed.add(deployment.id)
                retries = self.policy.retries_for(group, failure, num_retries)
                if not failure.is_retryable or attempt >= retries:
                    raise
                others_left = bool(healthy_ids - failed)
                if failure in (Failure.AUTHENTICATION, Failure.NOT_FOUND) and not others_left:
                    raise  # a wrong key or deployment name does not heal with time
                attempt += 1
                attempts.retries += 1
                await asyncio.sleep(self._backoff(attempt, error, others_left))

    def _backoff(self, attempt: int, error: ProviderError, has_other_deployment: bool) -> float:
        """No wait when another deployment can take the retry; else the provider's
        Retry-After when sane, else exponential backoff with jitter."""
        if has_other_deployment:
            return 0.0
        try:
            provider_wait = float(error.retry_after) if error.retry_after else 0.0
        except ValueError:
            provider_wait = 0.0
        if 0 < provider_wait <= MAX_PROVIDER_RETRY_AFTER:
            return provider_wait
        base_wait = min(max(0.5 * 2 ** (attempt - 1), self.policy.retry_after), MAX_BACKOFF_SECONDS)
        return base_wait + self.rng.uniform(0, BACKOFF_JITTER_SECONDS)

    async def _choose(self, group: str, failed: set[str]) -> tuple[Deployment, usage.Snapshot, set[str], int]:
        deployments = self.table.deployments(group)
        snapshots = await usage.read_snapshots(deployments)
        now = time.time()
        healthy = [Candidate(d, s) for d, s in zip(deployments, snapshots)
                   if not s.is_cooling(now) and _has_capacity(d, s)]
        if not healthy:
            raise NoDeploymentAvailable(group, _seconds_until_available(deployments, snapshots, now))
        fresh = [c for c in healthy if c.deployment.id not in failed] or healthy
        best_order = min(_order(c.deployment) for c in fresh)
        tier = [c for c in fresh if _order(c.deployment) == best_order]
        chosen = self.strategy.pick(tier, self.rng)
        return chosen.deployment, chosen.snapshot, {c.deployment.id for c in healthy}, len(deployments)

    def timeouts(self, call: ProxyCall, deployment: Deployment) -> Timeouts:
        """The request's `timeout`, else the deployment's, else the router's."""
        own_total = deployment.entry.timeout or self.default_timeout
        own_first_chunk = deployment.entry.stream_timeout or self.stream_timeout or own_total
        if call.timeout is None:
            return Timeouts(own_total, own_first_chunk)
        own = own_first_chunk if call.is_stream else own_total
        return Timeouts(call.timeout, call.timeout, is_clients=call.timeout < own)

    async def _send_once(self, call: ProxyCall, deployment: Deployment, snapshot: usage.Snapshot,
                         attempts: Attempts, timeouts: Timeouts, is_deployments_traffic: bool) -> ProxyReply:
        adapter = adapter_for_call(call, deployment)
        if is_deployments_traffic:
            usage.record_start(deployment)
        started = time.monotonic()
        try:
            if call.is_stream:
                stream = await adapter.open_stream(call, deployment, timeouts.total, timeouts.first_chunk)
                stream = await _first_chunk_arrived(stream, deployment, timeouts.first_chunk)
            else:
                reply = await adapter.send(call, deployment, timeouts.total)
        except BaseException:
            if is_deployments_traffic:
                usage.record_end(deployment, tokens=0, latency_ms=None, previous_latency_ms=snapshot.latency_ms)
            raise
        latency_ms = (time.monotonic() - started) * 1000
        common = dict(deployment_id=deployment.id, model_group=deployment.model_name,
                      api_base=deployment.public_api_base, attempted_retries=attempts.retries,
                      attempted_fallbacks=attempts.fallbacks)
        if call.is_stream:
            if is_deployments_traffic:
                stream = dataclasses.replace(
                    stream, chunks=_account_when_done(stream.chunks, deployment, latency_ms, snapshot.latency_ms))
            return ProxyReply(**common, stream=stream)
        if is_deployments_traffic:
            answer_usage = Usage.from_openai(reply.body.get("usage"))
            usage.record_end(deployment, tokens=answer_usage.total_tokens if answer_usage else 0,
                             latency_ms=latency_ms, previous_latency_ms=snapshot.latency_ms)
        return ProxyReply(**common, reply=reply)


def _tells_about_deployments(call: ProxyCall) -> bool:
    """Whether the call's outcome and traffic are the deployment's own: not for
    a mock_response (answered locally), nor for a call carrying the client's
    own credentials or headers (its failures may be the client's doing)."""
    return call.mock_response is None and not call.client_credentials


def _has_capacity(deployment: Deployment, snapshot: usage.Snapshot) -> bool:
    entry = deployment.entry
    return (entry.rpm is None or snapshot.rpm_used < entry.rpm) and (entry.tpm is None or snapshot.tpm_used < entry.tpm)


def _order(deployment: Deployment) -> int:
    return deployment.entry.order if deployment.entry.order is not None else 0


def _seconds_until_available(deployments: tuple[Deployment, ...], snapshots: list[usage.Snapshot],
                             now: float) -> float:
    next_minute = (usage.current_minute(now) + 1) * 60 - now
    waits = [s.cooldown_until - now if s.is_cooling(now) else next_minute for s in snapshots]
    return min(waits)


async def _first_chunk_arrived(stream: ProviderStream, deployment: Deployment, seconds: float) -> ProviderStream:
    """Wait for the first chunk before answering the client, so a stream that
    fails or stalls at its start can still be retried elsewhere."""
    chunks = stream.chunks
    try:
        async with asyncio.timeout(seconds):
            first = await anext(chunks, None)
    except (TimeoutError, httpx.TransportError) as exc:
        await chunks.aclose()
        raise base.transport_error(deployment, exc, seconds) from None
    except BaseException:
        await chunks.aclose()
        raise
    return ProviderStream(chunks=_prepend(first, chunks), headers=stream.headers)


async def _prepend(first: dict | None, rest: AsyncIterator[dict]) -> AsyncIterator[dict]:
    try:
        if first is not None:
            yield first
            async for chunk in rest:
                yield chunk
    finally:
        await rest.aclose()


async def _account_when_done(chunks: AsyncIterator[dict], deployment: Deployment, first_chunk_ms: float,
                             previous_latency_ms: float | None) -> AsyncIterator[dict]:
    """Pass chunks through; when the stream ends (or the client leaves), release
    the in-flight slot and count the tokens from the usage chunk."""
    tokens = 0
    try:
        async for chunk in chunks:
            chunk_usage = usage_in_chunk(chunk)
            if chunk_usage:
                found = Usage.from_openai(chunk_usage)
                tokens = found.total_tokens if found else tokens
            yield chunk
    finally:
        await chunks.aclose()
        usage.record_end(deployment, tokens=tokens, latency_ms=first_chunk_ms, previous_latency_ms=previous_latency_ms)
