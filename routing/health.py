"""Deployment health (`/health`: a tiny real call to each deployment) and the
deployment list with limits and live state (`/model/info`), credentials masked."""
from __future__ import annotations

import asyncio
import time
import uuid

from gateway.errors import GatewayError
from gateway.types import CallType, ProxyCall
from routing import usage
from routing.deployments import Deployment, DeploymentTable
from routing.providers.registry import adapter_for

PROBE_TIMEOUT_SECONDS = 30.0
SECRET_PARAMS = ("api_key", "azure_ad_token", "client_secret", "azure_password", "aws_secret_access_key",
                 "aws_session_token", "headers", "extra_headers")


def deployment_mode(deployment: Deployment) -> str:
    """chat, embedding or completion: model_info.mode, else guessed from the model's name."""
    mode = deployment.entry.model_info.get("mode")
    if mode:
        return str(mode)
    return "embedding" if "embed" in deployment.entry.provider_model else "chat"


def _probe_call(deployment: Deployment) -> ProxyCall:
    if deployment_mode(deployment) == "embedding":
        call_type, body = CallType.EMBEDDING, {"model": deployment.model_name, "input": "ping"}
    elif deployment_mode(deployment) == "completion":
        call_type, body = CallType.COMPLETION, {"model": deployment.model_name, "prompt": "ping", "max_tokens": 1}
    else:
        call_type, body = CallType.CHAT, {"model": deployment.model_name, "max_tokens": 1,
                                          "messages": [{"role": "user", "content": "ping"}]}
    return ProxyCall(call_type=call_type, route="/health", model=deployment.model_name, body=body,
                     request_id=str(uuid.uuid4()))


def describe(deployment: Deployment) -> dict:
    return {"model": deployment.entry.model, "model_name": deployment.model_name, "model_id": deployment.id,
            "api_base": deployment.public_api_base or None}


async def probe(deployment: Deployment) -> tuple[Deployment, str | None]:
    """One tiny real call to the deployment: (deployment, None) or (deployment, the error)."""
    timeout = min(deployment.entry.timeout or PROBE_TIMEOUT_SECONDS, PROBE_TIMEOUT_SECONDS)
    try:
        await adapter_for(deployment.provider).send(_probe_call(deployment), deployment, timeout)
        return deployment, None
    except GatewayError as error:
        return deployment, error.message
    except Exception as exc:  # a probe must report, never crash the health page
        return deployment, f"{type(exc).__name__}"


async def check_health(table: DeploymentTable) -> dict:
    deployments = [d for group in table.groups.values() for d in group]
    results = await asyncio.gather(*(probe(d) for d in deployments))
    healthy = [describe(d) for d, error in results if error is None]
    unhealthy = [{**describe(d), "error": error} for d, error in results if error is not None]
    return {"healthy_endpoints": healthy, "unhealthy_endpoints": unhealthy,
            "healthy_count": len(healthy), "unhealthy_count": len(unhealthy)}


def public_params(deployment: Deployment) -> dict:
    params = {name: value for name, value in deployment.entry.params.items() if name not in SECRET_PARAMS}
    for name in ("api_base", "base_url"):
        if name in params:
            params[name] = deployment.public_api_base
    return params


async def model_info(table: DeploymentTable) -> list[dict]:
    now = time.time()
    rows = []
    for deployments in table.groups.values():
        snapshots = await usage.read_snapshots(deployments)
        for deployment, snapshot in zip(deployments, snapshots):
            entry = deployment.entry
            rows.append({
                "model_name": deployment.model_name,
                "litellm_params": public_params(deployment),
                "model_info": {
                    **entry.model_info,
                    "id": deployment.id,
                    "mode": deployment_mode(deployment),
                    "rpm": entry.rpm,
                    "tpm": entry.tpm,
                    "rpm_used": snapshot.rpm_used,
                    "tpm_used": snapshot.tpm_used,
                    "in_flight": snapshot.in_flight,
                    "latency_ms": snapshot.latency_ms,
                    "cooldown_until": snapshot.cooldown_until if snapshot.is_cooling(now) else None,
                    "is_cooling_down": snapshot.is_cooling(now),
                },
            })
    return rows
