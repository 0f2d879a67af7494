"""The deployment with the fewest requests in flight (across instances with Redis)."""
from __future__ import annotations

import random

from routing.strategies.base import Candidate, lowest


class LeastBusy:
    def pick(self, candidates: list[Candidate], rng: random.Random) -> Candidate:
        return lowest(candidates, lambda c: c.snapshot.in_flight, rng)
