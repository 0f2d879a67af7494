"""Pick the deployment that serves a call.

For now a uniform random pick within the group; the real router (weights,
limits, retries, failover, cooldowns) replaces `choose` without touching its callers.
"""
from __future__ import annotations

import random

from routing.deployments import Deployment


def choose(deployments: tuple[Deployment, ...]) -> Deployment:
    return deployments[0] if len(deployments) == 1 else random.choice(deployments)
