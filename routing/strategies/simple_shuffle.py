"""Random pick weighted by `weight`, else `rpm`, else `tpm`, else uniform.

As in LiteLLM, the first deployment decides which of the three is the weight;
deployments without it weigh 0 (picked only when nothing else is left).
"""
from __future__ import annotations

import random

from routing.strategies.base import Candidate

WEIGHT_FIELDS = ("weight", "rpm", "tpm")


def weight_field(candidates: list[Candidate]) -> str | None:
    first = candidates[0].deployment.entry
    return next((name for name in WEIGHT_FIELDS if getattr(first, name) is not None), None)


class SimpleShuffle:
    def pick(self, candidates: list[Candidate], rng: random.Random) -> Candidate:
        if len(candidates) == 1:
            return candidates[0]
        field = weight_field(candidates)
        if field is not None:
            weights = [float(getattr(c.deployment.entry, field) or 0) for c in candidates]
            if sum(weights) > 0:
                return rng.choices(candidates, weights=weights)[0]
        return rng.choice(candidates)
