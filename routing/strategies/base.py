"""What a routing strategy sees and returns."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

from routing.deployments import Deployment
from routing.usage import Snapshot


@dataclass(frozen=True, slots=True)
class Candidate:
    deployment: Deployment
    snapshot: Snapshot


class Strategy(Protocol):
    def pick(self, candidates: list[Candidate], rng: random.Random) -> Candidate:
        """Choose one of the healthy candidates (never empty)."""
        ...


def lowest(candidates: list[Candidate], score, rng: random.Random) -> Candidate:
    """The candidate with the lowest score; ties broken at random so load spreads."""
    best = min(score(candidate) for candidate in candidates)
    return rng.choice([candidate for candidate in candidates if score(candidate) == best])
