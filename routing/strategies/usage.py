"""The deployment with the most headroom left this minute.

Headroom is the smaller of the remaining RPM and TPM fractions; a deployment
without limits counts as fully free but ranks after limited ones by tokens used.
"""
from __future__ import annotations

import random

from routing.strategies.base import Candidate, lowest


def headroom(candidate: Candidate) -> float:
    entry, snapshot = candidate.deployment.entry, candidate.snapshot
    fractions = []
    if entry.rpm:
        fractions.append((entry.rpm - snapshot.rpm_used) / entry.rpm)
    if entry.tpm:
        fractions.append((entry.tpm - snapshot.tpm_used) / entry.tpm)
    return min(fractions) if fractions else 1.0


class MostHeadroom:
    def pick(self, candidates: list[Candidate], rng: random.Random) -> Candidate:
        return lowest(candidates, lambda c: (-headroom(c), c.snapshot.tpm_used), rng)
