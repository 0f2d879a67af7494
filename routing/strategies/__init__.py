"""Routing strategies by their LiteLLM names (`router_settings.routing_strategy`)."""
from routing.strategies.base import Candidate, Strategy
from routing.strategies.cost import Cheapest
from routing.strategies.latency import LowestLatency
from routing.strategies.least_busy import LeastBusy
from routing.strategies.simple_shuffle import SimpleShuffle
from routing.strategies.usage import MostHeadroom

STRATEGIES: dict[str, Strategy] = {
    "simple-shuffle": SimpleShuffle(),
    "least-busy": LeastBusy(),
    "latency-based-routing": LowestLatency(),
    "usage-based-routing": MostHeadroom(),
    "usage-based-routing-v2": MostHeadroom(),
    "cost-based-routing": Cheapest(),
}

__all__ = ["STRATEGIES", "Candidate", "Strategy"]
