"""Routing checks for `check_config` and start-up: strategy names, fallbacks and
aliases that name missing groups, fallback cycles, deployments nothing reaches.

All of them are warnings, as LiteLLM starts on all of them: an unknown
strategy falls back to simple-shuffle, a fallback or alias to a missing group
is never taken, and a fallback cycle is bounded at run time (a request visits
each group once, and at most `max_fallbacks` of them).
"""
from __future__ import annotations

from gateway.config.schema import GatewayConfig
from routing.deployments import DeploymentTable
from routing.policy import DEFAULT_STRATEGY, RouterPolicy
from routing.strategies import STRATEGIES


def routing_warnings(config: GatewayConfig, table: DeploymentTable) -> list[str]:
    """Each names the file, the setting and the entry."""
    source = config.source
    warnings: list[str] = []
    strategy = config.router_settings.routing_strategy
    if strategy not in STRATEGIES:
        warnings.append(f"{source}: router_settings: routing_strategy: unknown strategy {strategy!r}, "
                        f"{DEFAULT_STRATEGY} is used; the known ones are {', '.join(STRATEGIES)}")
    policy = RouterPolicy.from_config(config)

    def known(name: str) -> bool:
        return table.resolve(name) is not None

    for setting, mapping in (("fallbacks", policy.fallbacks),
                             ("context_window_fallbacks", policy.context_window_fallbacks),
                             ("content_policy_fallbacks", policy.content_policy_fallbacks)):
        for group, targets in mapping.items():
            if group != "*" and not known(group):
                warnings.append(f"{source}: router_settings: {setting}: {group!r} is not a model group; "
                                "its fallbacks are never used")
            for target in targets:
                if not known(target):
                    warnings.append(f"{source}: router_settings: {setting}: {group} -> {target!r} is not a model "
                                    "group; it is skipped")
        cycle = _find_cycle({g: t for g, t in mapping.items() if g != "*"}, table)
        if cycle:
            warnings.append(f"{source}: router_settings: {setting}: fallback cycle {' -> '.join(cycle)}; a request "
                            f"tries each group once, at most {policy.max_fallbacks} fallbacks (max_fallbacks)")
    for target in policy.default_fallbacks:
        if not known(target):
            warnings.append(f"{source}: router_settings: default_fallbacks: {target!r} is not a model group; "
                            "it is skipped")

    for alias, target in table.aliases.items():
        if target not in table.groups:
            warnings.append(f"{source}: router_settings: model_group_alias: {alias} -> {target!r} is not a model "
                            "group; the alias is not served")
        elif alias == target:
            warnings.append(f"{source}: router_settings: model_group_alias: {alias!r} names its own group; "
                            "the alias changes nothing")
        elif alias in table.groups:
            warnings.append(f"{source}: router_settings: model_group_alias: {alias!r} is also a model group, "
                            "which wins: the alias is never used")

    for deployments in table.groups.values():
        for deployment in deployments:
            entry = deployment.entry
            for limit in ("rpm", "tpm"):
                if getattr(entry, limit) == 0:
                    warnings.append(f"{source}: {entry.entry}: litellm_params.{limit}: a limit of 0 means no "
                                    "request can ever reach this deployment")
            if strategy == "simple-shuffle" and entry.weight == 0 and len(deployments) > 1:
                warnings.append(f"{source}: {entry.entry}: litellm_params.weight: 0 means this deployment only "
                                "gets traffic when every other one of its group is unavailable")
    return warnings


def _find_cycle(edges: dict[str, tuple[str, ...]], table: DeploymentTable) -> list[str] | None:
    """A fallback path that comes back to where it started, if there is one."""
    graph = {table.resolve(g) or g: [table.resolve(t) or t for t in targets] for g, targets in edges.items()}

    def visit(node: str, path: list[str]) -> list[str] | None:
        for nxt in graph.get(node, ()):
            if nxt in path:
                return path[path.index(nxt):] + [nxt]
            found = visit(nxt, [*path, nxt])
            if found:
                return found
        return None

    for start in graph:
        found = visit(start, [start])
        if found:
            return found
    return None
