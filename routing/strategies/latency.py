"""The deployment with the lowest recent latency (moving average).

A deployment with no measurement yet is tried first, and one pick in
EXPLORATION_RATE goes to a random deployment, so one that was slow and
recovered gets traffic again and its average can come back down.
"""
from __future__ import annotations

import random

from routing.strategies.base import Candidate, lowest

EXPLORATION_RATE = 0.1


class LowestLatency:
    def pick(self, candidates: list[Candidate], rng: random.Random) -> Candidate:
        if len(candidates) > 1 and rng.random() < EXPLORATION_RATE:
            return rng.choice(candidates)
        return lowest(candidates, lambda c: c.snapshot.latency_ms or 0.0, rng)
