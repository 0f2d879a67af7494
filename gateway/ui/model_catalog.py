"""What the Models page lists: every deployment of the config by model group,
its limits and prices, credentials masked; and the entries not served."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from gateway.proxy.runtime import Runtime
from routing.deployments import Deployment
from routing.health import SECRET_PARAMS, deployment_mode, public_params

PER_MILLION = Decimal(1_000_000)
MASK = "••••••••"
# Shown elsewhere on the row, so left out of "other parameters".
SHOWN_APART = ("model", "api_base", "base_url", "rpm", "tpm")


@dataclass(frozen=True, slots=True)
class DeploymentRow:
    id: str
    provider: str
    provider_model: str
    api_base: str
    params: tuple[tuple[str, str], ...]  # name, value as shown (secrets masked)
    rpm: int | None
    tpm: int | None
    input_per_million: Decimal | None
    output_per_million: Decimal | None
    price_source: str
    is_priced: bool
    mode: str
    access_groups: tuple[str, ...]
    is_wildcard: bool


@dataclass(frozen=True, slots=True)
class ModelGroup:
    name: str
    deployments: tuple[DeploymentRow, ...]


def shown_params(deployment: Deployment) -> tuple[tuple[str, str], ...]:
    """Every litellm_param except those shown in their own column; a secret is
    named but its value is never shown (not even a part of it)."""
    public = public_params(deployment)
    rows = [(name, str(value)) for name, value in public.items() if name not in SHOWN_APART]
    rows += [(name, MASK) for name in deployment.entry.params if name in SECRET_PARAMS]
    return tuple(sorted(rows))


def deployment_row(runtime: Runtime, deployment: Deployment) -> DeploymentRow:
    entry = deployment.entry
    price = runtime.price(deployment)
    groups = entry.model_info.get("access_groups") or ()
    return DeploymentRow(
        id=deployment.id, provider=entry.provider or "(named by the call)", provider_model=entry.provider_model,
        api_base=deployment.public_api_base, params=shown_params(deployment), rpm=entry.rpm, tpm=entry.tpm,
        input_per_million=price.input_per_token * PER_MILLION if price else None,
        output_per_million=price.output_per_token * PER_MILLION if price else None,
        price_source=price.source if price else "", is_priced=price is not None, mode=deployment_mode(deployment),
        access_groups=tuple(str(group) for group in (groups if isinstance(groups, (list, tuple)) else [groups])),
        is_wildcard=entry.is_wildcard)


def model_groups(runtime: Runtime) -> list[ModelGroup]:
    """Config groups in config order, then wildcard routes (their templates)."""
    table = runtime.table
    groups = [ModelGroup(name, tuple(deployment_row(runtime, d) for d in deployments))
              for name, deployments in table.groups.items()]
    groups += [ModelGroup(route.pattern, tuple(deployment_row(runtime, d) for d in route.templates))
               for route in table.wildcards]
    return groups
