"""The cheapest deployment by its configured price per token; unpriced ones last."""
from __future__ import annotations

import random

from routing.strategies.base import Candidate, lowest


def price(candidate: Candidate) -> float:
    entry = candidate.deployment.entry
    for source in (entry.params, entry.model_info):
        cost = source.get("input_cost_per_token")
        if isinstance(cost, (int, float)):
            return float(cost) + float(source.get("output_cost_per_token") or 0)
    return float("inf")


class Cheapest:
    def pick(self, candidates: list[Candidate], rng: random.Random) -> Candidate:
        return lowest(candidates, price, rng)
