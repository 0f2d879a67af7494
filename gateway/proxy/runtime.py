"""What the hot path reads on every request: config, deployment table, master
key and timeouts, built once per process and swapped whole (never mutated)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from gateway.config.loader import load_config
from gateway.cors import CorsPolicy, policy_from
from gateway.config.schema import GatewayConfig
from gateway.proxy.client_credentials import HostPolicy
from routing.deployments import Deployment, DeploymentTable, build_table
from routing.policy import RouterPolicy
from routing.providers.registry import serving_problem
from routing.router import Router
from routing.validation import routing_warnings
from keys import access
from keys.durations import Duration
from keys.limits import DEFAULT_BUDGET_STATUS
from spend import flusher
from spend.pricing import Price, price_for

# LiteLLM's own default is 6000 s; teams set 600 s, which is what a client can wait for.
DEFAULT_TIMEOUT_SECONDS = 600.0
# OpenAI keeps stored responses 30 days; the gateway keeps every turn in Redis
# memory, beside the counters budgets depend on, so an hour unless configured.
DEFAULT_RESPONSES_TTL_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Runtime:
    config: GatewayConfig
    table: DeploymentTable
    router: Router
    master_key: str
    max_body_bytes: int
    key_header_meta: str  # request.META name of the LiteLLM key header
    prices: dict[str, Price | None]  # by deployment id (wildcard deployments: see price())
    budget_status: int  # litellm_settings.budget_exceeded_status_code
    max_end_user_budget: Decimal | None  # litellm_settings.max_end_user_budget, for customers without their own
    responses_ttl_seconds: float = DEFAULT_RESPONSES_TTL_SECONDS  # how long stored Responses API turns are kept
    allow_mock_response: bool = False  # general_settings.allow_mock_response: for keys that are not admins
    client_hosts: HostPolicy = HostPolicy()  # where a client-side api_base may point
    cors: CorsPolicy = CorsPolicy()  # general_settings.cors_allow_*, applied at the edge (gateway/asgi.py)

    @property
    def is_auth_enabled(self) -> bool:
        return bool(self.master_key)

    def deployment(self, deployment_id: str) -> Deployment | None:
        """The deployment with this id, or None."""
        return self.table.deployment(deployment_id)

    def price(self, deployment: Deployment) -> Price | None:
        """The deployment's price; wildcard deployments are priced when first used."""
        if deployment.id in self.prices:
            return self.prices[deployment.id]
        return price_for(deployment.entry)


def config_path(explicit: str | None = None) -> Path:
    """--config, else CONFIG_FILE_PATH, else the shipped offline default."""
    return Path(explicit or settings.CONFIG_FILE_PATH or settings.DEFAULT_CONFIG_FILE)


def build_runtime(config: GatewayConfig) -> Runtime:
    """The runtime for a loaded config. Deployments the table cannot serve join
    the config's skipped list; routing problems join its warnings."""
    table = build_table(config, serving_problem)
    skipped = tuple(sorted(config.skipped + table.skipped, key=lambda item: item.index))
    config = dataclasses.replace(config, skipped=skipped,
                                 warnings=config.warnings + tuple(routing_warnings(config, table)))
    general, router, litellm = config.general_settings, config.router_settings, config.litellm_settings
    max_mb = general.max_request_size_mb
    timeout = float(router.timeout or litellm.request_timeout or DEFAULT_TIMEOUT_SECONDS)
    header = general.litellm_key_header_name or "x-litellm-api-key"
    return Runtime(
        config=config,
        table=table,
        router=Router(table, RouterPolicy.from_config(config), timeout, router.stream_timeout),
        master_key=general.master_key or settings.LITELLM_MASTER_KEY,
        max_body_bytes=int(max_mb * 1024 * 1024) if max_mb else settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        key_header_meta="HTTP_" + header.upper().replace("-", "_"),
        prices={d.id: price_for(d.entry) for group in table.groups.values() for d in group},
        budget_status=int(litellm.extra.get("budget_exceeded_status_code") or DEFAULT_BUDGET_STATUS),
        max_end_user_budget=_money(litellm.extra.get("max_end_user_budget")),
        responses_ttl_seconds=_seconds(general.extra.get("responses_ttl"), DEFAULT_RESPONSES_TTL_SECONDS),
        allow_mock_response=general.extra.get("allow_mock_response") is True,
        client_hosts=_client_hosts(config),
        cors=policy_from(general.extra),
    )


def _client_hosts(config: GatewayConfig) -> HostPolicy:
    """LiteLLM reads user_url_validation and user_url_allowed_hosts from
    litellm_settings, and from general_settings too: either place works here."""
    sections = (config.litellm_settings.extra, config.general_settings.extra)
    validation = [section.get("user_url_validation") for section in sections]
    hosts = [host for section in sections for host in section.get("user_url_allowed_hosts") or ()]
    return HostPolicy(is_validated=False not in validation,
                      allowed=frozenset(host.strip().lower() for host in hosts))


def _money(value) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


def _seconds(value, default: float) -> float:
    """A config duration (whole seconds, or "24h", "30d"...) in seconds."""
    if value is None:
        return default
    if isinstance(value, int):
        return float(value)
    start = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    return (Duration.parse(value).after(start) - start).total_seconds()


def load_runtime(path: str | Path) -> Runtime:
    return build_runtime(load_config(path))


_current: Runtime | None = None


def current() -> Runtime:
    """The process's runtime, loaded from the configured file on first use."""
    global _current
    if _current is None:
        _current = load_runtime(config_path())
        _configure_spend_writes(_current)
        access.use_access_groups(access.access_groups_of(_current.table))
    return _current


def install(runtime: Runtime) -> None:
    """Make `runtime` current (serve at start-up; tests)."""
    global _current
    _current = runtime
    _configure_spend_writes(runtime)
    access.use_access_groups(access.access_groups_of(runtime.table))


def _configure_spend_writes(runtime: Runtime) -> None:
    seconds = runtime.config.general_settings.extra.get("proxy_batch_write_at")
    if seconds:
        flusher.configure(float(seconds))


def reset() -> None:
    global _current
    _current = None
    access.reset()
