"""When a failing deployment stops getting traffic, and for how long.

Any 429, 401/403 or 404 from a provider cools the deployment down at once;
timeouts and 5xx do once they exceed `allowed_fails` within a minute.

As in LiteLLM, the only deployment of a group is never cooled down: there is
nothing to move its traffic to, so a cooldown would only turn the provider's
own error into "No deployments available" for everyone, and keep answering so
after the provider has recovered.
"""
from __future__ import annotations

import logging

from routing import usage
from routing.deployments import Deployment
from routing.failures import Failure
from routing.policy import RouterPolicy

logger = logging.getLogger("routing.cooldowns")


async def after_failure(deployment: Deployment, failure: Failure, policy: RouterPolicy, *, group_size: int) -> bool:
    """Count the failure; return True if the deployment is now cooling down."""
    if policy.is_cooldown_disabled or policy.cooldown_seconds <= 0 or group_size < 2:
        return False
    if failure.cools_down_at_once:
        is_cooling = True
    elif failure.counts_towards_cooldown:
        is_cooling = await usage.count_failure(deployment) > policy.allowed_fails_for(failure)
    else:
        return False
    if is_cooling:
        await usage.start_cooldown(deployment, policy.cooldown_seconds)
        logger.warning("deployment %s of %s cooling down for %ss after %s", deployment.id, deployment.model_name,
                       policy.cooldown_seconds, failure.value)
    return is_cooling
